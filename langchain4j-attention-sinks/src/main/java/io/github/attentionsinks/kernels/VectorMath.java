package io.github.attentionsinks.kernels;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
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
    static {
        VectorOperatorCaches.fill(); // before any kernel gets hot: see there
    }

    private static final VectorSpecies<Float> FLOATS = FloatVector.SPECIES_PREFERRED;
    private static final int LANES = FLOATS.length();
    private static final float SQRT_2_OVER_PI = (float) Math.sqrt(2.0 / Math.PI);
    /** A float vector's worth of float16 values: half its width. */
    private static final VectorSpecies<Short> HALVES =
            VectorSpecies.of(short.class, VectorShape.forBitSize(FLOATS.vectorBitSize() / 2));
    private static final VectorSpecies<Integer> INTS = VectorSpecies.of(int.class, FLOATS.vectorShape());
    /**
     * Whether {@link #blockPairScores} and {@link #addThreeWeightedSums} keep their accumulators in registers: their
     * 16 and 12 accumulators, beside the vectors loaded, need AVX-512's 32 registers (AVX2's 16 would spill).
     */
    private static final boolean WIDE_PASSES = FLOATS.vectorBitSize() >= 512;

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
     * {@code dst[dOff + i] =} the value of float16 bits {@code src[sOff + i]}, as {@link Float16Bits#toFloat} (which
     * also keeps infinities and NaNs; here those, never stored by a cache, read as finite values): sign-extended, moved
     * into a float32's places by {@code (bits << 13) & 0x8FFFE000} and scaled by 2^112.
     */
    public static void widenHalves(short[] src, int sOff, float[] dst, int dOff, int n) {
        int i = 0;
        for (; i + LANES <= n; i += LANES) {
            ((IntVector) ShortVector.fromArray(HALVES, src, sOff + i).castShape(INTS, 0))
                    .lanewise(VectorOperators.LSHL, 13).and(0x8FFFE000).reinterpretAsFloats().mul(0x1p112f)
                    .intoArray(dst, dOff + i);
        }
        for (; i < n; i++) {
            dst[dOff + i] = Float.intBitsToFloat((src[sOff + i] << 13) & 0x8FFFE000) * 0x1p112f;
        }
    }

    /** Floats per vector: the width of {@link #transpose}'s key blocks. */
    public static int lanes() {
        return LANES;
    }

    /**
     * {@code scores[sOff + j] = scale·Σ_d q[qOff + d]·k[kOff + j·dim + d]} for {@code j < n}: one query against
     * {@code n} key rows. With {@code dim} four vectors wide (a head of 64 on AVX-512) the query stays in registers.
     */
    public static void scores(float[] q, int qOff, float[] k, int kOff, int n, int dim, float scale, float[] scores,
            int sOff) {
        if (dim != 4 * LANES) {
            for (int j = 0; j < n; j++) {
                scores[sOff + j] = dot(q, qOff, k, kOff + j * dim, dim) * scale;
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
            scores[sOff + j] = a.add(b).reduceLanes(VectorOperators.ADD) * scale;
        }
    }

    /**
     * {@code kt[d·lanes() + j] = k[kOff + j·dim + d]} for {@code j < n ≤ lanes()}, zeros for the lanes past {@code n}:
     * a block of key rows turned so that {@link #blockScores} scores all of them at once.
     */
    public static void transpose(float[] k, int kOff, int n, int dim, float[] kt) {
        if (n < LANES) {
            Arrays.fill(kt, 0, dim * LANES, 0f);
        }
        for (int j = 0; j < n; j++) {
            for (int d = 0, from = kOff + j * dim, to = j; d < dim; d++, from++, to += LANES) {
                kt[to] = k[from];
            }
        }
    }

    /**
     * {@code out[outOff + q·outStride + j] = scale·Σ_d qs[q·dim + d]·kt[ktOff + d·lanes() + j]} for
     * {@code q < queries}, {@code j < lanes()}: many queries against one {@link #transpose transposed} block of keys (or
     * a block of a cache that keeps its keys so), a vector of scores per query with no sum across lanes; each key vector
     * loaded serves eight queries.
     */
    public static void blockScores(float[] qs, int queries, int dim, float[] kt, int ktOff, float scale, float[] out,
            int outOff, int outStride) {
        int q = 0;
        // Eight queries: eight independent multiply-add chains keep both FMA units busy (four left half idle).
        for (; q + 7 < queries; q += 8) {
            int q0 = q * dim;
            FloatVector a0 = FloatVector.zero(FLOATS);
            FloatVector a1 = a0;
            FloatVector a2 = a0;
            FloatVector a3 = a0;
            FloatVector a4 = a0;
            FloatVector a5 = a0;
            FloatVector a6 = a0;
            FloatVector a7 = a0;
            for (int d = 0, at = ktOff; d < dim; d++, at += LANES) {
                FloatVector k = FloatVector.fromArray(FLOATS, kt, at);
                int i = q0 + d;
                a0 = k.fma(FloatVector.broadcast(FLOATS, qs[i]), a0);
                a1 = k.fma(FloatVector.broadcast(FLOATS, qs[i + dim]), a1);
                a2 = k.fma(FloatVector.broadcast(FLOATS, qs[i + 2 * dim]), a2);
                a3 = k.fma(FloatVector.broadcast(FLOATS, qs[i + 3 * dim]), a3);
                a4 = k.fma(FloatVector.broadcast(FLOATS, qs[i + 4 * dim]), a4);
                a5 = k.fma(FloatVector.broadcast(FLOATS, qs[i + 5 * dim]), a5);
                a6 = k.fma(FloatVector.broadcast(FLOATS, qs[i + 6 * dim]), a6);
                a7 = k.fma(FloatVector.broadcast(FLOATS, qs[i + 7 * dim]), a7);
            }
            int at = outOff + q * outStride;
            a0.mul(scale).intoArray(out, at);
            a1.mul(scale).intoArray(out, at + outStride);
            a2.mul(scale).intoArray(out, at + 2 * outStride);
            a3.mul(scale).intoArray(out, at + 3 * outStride);
            a4.mul(scale).intoArray(out, at + 4 * outStride);
            a5.mul(scale).intoArray(out, at + 5 * outStride);
            a6.mul(scale).intoArray(out, at + 6 * outStride);
            a7.mul(scale).intoArray(out, at + 7 * outStride);
        }
        blockScoresOneByOne(qs, q, queries, dim, kt, ktOff, scale, out, outOff, outStride);
    }

    /** {@link #blockScores}'s queries {@code [from, queries)} one at a time (two sums each, even and odd inputs). */
    private static void blockScoresOneByOne(float[] qs, int from, int queries, int dim, float[] kt, int ktOff,
            float scale, float[] out, int outOff, int outStride) {
        for (int q = from; q < queries; q++) {
            FloatVector a = FloatVector.zero(FLOATS);
            FloatVector b = a;
            int d = 0;
            for (int at = ktOff; d + 1 < dim; d += 2, at += 2 * LANES) {
                a = FloatVector.fromArray(FLOATS, kt, at).fma(FloatVector.broadcast(FLOATS, qs[q * dim + d]), a);
                b = FloatVector.fromArray(FLOATS, kt, at + LANES).fma(
                        FloatVector.broadcast(FLOATS, qs[q * dim + d + 1]), b);
            }
            if (d < dim) {
                a = FloatVector.fromArray(FLOATS, kt, ktOff + d * LANES).fma(
                        FloatVector.broadcast(FLOATS, qs[q * dim + d]), a);
            }
            a.add(b).mul(scale).intoArray(out, outOff + q * outStride);
        }
    }

    /**
     * {@link #blockScores} for two turned key blocks at once, the second's keys at {@code ktOff2} and its scores at
     * {@code outOff2}: each query value broadcast serves both blocks' key vectors, so that a pass of eight queries
     * issues one broadcast per two multiply-adds instead of one per multiply-add. The broadcasts' shuffles share the
     * FMA units' ports on Zen 4: one block a pass ran at 31–39 G multiply-adds/s, two blocks at 43–53 (one thread, 48
     * queries against 1,024 keys of 64 in the caches; docs/bench/PromptAttentionBench.java, docs/benchmarks.md, "Prompt
     * attention's kernels at the cores' speed"). Every score is the same float as {@link #blockScores} gives: the same
     * multiply-adds in the same order. Two passes of {@link #blockScores} unless {@link #WIDE_PASSES}.
     */
    public static void blockPairScores(float[] qs, int queries, int dim, float[] kt, int ktOff, int ktOff2,
            float scale, float[] out, int outOff, int outOff2, int outStride) {
        if (!WIDE_PASSES) {
            blockScores(qs, queries, dim, kt, ktOff, scale, out, outOff, outStride);
            blockScores(qs, queries, dim, kt, ktOff2, scale, out, outOff2, outStride);
            return;
        }
        int q = 0;
        for (; q + 7 < queries; q += 8) {
            int q0 = q * dim;
            FloatVector a0 = FloatVector.zero(FLOATS);
            FloatVector a1 = a0;
            FloatVector a2 = a0;
            FloatVector a3 = a0;
            FloatVector a4 = a0;
            FloatVector a5 = a0;
            FloatVector a6 = a0;
            FloatVector a7 = a0;
            FloatVector b0 = a0;
            FloatVector b1 = a0;
            FloatVector b2 = a0;
            FloatVector b3 = a0;
            FloatVector b4 = a0;
            FloatVector b5 = a0;
            FloatVector b6 = a0;
            FloatVector b7 = a0;
            for (int d = 0, at = ktOff, bt = ktOff2; d < dim; d++, at += LANES, bt += LANES) {
                FloatVector k = FloatVector.fromArray(FLOATS, kt, at);
                FloatVector m = FloatVector.fromArray(FLOATS, kt, bt);
                int i = q0 + d;
                FloatVector x = FloatVector.broadcast(FLOATS, qs[i]);
                a0 = k.fma(x, a0);
                b0 = m.fma(x, b0);
                x = FloatVector.broadcast(FLOATS, qs[i + dim]);
                a1 = k.fma(x, a1);
                b1 = m.fma(x, b1);
                x = FloatVector.broadcast(FLOATS, qs[i + 2 * dim]);
                a2 = k.fma(x, a2);
                b2 = m.fma(x, b2);
                x = FloatVector.broadcast(FLOATS, qs[i + 3 * dim]);
                a3 = k.fma(x, a3);
                b3 = m.fma(x, b3);
                x = FloatVector.broadcast(FLOATS, qs[i + 4 * dim]);
                a4 = k.fma(x, a4);
                b4 = m.fma(x, b4);
                x = FloatVector.broadcast(FLOATS, qs[i + 5 * dim]);
                a5 = k.fma(x, a5);
                b5 = m.fma(x, b5);
                x = FloatVector.broadcast(FLOATS, qs[i + 6 * dim]);
                a6 = k.fma(x, a6);
                b6 = m.fma(x, b6);
                x = FloatVector.broadcast(FLOATS, qs[i + 7 * dim]);
                a7 = k.fma(x, a7);
                b7 = m.fma(x, b7);
            }
            int at = outOff + q * outStride;
            a0.mul(scale).intoArray(out, at);
            a1.mul(scale).intoArray(out, at + outStride);
            a2.mul(scale).intoArray(out, at + 2 * outStride);
            a3.mul(scale).intoArray(out, at + 3 * outStride);
            a4.mul(scale).intoArray(out, at + 4 * outStride);
            a5.mul(scale).intoArray(out, at + 5 * outStride);
            a6.mul(scale).intoArray(out, at + 6 * outStride);
            a7.mul(scale).intoArray(out, at + 7 * outStride);
            int bt = outOff2 + q * outStride;
            b0.mul(scale).intoArray(out, bt);
            b1.mul(scale).intoArray(out, bt + outStride);
            b2.mul(scale).intoArray(out, bt + 2 * outStride);
            b3.mul(scale).intoArray(out, bt + 3 * outStride);
            b4.mul(scale).intoArray(out, bt + 4 * outStride);
            b5.mul(scale).intoArray(out, bt + 5 * outStride);
            b6.mul(scale).intoArray(out, bt + 6 * outStride);
            b7.mul(scale).intoArray(out, bt + 7 * outStride);
        }
        blockScoresOneByOne(qs, q, queries, dim, kt, ktOff, scale, out, outOff, outStride);
        blockScoresOneByOne(qs, q, queries, dim, kt, ktOff2, scale, out, outOff2, outStride);
    }

    /**
     * Rotate-half rotary embedding of one head from {@code x[at]}, pairs {@code (k, k + half)} for whole vectors of
     * {@code k} from 0, with cos and sin rows from {@code tableOffset}: {@code x[a] = x[a]·cos[a] + (−x[b])·sin[a]} and
     * {@code x[b] = x[b]·cos[b] + x[a]·sin[b]}, the same float operations as the plain loop, which finishes the rest.
     *
     * @return the first {@code k} not rotated
     */
    public static int rotateHalf(float[] x, int at, int half, float[] cos, float[] sin, int tableOffset) {
        int k = 0;
        for (; k + LANES <= half; k += LANES) {
            FloatVector a = FloatVector.fromArray(FLOATS, x, at + k);
            FloatVector b = FloatVector.fromArray(FLOATS, x, at + half + k);
            FloatVector ra = a.mul(FloatVector.fromArray(FLOATS, cos, tableOffset + k))
                    .add(b.neg().mul(FloatVector.fromArray(FLOATS, sin, tableOffset + k)));
            FloatVector rb = b.mul(FloatVector.fromArray(FLOATS, cos, tableOffset + half + k))
                    .add(a.mul(FloatVector.fromArray(FLOATS, sin, tableOffset + half + k)));
            ra.intoArray(x, at + k);
            rb.intoArray(x, at + half + k);
        }
        return k;
    }

    /** {@code y[yOff + i] = alpha·x[xOff + i]} for {@code i < n}. */
    public static void scaled(float alpha, float[] x, int xOff, float[] y, int yOff, int n) {
        int i = 0;
        if (n >= LANES) {
            FloatVector a = FloatVector.broadcast(FLOATS, alpha);
            for (; i + LANES <= n; i += LANES) {
                FloatVector.fromArray(FLOATS, x, xOff + i).mul(a).intoArray(y, yOff + i);
            }
        }
        for (; i < n; i++) {
            y[yOff + i] = alpha * x[xOff + i];
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
     * {@code out[outOff + d] += Σ_j p[pOff + j]·v[vOff + j·dim + d]} for {@code j < n}, {@code d < dim}: attention's
     * weighted sum of value rows. The sums stay in registers across the rows (four vectors at a time), instead of a
     * load and store of the output per row as {@link #addScaled} per row would do.
     */
    public static void addWeightedSum(float[] p, int pOff, int n, float[] v, int vOff, int dim, float[] out,
            int outOff) {
        int d = 0;
        for (; d + 4 * LANES <= dim; d += 4 * LANES) {
            FloatVector a0 = FloatVector.fromArray(FLOATS, out, outOff + d);
            FloatVector a1 = FloatVector.fromArray(FLOATS, out, outOff + d + LANES);
            FloatVector a2 = FloatVector.fromArray(FLOATS, out, outOff + d + 2 * LANES);
            FloatVector a3 = FloatVector.fromArray(FLOATS, out, outOff + d + 3 * LANES);
            for (int j = 0, at = vOff + d; j < n; j++, at += dim) {
                FloatVector pj = FloatVector.broadcast(FLOATS, p[pOff + j]);
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
            FloatVector a = FloatVector.fromArray(FLOATS, out, outOff + d);
            for (int j = 0, at = vOff + d; j < n; j++, at += dim) {
                a = FloatVector.fromArray(FLOATS, v, at).fma(FloatVector.broadcast(FLOATS, p[pOff + j]), a);
            }
            a.intoArray(out, outOff + d);
        }
        for (; d < dim; d++) {
            float sum = out[outOff + d];
            for (int j = 0, at = vOff + d; j < n; j++, at += dim) {
                sum += p[pOff + j] * v[at];
            }
            out[outOff + d] = sum;
        }
    }

    /**
     * {@link #addWeightedSum} for two queries over the same value rows, {@code p} weights from {@code pOff} into
     * {@code out} from {@code outOff} and from {@code pOff2} into {@code outOff2}: each value vector loaded serves
     * both, and their eight multiply-add chains keep both FMA units busy where one query's four leave half idle.
     */
    public static void addWeightedSums(float[] p, int pOff, int pOff2, int n, float[] v, int vOff, int dim,
            float[] out, int outOff, int outOff2) {
        if (dim != 4 * LANES) {
            addWeightedSum(p, pOff, n, v, vOff, dim, out, outOff);
            addWeightedSum(p, pOff2, n, v, vOff, dim, out, outOff2);
            return;
        }
        FloatVector a0 = FloatVector.fromArray(FLOATS, out, outOff);
        FloatVector a1 = FloatVector.fromArray(FLOATS, out, outOff + LANES);
        FloatVector a2 = FloatVector.fromArray(FLOATS, out, outOff + 2 * LANES);
        FloatVector a3 = FloatVector.fromArray(FLOATS, out, outOff + 3 * LANES);
        FloatVector b0 = FloatVector.fromArray(FLOATS, out, outOff2);
        FloatVector b1 = FloatVector.fromArray(FLOATS, out, outOff2 + LANES);
        FloatVector b2 = FloatVector.fromArray(FLOATS, out, outOff2 + 2 * LANES);
        FloatVector b3 = FloatVector.fromArray(FLOATS, out, outOff2 + 3 * LANES);
        for (int j = 0, at = vOff; j < n; j++, at += dim) {
            FloatVector v0 = FloatVector.fromArray(FLOATS, v, at);
            FloatVector v1 = FloatVector.fromArray(FLOATS, v, at + LANES);
            FloatVector v2 = FloatVector.fromArray(FLOATS, v, at + 2 * LANES);
            FloatVector v3 = FloatVector.fromArray(FLOATS, v, at + 3 * LANES);
            FloatVector pa = FloatVector.broadcast(FLOATS, p[pOff + j]);
            FloatVector pb = FloatVector.broadcast(FLOATS, p[pOff2 + j]);
            a0 = v0.fma(pa, a0);
            a1 = v1.fma(pa, a1);
            a2 = v2.fma(pa, a2);
            a3 = v3.fma(pa, a3);
            b0 = v0.fma(pb, b0);
            b1 = v1.fma(pb, b1);
            b2 = v2.fma(pb, b2);
            b3 = v3.fma(pb, b3);
        }
        a0.intoArray(out, outOff);
        a1.intoArray(out, outOff + LANES);
        a2.intoArray(out, outOff + 2 * LANES);
        a3.intoArray(out, outOff + 3 * LANES);
        b0.intoArray(out, outOff2);
        b1.intoArray(out, outOff2 + LANES);
        b2.intoArray(out, outOff2 + 2 * LANES);
        b3.intoArray(out, outOff2 + 3 * LANES);
    }

    /**
     * {@link #addWeightedSums} for three queries over the same value rows (a KV head's three query heads, as in the
     * SmolLM and Llama 3.2 shapes): each value vector loaded serves three, where a pair and a single query loaded every
     * value row twice and the single query's four multiply-add chains left half the FMA units idle: 42–50 G
     * multiply-adds/s against 29–37 (one thread, 16 rows × 3 heads over 1,024 values of 64 in blocks of 64;
     * docs/bench/PromptAttentionBench.java, docs/benchmarks.md, "Prompt attention's kernels at the cores' speed").
     * Each sum is the same float as {@link #addWeightedSum} gives it. Falls back to a pair and a single unless
     * {@link #WIDE_PASSES} and {@code dim} is four vectors.
     */
    public static void addThreeWeightedSums(float[] p, int pOff, int pOff2, int pOff3, int n, float[] v, int vOff,
            int dim, float[] out, int outOff, int outOff2, int outOff3) {
        if (!WIDE_PASSES || dim != 4 * LANES) {
            addWeightedSums(p, pOff, pOff2, n, v, vOff, dim, out, outOff, outOff2);
            addWeightedSum(p, pOff3, n, v, vOff, dim, out, outOff3);
            return;
        }
        FloatVector a0 = FloatVector.fromArray(FLOATS, out, outOff);
        FloatVector a1 = FloatVector.fromArray(FLOATS, out, outOff + LANES);
        FloatVector a2 = FloatVector.fromArray(FLOATS, out, outOff + 2 * LANES);
        FloatVector a3 = FloatVector.fromArray(FLOATS, out, outOff + 3 * LANES);
        FloatVector b0 = FloatVector.fromArray(FLOATS, out, outOff2);
        FloatVector b1 = FloatVector.fromArray(FLOATS, out, outOff2 + LANES);
        FloatVector b2 = FloatVector.fromArray(FLOATS, out, outOff2 + 2 * LANES);
        FloatVector b3 = FloatVector.fromArray(FLOATS, out, outOff2 + 3 * LANES);
        FloatVector c0 = FloatVector.fromArray(FLOATS, out, outOff3);
        FloatVector c1 = FloatVector.fromArray(FLOATS, out, outOff3 + LANES);
        FloatVector c2 = FloatVector.fromArray(FLOATS, out, outOff3 + 2 * LANES);
        FloatVector c3 = FloatVector.fromArray(FLOATS, out, outOff3 + 3 * LANES);
        for (int j = 0, at = vOff; j < n; j++, at += dim) {
            FloatVector v0 = FloatVector.fromArray(FLOATS, v, at);
            FloatVector v1 = FloatVector.fromArray(FLOATS, v, at + LANES);
            FloatVector v2 = FloatVector.fromArray(FLOATS, v, at + 2 * LANES);
            FloatVector v3 = FloatVector.fromArray(FLOATS, v, at + 3 * LANES);
            FloatVector pa = FloatVector.broadcast(FLOATS, p[pOff + j]);
            FloatVector pb = FloatVector.broadcast(FLOATS, p[pOff2 + j]);
            FloatVector pc = FloatVector.broadcast(FLOATS, p[pOff3 + j]);
            a0 = v0.fma(pa, a0);
            a1 = v1.fma(pa, a1);
            a2 = v2.fma(pa, a2);
            a3 = v3.fma(pa, a3);
            b0 = v0.fma(pb, b0);
            b1 = v1.fma(pb, b1);
            b2 = v2.fma(pb, b2);
            b3 = v3.fma(pb, b3);
            c0 = v0.fma(pc, c0);
            c1 = v1.fma(pc, c1);
            c2 = v2.fma(pc, c2);
            c3 = v3.fma(pc, c3);
        }
        a0.intoArray(out, outOff);
        a1.intoArray(out, outOff + LANES);
        a2.intoArray(out, outOff + 2 * LANES);
        a3.intoArray(out, outOff + 3 * LANES);
        b0.intoArray(out, outOff2);
        b1.intoArray(out, outOff2 + LANES);
        b2.intoArray(out, outOff2 + 2 * LANES);
        b3.intoArray(out, outOff2 + 3 * LANES);
        c0.intoArray(out, outOff3);
        c1.intoArray(out, outOff3 + LANES);
        c2.intoArray(out, outOff3 + 2 * LANES);
        c3.intoArray(out, outOff3 + 3 * LANES);
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

    /**
     * The largest of {@code a[off .. off + n)}; negative infinity when {@code n} is 0. Four running maxima where there
     * are four vectors: with one, each maximum waits for the one before it, about 10 µs for the 49,152 logits of the
     * SmolLM-135M shape against 3.4 (docs/benchmarks.md, "Serial work of a batched step"). {@code Math.max} takes NaN
     * and signed zeros alike in any order, so the result is the same.
     */
    public static float max(float[] a, int off, int n) {
        int i = 0;
        float max = Float.NEGATIVE_INFINITY;
        if (n >= 4 * LANES) {
            FloatVector m0 = FloatVector.broadcast(FLOATS, Float.NEGATIVE_INFINITY);
            FloatVector m1 = m0;
            FloatVector m2 = m0;
            FloatVector m3 = m0;
            for (; i + 4 * LANES <= n; i += 4 * LANES) {
                // Loaded vectors as receivers, as below.
                m0 = FloatVector.fromArray(FLOATS, a, off + i).max(m0);
                m1 = FloatVector.fromArray(FLOATS, a, off + i + LANES).max(m1);
                m2 = FloatVector.fromArray(FLOATS, a, off + i + 2 * LANES).max(m2);
                m3 = FloatVector.fromArray(FLOATS, a, off + i + 3 * LANES).max(m3);
            }
            max = Math.max(Math.max(m0.reduceLanes(VectorOperators.MAX), m1.reduceLanes(VectorOperators.MAX)),
                    Math.max(m2.reduceLanes(VectorOperators.MAX), m3.reduceLanes(VectorOperators.MAX)));
        }
        if (n - i >= LANES) {
            FloatVector m = FloatVector.broadcast(FLOATS, Float.NEGATIVE_INFINITY);
            for (; i + LANES <= n; i += LANES) {
                // The loaded vector is the receiver: its class is known where this is inlined. With m.max(...) C2
                // found no static binding once inlined into HeapAttention.attendPart ("failed to inline: virtual
                // call" in -XX:+PrintInlining) and ran the Vector API's Java fallback, which allocated 80 MB/s
                // and cost milliseconds per 8-session step.
                m = FloatVector.fromArray(FLOATS, a, off + i).max(m);
            }
            max = Math.max(max, m.reduceLanes(VectorOperators.MAX));
        }
        for (; i < n; i++) {
            max = Math.max(max, a[off + i]);
        }
        return max;
    }

    /**
     * The first {@code i < n} with {@code a[off + i] == value} (so {@code -0.0} and {@code 0.0} match each other, and
     * NaN matches nothing), or -1.
     */
    public static int indexOf(float[] a, int off, int n, float value) {
        int i = 0;
        if (n >= LANES) {
            FloatVector v = FloatVector.broadcast(FLOATS, value);
            for (; i + LANES <= n; i += LANES) {
                if (FloatVector.fromArray(FLOATS, a, off + i).eq(v).anyTrue()) {
                    break;
                }
            }
        }
        for (; i < n; i++) {
            if (a[off + i] == value) {
                return i;
            }
        }
        return -1;
    }

    /**
     * {@code a[off + i] = exp(a[off + i] − shift)} in place, 0 where that is a float32 subnormal (below 2^-126);
     * returns their sum. Attention's weights come from here, {@code shift} their maximum, so the sum is at least 1 and
     * a weight below 2^-126 moves nothing float32 can hold; but each one multiplied into the weighted sums costs an
     * Intel core a microcode assist (docs/bench/SubnormalFma.c: 36 ns against 0.5). In stories260K (trained) 2.0% of
     * attention's weights over 2,000 generated tokens were subnormal; in the synthetic SmolLM-135M shape none.
     */
    public static float expShifted(float[] a, int off, int n, float shift) {
        int i = 0;
        float sum = 0;
        if (n >= LANES) {
            FloatVector s = FloatVector.broadcast(FLOATS, shift);
            FloatVector acc = FloatVector.zero(FLOATS);
            for (; i + LANES <= n; i += LANES) {
                FloatVector e = FloatVector.fromArray(FLOATS, a, off + i).sub(s).lanewise(VectorOperators.EXP);
                e = e.blend(0f, e.compare(VectorOperators.LT, Float.MIN_NORMAL)); // as expWeights zeroes
                e.intoArray(a, off + i);
                acc = e.add(acc); // the receiver whose class is known, as in max
            }
            sum = acc.reduceLanes(VectorOperators.ADD);
        }
        for (; i < n; i++) {
            float e = (float) Math.exp(a[off + i] - shift);
            e = e < Float.MIN_NORMAL ? 0 : e;
            a[off + i] = e;
            sum += e;
        }
        return sum;
    }

    /**
     * {@code w[i] = exp((a[i] − max)·scale)} where {@code a[i] ≥ floor}, else 0, for {@code i < n}; returns
     * {@code Σ w[i]}: a sampler's unnormalized probabilities of the candidates within reach of the best logit. Each
     * vector's sum is added in double precision.
     */
    public static double expWeights(float[] a, float max, float scale, float floor, float[] w, int n) {
        int i = 0;
        double sum = 0;
        FloatVector m = FloatVector.broadcast(FLOATS, max);
        FloatVector s = FloatVector.broadcast(FLOATS, scale);
        FloatVector f = FloatVector.broadcast(FLOATS, floor);
        for (; i + LANES <= n; i += LANES) {
            FloatVector v = FloatVector.fromArray(FLOATS, a, i);
            VectorMask<Float> below = v.compare(VectorOperators.LT, f).or(v.compare(VectorOperators.NE, v));
            FloatVector e = v.sub(m).mul(s).lanewise(VectorOperators.EXP).blend(0f, below);
            e.intoArray(w, i);
            sum += e.reduceLanes(VectorOperators.ADD);
        }
        for (; i < n; i++) {
            float e = a[i] >= floor ? (float) Math.exp((a[i] - max) * scale) : 0f;
            w[i] = e;
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
