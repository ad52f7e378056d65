import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.model.chat.request.ChatRequest;
import io.github.attentionsinks.langchain4j.AttentionSinkChatModel;
import io.github.attentionsinks.langchain4j.AttentionSinkChatRequestParameters;
import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * A LangChain4j client as an outside check might write it: one chat model with its defaults, N concurrent memory
 * ids then M (in that order, in a fresh JVM), each user 3 turns of at most 64 reply tokens; optionally throwaway
 * conversations first: WARM rounds of 8 at once then 1 (32 tokens, one turn), or rounds given as
 * {@code USERSxTURNSxTOKENS,...}. Prints both rates and their ratio (with N = M, the first round's rate against the
 * second's), and the JIT's compiler time during the first round. Used in docs/benchmarks.md ("Shared prompt
 * beginnings", "A Zen 5 machine", "The chat path warmed up too"):
 *
 * <pre>
 * javac -cp examples/target/attention-sinks.jar -d /tmp/oc docs/bench/OrderClient.java
 * java --add-modules jdk.incubator.vector -cp examples/target/attention-sinks.jar:/tmp/oc OrderClient MODEL_DIR 8 1 [WARM]
 * </pre>
 */
public class OrderClient {
    static AttentionSinkChatModel chat;

    public static void main(String[] args) throws Exception {
        chat = AttentionSinkChatModel.builder().modelPath(Path.of(args[0])).build();
        int first = Integer.parseInt(args[1]);
        int second = Integer.parseInt(args[2]);
        String warm = args.length > 3 ? args[3] : "0";
        // WARM rounds are rounds of 8 users then 1, a turn of 32 tokens each.
        String rounds = warm.contains("x") ? warm
                : String.join(",", java.util.Collections.nCopies(Integer.parseInt(warm), "8x1x32,1x1x32"));
        long w0 = System.nanoTime();
        int r = 0;
        for (String round : rounds.isEmpty() ? new String[0] : rounds.split(",")) {
            String[] f = round.split("x");
            converse(Integer.parseInt(f[0]), Integer.parseInt(f[1]), Integer.parseInt(f[2]), "warm" + r++ + "-");
        }
        chat.evictAllSessions();
        if (!warm.equals("0")) {
            System.out.printf("warm-up %s in %.0f ms%n", warm, (System.nanoTime() - w0) / 1e6);
        }
        CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
        long compiled = jit.getTotalCompilationTime();
        double a = converse(first, 3, 64, "a");
        System.out.printf("compiler time during the first round: %d ms%n", jit.getTotalCompilationTime() - compiled);
        double b = converse(second, 3, 64, "b");
        if (first == second) {
            System.out.printf("order %d,%d: first round %.1f tokens/s, second round %.1f tokens/s, first / second %.2f%n",
                    first, second, a, b, a / b);
        } else {
            double one = first == 1 ? a : b;
            double many = first == 1 ? b : a;
            System.out.printf("order %d,%d: 1 user %.1f tokens/s, %d users %.1f tokens/s, ratio %.2f%n", first, second,
                    one, Math.max(first, second), many, many / one);
        }
        chat.close();
    }

    /** {@code users} conversations at once, each {@code turns} turns; aggregate reply tokens per second. */
    static double converse(int users, int turns, int maxTokens, String tag) throws Exception {
        System.out.printf("round %s: %d users from %d ms of uptime%n", tag, users,
                ManagementFactory.getRuntimeMXBean().getUptime());
        ExecutorService pool = Executors.newFixedThreadPool(users);
        long t0 = System.nanoTime();
        List<Future<Integer>> results = new ArrayList<>();
        for (int u = 0; u < users; u++) {
            int user = u;
            results.add(pool.submit(() -> {
                List<ChatMessage> history = new ArrayList<>();
                int tokens = 0;
                for (int t = 0; t < turns; t++) {
                    history.add(UserMessage.from("Tell me something about the number " + (user * 31 + t * 7 + 3)
                            + ", please."));
                    var response = chat.chat(ChatRequest.builder().messages(history)
                            .parameters(AttentionSinkChatRequestParameters.builder().memoryId(tag + user)
                                    .maxOutputTokens(maxTokens).build())
                            .build());
                    history.add(response.aiMessage());
                    tokens += response.tokenUsage().outputTokenCount();
                }
                return tokens;
            }));
        }
        int tokens = 0;
        for (Future<Integer> r : results) {
            tokens += r.get();
        }
        pool.shutdown();
        return tokens / ((System.nanoTime() - t0) / 1e9);
    }
}
