package io.github.attentionsinks.generate;

/**
 * Receives generated tokens as they are sampled. The text pieces concatenate to exactly the generated text:
 * a piece may be empty while an incomplete UTF-8 character or a possible stop string is held back.
 */
@FunctionalInterface
public interface TokenListener {
    TokenListener NONE = (id, text) -> {};

    void onToken(int tokenId, String text);

    /** Polled before every token; return true to stop (from any thread). */
    default boolean isCancelled() {
        return false;
    }
}
