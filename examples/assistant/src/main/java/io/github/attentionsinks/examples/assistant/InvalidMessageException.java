package io.github.attentionsinks.examples.assistant;

/** A message body without usable text: answered 400. */
public class InvalidMessageException extends RuntimeException {
    public InvalidMessageException(String message) {
        super(message);
    }
}
