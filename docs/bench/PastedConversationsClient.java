import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import io.github.attentionsinks.langchain4j.AttentionSinkChatRequestParameters;
import io.github.attentionsinks.langchain4j.AttentionSinkStreamingChatModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Conversations with a long paste between short turns: USERS conversations at once, each TURNS short questions with
 * replies of at most TOKENS (enough to fill the cache's window), then {@link LongPasteClient#paste} (more than the
 * SmolLM-135M shape's 1,024-token cache; a reply of 8 tokens), then TURNS short questions again, through the streaming
 * chat model. Prints, before and after the pastes and after each round of short turns past them, the conversations'
 * cache memory and the process's resident memory; at the end the gaps between two reply tokens of the short turns
 * past the pastes (median, 99th percentile, longest) and their tokens per second. Used in
 * docs/benchmarks.md ("Caches back to their windowed size after a paste"):
 *
 * <pre>
 * javac -cp examples/target/attention-sinks.jar -d /tmp/pc docs/bench/PastedConversationsClient.java docs/bench/LongPasteClient.java
 * java --add-modules jdk.incubator.vector -Xmx3g -cp examples/target/attention-sinks.jar:/tmp/pc PastedConversationsClient \
 *     MODEL_DIR 8 10 128
 * </pre>
 */
public class PastedConversationsClient {
    static AttentionSinkStreamingChatModel model;

    public static void main(String[] args) throws Exception {
        model = AttentionSinkStreamingChatModel.builder().modelPath(Path.of(args[0])).build();
        int users = Integer.parseInt(args[1]);
        int turns = Integer.parseInt(args[2]);
        int maxTokens = Integer.parseInt(args[3]);
        List<List<ChatMessage>> histories = new ArrayList<>();
        for (int u = 0; u < users; u++) {
            histories.add(new ArrayList<>());
        }
        ExecutorService pool = Executors.newFixedThreadPool(users);
        for (int t = 0; t < turns; t++) {
            shortTurn(pool, histories, t, maxTokens, null);
        }
        report("after " + turns + " short turns", users);
        round(pool, histories, u -> LongPasteClient.paste(), 8, null);
        report("after the pastes", users);
        List<Long> gaps = Collections.synchronizedList(new ArrayList<>());
        long t0 = System.nanoTime();
        int tokens = 0;
        for (int t = 0; t < turns; t++) {
            tokens += shortTurn(pool, histories, turns + t, maxTokens, gaps);
            report("after short turn " + (t + 1) + " past the paste", users);
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        List<Long> sorted = new ArrayList<>(gaps);
        Collections.sort(sorted);
        System.out.printf("short turns: %d reply tokens, %.1f tokens/s; gaps between tokens median %.1f ms, p99 %.1f ms,"
                + " longest %.1f ms%n", tokens, tokens / seconds, sorted.get(sorted.size() / 2) / 1e6,
                sorted.get((int) (sorted.size() * 0.99)) / 1e6, sorted.get(sorted.size() - 1) / 1e6);
        pool.shutdown();
        System.exit(0);
    }

    static int shortTurn(ExecutorService pool, List<List<ChatMessage>> histories, int turn, int maxTokens,
            List<Long> gaps) throws Exception {
        return round(pool, histories, u -> "Tell me something about the number " + (u * 31 + turn * 7 + 3)
                + ", please.", maxTokens, gaps);
    }

    /** One turn of every conversation at once; returns the reply tokens. */
    static int round(ExecutorService pool, List<List<ChatMessage>> histories, java.util.function.IntFunction<String> text,
            int maxTokens, List<Long> gaps) throws Exception {
        List<Future<Integer>> results = new ArrayList<>();
        for (int u = 0; u < histories.size(); u++) {
            int user = u;
            results.add(pool.submit(() -> {
                List<ChatMessage> history = histories.get(user);
                history.add(UserMessage.from(text.apply(user)));
                ChatRequest request = ChatRequest.builder().messages(history)
                        .parameters(AttentionSinkChatRequestParameters.builder().memoryId("user-" + user)
                                .maxOutputTokens(maxTokens).build())
                        .build();
                ChatResponse response = streamed(request, gaps);
                history.add(response.aiMessage());
                return response.tokenUsage().outputTokenCount();
            }));
        }
        int tokens = 0;
        for (Future<Integer> r : results) {
            tokens += r.get();
        }
        return tokens;
    }

    static void report(String when, int users) throws Exception {
        long cacheBytes = 0;
        for (int u = 0; u < users; u++) {
            cacheBytes += model.sessionStats("user-" + u).orElseThrow().cacheBytes();
        }
        System.out.printf("%s: caches %.1f MiB in all; %s%n", when, cacheBytes / 1048576.0,
                Files.readAllLines(Path.of("/proc/self/status")).stream().filter(line -> line.startsWith("VmRSS"))
                        .findFirst().orElse("").replaceAll("\\s+", " "));
    }

    /** One streamed reply; the time between two of its partials goes to {@code gaps} unless that is null. */
    static ChatResponse streamed(ChatRequest request, List<Long> gaps) throws Exception {
        long[] last = {0};
        return LongPasteClient.chat(model, request, now -> {
            if (last[0] != 0 && gaps != null) {
                gaps.add(now - last[0]);
            }
            last[0] = now;
        }).get();
    }
}
