package io.github.attentionsinks.langchain4j;

import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.listener.ChatModelListener;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/**
 * The blocking counterpart of {@link AttentionSinkStreamingChatModel}: the same sessions per memory id, prefix
 * reuse, serialization per id and bounded session registry; {@code chat} returns when the reply is complete.
 * A request for a feature this model lacks (images, JSON response format, {@code ToolChoice.REQUIRED}, tools on a
 * template without tools, another model's {@code modelName}, ...) throws LangChain4j's
 * {@link dev.langchain4j.exception.UnsupportedFeatureException}; a parameter out of range throws
 * {@link IllegalArgumentException} (see docs/langchain4j.md, "Refusals and errors"). Interrupting the
 * calling thread cancels the reply within one token. With tool specifications (on a template that shows tools), a
 * reply that is a tool call comes back as an {@code AiMessage} with {@code toolExecutionRequests} and
 * {@code FinishReason.TOOL_EXECUTION}.
 *
 * <pre>{@code
 * try (AttentionSinkChatModel model = AttentionSinkChatModel.builder().modelPath(dir).maxNewTokens(128).build()) {
 *     String answer = model.chat("Hello!");
 * }
 * }</pre>
 *
 * <p>A model built here has sessions of its own. To serve the same conversations both streaming and blocking, take
 * {@link AttentionSinkStreamingChatModel#blocking()}: one set of sessions, so a turn continues the cache whichever of
 * the two answered the turn before.
 */
public final class AttentionSinkChatModel extends AttentionSinkBaseChatModel implements ChatModel {

    private AttentionSinkChatModel(Builder builder) {
        super(builder.buildEngine(), builder.listeners, true);
    }

    /** A blocking view of a streaming model's sessions (see {@link AttentionSinkStreamingChatModel#blocking()}). */
    AttentionSinkChatModel(ChatSessionEngine engine, List<ChatModelListener> listeners) {
        super(engine, listeners, false);
    }

    /** A builder; {@code modelPath(...)}, {@code modelId(...)} or {@code model(...)} is required. */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Runs one turn and returns its response.
     *
     * @throws dev.langchain4j.exception.UnsupportedFeatureException for a feature this model lacks
     * @throws IllegalArgumentException for an empty message list or a parameter out of range
     * @throws IllegalStateException    when the model is closed, or the caller was interrupted (the reply is
     *                                  cancelled)
     */
    @Override
    public ChatResponse doChat(ChatRequest request) {
        validator.validate(request);
        ChatTurnHandle handle = new ChatTurnHandle();
        CompletableFuture<ChatResponse> result = engine.submitForReply(request, handle);
        try {
            return result.get();
        } catch (InterruptedException e) {
            handle.cancel();
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the reply; the reply was cancelled", e);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof RuntimeException r) {
                throw r;
            }
            if (cause instanceof Error err) {
                throw err;
            }
            throw new IllegalStateException(cause.getMessage(), cause);
        }
    }

    /** Builds an {@link AttentionSinkChatModel}; see {@link AttentionSinkChatModelBuilder}. */
    public static final class Builder extends AttentionSinkChatModelBuilder<Builder> {
        private Builder() {}

        /** Loads the model (unless one was given) and starts the session machinery. */
        public AttentionSinkChatModel build() {
            return new AttentionSinkChatModel(this);
        }
    }
}
