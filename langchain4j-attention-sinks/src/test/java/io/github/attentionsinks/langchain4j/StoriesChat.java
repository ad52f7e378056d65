package io.github.attentionsinks.langchain4j;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.PartialResponse;
import dev.langchain4j.model.chat.response.PartialResponseContext;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import io.github.attentionsinks.AttentionSinkModel;
import io.github.attentionsinks.Shared;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiConsumer;

/** stories260K loaded once for all chat tests (shared through the builders' model(...) option), and helpers. */
final class StoriesChat {
    private static AttentionSinkModel model;

    private StoriesChat() {}

    static synchronized AttentionSinkModel model() {
        if (model == null) {
            model = AttentionSinkModel.builder().modelPath(Shared.stories()).device("cpu").load();
        }
        return model;
    }

    /** A small cache (S = 4, W = 128) so that a few turns already evict. */
    static AttentionSinkStreamingChatModel.Builder streaming() {
        return AttentionSinkStreamingChatModel.builder().model(model()).attentionSinkSize(4).windowSize(128)
                .maxNewTokens(12).temperature(0);
    }

    static AttentionSinkChatModel.Builder blocking() {
        return AttentionSinkChatModel.builder().model(model()).attentionSinkSize(4).windowSize(128).maxNewTokens(12)
                .temperature(0);
    }

    /**
     * The most tokens a turn that continues a session with the user message "Next" may encode under the plain
     * template: the reply's last, unfed token plus {@code "\nUser: Next\nAssistant:"}.
     */
    static int nextTurnTokens() {
        return model().tokenizer().encode("\nUser: Next\nAssistant:", false).length + 1;
    }

    static ChatRequest request(Object memoryId, List<ChatMessage> messages) {
        return ChatRequest.builder().messages(messages)
                .parameters(AttentionSinkChatRequestParameters.builder().memoryId(memoryId).build()).build();
    }

    /** Records every callback; {@link #await()} returns the response or throws the error. */
    static class Collector implements StreamingChatResponseHandler {
        final List<String> partials = new CopyOnWriteArrayList<>();
        final AtomicInteger completions = new AtomicInteger();
        final AtomicInteger errors = new AtomicInteger();
        final CompletableFuture<ChatResponse> done = new CompletableFuture<>();
        final List<String> threads = new CopyOnWriteArrayList<>();
        private final BiConsumer<PartialResponse, PartialResponseContext> onPartial;

        Collector() {
            this((p, c) -> {});
        }

        Collector(BiConsumer<PartialResponse, PartialResponseContext> onPartial) {
            this.onPartial = onPartial;
        }

        @Override
        public void onPartialResponse(PartialResponse partialResponse, PartialResponseContext context) {
            partials.add(partialResponse.text());
            threads.add(Thread.currentThread().getName());
            onPartial.accept(partialResponse, context);
        }

        @Override
        public void onCompleteResponse(ChatResponse completeResponse) {
            completions.incrementAndGet();
            done.complete(completeResponse);
        }

        @Override
        public void onError(Throwable error) {
            errors.incrementAndGet();
            done.completeExceptionally(error);
        }

        ChatResponse await() {
            try {
                return done.get(120, TimeUnit.SECONDS);
            } catch (ExecutionException e) {
                throw new AssertionError("chat failed: " + e.getCause(), e.getCause());
            } catch (InterruptedException | TimeoutException e) {
                throw new AssertionError("no response within 120 s", e);
            }
        }

        Throwable awaitError() {
            try {
                ChatResponse r = done.get(120, TimeUnit.SECONDS);
                return fail("expected an error, got " + r);
            } catch (ExecutionException e) {
                return e.getCause();
            } catch (InterruptedException | TimeoutException e) {
                throw new AssertionError("no error within 120 s", e);
            }
        }

        String text() {
            return String.join("", partials);
        }

        void assertSingleTerminalCallback() {
            assertTrue(completions.get() + errors.get() == 1,
                    "completions=" + completions + " errors=" + errors);
        }
    }
}
