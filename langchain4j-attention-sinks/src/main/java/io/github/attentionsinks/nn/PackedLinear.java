package io.github.attentionsinks.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.github.attentionsinks.kernels.PackedMatrix;
import io.github.attentionsinks.kernels.WeightKernels;
import java.nio.FloatBuffer;

/**
 * A {@link Linear} whose product runs in the Java kernels ({@link WeightKernels}): the input is copied out of
 * libtorch into a per-thread buffer, multiplied on the Java heap and the result written into a new libtorch array,
 * one copy each way per product (a few microseconds each for a decode step's rows).
 */
public final class PackedLinear implements Projection {
    private final PackedMatrix matrix;
    private final float[] bias;
    /** The RMSNorm weight applied to each input row first, or null. */
    private final float[] normWeight;
    private final double normEps;

    private PackedLinear(PackedMatrix matrix, float[] bias, float[] normWeight, double normEps) {
        this.matrix = matrix;
        this.bias = bias;
        this.normWeight = normWeight;
        this.normEps = normEps;
    }

    /**
     * Packs the weight (and bias) of {@code linear} for {@code kernels}. The caller decides whether {@code linear}
     * still serves (as an embedding table) or may be closed.
     */
    public static PackedLinear pack(Linear linear, WeightKernels kernels) {
        return new PackedLinear(linear.packWith(kernels), linear.biasValues(), null, 0);
    }

    /**
     * This projection with {@code norm} computed on each input row first, in Java: the row is on the heap anyway,
     * and the norm's six libtorch calls cost more than the arithmetic (two norms a layer, about 3 ms a token on the
     * SmolLM-135M shape).
     */
    public PackedLinear withInputNorm(Norm.Rms norm) {
        return new PackedLinear(matrix, bias, norm.weightValues(), norm.eps());
    }

    /** Per-thread input and output buffers, grown as needed and reused (see {@link PackedMatrix#multiply}). */
    private static final ThreadLocal<float[][]> BUFFERS = ThreadLocal.withInitial(() -> new float[2][0]);

    @Override
    public NDArray apply(NDArray x) {
        Shape shape = x.getShape();
        int in = matrix.inFeatures();
        int out = matrix.outFeatures();
        int stride = matrix.stride();
        int rows = Math.toIntExact(shape.size() / in);
        float[][] buffers = BUFFERS.get();
        if (buffers[0].length < rows * in) {
            buffers[0] = new float[rows * in];
        }
        if (buffers[1].length < rows * stride) {
            buffers[1] = new float[rows * stride];
        }
        float[] xs = buffers[0];
        float[] ys = buffers[1];
        TensorMemory.floats(x).get(xs, 0, rows * in);
        applyRows(xs, rows, ys);
        NDArray result = x.getManager().create(shape.slice(0, shape.dimension() - 1).add(out), DataType.FLOAT32);
        FloatBuffer target = TensorMemory.floats(result);
        if (stride == out) {
            target.put(ys, 0, rows * out);
        } else {
            for (int m = 0; m < rows; m++) {
                target.put(ys, m * stride, out);
            }
        }
        return result;
    }

    /**
     * This projection of {@code rows} input rows on the heap: the input norm (if any), the product and the bias.
     *
     * @param xs {@code [rows, inFeatures()]} from index 0; overwritten by the normed rows when there is an input norm
     * @param ys receives {@code [rows, stride()]} from index 0 (see {@link PackedMatrix#multiply(float[], int, float[])})
     */
    public void applyRows(float[] xs, int rows, float[] ys) {
        normRows(xs, rows);
        matrix.multiply(xs, rows, ys);
        if (bias != null) {
            int stride = matrix.stride();
            for (int m = 0; m < rows; m++) {
                for (int o = 0, at = m * stride; o < bias.length; o++, at++) {
                    ys[at] += bias[o];
                }
            }
        }
    }

    /**
     * Whether {@link #applyGatedRows} can run: no bias, and the outputs are a gate half and an up half of whole
     * tiles ({@link PackedMatrix#gatesByTile}).
     */
    public boolean gatesByTile() {
        return bias == null && matrix.gatesByTile();
    }

    /**
     * A gated MLP's input projection and its activation in one pass over the tiles ({@link
     * PackedMatrix#multiplyGated}): the input norm (if any), then {@code gated[m·out/2 + o] = act(gate)·up}.
     *
     * @param xs {@code [rows, inFeatures()]} from index 0; overwritten by the normed rows when there is an input norm
     * @param ys scratch, {@code [rows, stride()]}
     * @param gated receives {@code [rows, outFeatures()/2]} from index 0
     * @throws IllegalStateException unless {@link #gatesByTile()}
     */
    public void applyGatedRows(float[] xs, int rows, float[] ys, PackedMatrix.Gate gate, float[] gated) {
        if (bias != null) {
            throw new IllegalStateException("a projection with a bias adds it before the activation: use applyRows");
        }
        normRows(xs, rows);
        matrix.multiplyGated(xs, rows, ys, gate, gated);
    }

    private void normRows(float[] xs, int rows) {
        if (normWeight != null) {
            int in = matrix.inFeatures();
            for (int m = 0; m < rows; m++) {
                Norm.Rms.normalize(xs, m * in, in, normWeight, normEps);
            }
        }
    }

    /** The width of an output row in {@link #applyRows}: outFeatures() rounded up to the kernels' tiles. */
    public int stride() {
        return matrix.stride();
    }

    public int inFeatures() {
        return matrix.inFeatures();
    }

    @Override
    public long outFeatures() {
        return matrix.outFeatures();
    }
}
