package io.github.attentionsinks;

import ai.djl.ndarray.types.DataType;
import java.util.List;
import java.util.Locale;

/**
 * The {@code dtype} option, in one place for the library, the CLI and the Spring starter: which names are accepted,
 * what each means, and why others are refused. Norms, attention and logits always run in float32; the dtype is that of
 * the weight matrices. The KV cache's is {@link CacheDtype}.
 */
public enum ComputeDtype {
    /** Weights in float32: exact (the default). */
    FLOAT32("float32", DataType.FLOAT32, List.of("float32", "fp32", "f32", "float")),
    /**
     * Weight matrices stored in float16: half the memory, and on a CPU faster too (docs/benchmarks.md); logits move by
     * 0.1–2% of their range. On a CPU the Java kernels widen them to float32 inside the product when they run
     * ({@code kernels auto} with the Vector API module, or {@code java}); libtorch multiplies in float16
     * otherwise.
     */
    FLOAT16("float16", DataType.FLOAT16, List.of("float16", "fp16", "f16", "half")),
    /**
     * Weight matrices quantized to int8 while loading (one float32 scale per output and block of 32 inputs, as
     * llama.cpp's Q8_0) and multiplied by the library's Java Vector API kernels on a CPU: a quarter of float32's
     * memory; accuracy in docs/int8.md. Embedding lookups read the unquantized table.
     */
    INT8("int8", DataType.INT8, List.of("int8", "q8", "q8_0"));

    private final String canonicalName;
    private final DataType weightType;
    private final List<String> names;

    ComputeDtype(String canonicalName, DataType weightType, List<String> names) {
        this.canonicalName = canonicalName;
        this.weightType = weightType;
        this.names = names;
    }

    /** The name documented and reported: {@code float32}, {@code float16} or {@code int8}. */
    public String canonicalName() {
        return canonicalName;
    }

    /** The dtype weight matrices are stored and multiplied in. */
    public DataType weightType() {
        return weightType;
    }

    /** The dtype weights are read from the checkpoint in: float32 for int8, which quantizes from it. */
    public DataType loadType() {
        return this == INT8 ? DataType.FLOAT32 : weightType;
    }

    /** The dtype one of whose names {@code value} (trimmed, lower case) is, or null. */
    static ComputeDtype named(String value) {
        for (ComputeDtype dtype : values()) {
            if (dtype.names.contains(value)) {
                return dtype;
            }
        }
        return null;
    }

    /**
     * Parses a dtype option, case-insensitively: {@code float32} (also fp32, f32, float; the default for null or
     * blank), {@code float16} (fp16, f16, half) or {@code int8} (q8, q8_0).
     *
     * @throws InvalidDtypeException naming the value, why it is refused and what to use instead
     */
    public static ComputeDtype parse(String option) {
        String value = option == null ? "" : option.trim().toLowerCase(Locale.ROOT);
        if (value.isEmpty()) {
            return FLOAT32;
        }
        ComputeDtype named = named(value);
        if (named != null) {
            return named;
        }
        if (value.equals("bfloat16") || value.equals("bf16")) {
            throw new InvalidDtypeException(option, "dtype " + option + " is not usable with DJL 0.36 (it aborts the "
                    + "JVM on bfloat16 tensors): use float32, float16 or int8. bfloat16 checkpoints load fine with either: "
                    + "they are converted while loading.");
        }
        throw new InvalidDtypeException(option, "Unknown dtype '" + option + "': use float32, float16 or int8 "
                + "(float32: exact, the default; float16: float16 weight matrices, half the memory and faster on a CPU "
                + "too; int8: int8 weight matrices on a CPU, a quarter of the memory)");
    }

    /** A dtype option that names no usable dtype. */
    public static final class InvalidDtypeException extends InvalidSettingException {
        InvalidDtypeException(String value, String message) {
            super("dtype", value, message);
        }
    }
}
