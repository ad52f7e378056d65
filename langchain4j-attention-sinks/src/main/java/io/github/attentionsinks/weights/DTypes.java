package io.github.attentionsinks.weights;

import ai.djl.ndarray.types.DataType;
import java.util.Locale;

/** Safetensors dtype names and compute dtypes. */
public final class DTypes {
    private DTypes() {}

    /** Bytes per element of a safetensors dtype, or -1 when the dtype is not one this library reads. */
    static int byteWidth(String dtype) {
        return switch (dtype) {
            case "F32", "I32" -> 4;
            case "F16", "BF16", "I16" -> 2;
            case "F64", "I64" -> 8;
            case "U8", "I8", "BOOL" -> 1;
            default -> -1;
        };
    }

    /**
     * Parses a compute dtype option: {@code float32} (default on CPU), {@code float16}, {@code bfloat16}
     * (also {@code fp32}, {@code f16}, {@code bf16}, ...).
     */
    public static DataType parseComputeType(String option) {
        String v = option == null ? "float32" : option.trim().toLowerCase(Locale.ROOT);
        return switch (v) {
            case "float32", "fp32", "f32", "float" -> DataType.FLOAT32;
            case "float16", "fp16", "f16", "half" -> DataType.FLOAT16;
            case "bfloat16", "bf16" -> DataType.BFLOAT16;
            default -> throw new IllegalArgumentException(
                    "Unknown dtype '" + option + "': use float32, float16 or bfloat16");
        };
    }
}
