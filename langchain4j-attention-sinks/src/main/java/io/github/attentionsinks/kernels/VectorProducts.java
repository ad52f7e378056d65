package io.github.attentionsinks.kernels;

import java.nio.FloatBuffer;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Weight products {@code y = x·Wᵀ} with float32 weights in the Java Vector API ({@link Float16Products} and
 * {@link Int8Products} have the others'), loaded only when that module is in the boot layer ({@link WeightKernels}).
 *
 * <p>Weights are packed once into tiles of {@link #TILE} outputs, each tile in one array, and every weight vector
 * loaded feeds the accumulators of several input rows: a float32 tile is four columns {@code [in][LANES]}, one per
 * vector of outputs ({@link #tileIndex}). A tile is the unit of work split across threads.
 *
 * <p>Only methods of JDK 17's incubator API are used, so the classes compiled on 17 link on 21 and 25 too.
 *
 * <p>Each kernel writes its accumulators out itself ({@code intoArray}). Through a shared helper that C2 left as a
 * call, JDK 17 boxed the accumulators in every iteration: float32OneRow ran the Vector API's Java fallback in a
 * running model (190 GB allocated in 20 s, a single-row decode at half speed), while JDK 25 did not.
 */
final class VectorProducts {
    static {
        VectorOperatorCaches.fill(); // before any kernel gets hot: see there
    }

    private static final VectorSpecies<Float> FLOATS = FloatVector.SPECIES_PREFERRED;
    private static final int LANES = FLOATS.length();
    /** Outputs per tile: four vectors. */
    static final int TILE = 4 * LANES;
    /** Outputs per half of a float32 tile: two columns ({@link #tileIndex}), what a four-row pass takes at a time. */
    static final int HALF = TILE / 2;
    private VectorProducts() {}

    static String species() {
        return FLOATS.toString();
    }

    /** Number of tiles covering {@code out} outputs (the last one zero-padded). */
    static int tiles(int out) {
        return (out + TILE - 1) / TILE;
    }

    /**
     * Where output {@code c} of input {@code i} lies in a float32 tile: a tile is four columns of {@code LANES}
     * outputs, each {@code [in][LANES]} and contiguous, so a pass over the whole tile reads four streams of memory at
     * once, a weight vector from each for every input. The hardware prefetches each stream on its own, and more streams
     * keep more of memory's lines on their way. On a Zen 5 VM ({@code ProductsBench}, the SmolLM-135M shape, medians
     * of 15 rounds in five JVMs each way, interleaved) the 30 layers' products of an 8-row step took 13.9 ms where two
     * halves {@code [in][2·LANES]} took 15.1, and a single row's 10.4 against 11.4 (docs/benchmarks.md, "Tiles in four
     * columns"). One contiguous {@code [in][TILE]} stream was slower than two halves for six rows, and eight streams
     * (each column split into odd and even inputs) slower than four (same section).
     */
    static int tileIndex(int in, int i, int c) {
        return c / LANES * in * LANES + i * LANES + c % LANES;
    }

    /**
     * Packs a float32 matrix into tiles laid out as {@link #tileIndex} says.
     *
     * @param w {@code [out, in]} row-major, or {@code [in, out]} when {@code inOut}
     */
    static float[][] packFloat32(FloatBuffer w, int out, int in, boolean inOut) {
        float[][] tiles = new float[tiles(out)][];
        for (int t = 0; t < tiles.length; t++) {
            float[] tile = new float[in * TILE];
            int o0 = t * TILE;
            int width = Math.min(TILE, out - o0);
            for (int i = 0; i < in; i++) {
                for (int c = 0; c < width; c++) {
                    tile[tileIndex(in, i, c)] = inOut ? w.get(i * out + o0 + c) : w.get((o0 + c) * in + i);
                }
            }
            tiles[t] = tile;
        }
        return tiles;
    }

    /**
     * {@code y[m][o]} for the outputs of tiles {@code [t0, t1)} of a float32 matrix; rows of {@code y} are
     * {@code tiles·TILE} wide. A single row and several rows go to separate methods: one method with both would be
     * compiled for whichever the profile saw first and deoptimized back to the interpreter, whose Vector API is two
     * orders of magnitude slower, each time the other came (seen as "uncommon trap" churn between prefill and decode).
     */
    static void float32(float[][] tiles, int in, float[] x, int rows, float[] y, int t0, int t1) {
        if (rows == 1) {
            float32Row(tiles, in, x, y, t0, t1);
        } else {
            float32Rows(tiles, in, x, rows, y, t0, t1);
        }
    }

    /**
     * Decode's single row: a loop of its own (see {@link #float32}), in a method of its own too. With the loop inside
     * {@code float32}, the JIT inlined {@code float32} into its callers once the multi-row passes grew (two rows over
     * the whole tile), and a single session decoded 2–15% slower in eight interleaved pairs of {@code bench}.
     */
    private static void float32Row(float[][] tiles, int in, float[] x, float[] y, int t0, int t1) {
        for (int t = t0; t < t1; t++) {
            float32OneRow(tiles[t], in, x, 0, y, t * TILE);
        }
    }

    private static void float32Rows(float[][] tiles, int in, float[] x, int rows, float[] y, int t0, int t1) {
        int stride = tiles.length * TILE;
        for (int t = t0; t < t1; t++) {
            tileRows(tiles[t], in, x, rows, y, t * TILE, stride);
        }
    }

    /**
     * Rows a product of narrower weights (float16, int8) takes at least to run on tiles widened to float32 first, then
     * {@link #tileRows}: {@link Float16Products#multiplyWidened}, {@link Int8Products#multiplyWidened}. Widening a
     * step's weights costs about as much as a pass of eight rows over them (it stores the float32 tile, which is then
     * read from the second-level cache), and each row then costs the float32 passes' 0.85–0.9 ms instead of the float16
     * passes' 1.3–1.4 (SmolLM-135M shape, two threads of the Intel Xeon of docs/benchmarks.md, "Where an 8-user
     * float16 chat round goes; float16 tiles widened for long prompts"): level at 56 rows, 4–22% faster at 64, 27–29%
     * at 200, and a 1,120-token float16 prompt read 16–24% faster.
     */
    static final int WIDENED_ROWS = 64;
    /** The most inputs a widened tile takes: 4,096 make a float32 tile of 1 MiB, half an Intel Xeon core's L2. */
    static final int WIDENED_MAX_IN = 4096;
    private static final ThreadLocal<float[]> WIDENED = ThreadLocal.withInitial(() -> new float[0]);

    /** Whether a product of narrower weights multiplies {@code rows} rows of {@code in} inputs on widened tiles. */
    static boolean widens(int rows, int in) {
        return rows >= WIDENED_ROWS && in <= WIDENED_MAX_IN;
    }

    /** This thread's float32 tile for widened weights of {@code in} inputs (kept, grown as needed). */
    static float[] widenedTile(int in) {
        float[] tile = WIDENED.get();
        if (tile.length < in * TILE) {
            tile = new float[in * TILE];
            WIDENED.set(tile);
        }
        return tile;
    }

    /** The kernels a product of narrower weights runs on widened tiles for {@code rows} rows, each named once. */
    static java.util.SortedSet<String> widenedRowPasses(int rows) {
        java.util.SortedSet<String> passes = rowPasses(rows, "widened, float32 ");
        passes.add("widening");
        return passes;
    }

    /**
     * The passes {@link #tileRows} makes for {@code rows} rows, as rows per pass (6, 4, 2, 1), each listed once: each is
     * a kernel of its own, which the JIT compiles only once it has run.
     */
    static java.util.SortedSet<String> rowPasses(int rows) {
        return rowPasses(rows, "");
    }

    /** As {@link #rowPasses(int)}, each name after {@code prefix}. */
    static java.util.SortedSet<String> rowPasses(int rows, String prefix) {
        java.util.SortedSet<String> passes = new java.util.TreeSet<>();
        int m = 0;
        if (SIX_ROWS) {
            for (; m + 5 < rows; m += 6) {
                passes.add(prefix + "6 rows");
            }
        }
        for (; m + 3 < rows; m += 4) {
            passes.add(prefix + "4 rows");
        }
        if (m + 1 < rows) {
            passes.add(prefix + "2 rows");
            m += 2;
        }
        if (m < rows) {
            passes.add(prefix + "1 row");
        }
        return passes;
    }

    /**
     * Every row of {@code x} times one float32 tile ({@link #tileIndex}'s layout): six rows a pass over the whole
     * tile where the registers hold their 24 accumulators, then four rows a pass half by half, then two rows or one
     * row over the whole tile. The first pass reads the tile from memory, the others from the second-level cache.
     * Every pass adds each output's inputs in order into one accumulator, except the one-row pass (two sets), which
     * only a step's odd last row takes, whatever passes came before it.
     */
    static void tileRows(float[] w, int in, float[] x, int rows, float[] y, int ya, int stride) {
        int first = 0;
        if (SIX_ROWS) {
            for (; first + 5 < rows; first += 6) {
                float32SixRows(w, in, x, first * in, y, ya + first * stride, stride);
            }
        }
        int fours = first + (rows - first) / 4 * 4;
        for (int wa = 0, yh = ya; wa < in * TILE; wa += in * HALF, yh += HALF) {
            for (int m = first; m < fours; m += 4) {
                float32FourRows(w, wa, in, x, m * in, y, yh + m * stride, stride);
            }
        }
        int m = fours;
        if (m + 1 < rows) {
            float32TwoRows(w, in, x, m * in, y, ya + m * stride, stride);
            m += 2;
        }
        if (m < rows) {
            float32OneRow(w, in, x, m * in, y, ya + m * stride);
        }
    }

    /**
     * Six rows a pass over a whole tile where the registers hold their 24 accumulators beside the tile's four weight
     * vectors (32 registers with AVX-512; AVX2's 16 would spill). An 8-session decode step is six rows this way and two
     * over the whole tile ({@link #float32TwoRows}). Against eight rows over each half (sixteen accumulators, two
     * weight vectors), 57 rounds of a standalone loop over 424 MB of weights on two threads took 17.6 against 18.3 ms:
     * each weight vector loaded feeds six multiply-adds and each input broadcast four, where eight rows over a half
     * loaded ten vectors for sixteen multiply-adds. Before that, eight rows over each half had replaced four rows over
     * whole tiles, whose second pass of eight rows ran from the second-level cache after the first had waited on memory
     * (the lm_head's product on two threads: 3.12–3.67 ms against 3.45–4.03).
     */
    private static final boolean SIX_ROWS = FLOATS.vectorBitSize() >= 512;

    /** Rows {@code xa}, {@code xa + in}, … {@code xa + 5·in} times the whole tile {@code w}. */
    private static void float32SixRows(float[] w, int in, float[] x, int xa, float[] y, int ya, int stride) {
        int q = in * LANES;
        FloatVector a0 = FloatVector.zero(FLOATS);
        FloatVector a1 = a0;
        FloatVector a2 = a0;
        FloatVector a3 = a0;
        FloatVector b0 = a0;
        FloatVector b1 = a0;
        FloatVector b2 = a0;
        FloatVector b3 = a0;
        FloatVector c0 = a0;
        FloatVector c1 = a0;
        FloatVector c2 = a0;
        FloatVector c3 = a0;
        FloatVector d0 = a0;
        FloatVector d1 = a0;
        FloatVector d2 = a0;
        FloatVector d3 = a0;
        FloatVector e0 = a0;
        FloatVector e1 = a0;
        FloatVector e2 = a0;
        FloatVector e3 = a0;
        FloatVector f0 = a0;
        FloatVector f1 = a0;
        FloatVector f2 = a0;
        FloatVector f3 = a0;
        for (int i = 0, wi = 0; i < in; i++, wi += LANES) {
            FloatVector w0 = FloatVector.fromArray(FLOATS, w, wi);
            FloatVector w1 = FloatVector.fromArray(FLOATS, w, wi + q);
            FloatVector w2 = FloatVector.fromArray(FLOATS, w, wi + 2 * q);
            FloatVector w3 = FloatVector.fromArray(FLOATS, w, wi + 3 * q);
            int xi = xa + i;
            FloatVector xv = FloatVector.broadcast(FLOATS, x[xi]);
            a0 = w0.fma(xv, a0);
            a1 = w1.fma(xv, a1);
            a2 = w2.fma(xv, a2);
            a3 = w3.fma(xv, a3);
            xv = FloatVector.broadcast(FLOATS, x[xi + in]);
            b0 = w0.fma(xv, b0);
            b1 = w1.fma(xv, b1);
            b2 = w2.fma(xv, b2);
            b3 = w3.fma(xv, b3);
            xv = FloatVector.broadcast(FLOATS, x[xi + 2 * in]);
            c0 = w0.fma(xv, c0);
            c1 = w1.fma(xv, c1);
            c2 = w2.fma(xv, c2);
            c3 = w3.fma(xv, c3);
            xv = FloatVector.broadcast(FLOATS, x[xi + 3 * in]);
            d0 = w0.fma(xv, d0);
            d1 = w1.fma(xv, d1);
            d2 = w2.fma(xv, d2);
            d3 = w3.fma(xv, d3);
            xv = FloatVector.broadcast(FLOATS, x[xi + 4 * in]);
            e0 = w0.fma(xv, e0);
            e1 = w1.fma(xv, e1);
            e2 = w2.fma(xv, e2);
            e3 = w3.fma(xv, e3);
            xv = FloatVector.broadcast(FLOATS, x[xi + 5 * in]);
            f0 = w0.fma(xv, f0);
            f1 = w1.fma(xv, f1);
            f2 = w2.fma(xv, f2);
            f3 = w3.fma(xv, f3);
        }
        int yb = ya + HALF;
        a0.intoArray(y, ya);
        a1.intoArray(y, ya + LANES);
        a2.intoArray(y, yb);
        a3.intoArray(y, yb + LANES);
        b0.intoArray(y, ya + stride);
        b1.intoArray(y, ya + stride + LANES);
        b2.intoArray(y, yb + stride);
        b3.intoArray(y, yb + stride + LANES);
        c0.intoArray(y, ya + 2 * stride);
        c1.intoArray(y, ya + 2 * stride + LANES);
        c2.intoArray(y, yb + 2 * stride);
        c3.intoArray(y, yb + 2 * stride + LANES);
        d0.intoArray(y, ya + 3 * stride);
        d1.intoArray(y, ya + 3 * stride + LANES);
        d2.intoArray(y, yb + 3 * stride);
        d3.intoArray(y, yb + 3 * stride + LANES);
        e0.intoArray(y, ya + 4 * stride);
        e1.intoArray(y, ya + 4 * stride + LANES);
        e2.intoArray(y, yb + 4 * stride);
        e3.intoArray(y, yb + 4 * stride + LANES);
        f0.intoArray(y, ya + 5 * stride);
        f1.intoArray(y, ya + 5 * stride + LANES);
        f2.intoArray(y, yb + 5 * stride);
        f3.intoArray(y, yb + 5 * stride + LANES);
    }

    /** Rows {@code xa} … {@code xa + 3·in} times the half of a tile whose first column starts at {@code wa}. */
    private static void float32FourRows(float[] w, int wa, int in, float[] x, int xa, float[] y, int ya,
            int stride) {
        FloatVector a0 = FloatVector.zero(FLOATS);
        FloatVector a1 = a0;
        FloatVector b0 = a0;
        FloatVector b1 = a0;
        FloatVector c0 = a0;
        FloatVector c1 = a0;
        FloatVector d0 = a0;
        FloatVector d1 = a0;
        int q = in * LANES;
        for (int i = 0, wi = wa; i < in; i++, wi += LANES) {
            FloatVector w0 = FloatVector.fromArray(FLOATS, w, wi);
            FloatVector w1 = FloatVector.fromArray(FLOATS, w, wi + q);
            int xi = xa + i;
            FloatVector xv = FloatVector.broadcast(FLOATS, x[xi]);
            a0 = w0.fma(xv, a0);
            a1 = w1.fma(xv, a1);
            xv = FloatVector.broadcast(FLOATS, x[xi + in]);
            b0 = w0.fma(xv, b0);
            b1 = w1.fma(xv, b1);
            xv = FloatVector.broadcast(FLOATS, x[xi + 2 * in]);
            c0 = w0.fma(xv, c0);
            c1 = w1.fma(xv, c1);
            xv = FloatVector.broadcast(FLOATS, x[xi + 3 * in]);
            d0 = w0.fma(xv, d0);
            d1 = w1.fma(xv, d1);
        }
        a0.intoArray(y, ya);
        a1.intoArray(y, ya + LANES);
        b0.intoArray(y, ya + stride);
        b1.intoArray(y, ya + stride + LANES);
        c0.intoArray(y, ya + 2 * stride);
        c1.intoArray(y, ya + 2 * stride + LANES);
        d0.intoArray(y, ya + 3 * stride);
        d1.intoArray(y, ya + 3 * stride + LANES);
    }

    /**
     * Rows {@code xa} and {@code xa + in} times the whole tile {@code w}: eight accumulators beside the tile's four
     * weight vectors, each adding its output's inputs in order as the wider passes do. Two rows over each half
     * instead had four accumulators, so each multiply-add waited for the one before it on the same accumulator (46 G
     * multiply-adds a second on a Zen 5 core from the second-level cache, 90 over the whole tile; docs/benchmarks.md,
     * "A Zen 5 machine"). A step of two rows (two sessions decoding) took 12.5–13.3 ms in the 30 layers' products that
     * way and 9.1–10.5 ms this way, on JDK 17 and 25 ({@code ProductsBench}); eight rows, whose six-row pass from
     * memory bounds them, stayed at 12.1–13.1.
     */
    private static void float32TwoRows(float[] w, int in, float[] x, int xa, float[] y, int ya, int stride) {
        int q = in * LANES;
        int xb = xa + in;
        FloatVector a0 = FloatVector.zero(FLOATS);
        FloatVector a1 = a0;
        FloatVector a2 = a0;
        FloatVector a3 = a0;
        FloatVector b0 = a0;
        FloatVector b1 = a0;
        FloatVector b2 = a0;
        FloatVector b3 = a0;
        for (int i = 0, wi = 0; i < in; i++, wi += LANES) {
            FloatVector w0 = FloatVector.fromArray(FLOATS, w, wi);
            FloatVector w1 = FloatVector.fromArray(FLOATS, w, wi + q);
            FloatVector w2 = FloatVector.fromArray(FLOATS, w, wi + 2 * q);
            FloatVector w3 = FloatVector.fromArray(FLOATS, w, wi + 3 * q);
            FloatVector xv = FloatVector.broadcast(FLOATS, x[xa + i]);
            a0 = w0.fma(xv, a0);
            a1 = w1.fma(xv, a1);
            a2 = w2.fma(xv, a2);
            a3 = w3.fma(xv, a3);
            xv = FloatVector.broadcast(FLOATS, x[xb + i]);
            b0 = w0.fma(xv, b0);
            b1 = w1.fma(xv, b1);
            b2 = w2.fma(xv, b2);
            b3 = w3.fma(xv, b3);
        }
        int yb = ya + HALF;
        a0.intoArray(y, ya);
        a1.intoArray(y, ya + LANES);
        a2.intoArray(y, yb);
        a3.intoArray(y, yb + LANES);
        b0.intoArray(y, ya + stride);
        b1.intoArray(y, ya + stride + LANES);
        b2.intoArray(y, yb + stride);
        b3.intoArray(y, yb + stride + LANES);
    }

    /**
     * Row {@code xa} times the whole tile {@code w}, two inputs per iteration into two sets of accumulators summed at
     * the end: with one set, every fused multiply-add waits for the one before it on the same accumulator, the waiting
     * ones fill the scheduler, and no further weight loads are issued while a load from memory is outstanding. On an
     * AMD EPYC (Zen 4) core with JDK 25, a loop over the lm_head's 113 MB read 11–14 GB/s with one set, 23–29 with two
     * (18–19 with four); JDK 17 read 20–28 with one. The lm_head's product on two threads: 22.9 GB/s before, 43.3
     * after (docs/benchmarks.md). Over the whole tile rather than half by half, it reads all four columns at once
     * ({@link #tileIndex}).
     */
    private static void float32OneRow(float[] w, int in, float[] x, int xa, float[] y, int ya) {
        int q = in * LANES;
        FloatVector a0 = FloatVector.zero(FLOATS);
        FloatVector a1 = a0;
        FloatVector a2 = a0;
        FloatVector a3 = a0;
        FloatVector b0 = a0;
        FloatVector b1 = a0;
        FloatVector b2 = a0;
        FloatVector b3 = a0;
        int i = 0;
        int wi = 0;
        for (; i + 1 < in; i += 2, wi += 2 * LANES) {
            FloatVector xv = FloatVector.broadcast(FLOATS, x[xa + i]);
            FloatVector xw = FloatVector.broadcast(FLOATS, x[xa + i + 1]);
            a0 = FloatVector.fromArray(FLOATS, w, wi).fma(xv, a0);
            a1 = FloatVector.fromArray(FLOATS, w, wi + q).fma(xv, a1);
            a2 = FloatVector.fromArray(FLOATS, w, wi + 2 * q).fma(xv, a2);
            a3 = FloatVector.fromArray(FLOATS, w, wi + 3 * q).fma(xv, a3);
            b0 = FloatVector.fromArray(FLOATS, w, wi + LANES).fma(xw, b0);
            b1 = FloatVector.fromArray(FLOATS, w, wi + q + LANES).fma(xw, b1);
            b2 = FloatVector.fromArray(FLOATS, w, wi + 2 * q + LANES).fma(xw, b2);
            b3 = FloatVector.fromArray(FLOATS, w, wi + 3 * q + LANES).fma(xw, b3);
        }
        if (i < in) {
            FloatVector xv = FloatVector.broadcast(FLOATS, x[xa + i]);
            a0 = FloatVector.fromArray(FLOATS, w, wi).fma(xv, a0);
            a1 = FloatVector.fromArray(FLOATS, w, wi + q).fma(xv, a1);
            a2 = FloatVector.fromArray(FLOATS, w, wi + 2 * q).fma(xv, a2);
            a3 = FloatVector.fromArray(FLOATS, w, wi + 3 * q).fma(xv, a3);
        }
        a0.add(b0).intoArray(y, ya);
        a1.add(b1).intoArray(y, ya + LANES);
        a2.add(b2).intoArray(y, ya + 2 * LANES);
        a3.add(b3).intoArray(y, ya + 3 * LANES);
    }
}
