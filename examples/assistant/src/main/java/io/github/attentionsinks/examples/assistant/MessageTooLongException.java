package io.github.attentionsinks.examples.assistant;

/** A message over {@code assistant.max-message-chars}: answered 413. */
public class MessageTooLongException extends RuntimeException {
    public MessageTooLongException(int length, int limit) {
        super("Message too long: " + length + " characters, the limit is " + limit
                + " (assistant.max-message-chars); send a shorter message");
    }
}
