package io.github.attentionsinks.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.github.attentionsinks.kernels.VectorMath;
import io.github.attentionsinks.kernels.WeightKernels;

/**
 * Rotary position embedding in any of the styles Hugging Face models use, written as one formula:
 * {@code rope(x) = x·cos + (x·P)·sin}, where P is a fixed signed permutation that pairs the dimensions
 * (rotate-half: i with i + r/2; interleaved: 2k with 2k+1) and is zero on dimensions past the rotary width
 * (partial rotary), whose cos is 1 and sin 0. Four libtorch ops for every style.
 *
 * <p>Angles are computed in double precision: position × frequency in float32 loses precision beyond
 * ~10⁵ tokens, and this cache rotates at stream positions. Frequencies themselves are rounded to float32,
 * as Hugging Face stores them.
 */
public final class RotaryEmbedding {
    /** How dimensions are paired. */
    public enum Style {
        /** Llama, Mistral, Qwen, Falcon, GPT-NeoX, Phi, StableLM: dim i pairs with i + rotaryDim/2. */
        ROTATE_HALF,
        /** GPT-J: dims (2k, 2k+1) form a pair. */
        INTERLEAVED
    }

    /** Whether the Java Vector API is in this JVM: {@link VectorMath} is loaded only then. */
    private static final boolean VECTORS = WeightKernels.vectorApiPresent();
    private final int headDim;
    private final int rotaryDim;
    private final double[] invFreq;
    private final Style style;
    private final DataType dataType;
    private final NDArray pairing;

    /**
     * @param invFreq rotaryDim/2 inverse frequencies (after any rope scaling)
     * @param manager long-lived manager that owns the pairing matrix
     */
    public RotaryEmbedding(int headDim, int rotaryDim, double[] invFreq, Style style, NDManager manager,
            DataType dataType) {
        if (rotaryDim % 2 != 0 || rotaryDim > headDim || invFreq.length != rotaryDim / 2) {
            throw new IllegalArgumentException("rotary dim " + rotaryDim + " does not fit head dim " + headDim);
        }
        this.headDim = headDim;
        this.rotaryDim = rotaryDim;
        this.invFreq = new double[invFreq.length];
        for (int i = 0; i < invFreq.length; i++) {
            this.invFreq[i] = (float) invFreq[i];
        }
        this.style = style;
        this.dataType = dataType;
        float[] p = new float[headDim * headDim];
        int half = rotaryDim / 2;
        for (int k = 0; k < half; k++) {
            int a = style == Style.ROTATE_HALF ? k : 2 * k;
            int b = style == Style.ROTATE_HALF ? k + half : 2 * k + 1;
            // out[a] = -x[b], out[b] = x[a]; out = x·P, so P[row = input][col = output].
            p[b * headDim + a] = -1f;
            p[a * headDim + b] = 1f;
        }
        this.pairing = manager.create(p, new Shape(headDim, headDim)).toType(dataType, false);
    }

    /** Standard inverse frequencies {@code base^(-2i/rotaryDim)}, rounded to float32 as HF computes them. */
    public static double[] defaultInverseFrequencies(double base, int rotaryDim) {
        double[] inv = new double[rotaryDim / 2];
        for (int i = 0; i < inv.length; i++) {
            inv[i] = (float) (1.0 / Math.pow(base, (2.0 * i) / rotaryDim));
        }
        return inv;
    }

    public int rotaryDim() {
        return rotaryDim;
    }

    /** cos and sin tables {@code [n, 1, headDim]} for positions {@code start .. start+n-1}. */
    public NDArray[] tables(NDManager manager, long start, int n) {
        return tables(manager, start, n, invFreq);
    }

    /**
     * cos and sin tables like {@link #tables(NDManager, long, int)}, but with this call's own inverse frequencies
     * (rotaryDim/2 of them, rounded to float32), for scalings that change per forward call (dynamic NTK).
     */
    public NDArray[] tables(NDManager manager, long start, int n, double[] callInvFreq) {
        return tables(manager, tableValues(start, n, callInvFreq));
    }

