package io.github.attentionsinks.cache;

import java.util.Locale;

/** How the KV cache forgets. See docs/sink-cache-semantics in the README. */
public enum CacheMode {
    /** Nothing is evicted; positions are absolute. Memory grows with the stream. */
    DENSE,
    /** Only the {@code window-size} most recent tokens are kept (no sinks). */
    WINDOWED,
    /** The first {@code attention-sink-size} tokens plus the {@code window-size} most recent. */
    SINKS;

    /** Parses {@code dense}, {@code windowed} or {@code sinks} (case-insensitive). */
    public static CacheMode parse(String value) {
        try {
            return valueOf(value.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException | NullPointerException e) {
            throw new IllegalArgumentException("Unknown cache mode '" + value + "': use dense, windowed or sinks");
        }
    }
}
