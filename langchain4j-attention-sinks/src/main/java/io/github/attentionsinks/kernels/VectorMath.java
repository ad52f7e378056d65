package io.github.attentionsinks.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The element-wise and attention arithmetic of a decoder layer run on the Java heap (dot products, exponentials,
 * gated activations), in the Java Vector API. Like {@link VectorProducts} it touches {@code jdk.incubator.vector},
 * so only code that runs once {@link WeightKernels} exist may call it; it uses only JDK 17's incubator API.
 *
 * <p>Every method works on {@code n} values from the given offsets and handles any {@code n}: whole vectors first,
 * then a scalar tail.
 */
public final class VectorMath {
    private static final VectorSpecies<Float> FLOATS = FloatVector.SPECIES_PREFERRED;
    private static final int LANES = FLOATS.length();
    private static final float SQRT_2_OVER_PI = (float) Math.sqrt(2.0 / Math.PI);

    private VectorMath() {}

    /** {@code Σ a[aOff + i]·b[bOff + i]}. */
    public static float dot(float[] a, int aOff, float[] b, int bOff, int n) {
        int i = 0;
        float sum = 0;
        if (n >= LANES) {
            FloatVector acc = FloatVector.zero(FLOATS);
            for (; i + LANES <= n; i += LANES) {
                acc = FloatVector.fromArray(FLOATS, a, aOff + i).fma(FloatVector.fromArray(FLOATS, b, bOff + i), acc);
            }
            sum = acc.reduceLanes(VectorOperators.ADD);
        }
        for (; i < n; i++) {
            sum += a[aOff + i] * b[bOff + i];
        }
        return sum;
    }

    /**
     * {@code scores[j] = scale·Σ_d q[qOff + d]·k[kOff + j·dim + d]} for {@code j < n}: one query against {@code n}
     * key rows. With {@code dim} four vectors wide (a head of 64 on AVX-512) the query stays in registers.
     */
    public static void scores(float[] q, int qOff, float[] k, int kOff, int n, int dim, float scale, float[] scores) {
        if (dim != 4 * LANES) {
            for (int j = 0; j < n; j++) {
                scores[j] = dot(q, qOff, k, kOff + j * dim, dim) * scale;
            }
            return;
        }
        FloatVector q0 = FloatVector.fromArray(FLOATS, q, qOff);
        FloatVector q1 = FloatVector.fromArray(FLOATS, q, qOff + LANES);
        FloatVector q2 = FloatVector.fromArray(FLOATS, q, qOff + 2 * LANES);
        FloatVector q3 = FloatVector.fromArray(FLOATS, q, qOff + 3 * LANES);
        for (int j = 0, at = kOff; j < n; j++, at += dim) {
            FloatVector a = FloatVector.fromArray(FLOATS, k, at).mul(q0);
            FloatVector b = FloatVector.fromArray(FLOATS, k, at + LANES).mul(q1);
            a = FloatVector.fromArray(FLOATS, k, at + 2 * LANES).fma(q2, a);
            b = FloatVector.fromArray(FLOATS, k, at + 3 * LANES).fma(q3, b);
            scores[j] = a.add(b).reduceLanes(VectorOperators.ADD) * scale;
        }
    }

    /** {@code y[yOff + i] += alpha·x[xOff + i]}. */
    public static void addScaled(float alpha, float[] x, int xOff, float[] y, int yOff, int n) {
        int i = 0;
        if (n >= LANES) {
            FloatVector a = FloatVector.broadcast(FLOATS, alpha);
            for (; i + LANES <= n; i += LANES) {
                FloatVector.fromArray(FLOATS, x, xOff + i).fma(a, FloatVector.fromArray(FLOATS, y, yOff + i))
                        .intoArray(y, yOff + i);
            }
        }
        for (; i < n; i++) {
            y[yOff + i] += alpha * x[xOff + i];
        }
    }

    /**
     * {@code out[outOff + d] = Σ_j p[j]·v[vOff + j·dim + d]} for {@code j < n}, {@code d < dim}: attention's weighted
     * sum of value rows. The sums stay in registers across the rows (four vectors at a time), instead of a load and
     * store of the output per row as {@link #addScaled} per row would do.
     */
    public static void weightedSum(float[] p, int n, float[] v, int vOff, int dim, float[] out, int outOff) {
        int d = 0;
        for (; d + 4 * LANES <= dim; d += 4 * LANES) {
            FloatVector a0 = FloatVector.zero(FLOATS);
            FloatVector a1 = a0;
            FloatVector a2 = a0;
            FloatVector a3 = a0;
            for (int j = 0, at = vOff + d; j < n; j++, at += dim) {
                FloatVector pj = FloatVector.broadcast(FLOATS, p[j]);
                a0 = FloatVector.fromArray(FLOATS, v, at).fma(pj, a0);
                a1 = FloatVector.fromArray(FLOATS, v, at + LANES).fma(pj, a1);
                a2 = FloatVector.fromArray(FLOATS, v, at + 2 * LANES).fma(pj, a2);
                a3 = FloatVector.fromArray(FLOATS, v, at + 3 * LANES).fma(pj, a3);
            }
            a0.intoArray(out, outOff + d);
            a1.intoArray(out, outOff + d + LANES);
            a2.intoArray(out, outOff + d + 2 * LANES);
            a3.intoArray(out, outOff + d + 3 * LANES);
        }
        for (; d + LANES <= dim; d += LANES) {
            FloatVector a = FloatVector.zero(FLOATS);
            for (int j = 0, at = vOff + d; j < n; j++, at += dim) {
                a = FloatVector.fromArray(FLOATS, v, at).fma(FloatVector.broadcast(FLOATS, p[j]), a);
            }
            a.intoArray(out, outOff + d);
        }
        for (; d < dim; d++) {
            float sum = 0;
            for (int j = 0, at = vOff + d; j < n; j++, at += dim) {
                sum += p[j] * v[at];
            }
            out[outOff + d] = sum;
        }
    }

