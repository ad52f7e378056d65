package io.github.attentionsinks;

import ai.djl.ndarray.types.DataType;
import java.util.Locale;

/**
 * The {@code cache-dtype} option, in one place for the library, the CLI and the Spring starter: the element type of
 * every session's KV cache. Its names are {@link ComputeDtype}'s (float32, fp32, f32, float; float16, fp16, f16,
 * half).
 */
public enum CacheDtype {
    /** Keys and values in float32: exact (the default). */
    FLOAT32(DataType.FLOAT32),
    /**
     * Keys and values rounded to float16 as they are stored: half of each session's cache memory. Decode rates stay
     * about where float32 entries put them with the decoder on the Java heap: on the CPU measured, attention's sums
     * across vector lanes bound it more than its reads do, and widening adds a little (docs/benchmarks.md, "A float16
     * KV cache"). Logits move by 0.04–0.45% of their range; a key or value beyond float16's range (±65504) fails its
     * step with a message that says so. Layers in libtorch widen the cache each step, which saves the memory but costs
     * time.
     */
    FLOAT16(DataType.FLOAT16);

    private final DataType dataType;

    CacheDtype(DataType dataType) {
        this.dataType = dataType;
    }

    /** The name documented and reported: {@code float32} or {@code float16}. */
    public String canonicalName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The cache buffers' element type. */
    public DataType dataType() {
        return dataType;
    }

    /**
     * Parses a cache-dtype option, case-insensitively: {@code float32} (the default for null or blank) or
     * {@code float16}, by any of {@link ComputeDtype}'s names for them.
     *
     * @throws InvalidSettingException for the setting {@code cache-dtype}, naming the value and what to use instead
     */
    public static CacheDtype parse(String option) {
        String value = option == null ? "" : option.trim().toLowerCase(Locale.ROOT);
        if (value.isEmpty()) {
            return FLOAT32;
        }
        ComputeDtype named = ComputeDtype.named(value);
        if (named == ComputeDtype.FLOAT32) {
            return FLOAT32;
        }
        if (named == ComputeDtype.FLOAT16) {
            return FLOAT16;
        }
        throw new InvalidSettingException("cache-dtype", option, "Unknown cache-dtype '" + option + "': use float32 "
                + "(exact, the default) or float16 (half the KV cache's memory)" + (named == ComputeDtype.INT8 ? "; int8 applies to weights (dtype) only" : ""));
    }
}
