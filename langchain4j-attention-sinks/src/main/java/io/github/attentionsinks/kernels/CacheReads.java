package io.github.attentionsinks.kernels;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * Attention's arithmetic over cache rows read in place from the cache's native memory, as vector loads from a
 * {@link ByteBuffer}: the forms of {@link VectorMath#scores} and {@link VectorMath#addWeightedSums} for a decoding
 * query, without first copying the rows to the heap.
 *
 * <p>Why: the copy ({@code FloatBuffer.get}, HotSpot's element-wise {@code Unsafe.copyMemory}) took about half of the
 * attention time of an 8-session decode step at 1,025 cached keys on the SmolLM-135M shape (12.8 of 24 ms, timed
 * per block). In a standalone loop over 378 MB of direct buffers, two threads summed copied rows at 8–10 GB/s and
 * loaded in place at 23–27 GB/s (docs/benchmarks.md).
 *
 * <p>Loads from a {@code ByteBuffer} ({@code FloatVector.fromByteBuffer}) exist in the incubator API of JDK 17 and 18
 * only: from 19 on, loads take a {@code MemorySegment}, which code compiled for 17 cannot name, so there the loads go
 * through {@link SegmentLoads}' method handles over the buffer's segment. Each load ({@link #floats}, {@link #halves})
 * picks its form by a static final that C2 folds, and a call site never run is never linked, so the class loads on any
 * JDK. These methods run only where {@link #AVAILABLE} says so; elsewhere callers copy the rows.
 *
 * <p>Each method repeats its {@link VectorMath} twin operation for operation, so that both give the same floats; only
 * the loads differ. A load passed in as a function would keep C2 from compiling the Vector API's calls into vector
 * instructions (it must see the concrete call), so the loops are written twice.
 *
 * <p>A float16 cache ({@code cache-dtype float16}) is read by the {@code …Halves} methods: a vector's worth of
 * float16 values is loaded as shorts, sign-extended to ints, and {@code (bits << 13) & 0x8FFFE000} puts its sign,
 * exponent and mantissa in a float32's places, the value times 2^-112 (exact for normal and subnormal values), which
 * one multiply by 2^112 makes up. The rest is the float32 methods' arithmetic. The conversions are written out in
 * each loop: through helper methods C2 may leave vectors boxed (docs/int8.md).
 *
 * <p>The float32 kernels that read a KV head's rows first (three query heads' scores and weighted sums, a single
 * query's scores over keys in blocks) read the first and the second half of their rows in the same loop: two streams
 * of memory at once, which the hardware prefetches each on its own. One stream per task kept too few of memory's
 * lines on their way: on an Intel Xeon whose two threads read about 20 GB/s, an 8-session step at a full window
 * (SmolLM-135M shape, 377 MB of keys and values) spent 20.0 ms in attention one run at a time and 16.8–17.6 two at a
 * time, a single session 2.9–3.2 against 2.5–2.6 (timed per layer, three interleaved pairs; docs/benchmarks.md). A
 * score is the same arithmetic either way; a weighted sum adds the same products in another order. A float16 cache's
 * three-query scores read two halves of the blocks too: from memory, 14.8 ns a key against 17.0–18.8 one run at a time
 * (one thread, 1,024 keys a head; docs/benchmarks.md, "Vector API caches filled first"); its weighted sums over two
 * runs were slower, and stay one run.
 */
public final class CacheReads {
    static {
        VectorOperatorCaches.fill(); // before any kernel gets hot: see there
    }

    private static final VectorSpecies<Float> FLOATS = FloatVector.SPECIES_PREFERRED;
    private static final int LANES = FLOATS.length();
    private static final int VECTOR_BYTES = LANES * Float.BYTES;
    private static final ByteOrder ORDER = ByteOrder.nativeOrder();

    /** A float vector's worth of float16 values: half its width. */
    private static final VectorSpecies<Short> HALVES =
            VectorSpecies.of(short.class, VectorShape.forBitSize(FLOATS.vectorBitSize() / 2));
    private static final VectorSpecies<Integer> INTS = VectorSpecies.of(int.class, FLOATS.vectorShape());
    private static final int HALF_VECTOR_BYTES = LANES * 2;
    /** Sign, exponent and mantissa of a float16 (sign-extended to an int and shifted left by 13) in a float32's places. */
    private static final int HALF_MASK = 0x8FFFE000;
    /** What the moved bits of a float16 are short of: 2^(127 − 15). */
    private static final float HALF_SCALE = 0x1p112f;
    /** What the queries are multiplied by before they meet widened float16 keys ({@link #liftedQueries}). */
    private static final float QUERY_LIFT = 0x1p56f;
    private static final ThreadLocal<float[]> LIFTED_QUERIES = ThreadLocal.withInitial(() -> new float[0]);

    /** Whether this JDK loads vectors from a {@code ByteBuffer} (17 and 18); later ones load from a segment. */
    private static final boolean BUFFER_LOADS = Runtime.version().feature() <= 18;

    /**
     * Whether this JDK has the loads these methods use: from a {@code ByteBuffer} on JDK 17 and 18, from a
     * {@code MemorySegment} over it on later ones where {@link SegmentLoads} found them working.
     */
    public static final boolean AVAILABLE = BUFFER_LOADS || SegmentLoads.WORK;

    private CacheReads() {}

    /** Whether rows of {@code dim} floats can be read in place: whole vectors only. */
    public static boolean supports(int dim) {
        return AVAILABLE && dim % LANES == 0;
    }

    /** Whether rows of {@code dim} float16 values can be read in place: whole float vectors only. */
    public static boolean supportsHalves(int dim) {
        return AVAILABLE && dim % LANES == 0;
    }

    /**
     * {@code scores[sOff + j] = scale·Σ_d q[qOff + d]·k(j)[d]} for {@code j < n}, key row {@code j} being {@code dim}
     * floats from byte {@code kByte + j·dim·4} of {@code k}. {@code dim} is a multiple of the vector width.
     */
    public static void scores(float[] q, int qOff, ByteBuffer k, int kByte, int n, int dim, float scale,
            float[] scores, int sOff) {
        Object ks = segment(k);
        int rowBytes = dim * Float.BYTES;
        if (dim == 4 * LANES) {
            // A head of 64 on AVX-512: the query stays in registers.
            FloatVector q0 = FloatVector.fromArray(FLOATS, q, qOff);
            FloatVector q1 = FloatVector.fromArray(FLOATS, q, qOff + LANES);
            FloatVector q2 = FloatVector.fromArray(FLOATS, q, qOff + 2 * LANES);
            FloatVector q3 = FloatVector.fromArray(FLOATS, q, qOff + 3 * LANES);
            for (int j = 0, at = kByte; j < n; j++, at += rowBytes) {
                FloatVector a = floats(ks, k, at).mul(q0);
                FloatVector b = floats(ks, k, at + VECTOR_BYTES).mul(q1);
                a = floats(ks, k, at + 2 * VECTOR_BYTES).fma(q2, a);
                b = floats(ks, k, at + 3 * VECTOR_BYTES).fma(q3, b);
                scores[sOff + j] = a.add(b).reduceLanes(VectorOperators.ADD) * scale;
            }
            return;
        }
        for (int j = 0, at = kByte; j < n; j++, at += rowBytes) {
            FloatVector a = FloatVector.zero(FLOATS);
            for (int d = 0, b = at; d < dim; d += LANES, b += VECTOR_BYTES) {
                a = floats(ks, k, b).fma(FloatVector.fromArray(FLOATS, q, qOff + d), a);
            }
            scores[sOff + j] = a.reduceLanes(VectorOperators.ADD) * scale;
        }
    }

    /**
     * {@link #scores} for {@code queries} queries against the same key rows (a KV head's query heads): query {@code c}
     * from {@code qOff + c·dim} into {@code scores} from {@code sOff + c·sStride}. With heads of four vectors, each
     * key row loaded serves up to three queries: scoring them one pass each cost 2.3 of an 8-session step's 4.3 ms of
     * attention (SmolLM-135M shape, three query heads per KV head), the passes after the first rereading the rows
     * from the second-level cache. Every score is the same arithmetic as {@link #scores}'s.
     */
    public static void groupScores(float[] q, int qOff, int queries, ByteBuffer k, int kByte, int n, int dim,
            float scale, float[] scores, int sOff, int sStride) {
        int c = 0;
        if (dim == 4 * LANES) {
            for (; queries - c >= 3; c += 3) {
                threeScores(q, qOff + c * dim, k, kByte, n, scale, scores, sOff + c * sStride, sStride);
            }
        }
        for (; c < queries; c++) {
            scores(q, qOff + c * dim, k, kByte, n, dim, scale, scores, sOff + c * sStride);
        }
    }

    /** Three queries of four vectors each (registers: twelve query vectors, four key vectors). */
    private static void threeScores(float[] q, int qOff, ByteBuffer k, int kByte, int n, float scale,
            float[] scores, int sOff, int sStride) {
        Object ks = segment(k);
        int rowBytes = 4 * VECTOR_BYTES;
        FloatVector q0 = FloatVector.fromArray(FLOATS, q, qOff);
        FloatVector q1 = FloatVector.fromArray(FLOATS, q, qOff + LANES);
        FloatVector q2 = FloatVector.fromArray(FLOATS, q, qOff + 2 * LANES);
        FloatVector q3 = FloatVector.fromArray(FLOATS, q, qOff + 3 * LANES);
        FloatVector r0 = FloatVector.fromArray(FLOATS, q, qOff + 4 * LANES);
        FloatVector r1 = FloatVector.fromArray(FLOATS, q, qOff + 5 * LANES);
        FloatVector r2 = FloatVector.fromArray(FLOATS, q, qOff + 6 * LANES);
        FloatVector r3 = FloatVector.fromArray(FLOATS, q, qOff + 7 * LANES);
        FloatVector t0 = FloatVector.fromArray(FLOATS, q, qOff + 8 * LANES);
        FloatVector t1 = FloatVector.fromArray(FLOATS, q, qOff + 9 * LANES);
        FloatVector t2 = FloatVector.fromArray(FLOATS, q, qOff + 10 * LANES);
        FloatVector t3 = FloatVector.fromArray(FLOATS, q, qOff + 11 * LANES);
        for (int j = 0, at = kByte; j < n; j++, at += rowBytes) {
            FloatVector k0 = floats(ks, k, at);
            FloatVector k1 = floats(ks, k, at + VECTOR_BYTES);
            FloatVector k2 = floats(ks, k, at + 2 * VECTOR_BYTES);
            FloatVector k3 = floats(ks, k, at + 3 * VECTOR_BYTES);
            FloatVector a = k2.fma(q2, k0.mul(q0));
            FloatVector b = k3.fma(q3, k1.mul(q1));
            scores[sOff + j] = a.add(b).reduceLanes(VectorOperators.ADD) * scale;
            a = k2.fma(r2, k0.mul(r0));
            b = k3.fma(r3, k1.mul(r1));
            scores[sOff + sStride + j] = a.add(b).reduceLanes(VectorOperators.ADD) * scale;
            a = k2.fma(t2, k0.mul(t0));
            b = k3.fma(t3, k1.mul(t1));
            scores[sOff + 2 * sStride + j] = a.add(b).reduceLanes(VectorOperators.ADD) * scale;
        }
    }

    /**
     * {@link #addWeightedSum} for {@code heads} query heads over the same value rows: head {@code h}'s weights from
     * {@code pOff + h·pStride}, its sums at {@code outOff + h·outStride}. With heads of four vectors each value row
     * loaded serves up to three heads (one pass over the rows where a pair and a single took two). Every sum adds the
     * products {@link #addWeightedSum} adds; the three-head kernel adds them in another order (two runs of rows).
     */
    public static void groupWeightedSums(float[] p, int pOff, int pStride, int heads, int n, ByteBuffer v, int vByte,
            int dim, float[] out, int outOff, int outStride) {
        int h = 0;
        if (dim == 4 * LANES) {
            for (; heads - h >= 3; h += 3) {
                threeWeightedSums(p, pOff + h * pStride, pStride, n, v, vByte, out, outOff + h * outStride,
                        outStride);
            }
        }
        for (; heads - h >= 2; h += 2) {
            addWeightedSums(p, pOff + h * pStride, pOff + (h + 1) * pStride, n, v, vByte, dim, out,
                    outOff + h * outStride, outOff + (h + 1) * outStride);
        }
        if (h < heads) {
            addWeightedSum(p, pOff + h * pStride, n, v, vByte, dim, out, outOff + h * outStride);
        }
    }

    /**
     * Three heads of four vectors each (registers: twelve sums, four value vectors, three weights). The first and the
     * second half of the rows are read in the same loop, two streams of memory at once (see the class comment), a row
     * of each in turn into the same sums: rows are added in the order 0, h, 1, h + 1, … for {@code h = ⌈n/2⌉}.
     */
    private static void threeWeightedSums(float[] p, int pOff, int pStride, int n, ByteBuffer v, int vByte,
            float[] out, int outOff, int outStride) {
        Object vs = segment(v);
        int rowBytes = 4 * VECTOR_BYTES;
        int o2 = outOff + outStride;
        int o3 = outOff + 2 * outStride;
        FloatVector a0 = FloatVector.fromArray(FLOATS, out, outOff);
        FloatVector a1 = FloatVector.fromArray(FLOATS, out, outOff + LANES);
        FloatVector a2 = FloatVector.fromArray(FLOATS, out, outOff + 2 * LANES);
        FloatVector a3 = FloatVector.fromArray(FLOATS, out, outOff + 3 * LANES);
        FloatVector b0 = FloatVector.fromArray(FLOATS, out, o2);
        FloatVector b1 = FloatVector.fromArray(FLOATS, out, o2 + LANES);
        FloatVector b2 = FloatVector.fromArray(FLOATS, out, o2 + 2 * LANES);
        FloatVector b3 = FloatVector.fromArray(FLOATS, out, o2 + 3 * LANES);
        FloatVector c0 = FloatVector.fromArray(FLOATS, out, o3);
        FloatVector c1 = FloatVector.fromArray(FLOATS, out, o3 + LANES);
        FloatVector c2 = FloatVector.fromArray(FLOATS, out, o3 + 2 * LANES);
        FloatVector c3 = FloatVector.fromArray(FLOATS, out, o3 + 3 * LANES);
        int second = (n + 1) / 2;
        for (int j = 0, at = vByte, bt = vByte + second * rowBytes; j < second; j++, at += rowBytes, bt += rowBytes) {
            FloatVector v0 = floats(vs, v, at);
            FloatVector v1 = floats(vs, v, at + VECTOR_BYTES);
            FloatVector v2 = floats(vs, v, at + 2 * VECTOR_BYTES);
            FloatVector v3 = floats(vs, v, at + 3 * VECTOR_BYTES);
            FloatVector pa = FloatVector.broadcast(FLOATS, p[pOff + j]);
            FloatVector pb = FloatVector.broadcast(FLOATS, p[pOff + pStride + j]);
            FloatVector pc = FloatVector.broadcast(FLOATS, p[pOff + 2 * pStride + j]);
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
            int m = second + j;
            if (m == n) {
                break; // n is odd: the first half's last row has no partner
            }
            v0 = floats(vs, v, bt);
            v1 = floats(vs, v, bt + VECTOR_BYTES);
            v2 = floats(vs, v, bt + 2 * VECTOR_BYTES);
            v3 = floats(vs, v, bt + 3 * VECTOR_BYTES);
            pa = FloatVector.broadcast(FLOATS, p[pOff + m]);
            pb = FloatVector.broadcast(FLOATS, p[pOff + pStride + m]);
            pc = FloatVector.broadcast(FLOATS, p[pOff + 2 * pStride + m]);
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
        b0.intoArray(out, o2);
        b1.intoArray(out, o2 + LANES);
        b2.intoArray(out, o2 + 2 * LANES);
        b3.intoArray(out, o2 + 3 * LANES);
        c0.intoArray(out, o3);
        c1.intoArray(out, o3 + LANES);
        c2.intoArray(out, o3 + 2 * LANES);
        c3.intoArray(out, o3 + 3 * LANES);
    }

    /**
     * {@code out[outOff + d] += Σ_j p[pOff + j]·v(j)[d]} and {@code out[outOff2 + d] += Σ_j p[pOff2 + j]·v(j)[d]}
     * for {@code j < n}, value row {@code j} being {@code dim} floats from byte {@code vByte + j·dim·4} of {@code v}:
     * two query heads over the same value rows, each value vector loaded serving both.
     */
    public static void addWeightedSums(float[] p, int pOff, int pOff2, int n, ByteBuffer v, int vByte, int dim,
            float[] out, int outOff, int outOff2) {
        if (dim != 4 * LANES) {
            addWeightedSum(p, pOff, n, v, vByte, dim, out, outOff);
            addWeightedSum(p, pOff2, n, v, vByte, dim, out, outOff2);
            return;
        }
        Object vs = segment(v);
        int rowBytes = dim * Float.BYTES;
        FloatVector a0 = FloatVector.fromArray(FLOATS, out, outOff);
        FloatVector a1 = FloatVector.fromArray(FLOATS, out, outOff + LANES);
        FloatVector a2 = FloatVector.fromArray(FLOATS, out, outOff + 2 * LANES);
        FloatVector a3 = FloatVector.fromArray(FLOATS, out, outOff + 3 * LANES);
        FloatVector b0 = FloatVector.fromArray(FLOATS, out, outOff2);
        FloatVector b1 = FloatVector.fromArray(FLOATS, out, outOff2 + LANES);
        FloatVector b2 = FloatVector.fromArray(FLOATS, out, outOff2 + 2 * LANES);
        FloatVector b3 = FloatVector.fromArray(FLOATS, out, outOff2 + 3 * LANES);
        for (int j = 0, at = vByte; j < n; j++, at += rowBytes) {
            FloatVector v0 = floats(vs, v, at);
            FloatVector v1 = floats(vs, v, at + VECTOR_BYTES);
            FloatVector v2 = floats(vs, v, at + 2 * VECTOR_BYTES);
            FloatVector v3 = floats(vs, v, at + 3 * VECTOR_BYTES);
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

    /** {@link #addWeightedSums} for one query head. */
    public static void addWeightedSum(float[] p, int pOff, int n, ByteBuffer v, int vByte, int dim, float[] out,
            int outOff) {
        Object vs = segment(v);
        int rowBytes = dim * Float.BYTES;
        int d = 0;
        for (; d + 4 * LANES <= dim; d += 4 * LANES) {
            FloatVector a0 = FloatVector.fromArray(FLOATS, out, outOff + d);
            FloatVector a1 = FloatVector.fromArray(FLOATS, out, outOff + d + LANES);
            FloatVector a2 = FloatVector.fromArray(FLOATS, out, outOff + d + 2 * LANES);
            FloatVector a3 = FloatVector.fromArray(FLOATS, out, outOff + d + 3 * LANES);
            for (int j = 0, at = vByte + d * Float.BYTES; j < n; j++, at += rowBytes) {
                FloatVector pj = FloatVector.broadcast(FLOATS, p[pOff + j]);
                a0 = floats(vs, v, at).fma(pj, a0);
                a1 = floats(vs, v, at + VECTOR_BYTES).fma(pj, a1);
                a2 = floats(vs, v, at + 2 * VECTOR_BYTES).fma(pj, a2);
                a3 = floats(vs, v, at + 3 * VECTOR_BYTES).fma(pj, a3);
            }
            a0.intoArray(out, outOff + d);
            a1.intoArray(out, outOff + d + LANES);
            a2.intoArray(out, outOff + d + 2 * LANES);
            a3.intoArray(out, outOff + d + 3 * LANES);
        }
        for (; d < dim; d += LANES) {
            FloatVector a = FloatVector.fromArray(FLOATS, out, outOff + d);
            for (int j = 0, at = vByte + d * Float.BYTES; j < n; j++, at += rowBytes) {
                a = floats(vs, v, at).fma(FloatVector.broadcast(FLOATS, p[pOff + j]), a);
            }
            a.intoArray(out, outOff + d);
        }
    }

    /**
     * {@link #groupScores} over a float16 cache ({@link #supportsHalves}): key row {@code j} is {@code dim} float16
     * values from byte {@code kByte + j·dim·2} of {@code k}. Heads of four vectors take the kernels below, others a
     * general loop.
     */
    public static void groupScoresHalves(float[] q, int qOff, int queries, ByteBuffer k, int kByte, int n, int dim,
            float scale, float[] scores, int sOff, int sStride) {
        int c = 0;
        if (dim == 4 * LANES) {
            for (; queries - c >= 3; c += 3) {
                threeScoresHalves(q, qOff + c * dim, k, kByte, n, scale, scores, sOff + c * sStride, sStride);
            }
            for (; c < queries; c++) {
                scoresHalves(q, qOff + c * dim, k, kByte, n, scale, scores, sOff + c * sStride);
            }
            return;
        }
        Object ks = segment(k);
        int rowBytes = dim * 2;
        for (; c < queries; c++) {
            for (int j = 0, at = kByte; j < n; j++, at += rowBytes) {
                FloatVector a = FloatVector.zero(FLOATS);
                for (int d = 0, b = at; d < dim; d += LANES, b += HALF_VECTOR_BYTES) {
                    FloatVector kd = ((IntVector) halves(ks, k, b).castShape(INTS, 0))
                            .lanewise(VectorOperators.LSHL, 13).and(HALF_MASK).reinterpretAsFloats().mul(HALF_SCALE);
                    a = kd.fma(FloatVector.fromArray(FLOATS, q, qOff + c * dim + d), a);
                }
                scores[sOff + c * sStride + j] = a.reduceLanes(VectorOperators.ADD) * scale;
            }
        }
    }

    private static void scoresHalves(float[] q, int qOff, ByteBuffer k, int kByte, int n, float scale,
            float[] scores, int sOff) {
        Object ks = segment(k);
        int rowBytes = 4 * HALF_VECTOR_BYTES;
        FloatVector q0 = FloatVector.fromArray(FLOATS, q, qOff);
        FloatVector q1 = FloatVector.fromArray(FLOATS, q, qOff + LANES);
        FloatVector q2 = FloatVector.fromArray(FLOATS, q, qOff + 2 * LANES);
        FloatVector q3 = FloatVector.fromArray(FLOATS, q, qOff + 3 * LANES);
        for (int j = 0, at = kByte; j < n; j++, at += rowBytes) {
            FloatVector k0 = ((IntVector) halves(ks, k, at).castShape(INTS, 0))
                    .lanewise(VectorOperators.LSHL, 13).and(HALF_MASK).reinterpretAsFloats().mul(HALF_SCALE);
            FloatVector k1 = ((IntVector) halves(ks, k, at + HALF_VECTOR_BYTES)
                    .castShape(INTS, 0)).lanewise(VectorOperators.LSHL, 13).and(HALF_MASK).reinterpretAsFloats()
                    .mul(HALF_SCALE);
            FloatVector k2 = ((IntVector) halves(ks, k, at + 2 * HALF_VECTOR_BYTES)
                    .castShape(INTS, 0)).lanewise(VectorOperators.LSHL, 13).and(HALF_MASK).reinterpretAsFloats()
                    .mul(HALF_SCALE);
            FloatVector k3 = ((IntVector) halves(ks, k, at + 3 * HALF_VECTOR_BYTES)
                    .castShape(INTS, 0)).lanewise(VectorOperators.LSHL, 13).and(HALF_MASK).reinterpretAsFloats()
                    .mul(HALF_SCALE);
            FloatVector a = k2.fma(q2, k0.mul(q0));
            FloatVector b = k3.fma(q3, k1.mul(q1));
            scores[sOff + j] = a.add(b).reduceLanes(VectorOperators.ADD) * scale;
        }
    }

    private static void threeScoresHalves(float[] q, int qOff, ByteBuffer k, int kByte, int n, float scale,
            float[] scores, int sOff, int sStride) {
        Object ks = segment(k);
        int rowBytes = 4 * HALF_VECTOR_BYTES;
        FloatVector q0 = FloatVector.fromArray(FLOATS, q, qOff);
        FloatVector q1 = FloatVector.fromArray(FLOATS, q, qOff + LANES);
        FloatVector q2 = FloatVector.fromArray(FLOATS, q, qOff + 2 * LANES);
        FloatVector q3 = FloatVector.fromArray(FLOATS, q, qOff + 3 * LANES);
        FloatVector r0 = FloatVector.fromArray(FLOATS, q, qOff + 4 * LANES);
        FloatVector r1 = FloatVector.fromArray(FLOATS, q, qOff + 5 * LANES);
        FloatVector r2 = FloatVector.fromArray(FLOATS, q, qOff + 6 * LANES);
        FloatVector r3 = FloatVector.fromArray(FLOATS, q, qOff + 7 * LANES);
        FloatVector t0 = FloatVector.fromArray(FLOATS, q, qOff + 8 * LANES);
        FloatVector t1 = FloatVector.fromArray(FLOATS, q, qOff + 9 * LANES);
        FloatVector t2 = FloatVector.fromArray(FLOATS, q, qOff + 10 * LANES);
        FloatVector t3 = FloatVector.fromArray(FLOATS, q, qOff + 11 * LANES);
        for (int j = 0, at = kByte; j < n; j++, at += rowBytes) {
            FloatVector k0 = ((IntVector) halves(ks, k, at).castShape(INTS, 0))
                    .lanewise(VectorOperators.LSHL, 13).and(HALF_MASK).reinterpretAsFloats().mul(HALF_SCALE);
            FloatVector k1 = ((IntVector) halves(ks, k, at + HALF_VECTOR_BYTES)
                    .castShape(INTS, 0)).lanewise(VectorOperators.LSHL, 13).and(HALF_MASK).reinterpretAsFloats()
                    .mul(HALF_SCALE);
            FloatVector k2 = ((IntVector) halves(ks, k, at + 2 * HALF_VECTOR_BYTES)
                    .castShape(INTS, 0)).lanewise(VectorOperators.LSHL, 13).and(HALF_MASK).reinterpretAsFloats()
                    .mul(HALF_SCALE);
            FloatVector k3 = ((IntVector) halves(ks, k, at + 3 * HALF_VECTOR_BYTES)
                    .castShape(INTS, 0)).lanewise(VectorOperators.LSHL, 13).and(HALF_MASK).reinterpretAsFloats()
                    .mul(HALF_SCALE);
            FloatVector a = k2.fma(q2, k0.mul(q0));
            FloatVector b = k3.fma(q3, k1.mul(q1));
            scores[sOff + j] = a.add(b).reduceLanes(VectorOperators.ADD) * scale;
            a = k2.fma(r2, k0.mul(r0));
            b = k3.fma(r3, k1.mul(r1));
            scores[sOff + sStride + j] = a.add(b).reduceLanes(VectorOperators.ADD) * scale;
            a = k2.fma(t2, k0.mul(t0));
            b = k3.fma(t3, k1.mul(t1));
            scores[sOff + 2 * sStride + j] = a.add(b).reduceLanes(VectorOperators.ADD) * scale;
        }
    }

    /** Keys per block of a cache whose keys are in blocks ({@link #groupScoresBlocks}): a float vector. */
    public static int keyBlock() {
        return LANES;
    }

    /**
     * {@link #groupScores} over keys in blocks: {@code blocks} blocks of {@link #keyBlock()} float32 keys from byte
     * {@code kByte} of {@code k}, each {@code dim} rows of one value of every key of the block. The score of the run's
     * key {@code j} for query {@code c} goes to {@code scores[sOff + c·sStride + j]}. A vector of keys' values times a
     * query value, summed over the values: no sums across lanes, which bound the scores from rows on an Intel Xeon
     * (52 against 23 ns a key row on one thread, docs/bench/BlockedScoresBench.java). Each score is the same products
     * as from rows, summed in another order. {@code dim} is a multiple of the vector width ({@link #supports}).
     */
    public static void groupScoresBlocks(float[] q, int qOff, int queries, ByteBuffer k, int kByte, int blocks,
            int dim, float scale, float[] scores, int sOff, int sStride) {
        int c = 0;
        for (; queries - c >= 3; c += 3) {
            threeScoresBlocks(q, qOff + c * dim, k, kByte, blocks, dim, scale, scores, sOff + c * sStride, sStride);
        }
        for (; c < queries; c++) {
            scoresBlocks(q, qOff + c * dim, k, kByte, blocks, dim, scale, scores, sOff + c * sStride);
        }
    }

    /**
     * Three queries against blocks of float32 keys: each block row loaded once serves all three. The first and the
     * second half of the blocks are read in the same loop, two streams of memory at once (see the class comment); the
     * second half starts at block ⌊blocks/2⌋, so an odd count's middle block is scored twice, the same both times.
     */
    private static void threeScoresBlocks(float[] q, int qOff, ByteBuffer k, int kByte, int blocks, int dim,
            float scale, float[] scores, int sOff, int sStride) {
        Object ks = segment(k);
        int rOff = qOff + dim;
        int tOff = qOff + 2 * dim;
        int half = (blocks + 1) / 2;
        int second = blocks - half;
        for (int b = 0, at = kByte, bt = kByte + second * dim * VECTOR_BYTES; b < half; b++) {
            // Two sets of sums per block, even and odd rows: each multiply-add waits for the one before it on its sum.
            FloatVector a0 = FloatVector.zero(FLOATS);
            FloatVector a1 = a0;
            FloatVector r0 = a0;
            FloatVector r1 = a0;
            FloatVector t0 = a0;
            FloatVector t1 = a0;
            FloatVector x0 = a0;
            FloatVector x1 = a0;
            FloatVector y0 = a0;
            FloatVector y1 = a0;
            FloatVector z0 = a0;
            FloatVector z1 = a0;
            for (int d = 0; d < dim; d += 2, at += 2 * VECTOR_BYTES, bt += 2 * VECTOR_BYTES) {
                FloatVector k0 = floats(ks, k, at);
                FloatVector k1 = floats(ks, k, at + VECTOR_BYTES);
                FloatVector m0 = floats(ks, k, bt);
                FloatVector m1 = floats(ks, k, bt + VECTOR_BYTES);
                FloatVector qa = FloatVector.broadcast(FLOATS, q[qOff + d]);
                FloatVector qr = FloatVector.broadcast(FLOATS, q[rOff + d]);
                FloatVector qt = FloatVector.broadcast(FLOATS, q[tOff + d]);
                a0 = k0.fma(qa, a0);
                r0 = k0.fma(qr, r0);
                t0 = k0.fma(qt, t0);
                x0 = m0.fma(qa, x0);
                y0 = m0.fma(qr, y0);
                z0 = m0.fma(qt, z0);
                qa = FloatVector.broadcast(FLOATS, q[qOff + d + 1]);
                qr = FloatVector.broadcast(FLOATS, q[rOff + d + 1]);
                qt = FloatVector.broadcast(FLOATS, q[tOff + d + 1]);
                a1 = k1.fma(qa, a1);
                r1 = k1.fma(qr, r1);
                t1 = k1.fma(qt, t1);
                x1 = m1.fma(qa, x1);
                y1 = m1.fma(qr, y1);
                z1 = m1.fma(qt, z1);
            }
            int to = sOff + b * LANES;
            a0.add(a1).mul(scale).intoArray(scores, to);
            r0.add(r1).mul(scale).intoArray(scores, to + sStride);
            t0.add(t1).mul(scale).intoArray(scores, to + 2 * sStride);
            to += second * LANES;
            x0.add(x1).mul(scale).intoArray(scores, to);
            y0.add(y1).mul(scale).intoArray(scores, to + sStride);
            z0.add(z1).mul(scale).intoArray(scores, to + 2 * sStride);
        }
    }

    /** One query against blocks of float32 keys, the two halves at once as {@link #threeScoresBlocks} reads them. */
    private static void scoresBlocks(float[] q, int qOff, ByteBuffer k, int kByte, int blocks, int dim, float scale,
            float[] scores, int sOff) {
        Object ks = segment(k);
        int half = (blocks + 1) / 2;
        int second = blocks - half;
        for (int b = 0, at = kByte, bt = kByte + second * dim * VECTOR_BYTES; b < half; b++) {
            FloatVector a0 = FloatVector.zero(FLOATS);
            FloatVector a1 = a0;
            FloatVector x0 = a0;
            FloatVector x1 = a0;
            for (int d = 0; d < dim; d += 2, at += 2 * VECTOR_BYTES, bt += 2 * VECTOR_BYTES) {
                FloatVector qa = FloatVector.broadcast(FLOATS, q[qOff + d]);
                FloatVector qb = FloatVector.broadcast(FLOATS, q[qOff + d + 1]);
                a0 = floats(ks, k, at).fma(qa, a0);
                a1 = floats(ks, k, at + VECTOR_BYTES).fma(qb, a1);
                x0 = floats(ks, k, bt).fma(qa, x0);
                x1 = floats(ks, k, bt + VECTOR_BYTES).fma(qb, x1);
            }
            a0.add(a1).mul(scale).intoArray(scores, sOff + b * LANES);
            x0.add(x1).mul(scale).intoArray(scores, sOff + (second + b) * LANES);
        }
    }

    /**
     * {@link #groupScoresHalves} over keys in blocks: {@code blocks} blocks of {@link #keyBlock()} float16 keys from byte
     * {@code kByte} of {@code k}, each {@code dim} rows of one value of every key of the block. The score of the run's
     * key {@code j} for query {@code c} goes to {@code scores[sOff + c·sStride + j]}. A vector of keys' values times a
     * query value, summed over the values: no sums across lanes, which bound the scores from rows (about twice as fast
     * here, docs/bench/BlockedScoresBench.java). Each score is the same products as from rows, summed in another order.
     */
    public static void groupScoresHalfBlocks(float[] q, int qOff, int queries, ByteBuffer k, int kByte, int blocks,
            int dim, float scale, float[] scores, int sOff, int sStride) {
        float[] lifted = liftedQueries(q, qOff, queries * dim);
        float liftedScale = scale * (HALF_SCALE / QUERY_LIFT);
        int c = 0;
        for (; queries - c >= 3; c += 3) {
            threeScoresHalfBlocks(lifted, c * dim, k, kByte, blocks, dim, liftedScale, scores, sOff + c * sStride,
                    sStride);
        }
        for (; c < queries; c++) {
            scoresHalfBlocks(lifted, c * dim, k, kByte, blocks, dim, liftedScale, scores, sOff + c * sStride);
        }
    }

    /**
     * The queries times 2^56, in this thread's scratch: the blocks' widened keys are their values times 2^-112
     * ({@link #HALF_SCALE}), and multiplying the queries instead of every key vector saves an operation per vector
     * (the scores then come out times 2^-56, which the scale makes up). Powers of two: exact, unless a product falls
     * below 2^-126 (a key times a query under 2^-70).
     */
    private static float[] liftedQueries(float[] q, int qOff, int n) {
        float[] lifted = LIFTED_QUERIES.get();
        if (lifted.length < n) {
            lifted = new float[n];
            LIFTED_QUERIES.set(lifted);
        }
        for (int i = 0; i < n; i++) {
            lifted[i] = q[qOff + i] * QUERY_LIFT;
        }
        return lifted;
    }

    /**
     * Three queries (lifted, {@link #liftedQueries}) against blocks of float16 keys: each block row widened once serves
     * all three. The first and the second half of the blocks are read in the same loop, two streams of memory at once
     * as in {@link #threeScoresBlocks}, one sum per query and half; an odd count's middle block is scored twice, the
     * same both times.
     */
    private static void threeScoresHalfBlocks(float[] q, int qOff, ByteBuffer k, int kByte, int blocks, int dim,
            float scale, float[] scores, int sOff, int sStride) {
        Object ks = segment(k);
        int rOff = qOff + dim;
        int tOff = qOff + 2 * dim;
        int half = (blocks + 1) / 2;
        int second = blocks - half;
        for (int b = 0, at = kByte, bt = kByte + second * dim * HALF_VECTOR_BYTES; b < half; b++) {
            FloatVector a0 = FloatVector.zero(FLOATS);
            FloatVector r0 = a0;
            FloatVector t0 = a0;
            FloatVector x0 = a0;
            FloatVector y0 = a0;
            FloatVector z0 = a0;
            for (int d = 0; d < dim; d++, at += HALF_VECTOR_BYTES, bt += HALF_VECTOR_BYTES) {
                FloatVector k0 = ((IntVector) halves(ks, k, at).castShape(INTS, 0))
                        .lanewise(VectorOperators.LSHL, 13).and(HALF_MASK).reinterpretAsFloats();
                FloatVector m0 = ((IntVector) halves(ks, k, bt).castShape(INTS, 0))
                        .lanewise(VectorOperators.LSHL, 13).and(HALF_MASK).reinterpretAsFloats();
                FloatVector qa = FloatVector.broadcast(FLOATS, q[qOff + d]);
                FloatVector qr = FloatVector.broadcast(FLOATS, q[rOff + d]);
                FloatVector qt = FloatVector.broadcast(FLOATS, q[tOff + d]);
                a0 = k0.fma(qa, a0);
                r0 = k0.fma(qr, r0);
                t0 = k0.fma(qt, t0);
                x0 = m0.fma(qa, x0);
                y0 = m0.fma(qr, y0);
                z0 = m0.fma(qt, z0);
            }
            int to = sOff + b * LANES;
            a0.mul(scale).intoArray(scores, to);
            r0.mul(scale).intoArray(scores, to + sStride);
            t0.mul(scale).intoArray(scores, to + 2 * sStride);
            to += second * LANES;
            x0.mul(scale).intoArray(scores, to);
            y0.mul(scale).intoArray(scores, to + sStride);
            z0.mul(scale).intoArray(scores, to + 2 * sStride);
        }
    }

    /** One query (lifted) against blocks of float16 keys. */
    private static void scoresHalfBlocks(float[] q, int qOff, ByteBuffer k, int kByte, int blocks, int dim,
            float scale, float[] scores, int sOff) {
        Object ks = segment(k);
        for (int b = 0, at = kByte; b < blocks; b++) {
            FloatVector a0 = FloatVector.zero(FLOATS);
            FloatVector a1 = a0;
            for (int d = 0; d < dim; d += 2, at += 2 * HALF_VECTOR_BYTES) {
                FloatVector k0 = ((IntVector) halves(ks, k, at).castShape(INTS, 0))
                        .lanewise(VectorOperators.LSHL, 13).and(HALF_MASK).reinterpretAsFloats();
                FloatVector k1 = ((IntVector) halves(ks, k, at + HALF_VECTOR_BYTES)
                        .castShape(INTS, 0)).lanewise(VectorOperators.LSHL, 13).and(HALF_MASK).reinterpretAsFloats();
                a0 = k0.fma(FloatVector.broadcast(FLOATS, q[qOff + d]), a0);
                a1 = k1.fma(FloatVector.broadcast(FLOATS, q[qOff + d + 1]), a1);
            }
            a0.add(a1).mul(scale).intoArray(scores, sOff + b * LANES);
        }
    }

    /**
     * {@link #groupWeightedSums} over a float16 cache ({@link #supportsHalves}): value row {@code j} is {@code dim}
     * float16 values from byte {@code vByte + j·dim·2} of {@code v}.
     */
    public static void groupWeightedSumsHalves(float[] p, int pOff, int pStride, int heads, int n, ByteBuffer v,
            int vByte, int dim, float[] out, int outOff, int outStride) {
        int h = 0;
        if (dim == 4 * LANES) {
            for (; heads - h >= 3; h += 3) {
                threeWeightedSumsHalves(p, pOff + h * pStride, pStride, n, v, vByte, out, outOff + h * outStride,
                        outStride);
            }
            for (; h < heads; h++) {
                weightedSumHalves(p, pOff + h * pStride, n, v, vByte, out, outOff + h * outStride);
            }
            return;
        }
        Object vs = segment(v);
        int rowBytes = dim * 2;
        for (; h < heads; h++) {
            for (int d = 0; d < dim; d += LANES) {
                int o = outOff + h * outStride + d;
                FloatVector a = FloatVector.fromArray(FLOATS, out, o);
                for (int j = 0, at = vByte + d * 2; j < n; j++, at += rowBytes) {
                    FloatVector vd = ((IntVector) halves(vs, v, at).castShape(INTS, 0))
                            .lanewise(VectorOperators.LSHL, 13).and(HALF_MASK).reinterpretAsFloats().mul(HALF_SCALE);
                    a = vd.fma(FloatVector.broadcast(FLOATS, p[pOff + h * pStride + j]), a);
                }
                a.intoArray(out, o);
            }
        }
    }

    private static void weightedSumHalves(float[] p, int pOff, int n, ByteBuffer v, int vByte, float[] out,
            int outOff) {
        Object vs = segment(v);
        int rowBytes = 4 * HALF_VECTOR_BYTES;
        FloatVector a0 = FloatVector.fromArray(FLOATS, out, outOff);
        FloatVector a1 = FloatVector.fromArray(FLOATS, out, outOff + LANES);
        FloatVector a2 = FloatVector.fromArray(FLOATS, out, outOff + 2 * LANES);
        FloatVector a3 = FloatVector.fromArray(FLOATS, out, outOff + 3 * LANES);
        for (int j = 0, at = vByte; j < n; j++, at += rowBytes) {
            FloatVector v0 = ((IntVector) halves(vs, v, at).castShape(INTS, 0))
                    .lanewise(VectorOperators.LSHL, 13).and(HALF_MASK).reinterpretAsFloats().mul(HALF_SCALE);
            FloatVector v1 = ((IntVector) halves(vs, v, at + HALF_VECTOR_BYTES)
                    .castShape(INTS, 0)).lanewise(VectorOperators.LSHL, 13).and(HALF_MASK).reinterpretAsFloats()
                    .mul(HALF_SCALE);
            FloatVector v2 = ((IntVector) halves(vs, v, at + 2 * HALF_VECTOR_BYTES)
                    .castShape(INTS, 0)).lanewise(VectorOperators.LSHL, 13).and(HALF_MASK).reinterpretAsFloats()
                    .mul(HALF_SCALE);
            FloatVector v3 = ((IntVector) halves(vs, v, at + 3 * HALF_VECTOR_BYTES)
                    .castShape(INTS, 0)).lanewise(VectorOperators.LSHL, 13).and(HALF_MASK).reinterpretAsFloats()
                    .mul(HALF_SCALE);
            FloatVector pj = FloatVector.broadcast(FLOATS, p[pOff + j]);
            a0 = v0.fma(pj, a0);
            a1 = v1.fma(pj, a1);
            a2 = v2.fma(pj, a2);
            a3 = v3.fma(pj, a3);
        }
        a0.intoArray(out, outOff);
        a1.intoArray(out, outOff + LANES);
        a2.intoArray(out, outOff + 2 * LANES);
        a3.intoArray(out, outOff + 3 * LANES);
    }

    private static void threeWeightedSumsHalves(float[] p, int pOff, int pStride, int n, ByteBuffer v, int vByte,
            float[] out, int outOff, int outStride) {
        Object vs = segment(v);
        int rowBytes = 4 * HALF_VECTOR_BYTES;
        int o2 = outOff + outStride;
        int o3 = outOff + 2 * outStride;
        FloatVector a0 = FloatVector.fromArray(FLOATS, out, outOff);
        FloatVector a1 = FloatVector.fromArray(FLOATS, out, outOff + LANES);
        FloatVector a2 = FloatVector.fromArray(FLOATS, out, outOff + 2 * LANES);
        FloatVector a3 = FloatVector.fromArray(FLOATS, out, outOff + 3 * LANES);
        FloatVector b0 = FloatVector.fromArray(FLOATS, out, o2);
        FloatVector b1 = FloatVector.fromArray(FLOATS, out, o2 + LANES);
        FloatVector b2 = FloatVector.fromArray(FLOATS, out, o2 + 2 * LANES);
        FloatVector b3 = FloatVector.fromArray(FLOATS, out, o2 + 3 * LANES);
        FloatVector c0 = FloatVector.fromArray(FLOATS, out, o3);
        FloatVector c1 = FloatVector.fromArray(FLOATS, out, o3 + LANES);
        FloatVector c2 = FloatVector.fromArray(FLOATS, out, o3 + 2 * LANES);
        FloatVector c3 = FloatVector.fromArray(FLOATS, out, o3 + 3 * LANES);
        for (int j = 0, at = vByte; j < n; j++, at += rowBytes) {
            FloatVector v0 = ((IntVector) halves(vs, v, at).castShape(INTS, 0))
                    .lanewise(VectorOperators.LSHL, 13).and(HALF_MASK).reinterpretAsFloats().mul(HALF_SCALE);
            FloatVector v1 = ((IntVector) halves(vs, v, at + HALF_VECTOR_BYTES)
                    .castShape(INTS, 0)).lanewise(VectorOperators.LSHL, 13).and(HALF_MASK).reinterpretAsFloats()
                    .mul(HALF_SCALE);
            FloatVector v2 = ((IntVector) halves(vs, v, at + 2 * HALF_VECTOR_BYTES)
                    .castShape(INTS, 0)).lanewise(VectorOperators.LSHL, 13).and(HALF_MASK).reinterpretAsFloats()
                    .mul(HALF_SCALE);
            FloatVector v3 = ((IntVector) halves(vs, v, at + 3 * HALF_VECTOR_BYTES)
                    .castShape(INTS, 0)).lanewise(VectorOperators.LSHL, 13).and(HALF_MASK).reinterpretAsFloats()
                    .mul(HALF_SCALE);
            FloatVector pa = FloatVector.broadcast(FLOATS, p[pOff + j]);
            FloatVector pb = FloatVector.broadcast(FLOATS, p[pOff + pStride + j]);
            FloatVector pc = FloatVector.broadcast(FLOATS, p[pOff + 2 * pStride + j]);
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
        b0.intoArray(out, o2);
        b1.intoArray(out, o2 + LANES);
        b2.intoArray(out, o2 + 2 * LANES);
        b3.intoArray(out, o2 + 3 * LANES);
        c0.intoArray(out, o3);
        c1.intoArray(out, o3 + LANES);
        c2.intoArray(out, o3 + 2 * LANES);
        c3.intoArray(out, o3 + 3 * LANES);
    }

    /**
     * What {@link #floats} and {@link #halves} load from: the buffer's segment on JDK 19 and later, else nothing. A
     * segment is made per kernel call, not kept with the cache: at a full window on JDK 25, 8 sessions ran 24
     * collections with it against 29 copying rows (whose scratch is reused), so it leaves no garbage worth a cache.
     */
    private static Object segment(ByteBuffer direct) {
        return BUFFER_LOADS ? null : SegmentLoads.segment(direct);
    }

    /** A float vector from byte {@code at} of the buffer (or of its {@code segment}). */
    private static FloatVector floats(Object segment, ByteBuffer buffer, int at) {
        return BUFFER_LOADS ? FloatVector.fromByteBuffer(FLOATS, buffer, at, ORDER)
                : SegmentLoads.floats(FLOATS, segment, at);
    }

    /** A float vector's worth of float16 bits from byte {@code at} of the buffer (or of its {@code segment}). */
    private static ShortVector halves(Object segment, ByteBuffer buffer, int at) {
        return BUFFER_LOADS ? ShortVector.fromByteBuffer(HALVES, buffer, at, ORDER)
                : SegmentLoads.shorts(HALVES, segment, at);
    }
}