    /** {@code y[yOff + i] += x[xOff + i]}. */
    public static void add(float[] x, int xOff, float[] y, int yOff, int n) {
        int i = 0;
        for (; i + LANES <= n; i += LANES) {
            FloatVector.fromArray(FLOATS, x, xOff + i).add(FloatVector.fromArray(FLOATS, y, yOff + i))
                    .intoArray(y, yOff + i);
        }
        for (; i < n; i++) {
            y[yOff + i] += x[xOff + i];
        }
    }

    /** The largest of {@code a[off .. off + n)}; negative infinity when {@code n} is 0. */
    public static float max(float[] a, int off, int n) {
        int i = 0;
        float max = Float.NEGATIVE_INFINITY;
        if (n >= LANES) {
            FloatVector m = FloatVector.broadcast(FLOATS, Float.NEGATIVE_INFINITY);
            for (; i + LANES <= n; i += LANES) {
                m = m.max(FloatVector.fromArray(FLOATS, a, off + i));
            }
            max = m.reduceLanes(VectorOperators.MAX);
        }
        for (; i < n; i++) {
            max = Math.max(max, a[off + i]);
        }
        return max;
    }

    /** {@code a[off + i] = exp(a[off + i] − shift)} in place; returns their sum. */
    public static float expShifted(float[] a, int off, int n, float shift) {
        int i = 0;
        float sum = 0;
        if (n >= LANES) {
            FloatVector s = FloatVector.broadcast(FLOATS, shift);
            FloatVector acc = FloatVector.zero(FLOATS);
            for (; i + LANES <= n; i += LANES) {
                FloatVector e = FloatVector.fromArray(FLOATS, a, off + i).sub(s).lanewise(VectorOperators.EXP);
                e.intoArray(a, off + i);
                acc = acc.add(e);
            }
            sum = acc.reduceLanes(VectorOperators.ADD);
        }
        for (; i < n; i++) {
            float e = (float) Math.exp(a[off + i] - shift);
            a[off + i] = e;
            sum += e;
        }
        return sum;
    }

    /** {@code out[outOff + i] = silu(y[gateOff + i])·y[upOff + i]}, with {@code silu(g) = g / (1 + exp(−g))}. */
    public static void siluGate(float[] y, int gateOff, int upOff, float[] out, int outOff, int n) {
        int i = 0;
        for (; i + LANES <= n; i += LANES) {
            FloatVector g = FloatVector.fromArray(FLOATS, y, gateOff + i);
            FloatVector sigmoid = g.neg().lanewise(VectorOperators.EXP).add(1f);
            g.div(sigmoid).mul(FloatVector.fromArray(FLOATS, y, upOff + i)).intoArray(out, outOff + i);
        }
        for (; i < n; i++) {
            float g = y[gateOff + i];
            out[outOff + i] = g / (1f + (float) Math.exp(-g)) * y[upOff + i];
        }
    }

    /**
     * {@code out[outOff + i] = gelu(y[gateOff + i])·y[upOff + i]} with the tanh approximation
     * {@code 0.5·g·(1 + tanh(√(2/π)·(g + 0.044715·g³)))}.
     */
    public static void geluTanhGate(float[] y, int gateOff, int upOff, float[] out, int outOff, int n) {
        int i = 0;
        for (; i + LANES <= n; i += LANES) {
            FloatVector g = FloatVector.fromArray(FLOATS, y, gateOff + i);
            FloatVector inner = g.mul(g).mul(0.044715f).add(1f).mul(g).mul(SQRT_2_OVER_PI);
            FloatVector gelu = inner.lanewise(VectorOperators.TANH).add(1f).mul(g).mul(0.5f);
            gelu.mul(FloatVector.fromArray(FLOATS, y, upOff + i)).intoArray(out, outOff + i);
        }
        for (; i < n; i++) {
            float g = y[gateOff + i];
            float inner = (g * g * 0.044715f + 1f) * g * SQRT_2_OVER_PI;
            out[outOff + i] = ((float) Math.tanh(inner) + 1f) * g * 0.5f * y[upOff + i];
        }
    }
}
