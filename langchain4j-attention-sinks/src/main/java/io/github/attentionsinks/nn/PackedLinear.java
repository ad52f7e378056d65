package io.github.attentionsinks.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.github.attentionsinks.kernels.PackedMatrix;
import io.github.attentionsinks.kernels.WeightKernels;
import java.nio.ByteOrder;

/**
 * A {@link Linear} whose product runs in the Java kernels ({@link WeightKernels}): the input is copied out of
 * libtorch, multiplied on the Java heap and the result written into a new libtorch array, one copy each way per
 * product (a few microseconds each for a decode step's rows).
 */
public final class PackedLinear implements Projection {
    private final PackedMatrix matrix;
    private final float[] bias;

    private PackedLinear(PackedMatrix matrix, float[] bias) {
        this.matrix = matrix;
        this.bias = bias;
    }

    /**
     * Packs the weight (and bias) of {@code linear} for {@code kernels}. The caller decides whether {@code linear}
     * still serves (as an embedding table) or may be closed.
     */
    public static PackedLinear pack(Linear linear, WeightKernels kernels) {
        return new PackedLinear(linear.packWith(kernels), linear.biasValues());
    }

    @Override
    public NDArray apply(NDArray x) {
        Shape shape = x.getShape();
        int in = matrix.inFeatures();
        int rows = Math.toIntExact(shape.size() / in);
        float[] y = matrix.multiply(read(x), rows);
        if (bias != null) {
            int out = bias.length;
            for (int m = 0; m < rows; m++) {
                for (int o = 0, at = m * out; o < out; o++, at++) {
                    y[at] += bias[o];
                }
            }
        }
        NDArray result = x.getManager().create(shape.slice(0, shape.dimension() - 1).add(matrix.outFeatures()),
                DataType.FLOAT32);
        result.toByteBuffer(true).order(ByteOrder.nativeOrder()).asFloatBuffer().put(y);
        return result;
    }

    /**
     * The values of a float32 CPU array, read through a view of its memory (a contiguous copy first if it is a
     * strided view). {@code toFloatArray()} and {@code create(float[])} would each allocate a direct buffer per
     * call, which only a garbage collection frees: with a large heap, gigabytes of them piled up in resident memory
     * during a benchmark.
     */
    static float[] read(NDArray array) {
        float[] values = new float[Math.toIntExact(array.size())];
        array.toByteBuffer(true).order(ByteOrder.nativeOrder()).asFloatBuffer().get(values);
        return values;
    }

    @Override
    public long outFeatures() {
        return matrix.outFeatures();
    }

    /** Heap bytes of the packed weight. */
    public long bytes() {
        return matrix.bytes();
    }
}
