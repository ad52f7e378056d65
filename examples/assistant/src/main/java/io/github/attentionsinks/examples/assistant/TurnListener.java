package io.github.attentionsinks.examples.assistant;

/**
 * Receives one turn's reply as it is generated, on a model worker thread. Exactly one of {@link #onDone} and
 * {@link #onError} ends a turn, unless the turn was cancelled ({@link Turn#cancel()}), after which nothing follows.
 */
public interface TurnListener {

    /** A piece of the reply; an exception thrown here (the client is gone) cancels the turn. */
    void onToken(String text);

    /** The reply is complete and stored with its message. */
    void onDone(TurnSummary summary);

    /** The turn failed; nothing of it was stored, so the conversation is as it was before the message. */
    void onError(String message);
}