    /** {@link #tableValues} as libtorch arrays {@code [n, 1, headDim]} in this embedding's dtype. */
    public NDArray[] tables(NDManager manager, float[][] values) {
        int n = values[0].length / headDim;
        Shape shape = new Shape(n, 1, headDim);
        NDArray c = manager.create(values[0], shape);
        NDArray s = manager.create(values[1], shape);
        if (dataType != DataType.FLOAT32) {
            c = c.toType(dataType, false);
            s = s.toType(dataType, false);
        }
        return new NDArray[] {c, s};
    }

    /** The cos and sin tables of {@link #tables(NDManager, long, int)} on the heap, each {@code [n, headDim]}. */
    public float[][] tableValues(long start, int n) {
        return tableValues(start, n, invFreq);
    }

    /** The cos and sin tables of {@link #tables(NDManager, long, int, double[])} on the heap, {@code [n, headDim]}. */
    public float[][] tableValues(long start, int n, double[] callInvFreq) {
        if (callInvFreq.length != rotaryDim / 2) {
            throw new IllegalArgumentException("expected " + rotaryDim / 2 + " inverse frequencies, got "
                    + callInvFreq.length);
        }
        float[] cos = new float[n * headDim];
        float[] sin = new float[n * headDim];
        int half = rotaryDim / 2;
        for (int t = 0; t < n; t++) {
            double pos = start + t;
            int row = t * headDim;
            for (int d = 0; d < headDim; d++) {
                if (d >= rotaryDim) {
                    cos[row + d] = 1f;
                    continue;
                }
                int k = style == Style.ROTATE_HALF ? d % half : d / 2;
                double angle = pos * (float) callInvFreq[k];
                cos[row + d] = (float) Math.cos(angle);
                sin[row + d] = (float) Math.sin(angle);
            }
        }
        return new float[][] {cos, sin};
    }

    /**
     * Rotates {@code count} heads of {@code headDim} values from {@code offset} in place, on the heap, with one
     * position's table rows {@code cos, sin} from {@code tableOffset}: what {@link #apply} computes.
     */
    public void applyInPlace(float[] x, int offset, int count, float[] cos, float[] sin, int tableOffset) {
        int half = rotaryDim / 2;
        for (int h = 0, at = offset; h < count; h++, at += headDim) {
            int k = 0;
            if (VECTORS && style == Style.ROTATE_HALF) {
                // In vectors: a heap decoder's attention task rotates four heads a row, 0.24–0.42 µs in this loop
                // alone and 0.06 in vectors (docs/benchmarks.md, "Serial work of a batched step").
                k = VectorMath.rotateHalf(x, at, half, cos, sin, tableOffset);
            }
            for (; k < half; k++) {
                int a = style == Style.ROTATE_HALF ? k : 2 * k;
                int b = style == Style.ROTATE_HALF ? k + half : 2 * k + 1;
                float xa = x[at + a];
                float xb = x[at + b];
                // rope(x) = x·cos + (x·P)·sin with (x·P)[a] = −x[b] and (x·P)[b] = x[a].
                x[at + a] = xa * cos[tableOffset + a] + -xb * sin[tableOffset + a];
                x[at + b] = xb * cos[tableOffset + b] + xa * sin[tableOffset + b];
            }
        }
    }

    /** Rotates {@code x} ({@code [..., headDim]}) with tables that broadcast against it. */
    public NDArray apply(NDArray x, NDArray[] tables) {
        return x.mul(tables[0]).add(x.matMul(pairing).mul(tables[1]));
    }

    /**
     * {@link #shift} on the heap: rotates {@code count} keys of {@code headDim} values from {@code offset}, already
     * rotated at position p, to p + delta; the same operations in the same order, so the same floats.
     */
    public void shiftInPlace(float[] keys, int offset, int count, long delta) {
        float[][] table = tableValues(delta, 1);
        applyInPlace(keys, offset, count, table[0], table[1], 0);
    }

    /** Rotates keys already rotated at position p to position p + delta (used to move attention sinks). */
    public NDArray shift(NDArray keys, long delta) {
        NDArray[] t = tables(keys.getManager(), delta, 1);
        NDArray[] flat = {t[0].reshape(headDim), t[1].reshape(headDim)};
        return apply(keys, flat);
    }
}
