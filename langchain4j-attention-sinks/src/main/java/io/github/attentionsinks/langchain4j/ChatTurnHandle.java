package io.github.attentionsinks.langchain4j;

import dev.langchain4j.model.chat.response.StreamingHandle;

/**
 * Cancels one chat turn. Generation checks it before every token, so {@link #cancel()} stops the reply within one
 * token (the token being computed is finished and kept, so the session stays consistent). A turn cancelled while
 * still queued never runs. After cancellation the handler receives no further callbacks.
 */
final class ChatTurnHandle implements StreamingHandle {
    private volatile boolean cancelled;

    @Override
    public void cancel() {
        cancelled = true;
    }

    @Override
    public boolean isCancelled() {
        return cancelled;
    }
}
