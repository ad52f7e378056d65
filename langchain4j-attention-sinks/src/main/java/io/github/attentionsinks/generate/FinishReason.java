package io.github.attentionsinks.generate;

/** Why generation ended. */
public enum FinishReason {
    /** An end-of-sequence token was generated. */
    EOS,
    /** A stop string appeared. */
    STOP_STRING,
    /** {@code maxNewTokens} were generated. */
    LENGTH,
    /** The listener asked to stop. */
    CANCELLED
}
