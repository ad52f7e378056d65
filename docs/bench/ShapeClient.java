import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import io.github.attentionsinks.langchain4j.AttentionSinkBaseChatModel;
import io.github.attentionsinks.langchain4j.AttentionSinkChatModel;
import io.github.attentionsinks.langchain4j.AttentionSinkChatRequestParameters;
import io.github.attentionsinks.langchain4j.AttentionSinkStreamingChatModel;
import io.github.attentionsinks.langchain4j.ChatSessionStats;
import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * {@link OrderClient} with the conversations' shape as arguments: N concurrent memory ids then M (in that order, in a
 * fresh JVM), each user TURNS turns of at most TOKENS reply tokens, through the blocking chat model ({@code block})
 * or the streaming one ({@code stream}, which also prints when each user's first reply token came, in ms from the
 * round's start); prints the JIT's compiler time during each round, the conversations' cache memory and the process's
 * resident memory after it, both rates and their ratio. With {@code -Dpause=SECONDS} the model sits idle that long
 * before the first round; {@code -Ddtype=float16} or {@code int8} sets the weights' dtype; {@code -Dtemperature=0.7
 * -DtopP=0.9} (and {@code -DtopK}) sample the replies, which are greedy without them. Used in docs/benchmarks.md
 * ("Cache buffers kept for the next conversation", "Chat templates parsed once", "Cache memory for a batch kept while
 * idle", "Caches sized for their turns", "Float16 weights without subnormals"):
 *
 * <pre>
 * javac -cp examples/target/attention-sinks.jar -d /tmp/sc docs/bench/ShapeClient.java
 * java --add-modules jdk.incubator.vector -Xmx3g -cp examples/target/attention-sinks.jar:/tmp/sc ShapeClient \
 *     MODEL_DIR 8 1 1 32 stream
 * </pre>
 */
public class ShapeClient {
    static AttentionSinkChatModel chat;
    static AttentionSinkStreamingChatModel streaming;
    static final CompilationMXBean JIT = ManagementFactory.getCompilationMXBean();

    public static void main(String[] args) throws Exception {
        boolean stream = args[5].equals("stream");
        if (stream) {
            streaming = AttentionSinkStreamingChatModel.builder().modelPath(Path.of(args[0]))
                    .dtype(System.getProperty("dtype")).build();
        } else {
            chat = AttentionSinkChatModel.builder().modelPath(Path.of(args[0])).dtype(System.getProperty("dtype"))
                    .build();
        }
        Thread.sleep(Long.getLong("pause", 0) * 1000); // -Dpause=SECONDS: idle between building and the rounds
        int first = Integer.parseInt(args[1]);
        int second = Integer.parseInt(args[2]);
        int turns = Integer.parseInt(args[3]);
        int maxTokens = Integer.parseInt(args[4]);
        double a = converse(first, turns, maxTokens, "a");
        double b = converse(second, turns, maxTokens, "b");
        double one = first == 1 ? a : b;
        double many = first == 1 ? b : a;
        System.out.printf("shape %dx%d %s order %d,%d: 1 user %.1f tokens/s, %d users %.1f tokens/s, ratio %.2f%n",
                turns, maxTokens, args[5], first, second, one, Math.max(first, second), many, many / one);
        System.exit(0);
    }

    /** {@code users} conversations at once, each {@code turns} turns; aggregate reply tokens per second. */
    static double converse(int users, int turns, int maxTokens, String tag) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(users);
        long compiled = JIT.getTotalCompilationTime();
        long t0 = System.nanoTime();
        List<Double> firstTokens = Collections.synchronizedList(new ArrayList<>());
        List<Future<Integer>> results = new ArrayList<>();
        for (int u = 0; u < users; u++) {
            int user = u;
            results.add(pool.submit(() -> {
                List<ChatMessage> history = new ArrayList<>();
                int tokens = 0;
                for (int t = 0; t < turns; t++) {
                    history.add(UserMessage.from("Tell me something about the number " + (user * 31 + t * 7 + 3)
                            + ", please."));
                    ChatRequest request = ChatRequest.builder().messages(history)
                            .parameters(sampling(AttentionSinkChatRequestParameters.builder().memoryId(tag + user)
                                    .maxOutputTokens(maxTokens)).build())
                            .build();
                    ChatResponse response = chat != null ? chat.chat(request)
                            : streamed(request, t == 0 ? firstTokens : null, t0);
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
        double rate = tokens / ((System.nanoTime() - t0) / 1e9);
        System.out.printf("round %s compiler time: %d ms%n", tag, JIT.getTotalCompilationTime() - compiled);
        AttentionSinkBaseChatModel model = chat != null ? chat : streaming;
        long cacheBytes = 0;
        int longest = 0;
        for (int u = 0; u < users; u++) {
            ChatSessionStats stats = model.sessionStats(tag + u).orElseThrow();
            cacheBytes += stats.cacheBytes();
            longest = Math.max(longest, stats.cacheLength());
        }
        System.out.printf("round %s caches: %.1f MiB in all, the longest %d entries; %s%n", tag,
                cacheBytes / 1048576.0, longest, Files.readAllLines(Path.of("/proc/self/status")).stream()
                        .filter(line -> line.startsWith("VmRSS")).findFirst().orElse("").replaceAll("\\s+", " "));
        if (streaming != null) {
            List<Double> sorted = new ArrayList<>(firstTokens);
            Collections.sort(sorted);
            System.out.printf("round %s first tokens (ms): %s%n", tag,
                    sorted.stream().map(ms -> String.format("%.0f", ms)).toList());
        }
        return rate;
    }

    /** {@code -Dtemperature}, {@code -DtopP} and {@code -DtopK} where given; greedy replies without them. */
    static AttentionSinkChatRequestParameters.Builder sampling(AttentionSinkChatRequestParameters.Builder b) {
        if (System.getProperty("temperature") != null) {
            b.temperature(Double.parseDouble(System.getProperty("temperature")));
        }
        if (System.getProperty("topP") != null) {
            b.topP(Double.parseDouble(System.getProperty("topP")));
        }
        if (System.getProperty("topK") != null) {
            b.topK(Integer.parseInt(System.getProperty("topK")));
        }
        return b;
    }

    /** One streamed reply; the time of its first partial goes to {@code firstTokens} unless that is null. */
    static ChatResponse streamed(ChatRequest request, List<Double> firstTokens, long t0) throws Exception {
        CompletableFuture<ChatResponse> done = new CompletableFuture<>();
        streaming.chat(request, new StreamingChatResponseHandler() {
            boolean first = true;

            @Override
            public void onPartialResponse(String partial) {
                if (first && firstTokens != null) {
                    firstTokens.add((System.nanoTime() - t0) / 1e6);
                }
                first = false;
            }

            @Override
            public void onCompleteResponse(ChatResponse response) {
                done.complete(response);
            }

            @Override
            public void onError(Throwable error) {
                done.completeExceptionally(error);
            }
        });
        return done.get();
    }
}
