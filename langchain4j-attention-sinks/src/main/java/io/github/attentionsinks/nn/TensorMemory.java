package io.github.attentionsinks.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;

/** The memory of a float32 CPU array as seen from Java, for code that computes on the heap beside libtorch. */
public final class TensorMemory {
    private TensorMemory() {}

    /**
     * The array's memory as a float buffer: for a contiguous array the very memory libtorch uses (writes show in the
     * array), for a strided view a contiguous copy. {@code toFloatArray()} and {@code create(float[])} would each
     * allocate a direct buffer per call, which only a garbage collection frees: with a large heap, gigabytes of them
     * piled up in resident memory during a benchmark.
     */
    public static FloatBuffer floats(NDArray array) {
        return array.toByteBuffer(true).order(ByteOrder.nativeOrder()).asFloatBuffer();
    }

    /** As {@link #floats}, as bytes in native order (for vector loads straight from the memory). */
    public static ByteBuffer bytes(NDArray array) {
        return array.toByteBuffer(true).order(ByteOrder.nativeOrder());
    }

    /** The array's values (of any floating dtype) as float32 on the heap. */
    public static float[] values(NDArray array) {
        NDArray float32 = array.toType(DataType.FLOAT32, false);
        float[] result = new float[Math.toIntExact(float32.size())];
        floats(float32).get(result);
        return result;
    }
}
