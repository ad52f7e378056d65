package io.github.attentionsinks.nn;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import io.github.attentionsinks.kernels.PackedMatrix;
import io.github.attentionsinks.kernels.WeightKernels;
import java.nio.FloatBuffer;

/**
 * {@code y = x·Wᵀ + b} for a Hugging Face {@code [out, in]} weight, in the memory layout libtorch multiplies fastest.
 *
 * <p>On a CPU a float32 weight is kept as a contiguous {@code [in, out]} matrix: libtorch's float32 kernel for one
 * row times {@code [in, out]} streams the weight about 1.3× (layers) to 2× (lm_head) faster than for {@code [out,
 * in]}, which is what a decode step spends most of its time on (measured on the SmolLM-135M shape, see
 * docs/benchmarks.md). Float16 weights keep {@code [out, in]}, the layout their kernel reads fastest (the other is 10×
 * slower), and so does every weight on a GPU, where the layouts were not compared.
 *
 * <p>A float16 weight may serve a float32 model (the {@code float16} dtype): the input is rounded to float16 for
 * the product, the result widened back and the bias (kept in float32) added after. libtorch's float16
 * matrix-vector kernel is multi-threaded and reads half the bytes, so on a CPU this is several times faster again.
 *
 * <p>A {@code Linear} owns its weight: when it changes the layout it closes the array it was given. The same matrix
 * serves as an embedding table through {@link #rows}, so a tied lm_head and embedding hold it once.
 */
public final class Linear implements Projection {
    /** {@code -Dattentionsinks.cpuWeightLayout=out-in} keeps Hugging Face's layout (for comparisons). */
    private static final boolean IN_OUT_ON_CPU =
            !"out-in".equals(System.getProperty("attentionsinks.cpuWeightLayout"));

    /** {@code [out, in]}, or {@code [in, out]} (contiguous) when {@link #inOut}. */
    private final NDArray matrix;
    private final boolean inOut;
    private final NDArray bias;
    /** The weight's memory as floats, for {@link #copyRows}; made on first use (reads only, safe to share). */
    private volatile FloatBuffer memoryView;

    /**
     * @param weight {@code [out, in]}; owned from here on (it may be replaced by a re-laid copy and closed)
     * @param bias {@code [out]}, or null
     */
    public Linear(NDArray weight, NDArray bias) {
        this.inOut = prefersInOut(weight);
        this.matrix = inOut ? contiguousTranspose(weight) : weight;
        this.bias = bias;
    }

    private Linear(NDArray matrix, boolean inOut, NDArray bias) {
        this.matrix = matrix;
        this.inOut = inOut;
        this.bias = bias;
    }

    /**
     * A layer from a weight stored {@code [in, out]} (GPT-2's {@code Conv1D}); owned from here on.
     *
     * @param bias {@code [out]}, or null
     */
    public static Linear fromInOut(NDArray weightInOut, NDArray bias) {
        return prefersInOut(weightInOut) ? new Linear(weightInOut, true, bias)
                : new Linear(contiguousTranspose(weightInOut), false, bias);
    }

    /** An embedding table {@code [vocab, hidden]} that is only looked up, never multiplied: kept as it is. */
    public static Linear table(NDArray table) {
        return new Linear(table, false, null);
    }

    private static boolean prefersInOut(NDArray weight) {
        return IN_OUT_ON_CPU && weight.getDataType() == DataType.FLOAT32
                && Device.Type.CPU.equals(weight.getDevice().getDeviceType());
    }

    /** {@code x·Wᵀ + b} for {@code x [..., in]}. */
    @Override
    public NDArray apply(NDArray x) {
        if (inOut) {
            NDArray y = JniUtils.matmul((PtNDArray) x, (PtNDArray) matrix);
            return bias == null ? y : y.addi(bias);
        }
        if (x.getDataType() == matrix.getDataType()) {
            return JniUtils.linear((PtNDArray) x, (PtNDArray) matrix, (PtNDArray) bias);
        }
        NDArray y = JniUtils.linear((PtNDArray) x.toType(matrix.getDataType(), false), (PtNDArray) matrix, null)
                .toType(x.getDataType(), false);
        return bias == null ? y : y.add(bias);
    }

