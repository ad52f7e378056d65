package io.github.attentionsinks.cache;

/**
 * The cache policy: mode, attention-sink size S and window size W. Capacity is S + W tokens
 * (unbounded for {@link CacheMode#DENSE}).
 *
 * @param mode how tokens are evicted
 * @param attentionSinkSize S, the first tokens of the stream kept forever (0 for windowed and dense)
 * @param windowSize W, the most recent tokens kept (ignored for dense)
 */
public record CacheConfig(CacheMode mode, int attentionSinkSize, int windowSize) {
    /** The defaults of the reference implementation: 4 sinks and a window of 1020 tokens. */
    public static final int DEFAULT_ATTENTION_SINK_SIZE = 4;
    public static final int DEFAULT_WINDOW_SIZE = 1020;

    public CacheConfig {
        if (mode == null) {
            throw new IllegalArgumentException("cache mode must not be null");
        }
        if (attentionSinkSize < 0) {
            throw new IllegalArgumentException("attention-sink-size must be >= 0, got " + attentionSinkSize);
        }
        if (mode != CacheMode.DENSE && windowSize < 1) {
            throw new IllegalArgumentException("window-size must be >= 1, got " + windowSize);
        }
        if (mode == CacheMode.WINDOWED) {
            attentionSinkSize = 0;
        }
        if (mode == CacheMode.DENSE) {
            attentionSinkSize = 0;
        }
    }

    public static CacheConfig sinks(int attentionSinkSize, int windowSize) {
        return new CacheConfig(CacheMode.SINKS, attentionSinkSize, windowSize);
    }

    public static CacheConfig windowed(int windowSize) {
        return new CacheConfig(CacheMode.WINDOWED, 0, windowSize);
    }

    public static CacheConfig dense() {
        return new CacheConfig(CacheMode.DENSE, 0, Integer.MAX_VALUE);
    }

    /** The default sink cache, 4 + 1020. */
    public static CacheConfig defaults() {
        return sinks(DEFAULT_ATTENTION_SINK_SIZE, DEFAULT_WINDOW_SIZE);
    }

    public boolean bounded() {
        return mode != CacheMode.DENSE;
    }

    /** S + W, or {@link Integer#MAX_VALUE} for dense. */
    public int capacity() {
        return bounded() ? attentionSinkSize + windowSize : Integer.MAX_VALUE;
    }

    @Override
    public String toString() {
        return bounded() ? mode.name().toLowerCase() + "(" + attentionSinkSize + "+" + windowSize + ")" : "dense";
    }
}
