package io.github.attentionsinks.langchain4j;

import dev.langchain4j.model.chat.Capability;
import dev.langchain4j.model.chat.listener.ChatModelListener;
import io.github.attentionsinks.AttentionSinkModel;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * What the streaming and the blocking chat model share (as LangChain4j's Ollama module shares
 * {@code OllamaBaseChatModel}): the session machinery, request validation, listeners, and the management of
 * sessions per memory id. Each subclass only adds its way of delivering a turn.
 */
public abstract sealed class AttentionSinkBaseChatModel implements AutoCloseable
        permits AttentionSinkChatModel, AttentionSinkStreamingChatModel {
    final ChatSessionEngine engine;
    final ChatRequestValidator validator;
    private final List<ChatModelListener> listeners;
    private final boolean ownsEngine;

    AttentionSinkBaseChatModel(ChatSessionEngine engine, List<ChatModelListener> listeners, boolean ownsEngine) {
        this.engine = engine;
        this.validator = ChatRequestValidator.of(engine);
        this.listeners = listeners;
        this.ownsEngine = ownsEngine;
    }

    /** The builder's generation settings, over which LangChain4j merges each request's parameters. */
    public AttentionSinkChatRequestParameters defaultRequestParameters() {
        return engine.defaultParameters();
    }

    /** The {@link ChatModelListener}s notified of every request, response and error. */
    public List<ChatModelListener> listeners() {
        return listeners;
    }

    /** None of LangChain4j's optional capabilities (such as JSON-schema output) are offered. */
    public Set<Capability> supportedCapabilities() {
        return Set.of();
    }

    /** The loaded model, e.g. to share it with another chat model through its builder's {@code model(...)}. */
    public AttentionSinkModel model() {
        return engine.model();
    }

    /** The chat template in use (the model's own, a configured one, or the plain-text fallback). */
    public ChatTemplate chatTemplate() {
        return engine.template();
    }

    /**
     * Forgets a conversation and frees its cache; its next request starts a fresh session. A session that is busy
     * is evicted after the requests already queued for it.
     *
     * @return true when the memory id had a session
     */
    public boolean evictSession(Object memoryId) {
        return engine.evict(memoryId);
    }

    /** {@link #evictSession} for every session. */
    public void evictAllSessions() {
        engine.evictAll();
    }

    /** True when both models serve one set of sessions (one is a {@code blocking} view of the other, or itself). */
    public boolean sharesSessionsWith(AttentionSinkBaseChatModel other) {
        return other != null && other.engine == engine;
    }

    /** Memory ids that hold a session now. */
    public Set<Object> sessionIds() {
        return engine.sessionIds();
    }

    /** A snapshot of a conversation's session after its last completed turn, if it has one. */
    public Optional<ChatSessionStats> sessionStats(Object memoryId) {
        return engine.stats(memoryId);
    }

    /**
     * Stops the worker threads (queued requests fail), frees every session and, if it loaded it, the model. A view
     * from {@link AttentionSinkStreamingChatModel#blocking()} closes nothing: its streaming model owns the sessions.
     */
    @Override
    public void close() {
        if (ownsEngine) {
            engine.close();
        }
    }
}
