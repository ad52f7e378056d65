package io.github.attentionsinks.kernels;

import java.nio.FloatBuffer;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Weight products {@code y = x·Wᵀ} with float16 weights in the Java Vector API, widened to float32 in registers as
 * they are used. Loaded only when that module is in the boot layer ({@link WeightKernels}).
 *
 * <p>A tile of {@link VectorProducts#TILE} outputs is two halves of {@link VectorProducts#HALF}, each {@code
 * [in][HALF]} and contiguous ({@link #index}). One input's row of a half is one full-width vector of shorts, read as
 * ints that hold two weights each: the low short of int lane {@code k} is output {@code k}, the high short output
 * {@code LANES + k}. Each weight becomes a float32 with its sign, exponent and mantissa moved into place: {@code
 * (bits >> 3) & 0x8FFFE000} for the high short (an arithmetic shift, so the sign lands in bit 31 and copies of it in
 * bits 28–30 that the mask clears), and the same after {@code << 16} for the low one. Those floats are the stored
 * weights times 2^-112, exact for normal and subnormal values alike. The stored weights are the float16 weights times
 * 2^lift ({@link Tiles}), which keeps float16 subnormals out of them, since a float32 subnormal costs Intel cores a
 * microcode assist in every multiply-add ({@link #MAX_LIFT}). The inputs are scaled by 2^56 before the product
 * ({@link #scaledInput}) and the sums by 2^(56 − lift) after it ({@link #scaleSums}), which makes up the 2^(112 −
 * lift) exactly (powers of two) unless a product's magnitude falls below 2^-70 (it then keeps fewer bits, at 2^-93
 * and below in absolute terms) or an input exceeds 2^72.
 *
 * <p>Eight rows a pass over a half (sixteen accumulators), then four, two or one; one or two rows alone have kernels
 * over the whole tile. Against widening each tile into a float32 scratch tile and multiplying that (the way int8 did
 * too, {@link Int8Products}), the products of 8 rows on the SmolLM-135M shape take 17 ms instead of 29 on a Zen VM
 * (docs/bench/ProductsBench.java, docs/benchmarks.md): widening cost a load, a sign extension, a shift, a mask, a
 * multiply and a store per vector, and the product loaded the floats again; here one load and five integer operations
 * give two vectors. Eight rows from the second-level cache run at 99 G multiply-adds/s on two threads (86% of what this
 * machine's cores can do); from memory, at 57–60: the loop's instructions per cache line leave too few loads in flight.
 * Touching the next tile's lines ahead inside the pass, or two passes of four rows, gave nothing (a load that misses
 * holds up retirement whether or not its value is used). More streams of memory help: each iteration of the passes of
 * eight and four rows takes input {@code i} of each quarter of the half's inputs, written out one after another (the
 * last {@code in % 4} inputs in {@link #addRest}), four streams for the hardware prefetchers where inputs in order were
 * one. On the Intel Xeon of docs/benchmarks.md ("Vector API caches filled first"), {@code ProductsBench float16 1,4,8}:
 * 8 rows 14.9–16.3 ms against 17.5–19.6 with the quarters in an inner loop (23.9–26.9 in input order, a few hours
 * before); 8 chat users (float16, {@code ShapeClient 8 1 3 64 block}) 276–283 tokens/s against 246–248. Kernels this
 * size came out of C2 with their vectors boxed in some JVMs until {@link VectorOperatorCaches} filled the Vector API's
 * caches first.
 *
 * <p>The inputs are interleaved ({@link #scaledInput}), so that the eight values a pass broadcasts for one input lie
 * side by side: with each row's inputs apart, the products of 8 rows took 16.3–17.5 ms in a standalone loop over
 * 135 M weights, interleaved 14.2–15.0.
 *
 * <p>The conversions are written out in each kernel: through small helper methods, JDK 17 left the one-row loop
 * boxing its vectors (2.5 times slower, the heap churning).
 *
 * <p>From {@link VectorProducts#WIDENED_ROWS} rows on (long prompts), the conversions in every pass of eight cost
 * more than widening each tile once into a float32 tile of the thread and running the float32 passes over it
 * ({@link #multiplyWidened}).
 */
final class Float16Products {
    static {
        VectorOperatorCaches.fill(); // before any kernel gets hot: see there
    }

    private static final VectorSpecies<Float> FLOATS = FloatVector.SPECIES_PREFERRED;
    private static final int LANES = FLOATS.length();
    /** One input's row of a tile half: {@link VectorProducts#HALF} shorts, a full-width vector. */
    private static final VectorSpecies<Short> HALF_ROW = VectorSpecies.of(short.class, FLOATS.vectorShape());
    private static final int TILE = VectorProducts.TILE;
    private static final int HALF = VectorProducts.HALF;
    /** Sign, exponent and mantissa of a float16 moved to a float32's bit 31 and bits 27–13. */
    private static final int MASK = 0x8FFFE000;
    /** Inputs are scaled by this before the product, the sums by it after: together 2^112. */
    private static final float SCALE = 0x1p56f;
    private static final ThreadLocal<float[]> INPUT = ThreadLocal.withInitial(() -> new float[0]);

    private Float16Products() {}

    /**
     * Where output {@code c} of input {@code i} lies in a tile: the half {@code c / HALF}, its row {@code i}, and in
     * that row's pairs the low short of pair {@code c % HALF} for the first {@code LANES} outputs of the half, the high
     * short for the others.
     */
    static int index(int in, int i, int c) {
        int h = c % HALF;
        int at = h < LANES ? 2 * h : 2 * (h - LANES) + 1;
        return c / HALF * in * HALF + i * HALF + at;
    }

    /**
     * A float32 matrix packed into tiles of float16 bits ({@link #index}): each weight rounded to float16 to nearest
     * even as libtorch does, then times 2^{@code lift}, which is exact. The products come out times 2^{@code lift}
     * too; {@link #multiply} takes them back with {@link #sumScale}.
     *
     * @param lift how many binades the weights were raised: the most, up to {@link #MAX_LIFT}, that keeps the largest
     *     finite weight finite
     */
    record Tiles(short[][] tiles, int lift) {
        /** What the sums are multiplied by: 2^56 for the inputs' scale ({@link #scaledInput}), over 2^{@code lift}. */
        float sumScale() {
            return Math.scalb(1f, 56 - lift);
        }
    }

    /**
     * How many binades weights are raised at most as they are packed: 10, enough for the smallest float16 subnormal
     * (2^-24) to become a normal float16 (2^-14), so that no weight widens to a float32 subnormal ({@code bits >> 3 &
     * MASK} gives the value times 2^-112, below 2^-126 for float16 subnormals). Intel cores take a microcode assist
     * for every multiply-add with a subnormal operand: on the Intel Xeon of docs/benchmarks.md ("Float16 weights
     * without subnormals") about 100 cycles against half a cycle ({@code docs/bench/SubnormalFma.c}). Weights drawn
     * as transformers initialises them (normal, σ 0.02) are float16 subnormals one in 400, so 4% of the weight
     * vectors held one, and the products of 8 rows took 66–69 ms instead of 25–27. Zen cores take no assist.
     */
    static final int MAX_LIFT = 10;

    /** Packs a float32 matrix into {@link Tiles}: rounded to float16, then raised by as many binades as fit. */
    static Tiles pack(FloatBuffer w, int out, int in, boolean inOut) {
        float largest = 0;
        for (int k = 0; k < out * in; k++) {
            float v = Math.abs(Float16Bits.toFloat(Float16Bits.fromFloat(w.get(k))));
            if (v <= Float16Bits.MAX_VALUE) {
                largest = Math.max(largest, v);
            }
        }
        int lift = 0;
        while (lift < MAX_LIFT && largest * Math.scalb(1f, lift + 1) <= Float16Bits.MAX_VALUE) {
            lift++;
        }
        float raise = Math.scalb(1f, lift);
        short[][] tiles = new short[VectorProducts.tiles(out)][];
        for (int t = 0; t < tiles.length; t++) {
            short[] tile = new short[in * TILE];
            int o0 = t * TILE;
            int width = Math.min(TILE, out - o0);
            for (int i = 0; i < in; i++) {
                for (int c = 0; c < width; c++) {
                    float rounded = Float16Bits.toFloat(Float16Bits.fromFloat(inOut ? w.get(i * out + o0 + c)
                            : w.get((o0 + c) * in + i)));
                    tile[index(in, i, c)] = Float16Bits.fromFloat(rounded * raise);
                }
            }
            tiles[t] = tile;
        }
        return new Tiles(tiles, lift);
    }

    /**
     * The inputs {@code [rows, in]} times 2^56 and interleaved, input {@code i} of row {@code r} at {@code i·rows + r},
     * in a buffer of the calling thread that the next call overwrites: the product's threads read it while the caller
     * waits for them. The buffer stays with the thread at the largest size it needed (the decode loop's: its largest
     * step's rows times the widest input), since a step runs several products a layer and a new buffer for each would
     * be garbage of that size every time.
     */
    private static float[] scaledInput(float[] x, int rows, int in) {
        int n = rows * in;
        float[] scaled = INPUT.get();
        if (scaled.length < n) {
            scaled = new float[n];
            INPUT.set(scaled);
        }
        for (int r = 0; r < rows; r++) {
            for (int i = 0, at = r; i < in; i++, at += rows) {
                scaled[at] = x[r * in + i] * SCALE;
            }
        }
        return scaled;
    }

    /**
     * The inputs as {@link #multiply} reads them for {@code rows} rows: {@link #scaledInput}'s copy, or {@code x} as it
     * is where the tiles are widened ({@link VectorProducts#widens}).
     */
    static float[] kernelInput(float[] x, int rows, int in) {
        return VectorProducts.widens(rows, in) ? x : scaledInput(x, rows, in);
    }

    /**
     * {@code y[m][o]} for the outputs of tiles {@code [t0, t1)}; rows of {@code y} are {@code tiles·TILE} wide.
     *
     * @param x the inputs as {@link #kernelInput} returns them
     */
    static void multiply(Tiles packed, int in, float[] x, int rows, float[] y, int t0, int t1) {
        // One row, two rows and more each loop in a method of their own, as VectorProducts.float32's. With one loop
        // for one and two rows, in a build of 2026-12-07 (JDK 17, ShapeClient float16 8 1 3 64 block), the single row
        // ran its conversions in the Vector API's Java code in three JVMs of three (JFR: AbstractVector.convert0
        // under oneRowOfTile), a single user at 31–44 tokens/s; with loops of their own 76–83 in nine.
        if (rows == 1) {
            multiplyRow(packed.tiles(), packed.sumScale(), in, x, y, t0, t1);
        } else if (rows == 2) {
            multiplyTwoRows(packed.tiles(), packed.sumScale(), in, x, y, t0, t1);
        } else if (VectorProducts.widens(rows, in)) {
            multiplyWidened(packed, in, x, rows, y, t0, t1);
        } else {
            multiplyRows(packed.tiles(), packed.sumScale(), in, x, rows, y, t0, t1);
        }
    }

    private static void multiplyRow(short[][] tiles, float sumScale, int in, float[] x, float[] y, int t0, int t1) {
        for (int t = t0; t < t1; t++) {
            oneRowOfTile(tiles[t], in, x, y, t * TILE);
            scaleSums(y, t * TILE, 1, 0, sumScale);
        }
    }

    private static void multiplyTwoRows(short[][] tiles, float sumScale, int in, float[] x, float[] y, int t0,
            int t1) {
        int stride = tiles.length * TILE;
        for (int t = t0; t < t1; t++) {
            twoRowsOfTile(tiles[t], in, x, y, t * TILE, stride);
            scaleSums(y, t * TILE, 2, stride, sumScale);
        }
    }

    private static void multiplyRows(short[][] tiles, float sumScale, int in, float[] x, int rows, float[] y, int t0,
            int t1) {
        int stride = tiles.length * TILE;
        for (int t = t0; t < t1; t++) {
            short[] w = tiles[t];
            for (int wa = 0, ya = t * TILE; wa < in * TILE; wa += in * HALF, ya += HALF) {
                int m = 0;
                for (; m + 7 < rows; m += 8) {
                    eightRows(w, wa, in, x, m, rows, y, ya + m * stride, stride);
                }
                if (m + 3 < rows) {
                    fourRows(w, wa, in, x, m, rows, y, ya + m * stride, stride);
                    m += 4;
                }
                if (in % 4 != 0 && m > 0) {
                    addRest(w, wa, in, x, m, rows, y, ya, stride);
                }
                if (m + 1 < rows) {
                    twoRows(w, wa, in, x, m, rows, y, ya + m * stride, stride);
                    m += 2;
                }
                if (m < rows) {
                    oneRow(w, wa, in, x, m, rows, y, ya + m * stride);
                }
            }
            scaleSums(y, t * TILE, rows, stride, sumScale);
        }
    }

    /**
     * {@code y[m][o]} for the outputs of tiles {@code [t0, t1)}, for many rows ({@link VectorProducts#widens}): each
     * tile widened to float32 into a tile of this thread first ({@link #widen}), then multiplied by {@link
     * VectorProducts#tileRows}' float32 passes, which read it from the second-level cache with no conversions left to
     * do. The passes of eight rows spend five integer operations on each pair of weight vectors beside sixteen
     * multiply-adds, on the same ports, in every pass; here each weight is widened once for all the rows.
     *
     * @param x {@code [rows, in]} row-major, as it is (not {@link #scaledInput})
     */
    private static void multiplyWidened(Tiles packed, int in, float[] x, int rows, float[] y, int t0, int t1) {
        float[] tile = VectorProducts.widenedTile(in);
        short[][] tiles = packed.tiles();
        int stride = tiles.length * TILE;
        float unlift = Math.scalb(1f, 112 - packed.lift());
        for (int t = t0; t < t1; t++) {
            widen(tiles[t], in, unlift, tile);
            VectorProducts.tileRows(tile, in, x, rows, y, t * TILE, stride);
        }
    }

    /**
     * Tile {@code w} as float32 weights in {@link VectorProducts#tileIndex}'s layout: a half's low shorts ({@link
     * #index}) are column {@code 2·half}, its high shorts column {@code 2·half + 1}. Each weight times {@code
     * unlift}, which undoes the conversion's 2^-112 and the packing's lift exactly: the float16 weight itself, a normal
     * float32 even where it is a float16 subnormal.
     */
    private static void widen(short[] w, int in, float unlift, float[] tile) {
        int column = in * LANES;
        for (int half = 0; half < 2; half++) {
            for (int i = 0, wi = half * in * HALF, ti = 2 * half * column; i < in; i++, wi += HALF, ti += LANES) {
                IntVector pairs = ShortVector.fromArray(HALF_ROW, w, wi).reinterpretAsInts();
                pairs.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 3).and(MASK)
                        .reinterpretAsFloats().mul(unlift).intoArray(tile, ti);
                pairs.lanewise(VectorOperators.ASHR, 3).and(MASK).reinterpretAsFloats().mul(unlift)
                        .intoArray(tile, ti + column);
            }
        }
    }

    /**
     * The sums of one tile's outputs times {@code scale} ({@link Tiles#sumScale}), row by row. Done here rather than
     * on each accumulator in the kernels: with a multiply before each store, C2 sometimes ran out of inlining budget at
     * the end of the eight-row kernel (inlined into its caller with the other passes) and left those multiplies as
     * calls, which box their vectors: in one run of two an 8-user chat round ran at 124–129 tokens/s instead of
     * 296–307, nearly all its allocations in those lines (JFR).
     */
    private static void scaleSums(float[] y, int ya, int rows, int stride, float scale) {
        for (int m = 0, at = ya; m < rows; m++, at += stride) {
            for (int c = at; c < at + TILE; c++) {
                y[c] *= scale;
            }
        }
    }

    /**
     * The kernels {@link #multiply} runs for {@code rows} rows, each named once: passes of 8, 4, 2 and 1 rows over a
     * half, and for one or two rows alone kernels over the whole tile; from {@link VectorProducts#WIDENED_ROWS} rows
     * on, the widening and the float32 passes over widened tiles ({@link #multiplyWidened}; a matrix of more than
     * {@link VectorProducts#WIDENED_MAX_IN} inputs still takes the passes of eight).
     */
    static java.util.SortedSet<String> rowPasses(int rows) {
        if (rows >= VectorProducts.WIDENED_ROWS) {
            return VectorProducts.widenedRowPasses(rows);
        }
        if (rows <= 2) {
            return new java.util.TreeSet<>(java.util.Set.of(rows + (rows == 1 ? " row" : " rows") + ", whole tile"));
        }
        return passesOfEight(rows);
    }

    /**
     * The passes over a tile half that {@link #multiply} and {@link Int8Products#multiply} make for {@code rows} rows:
     * eights, then four, two and one for what is left.
     */
    static java.util.SortedSet<String> passesOfEight(int rows) {
        java.util.SortedSet<String> passes = new java.util.TreeSet<>();
        if (rows >= 8) {
            passes.add("8 rows");
        }
        int rest = rows % 8;
        for (int pass : new int[] {4, 2, 1}) {
            if (rest >= pass) {
                passes.add(pass + (pass == 1 ? " row" : " rows"));
                rest -= pass;
            }
        }
        return passes;
    }

    /**
     * Rows {@code xa} … {@code xa + 7} of the interleaved inputs ({@code xs} rows) times the half at {@code wa}, but
     * for its last {@code in % 4} inputs ({@link #addRest}): iteration {@code i} takes input {@code i} of each quarter
     * of the inputs, four streams of memory (see the class comment).
     */
    private static void eightRows(short[] w, int wa, int in, float[] x, int xa, int xs, float[] y, int ya,
            int stride) {
        FloatVector a0 = FloatVector.zero(FLOATS);
        FloatVector a1 = a0;
        FloatVector b0 = a0;
        FloatVector b1 = a0;
        FloatVector c0 = a0;
        FloatVector c1 = a0;
        FloatVector d0 = a0;
        FloatVector d1 = a0;
        FloatVector e0 = a0;
        FloatVector e1 = a0;
        FloatVector f0 = a0;
        FloatVector f1 = a0;
        FloatVector g0 = a0;
        FloatVector g1 = a0;
        FloatVector h0 = a0;
        FloatVector h1 = a0;
        int n = in / 4;
        int quarter = n * HALF;
        int xq = n * xs;
        for (int i = 0, wi = wa; i < n; i++, wi += HALF) {
            IntVector pairs = ShortVector.fromArray(HALF_ROW, w, wi).reinterpretAsInts();
            FloatVector w0 = pairs.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 3).and(MASK)
                    .reinterpretAsFloats();
            FloatVector w1 = pairs.lanewise(VectorOperators.ASHR, 3).and(MASK).reinterpretAsFloats();
            int xi = i * xs + xa;
            FloatVector xv;
            xv = FloatVector.broadcast(FLOATS, x[xi]); a0 = w0.fma(xv, a0); a1 = w1.fma(xv, a1);
            xv = FloatVector.broadcast(FLOATS, x[xi + 1]); b0 = w0.fma(xv, b0); b1 = w1.fma(xv, b1);
            xv = FloatVector.broadcast(FLOATS, x[xi + 2]); c0 = w0.fma(xv, c0); c1 = w1.fma(xv, c1);
            xv = FloatVector.broadcast(FLOATS, x[xi + 3]); d0 = w0.fma(xv, d0); d1 = w1.fma(xv, d1);
            xv = FloatVector.broadcast(FLOATS, x[xi + 4]); e0 = w0.fma(xv, e0); e1 = w1.fma(xv, e1);
            xv = FloatVector.broadcast(FLOATS, x[xi + 5]); f0 = w0.fma(xv, f0); f1 = w1.fma(xv, f1);
            xv = FloatVector.broadcast(FLOATS, x[xi + 6]); g0 = w0.fma(xv, g0); g1 = w1.fma(xv, g1);
            xv = FloatVector.broadcast(FLOATS, x[xi + 7]); h0 = w0.fma(xv, h0); h1 = w1.fma(xv, h1);
            pairs = ShortVector.fromArray(HALF_ROW, w, wi + quarter).reinterpretAsInts();
            w0 = pairs.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 3).and(MASK)
                    .reinterpretAsFloats();
            w1 = pairs.lanewise(VectorOperators.ASHR, 3).and(MASK).reinterpretAsFloats();
            xi += xq;
            xv = FloatVector.broadcast(FLOATS, x[xi]); a0 = w0.fma(xv, a0); a1 = w1.fma(xv, a1);
            xv = FloatVector.broadcast(FLOATS, x[xi + 1]); b0 = w0.fma(xv, b0); b1 = w1.fma(xv, b1);
            xv = FloatVector.broadcast(FLOATS, x[xi + 2]); c0 = w0.fma(xv, c0); c1 = w1.fma(xv, c1);
            xv = FloatVector.broadcast(FLOATS, x[xi + 3]); d0 = w0.fma(xv, d0); d1 = w1.fma(xv, d1);
            xv = FloatVector.broadcast(FLOATS, x[xi + 4]); e0 = w0.fma(xv, e0); e1 = w1.fma(xv, e1);
            xv = FloatVector.broadcast(FLOATS, x[xi + 5]); f0 = w0.fma(xv, f0); f1 = w1.fma(xv, f1);
            xv = FloatVector.broadcast(FLOATS, x[xi + 6]); g0 = w0.fma(xv, g0); g1 = w1.fma(xv, g1);
            xv = FloatVector.broadcast(FLOATS, x[xi + 7]); h0 = w0.fma(xv, h0); h1 = w1.fma(xv, h1);
            pairs = ShortVector.fromArray(HALF_ROW, w, wi + 2 * quarter).reinterpretAsInts();
            w0 = pairs.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 3).and(MASK)
                    .reinterpretAsFloats();
            w1 = pairs.lanewise(VectorOperators.ASHR, 3).and(MASK).reinterpretAsFloats();
            xi += xq;
            xv = FloatVector.broadcast(FLOATS, x[xi]); a0 = w0.fma(xv, a0); a1 = w1.fma(xv, a1);
            xv = FloatVector.broadcast(FLOATS, x[xi + 1]); b0 = w0.fma(xv, b0); b1 = w1.fma(xv, b1);
            xv = FloatVector.broadcast(FLOATS, x[xi + 2]); c0 = w0.fma(xv, c0); c1 = w1.fma(xv, c1);
            xv = FloatVector.broadcast(FLOATS, x[xi + 3]); d0 = w0.fma(xv, d0); d1 = w1.fma(xv, d1);
            xv = FloatVector.broadcast(FLOATS, x[xi + 4]); e0 = w0.fma(xv, e0); e1 = w1.fma(xv, e1);
            xv = FloatVector.broadcast(FLOATS, x[xi + 5]); f0 = w0.fma(xv, f0); f1 = w1.fma(xv, f1);
            xv = FloatVector.broadcast(FLOATS, x[xi + 6]); g0 = w0.fma(xv, g0); g1 = w1.fma(xv, g1);
            xv = FloatVector.broadcast(FLOATS, x[xi + 7]); h0 = w0.fma(xv, h0); h1 = w1.fma(xv, h1);
            pairs = ShortVector.fromArray(HALF_ROW, w, wi + 3 * quarter).reinterpretAsInts();
            w0 = pairs.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 3).and(MASK)
                    .reinterpretAsFloats();
            w1 = pairs.lanewise(VectorOperators.ASHR, 3).and(MASK).reinterpretAsFloats();
            xi += xq;
            xv = FloatVector.broadcast(FLOATS, x[xi]); a0 = w0.fma(xv, a0); a1 = w1.fma(xv, a1);
            xv = FloatVector.broadcast(FLOATS, x[xi + 1]); b0 = w0.fma(xv, b0); b1 = w1.fma(xv, b1);
            xv = FloatVector.broadcast(FLOATS, x[xi + 2]); c0 = w0.fma(xv, c0); c1 = w1.fma(xv, c1);
            xv = FloatVector.broadcast(FLOATS, x[xi + 3]); d0 = w0.fma(xv, d0); d1 = w1.fma(xv, d1);
            xv = FloatVector.broadcast(FLOATS, x[xi + 4]); e0 = w0.fma(xv, e0); e1 = w1.fma(xv, e1);
            xv = FloatVector.broadcast(FLOATS, x[xi + 5]); f0 = w0.fma(xv, f0); f1 = w1.fma(xv, f1);
            xv = FloatVector.broadcast(FLOATS, x[xi + 6]); g0 = w0.fma(xv, g0); g1 = w1.fma(xv, g1);
            xv = FloatVector.broadcast(FLOATS, x[xi + 7]); h0 = w0.fma(xv, h0); h1 = w1.fma(xv, h1);
        }
        a0.intoArray(y, ya);
        a1.intoArray(y, ya + LANES);
        b0.intoArray(y, ya + stride);
        b1.intoArray(y, ya + stride + LANES);
        c0.intoArray(y, ya + 2 * stride);
        c1.intoArray(y, ya + 2 * stride + LANES);
        d0.intoArray(y, ya + 3 * stride);
        d1.intoArray(y, ya + 3 * stride + LANES);
        e0.intoArray(y, ya + 4 * stride);
        e1.intoArray(y, ya + 4 * stride + LANES);
        f0.intoArray(y, ya + 5 * stride);
        f1.intoArray(y, ya + 5 * stride + LANES);
        g0.intoArray(y, ya + 6 * stride);
        g1.intoArray(y, ya + 6 * stride + LANES);
        h0.intoArray(y, ya + 7 * stride);
        h1.intoArray(y, ya + 7 * stride + LANES);
    }

    /** As {@link #eightRows}, for rows {@code xa} … {@code xa + 3}. */
    private static void fourRows(short[] w, int wa, int in, float[] x, int xa, int xs, float[] y, int ya,
            int stride) {
        FloatVector a0 = FloatVector.zero(FLOATS);
        FloatVector a1 = a0;
        FloatVector b0 = a0;
        FloatVector b1 = a0;
        FloatVector c0 = a0;
        FloatVector c1 = a0;
        FloatVector d0 = a0;
        FloatVector d1 = a0;
        int n = in / 4;
        int quarter = n * HALF;
        int xq = n * xs;
        for (int i = 0, wi = wa; i < n; i++, wi += HALF) {
            IntVector pairs = ShortVector.fromArray(HALF_ROW, w, wi).reinterpretAsInts();
            FloatVector w0 = pairs.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 3).and(MASK)
                    .reinterpretAsFloats();
            FloatVector w1 = pairs.lanewise(VectorOperators.ASHR, 3).and(MASK).reinterpretAsFloats();
            int xi = i * xs + xa;
            FloatVector xv;
            xv = FloatVector.broadcast(FLOATS, x[xi]); a0 = w0.fma(xv, a0); a1 = w1.fma(xv, a1);
            xv = FloatVector.broadcast(FLOATS, x[xi + 1]); b0 = w0.fma(xv, b0); b1 = w1.fma(xv, b1);
            xv = FloatVector.broadcast(FLOATS, x[xi + 2]); c0 = w0.fma(xv, c0); c1 = w1.fma(xv, c1);
            xv = FloatVector.broadcast(FLOATS, x[xi + 3]); d0 = w0.fma(xv, d0); d1 = w1.fma(xv, d1);
            pairs = ShortVector.fromArray(HALF_ROW, w, wi + quarter).reinterpretAsInts();
            w0 = pairs.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 3).and(MASK)
                    .reinterpretAsFloats();
            w1 = pairs.lanewise(VectorOperators.ASHR, 3).and(MASK).reinterpretAsFloats();
            xi += xq;
            xv = FloatVector.broadcast(FLOATS, x[xi]); a0 = w0.fma(xv, a0); a1 = w1.fma(xv, a1);
            xv = FloatVector.broadcast(FLOATS, x[xi + 1]); b0 = w0.fma(xv, b0); b1 = w1.fma(xv, b1);
            xv = FloatVector.broadcast(FLOATS, x[xi + 2]); c0 = w0.fma(xv, c0); c1 = w1.fma(xv, c1);
            xv = FloatVector.broadcast(FLOATS, x[xi + 3]); d0 = w0.fma(xv, d0); d1 = w1.fma(xv, d1);
            pairs = ShortVector.fromArray(HALF_ROW, w, wi + 2 * quarter).reinterpretAsInts();
            w0 = pairs.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 3).and(MASK)
                    .reinterpretAsFloats();
            w1 = pairs.lanewise(VectorOperators.ASHR, 3).and(MASK).reinterpretAsFloats();
            xi += xq;
            xv = FloatVector.broadcast(FLOATS, x[xi]); a0 = w0.fma(xv, a0); a1 = w1.fma(xv, a1);
            xv = FloatVector.broadcast(FLOATS, x[xi + 1]); b0 = w0.fma(xv, b0); b1 = w1.fma(xv, b1);
            xv = FloatVector.broadcast(FLOATS, x[xi + 2]); c0 = w0.fma(xv, c0); c1 = w1.fma(xv, c1);
            xv = FloatVector.broadcast(FLOATS, x[xi + 3]); d0 = w0.fma(xv, d0); d1 = w1.fma(xv, d1);
            pairs = ShortVector.fromArray(HALF_ROW, w, wi + 3 * quarter).reinterpretAsInts();
            w0 = pairs.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 3).and(MASK)
                    .reinterpretAsFloats();
            w1 = pairs.lanewise(VectorOperators.ASHR, 3).and(MASK).reinterpretAsFloats();
            xi += xq;
            xv = FloatVector.broadcast(FLOATS, x[xi]); a0 = w0.fma(xv, a0); a1 = w1.fma(xv, a1);
            xv = FloatVector.broadcast(FLOATS, x[xi + 1]); b0 = w0.fma(xv, b0); b1 = w1.fma(xv, b1);
            xv = FloatVector.broadcast(FLOATS, x[xi + 2]); c0 = w0.fma(xv, c0); c1 = w1.fma(xv, c1);
            xv = FloatVector.broadcast(FLOATS, x[xi + 3]); d0 = w0.fma(xv, d0); d1 = w1.fma(xv, d1);
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
     * Adds to the sums of rows 0 … {@code quartered − 1} in {@code y} the products of the last {@code in % 4} inputs
     * of the half at {@code wa}, which the quarters of {@link #eightRows} and {@link #fourRows} leave out; a method of
     * its own, so that those kernels stay one loop each.
     */
    private static void addRest(short[] w, int wa, int in, float[] x, int quartered, int xs, float[] y, int ya,
            int stride) {
        for (int m = 0, at = ya; m < quartered; m++, at += stride) {
            FloatVector a0 = FloatVector.fromArray(FLOATS, y, at);
            FloatVector a1 = FloatVector.fromArray(FLOATS, y, at + LANES);
            for (int i = in - in % 4, wi = wa + i * HALF; i < in; i++, wi += HALF) {
                IntVector pairs = ShortVector.fromArray(HALF_ROW, w, wi).reinterpretAsInts();
                FloatVector xv = FloatVector.broadcast(FLOATS, x[i * xs + m]);
                a0 = pairs.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 3).and(MASK)
                        .reinterpretAsFloats().fma(xv, a0);
                a1 = pairs.lanewise(VectorOperators.ASHR, 3).and(MASK).reinterpretAsFloats().fma(xv, a1);
            }
            a0.intoArray(y, at);
            a1.intoArray(y, at + LANES);
        }
    }

    /** Rows {@code xa} and {@code xa + 1} of the interleaved inputs ({@code xs} rows) times the half at {@code wa}. */
    private static void twoRows(short[] w, int wa, int in, float[] x, int xa, int xs, float[] y, int ya,
            int stride) {
        FloatVector a0 = FloatVector.zero(FLOATS);
        FloatVector a1 = a0;
        FloatVector b0 = a0;
        FloatVector b1 = a0;
        for (int i = 0, wi = wa; i < in; i++, wi += HALF) {
            IntVector pairs = ShortVector.fromArray(HALF_ROW, w, wi).reinterpretAsInts();
            FloatVector w0 = pairs.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 3).and(MASK)
                    .reinterpretAsFloats();
            FloatVector w1 = pairs.lanewise(VectorOperators.ASHR, 3).and(MASK).reinterpretAsFloats();
            int xi = i * xs + xa;
            FloatVector xv = FloatVector.broadcast(FLOATS, x[xi]);
            a0 = w0.fma(xv, a0);
            a1 = w1.fma(xv, a1);
            FloatVector xw = FloatVector.broadcast(FLOATS, x[xi + 1]);
            b0 = w0.fma(xw, b0);
            b1 = w1.fma(xw, b1);
        }
        a0.intoArray(y, ya);
        a1.intoArray(y, ya + LANES);
        b0.intoArray(y, ya + stride);
        b1.intoArray(y, ya + stride + LANES);
    }

    /**
     * Rows 0 and 1 times the whole tile, both halves in each iteration: two rows over each half in turn took 12.0 ms
     * for the SmolLM-135M shape's products, this kernel 8.8–9.5 (9.4–9.6 for the one before the pairs, in the same
     * runs).
     */
    private static void twoRowsOfTile(short[] w, int in, float[] x, float[] y, int ya, int stride) {
        FloatVector a0 = FloatVector.zero(FLOATS);
        FloatVector a1 = a0;
        FloatVector a2 = a0;
        FloatVector a3 = a0;
        FloatVector b0 = a0;
        FloatVector b1 = a0;
        FloatVector b2 = a0;
        FloatVector b3 = a0;
        for (int i = 0, wi = 0, wb = in * HALF; i < in; i++, wi += HALF, wb += HALF) {
            IntVector pairs = ShortVector.fromArray(HALF_ROW, w, wi).reinterpretAsInts();
            IntVector others = ShortVector.fromArray(HALF_ROW, w, wb).reinterpretAsInts();
            FloatVector w0 = pairs.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 3).and(MASK)
                    .reinterpretAsFloats();
            FloatVector w1 = pairs.lanewise(VectorOperators.ASHR, 3).and(MASK).reinterpretAsFloats();
            FloatVector w2 = others.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 3).and(MASK)
                    .reinterpretAsFloats();
            FloatVector w3 = others.lanewise(VectorOperators.ASHR, 3).and(MASK).reinterpretAsFloats();
            FloatVector xv = FloatVector.broadcast(FLOATS, x[2 * i]);
            a0 = w0.fma(xv, a0);
            a1 = w1.fma(xv, a1);
            a2 = w2.fma(xv, a2);
            a3 = w3.fma(xv, a3);
            xv = FloatVector.broadcast(FLOATS, x[2 * i + 1]);
            b0 = w0.fma(xv, b0);
            b1 = w1.fma(xv, b1);
            b2 = w2.fma(xv, b2);
            b3 = w3.fma(xv, b3);
        }
        a0.intoArray(y, ya);
        a1.intoArray(y, ya + LANES);
        a2.intoArray(y, ya + HALF);
        a3.intoArray(y, ya + HALF + LANES);
        b0.intoArray(y, ya + stride);
        b1.intoArray(y, ya + stride + LANES);
        b2.intoArray(y, ya + stride + HALF);
        b3.intoArray(y, ya + stride + HALF + LANES);
    }

    /**
     * A row alone (a single session's decode step) times the whole tile {@code w}: both halves at once, two streams of
     * memory, where passing over one half and then the other read one. On the Intel Xeon of docs/benchmarks.md
     * ("Float16 weights without subnormals"), {@code ProductsBench float16 1}: 12.3–13.5 ms for the 30 layers and the
     * lm_head against 15.2–15.6 half by half; two inputs an iteration into two sets of accumulators, level.
     */
    private static void oneRowOfTile(short[] w, int in, float[] x, float[] y, int ya) {
        FloatVector a0 = FloatVector.zero(FLOATS);
        FloatVector a1 = a0;
        FloatVector a2 = a0;
        FloatVector a3 = a0;
        for (int i = 0, wi = 0, wb = in * HALF; i < in; i++, wi += HALF, wb += HALF) {
            IntVector pairs = ShortVector.fromArray(HALF_ROW, w, wi).reinterpretAsInts();
            IntVector others = ShortVector.fromArray(HALF_ROW, w, wb).reinterpretAsInts();
            FloatVector xv = FloatVector.broadcast(FLOATS, x[i]);
            a0 = pairs.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 3).and(MASK)
                    .reinterpretAsFloats().fma(xv, a0);
            a1 = pairs.lanewise(VectorOperators.ASHR, 3).and(MASK).reinterpretAsFloats().fma(xv, a1);
            a2 = others.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 3).and(MASK)
                    .reinterpretAsFloats().fma(xv, a2);
            a3 = others.lanewise(VectorOperators.ASHR, 3).and(MASK).reinterpretAsFloats().fma(xv, a3);
        }
        a0.intoArray(y, ya);
        a1.intoArray(y, ya + LANES);
        a2.intoArray(y, ya + HALF);
        a3.intoArray(y, ya + HALF + LANES);
    }

    /**
     * Row {@code xa} of the interleaved inputs ({@code xs} rows) times the half at {@code wa}, two inputs per iteration
     * into two sets of accumulators summed at the end, as {@link VectorProducts}' float32 row (one set waits on each
     * multiply-add before it).
     */
    private static void oneRow(short[] w, int wa, int in, float[] x, int xa, int xs, float[] y, int ya) {
        FloatVector a0 = FloatVector.zero(FLOATS);
        FloatVector a1 = a0;
        FloatVector b0 = a0;
        FloatVector b1 = a0;
        int i = 0;
        int wi = wa;
        for (; i + 1 < in; i += 2, wi += 2 * HALF) {
            IntVector pairs = ShortVector.fromArray(HALF_ROW, w, wi).reinterpretAsInts();
            IntVector next = ShortVector.fromArray(HALF_ROW, w, wi + HALF).reinterpretAsInts();
            FloatVector xv = FloatVector.broadcast(FLOATS, x[i * xs + xa]);
            FloatVector xw = FloatVector.broadcast(FLOATS, x[(i + 1) * xs + xa]);
            a0 = pairs.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 3).and(MASK)
                    .reinterpretAsFloats().fma(xv, a0);
            a1 = pairs.lanewise(VectorOperators.ASHR, 3).and(MASK).reinterpretAsFloats().fma(xv, a1);
            b0 = next.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 3).and(MASK)
                    .reinterpretAsFloats().fma(xw, b0);
            b1 = next.lanewise(VectorOperators.ASHR, 3).and(MASK).reinterpretAsFloats().fma(xw, b1);
        }
        if (i < in) {
            IntVector pairs = ShortVector.fromArray(HALF_ROW, w, wi).reinterpretAsInts();
            FloatVector xv = FloatVector.broadcast(FLOATS, x[i * xs + xa]);
            a0 = pairs.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 3).and(MASK)
                    .reinterpretAsFloats().fma(xv, a0);
            a1 = pairs.lanewise(VectorOperators.ASHR, 3).and(MASK).reinterpretAsFloats().fma(xv, a1);
        }
        a0.add(b0).intoArray(y, ya);
        a1.add(b1).intoArray(y, ya + LANES);
    }
}
