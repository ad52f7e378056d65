package io.github.attentionsinks.langchain4j;

import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.StreamingChatModel;
import dev.langchain4j.model.chat.listener.ChatModelListener;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.CompleteToolCall;
import dev.langchain4j.model.chat.response.PartialResponse;
import dev.langchain4j.model.chat.response.PartialThinking;
import dev.langchain4j.model.chat.response.PartialThinkingContext;
import dev.langchain4j.model.chat.response.PartialResponseContext;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.chat.response.StreamingHandle;
import java.util.List;

/**
 * A LangChain4j {@link StreamingChatModel} that runs a Hugging Face causal LM in-process with an attention-sink KV
 * cache: one session per conversation (memory id) that holds the first S tokens and the last W tokens, so a
 * conversation can go on forever in constant memory and each turn encodes only its new messages.
 *
 * <pre>{@code
 * AttentionSinkStreamingChatModel model = AttentionSinkStreamingChatModel.builder()
 *         .modelPath(Path.of("models/SmolLM2-135M-Instruct"))
 *         .attentionSinkSize(4).windowSize(1020).maxNewTokens(256)
 *         .build();
 * }</pre>
 *
 * <p>Memory ids come from {@link AttentionSinkChatRequestParameters} (set by
 * {@link AttentionSinks#memoryIdTransformer()} for AI services). A request without one is matched by content: it
 * continues an idle anonymous session whose conversation it extends, else it opens a new anonymous session.
 *
 * <p>Requests of one memory id run one after another in arrival order; different ids run in parallel on the
 * worker threads. Handler callbacks come on a worker thread: {@code onPartialResponse} with a
 * {@link PartialResponseContext} whose handle's {@code cancel()} stops the reply within one token (after which no
 * callback follows), then exactly one of {@code onCompleteResponse} or {@code onError}. As with LangChain4j's own
 * providers, an exception thrown by the handler's {@code onPartialResponse} (or {@code onCompleteToolCall}) is passed
 * to {@code onError} and the reply goes on to {@code onCompleteResponse}; one thrown by {@code onCompleteResponse} is
 * passed to {@code onError}; one thrown by {@code onError} is logged. The session stays consistent either way.
 *
 * <p>Invalid requests throw from {@code chat(...)} before anything is queued, and no handler callback follows:
 * LangChain4j's {@link dev.langchain4j.exception.UnsupportedFeatureException} for a feature this model lacks (images,
 * tools on a template without tools, JSON response format, {@code ToolChoice.REQUIRED}, another model's
 * {@code modelName}, ...), {@link IllegalArgumentException} for a parameter out of range (non-positive max tokens,
 * ...), {@link IllegalStateException} once the model is closed. Failures while the turn runs (a chat template that
 * raises, ...) go to {@code onError}.
 *
 * <p>Tool calls: with tool specifications on a template that shows tools, a reply that is a tool call (Hermes /
 * Qwen {@code <tool_call>}, SmolLM2, Mistral {@code [TOOL_CALLS]}, Llama JSON; see docs/langchain4j.md) is
 * not streamed as text: each call goes to {@code onCompleteToolCall}, then the response carries the
 * {@code toolExecutionRequests} with {@code FinishReason.TOOL_EXECUTION}. While tools are offered, text that may
 * start a tool call is held back until it is known not to be one.
 *
 * <p>Close the model to stop its threads and free every session (and the weights, if it loaded them).
 */
public final class AttentionSinkStreamingChatModel extends AttentionSinkBaseChatModel implements StreamingChatModel {
    /**
     * The handle {@link #startChat} made for the turn that LangChain4j's {@code chat} is about to hand to
     * {@link #doChat}, on the same thread and before it returns; null for any other call.
     */
    private static final ThreadLocal<ChatTurnHandle> STARTING = new ThreadLocal<>();

    private final AttentionSinkChatModel blocking;

    private AttentionSinkStreamingChatModel(Builder builder) {
        super(builder.buildEngine(), builder.listeners, true);
        this.blocking = new AttentionSinkChatModel(engine, builder.listeners);
    }

    /** A builder; {@code modelPath(...)}, {@code modelId(...)} or {@code model(...)} is required. */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Like {@link #chat(ChatRequest, StreamingChatResponseHandler)} (listeners included), and returns the turn's
     * handle at once: {@link StreamingHandle#cancel()} stops the reply within a token, and a turn cancelled while it
     * still waits for its place never runs (no callback follows). {@code chat(...)} hands the same handle out only
     * with the first partial response, too late for a web client that leaves while its turn is queued.
     *
     * @throws dev.langchain4j.exception.UnsupportedFeatureException for a feature this model lacks
     * @throws IllegalArgumentException for an empty message list or a parameter out of range
     * @throws IllegalStateException    when the model is closed
     */
    public StreamingHandle startChat(ChatRequest request, StreamingChatResponseHandler handler) {
        ChatTurnHandle handle = new ChatTurnHandle();
        STARTING.set(handle);
        try {
            chat(request, handler);
        } finally {
            STARTING.remove();
        }
        return handle;
    }

    /**
     * Validates the request and queues it; the reply comes to {@code handler} on a worker thread.
     *
     * @throws dev.langchain4j.exception.UnsupportedFeatureException for a feature this model lacks
     * @throws IllegalArgumentException for an empty message list or a parameter out of range
     * @throws IllegalStateException    when the model is closed
     */
    @Override
    public void doChat(ChatRequest request, StreamingChatResponseHandler handler) {
        // Refusals throw to the caller, as LangChain4j's conformance suite and other providers (Ollama) do.
        validator.validate(request);
        engine.submit(request, new ChatSessionEngine.TurnCallbacks() {
            @Override
            public void onPartial(String text, ChatTurnHandle handle) {
                handler.onPartialResponse(new PartialResponse(text), new PartialResponseContext(handle));
            }

            @Override
            public void onThinking(String text, ChatTurnHandle handle) {
                handler.onPartialThinking(new PartialThinking(text), new PartialThinkingContext(handle));
            }

            @Override
            public void onToolCall(CompleteToolCall call) {
                handler.onCompleteToolCall(call);
            }

            @Override
            public void onComplete(ChatResponse response) {
                handler.onCompleteResponse(response);
            }

            @Override
            public void onError(Throwable error) {
                handler.onError(error);
            }
        }, STARTING.get() != null ? STARTING.get() : new ChatTurnHandle());
    }

    /**
     * A blocking {@link ChatModel} over this model's sessions, settings and listeners: a conversation (memory id) keeps
     * one cache whether its turns are streamed or not, so mixing the two never re-encodes the history. (A separately
     * built {@link AttentionSinkChatModel} has sessions of its own.) Closing the view closes nothing; closing this
     * model ends both.
     */
    public AttentionSinkChatModel blocking() {
        return blocking;
    }

    /**
     * Like {@link #blocking()}, with listeners of its own: the same sessions, while listeners (and the metrics built
     * on them) still tell blocking calls from streaming ones.
     */
    public AttentionSinkChatModel blocking(List<ChatModelListener> listeners) {
        return new AttentionSinkChatModel(engine, List.copyOf(listeners));
    }

    /** Builds an {@link AttentionSinkStreamingChatModel}; see {@link AttentionSinkChatModelBuilder}. */
    public static final class Builder extends AttentionSinkChatModelBuilder<Builder> {
        private Builder() {}

        /** Loads the model (unless one was given) and starts the session machinery. */
        public AttentionSinkStreamingChatModel build() {
            return new AttentionSinkStreamingChatModel(this);
        }
    }
}
