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
     * {@code Σ w[i]}: a sampler's unnormalized probabilities of the candidates within reach of the best logit, which
     * the caller keeps within e^-30 of it ({@code floor ≥ max − 30 / scale}), so that every exponential is a normal
     * float. The sums are kept in each lane and added at the end, as {@link #massesAtOrAbove} adds them, so that its
     * mass at {@code floor} is this sum exactly.
     *
     * <p>The exponential is {@code 2^k · p(r)}, {@code k} the nearest integer to {@code y·log2(e)}, {@code r = y −
     * k·ln 2} in two parts and {@code p} Cephes' degree-6 polynomial for {@code expf}: within one ulp of {@code
     * Math.exp} over [-30, 0] (a million points, {@code VectorMathTest}). The Vector API's {@code EXP} took 83 µs for
     * 49,152 logits (with each vector's sum added in double precision, as this did before) where this takes 15–17, on
     * the AMD EPYC of docs/benchmarks.md ("A sampler in vectors"). Only the sampler takes it: in the SiLU gate and
     * attention's softmax (through a helper clamping to [-88, 88]) it saved 0.25–0.4 ns an element, about half a
     * percent of an 8-row step (the gate's division stays), and would have moved every model's floats.
     */
    public static double expWeights(float[] a, float max, float scale, float floor, float[] w, int n) {
        int i = 0;
        double sum = 0;
        if (n >= LANES) {
            FloatVector m = FloatVector.broadcast(FLOATS, max);
            FloatVector s = FloatVector.broadcast(FLOATS, scale);
            FloatVector f = FloatVector.broadcast(FLOATS, floor);
            FloatVector acc = FloatVector.zero(FLOATS);
            for (; i + LANES <= n; i += LANES) {
                FloatVector v = FloatVector.fromArray(FLOATS, a, i);
                VectorMask<Float> below = v.compare(VectorOperators.LT, f).or(v.compare(VectorOperators.NE, v));
                FloatVector y = v.sub(m).mul(s);
                // k + 1.5·2^23: the float's low mantissa bits hold k, rounded to nearest
                FloatVector shifted =
                        y.fma(FloatVector.broadcast(FLOATS, LOG2_E), FloatVector.broadcast(FLOATS, ROUND));
                FloatVector k = shifted.sub(ROUND);
                FloatVector r = k.fma(FloatVector.broadcast(FLOATS, -LN2_HIGH), y);
                r = k.fma(FloatVector.broadcast(FLOATS, -LN2_LOW), r);
                FloatVector p = r.fma(FloatVector.broadcast(FLOATS, EXP_P0), FloatVector.broadcast(FLOATS, EXP_P1));
                p = p.fma(r, FloatVector.broadcast(FLOATS, EXP_P2));
                p = p.fma(r, FloatVector.broadcast(FLOATS, EXP_P3));
                p = p.fma(r, FloatVector.broadcast(FLOATS, EXP_P4));
                p = p.fma(r, FloatVector.broadcast(FLOATS, EXP_P5));
                p = p.fma(r.mul(r), r).add(1f);
                FloatVector twoToK = shifted.reinterpretAsInts().add(127 - ROUND_BITS)
                        .lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
                FloatVector e = twoToK.mul(p).blend(0f, below);
                e.intoArray(w, i);
                acc = e.add(acc);
            }
            sum = acc.reduceLanes(VectorOperators.ADD);
        }
        for (; i < n; i++) {
            float e = a[i] >= floor ? (float) Math.exp((a[i] - max) * scale) : 0f;
            w[i] = e;
            sum += e;
        }
        return sum;
    }

    private static final float LOG2_E = 1.44269504088896341f;
    /** 1.5·2^23: added to a float of magnitude below 2^22, it leaves it rounded to an integer in its low bits. */
    private static final float ROUND = 12582912f;
    private static final int ROUND_BITS = 0x4B400000;
    /** ln 2 in two parts, the first with few enough bits that {@code k·LN2_HIGH} is exact. */
    private static final float LN2_HIGH = 0.693145751953125f;
    private static final float LN2_LOW = 1.428606765330187045e-6f;
    private static final float EXP_P0 = 1.9875691500e-4f;
    private static final float EXP_P1 = 1.3981999507e-3f;
    private static final float EXP_P2 = 8.3334519073e-3f;
    private static final float EXP_P3 = 4.1665795894e-2f;
    private static final float EXP_P4 = 1.6666665459e-1f;
    private static final float EXP_P5 = 5.0000001201e-1f;

    /** How many thresholds {@link #massesAtOrAbove} and {@link #countsAtOrAbove} take at once. */
    public static final int CUTS = 7;

    /**
     * For each of the {@link #CUTS} thresholds {@code t[j]}, how many of {@code a[0..n)} are at or above it ({@code
     * count[j]}) and the sum of their {@code w} ({@code mass[j]}, summed in each lane and added at the end, as {@link
     * #expWeights} sums). One pass for seven thresholds: a sampler narrows the logit where top-p's cut falls with a
     * few of these instead of sorting or binning tokens one at a time ({@code generate.CutSearch}).
     *
     * <p>Whether {@code a[i] ≥ t} is the sign of {@code a[i] + 0 − t} (the {@code + 0} turns -0.0 into 0.0, the one
     * value whose difference with an equal threshold would be -0.0; C2 keeps it, as it must for floats), spread over
     * the lane by a shift: five integer and float operations a threshold, where comparisons and blends took eight
     * (49,152 logits: 18 µs against 30). The logits must hold no NaN.
     */
    public static void massesAtOrAbove(float[] a, float[] w, int n, float[] t, double[] mass, int[] count) {
        FloatVector t0 = FloatVector.broadcast(FLOATS, t[0]);
        FloatVector t1 = FloatVector.broadcast(FLOATS, t[1]);
        FloatVector t2 = FloatVector.broadcast(FLOATS, t[2]);
        FloatVector t3 = FloatVector.broadcast(FLOATS, t[3]);
        FloatVector t4 = FloatVector.broadcast(FLOATS, t[4]);
        FloatVector t5 = FloatVector.broadcast(FLOATS, t[5]);
        FloatVector t6 = FloatVector.broadcast(FLOATS, t[6]);
        FloatVector zero = FloatVector.zero(FLOATS); // added to each logit: a float 0 in the loop made C2 box
        FloatVector m0 = zero, m1 = zero, m2 = zero, m3 = zero, m4 = zero, m5 = zero, m6 = zero;
        IntVector c0 = IntVector.zero(INTS); // minus the count below each threshold
        IntVector c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0, c6 = c0;
        int i = 0;
        for (; i + LANES <= n; i += LANES) {
            FloatVector v = FloatVector.fromArray(FLOATS, a, i).add(zero);
            IntVector x = FloatVector.fromArray(FLOATS, w, i).reinterpretAsInts();
            // -1 below, else 0; loaded or computed vectors as receivers, the accumulators as arguments (see max)
            IntVector below = v.sub(t0).reinterpretAsInts().lanewise(VectorOperators.ASHR, 31);
            c0 = below.add(c0);
            m0 = x.lanewise(VectorOperators.AND_NOT, below).reinterpretAsFloats().add(m0);
            below = v.sub(t1).reinterpretAsInts().lanewise(VectorOperators.ASHR, 31);
            c1 = below.add(c1);
            m1 = x.lanewise(VectorOperators.AND_NOT, below).reinterpretAsFloats().add(m1);
            below = v.sub(t2).reinterpretAsInts().lanewise(VectorOperators.ASHR, 31);
            c2 = below.add(c2);
            m2 = x.lanewise(VectorOperators.AND_NOT, below).reinterpretAsFloats().add(m2);
            below = v.sub(t3).reinterpretAsInts().lanewise(VectorOperators.ASHR, 31);
            c3 = below.add(c3);
            m3 = x.lanewise(VectorOperators.AND_NOT, below).reinterpretAsFloats().add(m3);
            below = v.sub(t4).reinterpretAsInts().lanewise(VectorOperators.ASHR, 31);
            c4 = below.add(c4);
            m4 = x.lanewise(VectorOperators.AND_NOT, below).reinterpretAsFloats().add(m4);
            below = v.sub(t5).reinterpretAsInts().lanewise(VectorOperators.ASHR, 31);
            c5 = below.add(c5);
            m5 = x.lanewise(VectorOperators.AND_NOT, below).reinterpretAsFloats().add(m5);
            below = v.sub(t6).reinterpretAsInts().lanewise(VectorOperators.ASHR, 31);
            c6 = below.add(c6);
            m6 = x.lanewise(VectorOperators.AND_NOT, below).reinterpretAsFloats().add(m6);
        }
        int whole = i;
        mass[0] = m0.reduceLanes(VectorOperators.ADD);
        mass[1] = m1.reduceLanes(VectorOperators.ADD);
        mass[2] = m2.reduceLanes(VectorOperators.ADD);
        mass[3] = m3.reduceLanes(VectorOperators.ADD);
        mass[4] = m4.reduceLanes(VectorOperators.ADD);
        mass[5] = m5.reduceLanes(VectorOperators.ADD);
        mass[6] = m6.reduceLanes(VectorOperators.ADD);
        count[0] = whole + c0.reduceLanes(VectorOperators.ADD);
        count[1] = whole + c1.reduceLanes(VectorOperators.ADD);
        count[2] = whole + c2.reduceLanes(VectorOperators.ADD);
        count[3] = whole + c3.reduceLanes(VectorOperators.ADD);
        count[4] = whole + c4.reduceLanes(VectorOperators.ADD);
        count[5] = whole + c5.reduceLanes(VectorOperators.ADD);
        count[6] = whole + c6.reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            for (int j = 0; j < CUTS; j++) {
                if (a[i] >= t[j]) {
                    mass[j] += w[i];
                    count[j]++;
                }
            }
        }
    }

    /** {@link #massesAtOrAbove}'s counts alone: top-k's search for its cut. */
    public static void countsAtOrAbove(float[] a, int n, float[] t, int[] count) {
        FloatVector t0 = FloatVector.broadcast(FLOATS, t[0]);
        FloatVector t1 = FloatVector.broadcast(FLOATS, t[1]);
        FloatVector t2 = FloatVector.broadcast(FLOATS, t[2]);
        FloatVector t3 = FloatVector.broadcast(FLOATS, t[3]);
        FloatVector t4 = FloatVector.broadcast(FLOATS, t[4]);
        FloatVector t5 = FloatVector.broadcast(FLOATS, t[5]);
        FloatVector t6 = FloatVector.broadcast(FLOATS, t[6]);
        FloatVector zero = FloatVector.zero(FLOATS);
        IntVector c0 = IntVector.zero(INTS); // minus the count below each threshold
        IntVector c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0, c6 = c0;
        int i = 0;
        for (; i + LANES <= n; i += LANES) {
            FloatVector v = FloatVector.fromArray(FLOATS, a, i).add(zero);
            c0 = v.sub(t0).reinterpretAsInts().lanewise(VectorOperators.ASHR, 31).add(c0);
            c1 = v.sub(t1).reinterpretAsInts().lanewise(VectorOperators.ASHR, 31).add(c1);
            c2 = v.sub(t2).reinterpretAsInts().lanewise(VectorOperators.ASHR, 31).add(c2);
            c3 = v.sub(t3).reinterpretAsInts().lanewise(VectorOperators.ASHR, 31).add(c3);
            c4 = v.sub(t4).reinterpretAsInts().lanewise(VectorOperators.ASHR, 31).add(c4);
            c5 = v.sub(t5).reinterpretAsInts().lanewise(VectorOperators.ASHR, 31).add(c5);
            c6 = v.sub(t6).reinterpretAsInts().lanewise(VectorOperators.ASHR, 31).add(c6);
        }
        int whole = i;
        count[0] = whole + c0.reduceLanes(VectorOperators.ADD);
        count[1] = whole + c1.reduceLanes(VectorOperators.ADD);
        count[2] = whole + c2.reduceLanes(VectorOperators.ADD);
        count[3] = whole + c3.reduceLanes(VectorOperators.ADD);
        count[4] = whole + c4.reduceLanes(VectorOperators.ADD);
        count[5] = whole + c5.reduceLanes(VectorOperators.ADD);
        count[6] = whole + c6.reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            for (int j = 0; j < CUTS; j++) {
                count[j] += a[i] >= t[j] ? 1 : 0;
            }
        }
    }

    /** The smallest of {@code a[off .. off + n)}, as {@link #max}; positive infinity when {@code n} is 0. */
    public static float min(float[] a, int off, int n) {
        int i = 0;
        float min = Float.POSITIVE_INFINITY;
        if (n >= 4 * LANES) {
            FloatVector m0 = FloatVector.broadcast(FLOATS, Float.POSITIVE_INFINITY);
            FloatVector m1 = m0;
            FloatVector m2 = m0;
            FloatVector m3 = m0;
            for (; i + 4 * LANES <= n; i += 4 * LANES) {
                m0 = FloatVector.fromArray(FLOATS, a, off + i).min(m0);
                m1 = FloatVector.fromArray(FLOATS, a, off + i + LANES).min(m1);
                m2 = FloatVector.fromArray(FLOATS, a, off + i + 2 * LANES).min(m2);
                m3 = FloatVector.fromArray(FLOATS, a, off + i + 3 * LANES).min(m3);
            }
            min = Math.min(Math.min(m0.reduceLanes(VectorOperators.MIN), m1.reduceLanes(VectorOperators.MIN)),
                    Math.min(m2.reduceLanes(VectorOperators.MIN), m3.reduceLanes(VectorOperators.MIN)));
        }
        for (; i < n; i++) {
            min = Math.min(min, a[off + i]);
        }
        return min;
    }

    /**
     * The indices {@code i < n} with {@code lo ≤ a[i] < hi}, in order, written to {@code into} (which holds them all);
     * returns how many.
     */
    public static int indicesBetween(float[] a, int n, float lo, float hi, int[] into) {
        FloatVector l = FloatVector.broadcast(FLOATS, lo);
        FloatVector h = FloatVector.broadcast(FLOATS, hi);
        int found = 0;
        int i = 0;
        for (; i + LANES <= n; i += LANES) {
            FloatVector v = FloatVector.fromArray(FLOATS, a, i);
            if (v.compare(VectorOperators.GE, l).and(v.compare(VectorOperators.LT, h)).anyTrue()) {
                if (found + LANES <= into.length) {
                    // each index written, kept where it matches: a branch on each lane mispredicted where a fifth
                    // or more matched (copying 3,000 of 49,152 logits: 60 µs against 6)
                    for (int k = i; k < i + LANES; k++) {
                        into[found] = k;
                        found += a[k] >= lo && a[k] < hi ? 1 : 0;
                    }
                } else {
                    for (int k = i; k < i + LANES; k++) {
                        if (a[k] >= lo && a[k] < hi) {
                            into[found++] = k;
                        }
                    }
                }
            }
        }
        for (; i < n; i++) {
            if (a[i] >= lo && a[i] < hi) {
                into[found++] = i;
            }
        }
        return found;
    }

    /**
     * Takes {@code w[i]} off {@code u[0]} for each {@code i < n} in order with {@code a[i] ≥ from}; returns the
     * index where {@code u[0]} falls to 0 or below, or -1 where it never does, {@code u[0]} then what is left. Sums
     * {@code 4·LANES} weights at a time and steps through only the block where it runs out: a sampler's draw, which
     * one token at a time waited on each subtraction.
     */
    public static int walk(float[] a, float[] w, int n, float from, double[] u) {
        double left = u[0];
        int i = 0;
        FloatVector f = FloatVector.broadcast(FLOATS, from);
        for (; i + 4 * LANES <= n; i += 4 * LANES) {
            // each weight vector, 0 where its logit is below from, as the receiver (see max)
            FloatVector s = FloatVector.fromArray(FLOATS, w, i)
                    .blend(0f, FloatVector.fromArray(FLOATS, a, i).compare(VectorOperators.LT, f));
            s = FloatVector.fromArray(FLOATS, w, i + LANES)
                    .blend(0f, FloatVector.fromArray(FLOATS, a, i + LANES).compare(VectorOperators.LT, f)).add(s);
            s = FloatVector.fromArray(FLOATS, w, i + 2 * LANES)
                    .blend(0f, FloatVector.fromArray(FLOATS, a, i + 2 * LANES).compare(VectorOperators.LT, f)).add(s);
            s = FloatVector.fromArray(FLOATS, w, i + 3 * LANES)
                    .blend(0f, FloatVector.fromArray(FLOATS, a, i + 3 * LANES).compare(VectorOperators.LT, f)).add(s);
            double block = s.reduceLanes(VectorOperators.ADD);
            if (left - block <= 0) {
                break; // it runs out in this block (or, by rounding, just after it): one at a time from here
            }
            left -= block;
        }
        for (; i < n; i++) {
            if (a[i] >= from) {
                left -= w[i];
                if (left <= 0) {
                    u[0] = left;
                    return i;
                }
            }
        }
        u[0] = left;
        return -1;
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
