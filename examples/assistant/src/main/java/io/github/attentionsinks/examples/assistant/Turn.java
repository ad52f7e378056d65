package io.github.attentionsinks.examples.assistant;

/** A running turn, as its caller sees it. */
public interface Turn {

    /**
     * Stops the reply (the client went away or timed out): generation stops at its next token, nothing of the turn
     * is stored and the listener hears nothing more.
     */
    void cancel();
}
