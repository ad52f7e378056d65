package io.github.attentionsinks;

/**
 * A request was refused because the work already queued reached its bound (a {@link DecodeScheduler}'s, or a chat
 * model's {@code maxQueuedRequests}): nothing was queued and nothing changed. Retrying later can succeed; a web layer
 * maps it to HTTP 429 or 503.
 */
public class CapacityExceededException extends RuntimeException {
    public CapacityExceededException(String message) {
        super(message);
    }
}
