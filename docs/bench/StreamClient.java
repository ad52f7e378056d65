import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import io.github.attentionsinks.langchain4j.AttentionSinkChatRequestParameters;
import io.github.attentionsinks.langchain4j.AttentionSinkStreamingChatModel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * {@link OrderClient} through the streaming chat model: one model with its defaults, N concurrent memory ids then M
 * (in that order, in a fresh JVM), each user 3 turns of at most 64 reply tokens, each turn awaited through its
 * handler. Prints both rates and their ratio. Used in docs/benchmarks.md ("Attention reads grouped"):
 *
 * <pre>
 * javac -cp examples/target/attention-sinks.jar -d /tmp/sc docs/bench/StreamClient.java
 * java --add-modules jdk.incubator.vector -cp examples/target/attention-sinks.jar:/tmp/sc StreamClient MODEL_DIR 8 1
 * </pre>
 */
public class StreamClient {
    static AttentionSinkStreamingChatModel chat;

    public static void main(String[] args) throws Exception {
        chat = AttentionSinkStreamingChatModel.builder().modelPath(Path.of(args[0])).build();
        int first = Integer.parseInt(args[1]);
        int second = Integer.parseInt(args[2]);
        double a = converse(first, "a");
        double b = converse(second, "b");
        double one = first == 1 ? a : b;
        double many = first == 1 ? b : a;
        System.out.printf("streaming order %d,%d: 1 user %.1f tokens/s, %d users %.1f tokens/s, ratio %.2f%n", first,
                second, one, Math.max(first, second), many, many / one);
        chat.close();
    }

    /** {@code users} conversations at once, each 3 turns; aggregate reply tokens per second. */
    static double converse(int users, String tag) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(users);
        long t0 = System.nanoTime();
        List<Future<Integer>> results = new ArrayList<>();
        for (int u = 0; u < users; u++) {
            int user = u;
            results.add(pool.submit(() -> {
                List<ChatMessage> history = new ArrayList<>();
                int tokens = 0;
                for (int t = 0; t < 3; t++) {
                    history.add(UserMessage.from("Tell me something about the number " + (user * 31 + t * 7 + 3)
                            + ", please."));
                    CompletableFuture<ChatResponse> done = new CompletableFuture<>();
                    chat.chat(ChatRequest.builder().messages(history)
                            .parameters(AttentionSinkChatRequestParameters.builder().memoryId(tag + user)
                                    .maxOutputTokens(64).build())
                            .build(), new StreamingChatResponseHandler() {
                                @Override
                                public void onPartialResponse(String partial) {}

                                @Override
                                public void onCompleteResponse(ChatResponse response) {
                                    done.complete(response);
                                }

                                @Override
                                public void onError(Throwable error) {
                                    done.completeExceptionally(error);
                                }
                            });
                    ChatResponse response = done.get();
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
