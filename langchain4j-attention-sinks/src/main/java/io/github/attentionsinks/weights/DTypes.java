package io.github.attentionsinks.weights;


/** Safetensors dtype names (the compute dtype option is {@link io.github.attentionsinks.ComputeDtype}). */
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
}