    /**
     * Rows {@code ids} of the {@code [out, in]} weight, in {@code computeType}: the lookup of an embedding table (a
     * tied lm_head is one). Temporaries belong to the manager of {@code ids}.
     */
    public NDArray rows(NDArray ids, DataType computeType) {
        if (!inOut) {
            return Embedding.lookup(ids, matrix, computeType);
        }
        // A strided view, made per call so that no second array of the table's size is registered with the model.
        NDArray view = matrix.transpose();
        view.attach(ids.getManager());
        return Embedding.lookup(ids, view, computeType);
    }

    /**
     * Copies rows {@code ids} of the {@code [out, in]} weight into {@code target} ({@code [ids.length, in]} from
     * index 0): what {@link #rows} looks up, read straight from the weight's memory. For a decoder on the Java heap,
     * whose libtorch lookup of a tied table (stored {@code [in, out]}) took 0.5–0.7 ms of a decode step. False, with
     * nothing written, unless the weight is float32 on the CPU.
     *
     * @param ids row indices, each in {@code [0, out)}
     */
    public boolean copyRows(int[] ids, float[] target) {
        if (matrix.getDataType() != DataType.FLOAT32
                || !Device.Type.CPU.equals(matrix.getDevice().getDeviceType())) {
            return false;
        }
        FloatBuffer memory = memoryView;
        if (memory == null) {
            memoryView = memory = TensorMemory.floats(matrix);
        }
        int out = Math.toIntExact(outFeatures());
        int in = Math.toIntExact(inFeatures());
        for (int r = 0; r < ids.length; r++) {
            int id = ids[r];
            if (id < 0 || id >= out) {
                throw new IndexOutOfBoundsException("row " + id + " of a table of " + out);
            }
            if (inOut) {
                for (int i = 0, at = id; i < in; i++, at += out) {
                    target[r * in + i] = memory.get(at);
                }
            } else {
                memory.get(id * in, target, r * in, in);
            }
        }
        return true;
    }

    @Override
    public long outFeatures() {
        return matrix.getShape().get(inOut ? 1 : 0);
    }

    public long inFeatures() {
        return matrix.getShape().get(inOut ? 0 : 1);
    }

    /** The weight, packed (float32 weights only) for the Java kernels. */
    PackedMatrix packWith(WeightKernels kernels) {
        if (matrix.getDataType() != DataType.FLOAT32) {
            throw new IllegalStateException("Java kernels pack float32 weights, not " + matrix.getDataType());
        }
        Shape s = matrix.getShape();
        int rows = Math.toIntExact(s.get(0));
        int columns = Math.toIntExact(s.get(1));
        // A view of the weight's memory: no heap copy of the whole matrix while packing.
        FloatBuffer values = TensorMemory.floats(matrix);
        return inOut ? kernels.pack(values, columns, rows, true) : kernels.pack(values, rows, columns, false);
    }

    /** The bias as float32 values, or null. */
    float[] biasValues() {
        return bias == null ? null : TensorMemory.values(bias);
    }

    /** Frees the weight and bias now rather than with the model (once packed copies serve instead). */
    public void close() {
        matrix.close();
        if (bias != null) {
            bias.close();
        }
    }

    /** A contiguous transposed copy of a 2-D array; closes the original. */
    private static NDArray contiguousTranspose(NDArray matrix) {
        Shape s = matrix.getShape();
        NDArray transposed = matrix.transpose();
        // reshape of a non-contiguous view copies into contiguous memory
        NDArray flat = transposed.reshape(s.size());
        NDArray result = flat.reshape(s.get(1), s.get(0));
        flat.close();
        transposed.close();
        matrix.close();
        return result;
    }
}
