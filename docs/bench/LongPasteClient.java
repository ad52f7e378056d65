import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import io.github.attentionsinks.langchain4j.AttentionSinkChatRequestParameters;
import io.github.attentionsinks.langchain4j.AttentionSinkStreamingChatModel;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.LongConsumer;

/**
 * A short turn's first token through the streaming chat model, alone and 300 ms after another conversation sent a
 * long paste (9,000 characters of log lines: more than the SmolLM-135M shape's 1,024-token cache, so its turn feeds
 * the first 4 and last 1,020 tokens), five rounds in one JVM, every conversation new. Used in docs/benchmarks.md
 * ("The chat warm-up's replies lengthened"):
 *
 * <pre>
 * javac -cp examples/target/attention-sinks.jar -d /tmp/lp docs/bench/LongPasteClient.java
 * java --add-modules jdk.incubator.vector -Xmx3g -cp examples/target/attention-sinks.jar:/tmp/lp LongPasteClient MODEL_DIR
 * </pre>
 */
public class LongPasteClient {
    static AttentionSinkStreamingChatModel model;

    public static void main(String[] a) throws Exception {
        model = AttentionSinkStreamingChatModel.builder().modelPath(Path.of(a[0])).build();
        String paste = paste();
        for (int round = 0; round < 5; round++) {
            double alone = shortTurn("alone-" + round).get();
            long t0 = System.nanoTime();
            CompletableFuture<Double> longDone = new CompletableFuture<>();
            CompletableFuture<Double> longFirst = turn("paste-" + round, paste, 8, longDone);
            Thread.sleep(300);
            double beside = shortTurn("beside-" + round).get();
            longDone.get();
            System.out.printf("round %d: short turn's first token alone %.1f ms, beside the paste %.1f ms; paste's first token %.0f ms, whole %.0f ms%n",
                    round, alone, beside, longFirst.get(), (System.nanoTime() - t0) / 1e6);
        }
        System.exit(0);
    }

    static CompletableFuture<Double> shortTurn(String id) {
        return turn(id, "Hi, how are you?", 8, new CompletableFuture<>());
    }

    /** "Summarize this log, please:" and 9,000 characters of log lines (also pasted by PasteStallClient). */
    static String paste() {
        StringBuilder paste = new StringBuilder("Summarize this log, please:\n");
        for (int i = 0; paste.length() < 9000; i++) {
            paste.append("line ").append(i).append(": request ").append(i * 37 % 1000).append(" served in ")
                    .append(i * 13 % 97).append(" ms\n");
        }
        return paste.toString();
    }

    /** Completes the returned future with ms to the first partial; {@code done} with the whole. */
    static CompletableFuture<Double> turn(String id, String text, int maxTokens, CompletableFuture<Double> done) {
        long t0 = System.nanoTime();
        CompletableFuture<Double> first = new CompletableFuture<>();
        done.whenComplete((ms, e) -> {
            if (e != null) {
                first.completeExceptionally(e);
            } else {
                first.complete(ms); // no partial came
            }
        });
        stream(model, id, text, maxTokens, at -> first.complete((at - t0) / 1e6), done);
        return first;
    }

    /**
     * Streams one turn of conversation {@code id}: {@code onPartial} gets the {@link System#nanoTime} of each partial,
     * {@code done} the ms of the whole turn; prints the turn's token counts.
     */
    static void stream(AttentionSinkStreamingChatModel model, String id, String text, int maxTokens,
            LongConsumer onPartial, CompletableFuture<Double> done) {
        long t0 = System.nanoTime();
        ChatRequest request = ChatRequest.builder().messages(List.of(UserMessage.from(text)))
                .parameters(AttentionSinkChatRequestParameters.builder().memoryId(id).maxOutputTokens(maxTokens).build())
                .build();
        chat(model, request, onPartial).whenComplete((response, error) -> {
            if (error != null) {
                done.completeExceptionally(error);
                return;
            }
            done.complete((System.nanoTime() - t0) / 1e6);
            System.out.printf("  %s: %d input tokens, %d output%n", id, response.tokenUsage().inputTokenCount(), response.tokenUsage().outputTokenCount());
        });
    }

    /**
     * Streams {@code request}: {@code onPartial} gets the {@link System#nanoTime} of each partial; the returned future
     * completes with the response (also used by PastedConversationsClient).
     */
    static CompletableFuture<ChatResponse> chat(AttentionSinkStreamingChatModel model, ChatRequest request,
            LongConsumer onPartial) {
        CompletableFuture<ChatResponse> done = new CompletableFuture<>();
        model.chat(request, new StreamingChatResponseHandler() {
            @Override
            public void onPartialResponse(String partial) {
                onPartial.accept(System.nanoTime());
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
        return done;
    }
}
