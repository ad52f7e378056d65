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

/**
 * New conversations' first tokens while earlier conversations stay open: HELD conversations of one short turn each,
 * one after another (they keep their caches, so from the ninth on no buffer the warm-up left is free), then eight new
 * ones GAP_MS apart (default 50); prints ms from each request to its first partial, through the streaming chat model. Used in
 * docs/benchmarks.md ("Spare cache buffers made while idle"):
 *
 * <pre>
 * javac -cp examples/target/attention-sinks.jar -d /tmp/hc docs/bench/HeldConversationsClient.java
 * java --add-modules jdk.incubator.vector -Xmx3g -cp examples/target/attention-sinks.jar:/tmp/hc \
 *     HeldConversationsClient MODEL_DIR 10 [GAP_MS]
 * </pre>
 */
public class HeldConversationsClient {
    static AttentionSinkStreamingChatModel model;

    public static void main(String[] args) throws Exception {
        model = AttentionSinkStreamingChatModel.builder().modelPath(Path.of(args[0])).build();
        int held = Integer.parseInt(args[1]);
        long gapMillis = args.length > 2 ? Long.parseLong(args[2]) : 50;
        List<Double> heldFirst = new ArrayList<>();
        for (int i = 0; i < held; i++) {
            heldFirst.add(turn("held-" + i).get());
        }
        List<Double> newFirst = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            newFirst.add(turn("new-" + i).get());
            Thread.sleep(gapMillis);
        }
        System.out.println("held conversations' first tokens, ms: " + heldFirst);
        System.out.println("new conversations' first tokens, ms: " + newFirst);
        System.exit(0);
    }

    /** Completes with ms from the request to the first partial, once the reply is done. */
    static CompletableFuture<Double> turn(String id) {
        long t0 = System.nanoTime();
        CompletableFuture<Double> first = new CompletableFuture<>();
        CompletableFuture<Void> done = new CompletableFuture<>();
        ChatRequest request = ChatRequest.builder().messages(List.of(UserMessage.from("Hi, how are you?")))
                .parameters(AttentionSinkChatRequestParameters.builder().memoryId(id).maxOutputTokens(8).build())
                .build();
        model.chat(request, new StreamingChatResponseHandler() {
            @Override
            public void onPartialResponse(String partial) {
                first.complete(Math.round((System.nanoTime() - t0) / 1e5) / 10.0);
            }

            @Override
            public void onCompleteResponse(ChatResponse response) {
                done.complete(null);
            }

            @Override
            public void onError(Throwable error) {
                first.completeExceptionally(error);
                done.completeExceptionally(error);
            }
        });
        return done.thenCompose(ignored -> first);
    }
}
