package io.github.attentionsinks.config;

/** A model directory, file or field that cannot be used; the message names the file and what is wrong. */
public class ModelFormatException extends RuntimeException {
    public ModelFormatException(String message) {
        super(message);
    }

    public ModelFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
