package io.github.attentionsinks.kernels;

import java.nio.FloatBuffer;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * Weight products {@code y = x·Wᵀ} with int8 weights in the Java Vector API, loaded only when that module is in the
 * boot layer ({@link WeightKernels}). A tile of {@link VectorProducts#TILE} outputs is {@code [in][TILE]} bytes, with
 * one float32 scale per output and block of {@link #BLOCK} inputs ({@code [blocks][TILE]}, as llama.cpp's Q8_0 per 32
 * weights).
 *
 * <p>One or two rows run over the whole tile and scale each block's partial sums once. Three rows and more run over
 * each half of a tile ({@link VectorProducts#HALF} outputs), eight a pass, then four, two, one; each weight vector is
 * converted and multiplied by its block's scale in registers, and feeds the multiply-adds of every row of the pass.
 * Before, from three rows on, each tile was widened into a float32 scratch tile first and the float32 kernels read
 * it again: the products of 8 rows on the SmolLM-135M shape took 24 ms, now 18 (docs/bench/ProductsBench.java,
 * docs/benchmarks.md). Each weight is {@code q·scale} rounded to float32, as in the widened tile. Each iteration of
 * the passes of eight and four rows takes input {@code i} of each quarter of the inputs, written out one after another
 * (the last {@code in % 4} inputs in {@link #addRest}), four streams of memory as in {@link Float16Products}: on the
 * Intel Xeon of docs/benchmarks.md ("Vector API caches filled first"), {@code ProductsBench int8 1,4,8}: 8 rows
 * 11.8–13.0 ms against 14.6–16.5 in input order, 4 rows 9.6–10.1 against 11.3–12.9.
 *
 * <p>The passes over a half write their conversions out rather than call a helper (see {@link Float16Products}).
 */
final class Int8Products {
    static {
        VectorOperatorCaches.fill(); // before any kernel gets hot: see there
    }

    private static final VectorSpecies<Float> FLOATS = FloatVector.SPECIES_PREFERRED;
    /**
     * Bytes for one float vector: a quarter of the float vector's width (128 bits for 16 floats), widened with
     * {@code convertShape(B2F, FLOATS, 0)}. Converting parts 1–3 of one full-width byte vector instead compiled, in
     * the decode loop of a running model, into code that boxed every vector (allocation profiles showed int8OneRow
     * allocating throughout; a step took 15–20 ms instead of 8).
     */
    private static final VectorSpecies<Byte> BYTES = VectorSpecies.of(byte.class,
            VectorShape.forBitSize(Math.max(64, FLOATS.vectorBitSize() / 4)));
    /** Bytes a tile array has past its weights: with 128-bit floats a byte load (64 bits at least) reads 8 for 4. */
    private static final int BYTES_PAST_END = BYTES.length() - FLOATS.length();
    private static final int LANES = FLOATS.length();
    private static final int TILE = VectorProducts.TILE;
    private static final int HALF = VectorProducts.HALF;
    /** Inputs per scale. */
    static final int BLOCK = 32;

    private Int8Products() {}

    /**
     * Quantizes and packs a float32 matrix: per output and block of {@link #BLOCK} inputs, {@code scale = max|w| /
     * 127} and {@code q = round(w / scale)}.
     *
     * @param w {@code [out, in]} row-major, or {@code [in, out]} when {@code inOut}
     * @param quantized receives {@code tiles} arrays {@code [in][TILE]}
     * @param scales receives {@code tiles} arrays {@code [blocks][TILE]}
     */
    static void pack(FloatBuffer w, int out, int in, boolean inOut, byte[][] quantized, float[][] scales) {
        int blocks = (in + BLOCK - 1) / BLOCK;
        for (int t = 0; t < quantized.length; t++) {
            byte[] tile = new byte[in * TILE + BYTES_PAST_END];
            float[] tileScales = new float[blocks * TILE];
            int o0 = t * TILE;
            int width = Math.min(TILE, out - o0);
            for (int c = 0; c < width; c++) {
                int o = o0 + c;
                for (int b = 0; b < blocks; b++) {
                    int i0 = b * BLOCK;
                    int i1 = Math.min(in, i0 + BLOCK);
                    float max = 0;
                    for (int i = i0; i < i1; i++) {
                        max = Math.max(max, Math.abs(inOut ? w.get(i * out + o) : w.get(o * in + i)));
                    }
                    float scale = max / 127f;
                    tileScales[b * TILE + c] = scale;
                    float inverse = scale == 0 ? 0 : 1f / scale;
                    for (int i = i0; i < i1; i++) {
                        float v = inOut ? w.get(i * out + o) : w.get(o * in + i);
                        tile[i * TILE + c] = (byte) Math.round(v * inverse);
                    }
                }
            }
            quantized[t] = tile;
            scales[t] = tileScales;
        }
    }

    /**
     * {@code y[m][o]} for the outputs of tiles {@code [t0, t1)}; rows of {@code y} are {@code tiles·TILE} wide. One
     * or two rows and more rows are separate methods with loops of their own, each compiled for its own profile: with
     * both in one loop, the path that came second (decode after a prompt) ran boxed, 3× slower, for the rest of the
     * run.
     */
    static void multiply(byte[][] tiles, float[][] scales, int in, float[] x, int rows, float[] y, int t0, int t1) {
        if (rows <= 2) {
            multiplyWholeTiles(tiles, scales, in, x, rows, y, t0, t1);
        } else if (VectorProducts.widens(rows, in)) {
            multiplyWidened(tiles, scales, in, x, rows, y, t0, t1);
        } else {
            multiplyRows(tiles, scales, in, x, rows, y, t0, t1);
        }
    }

    /**
     * {@code y[m][o]} for the outputs of tiles {@code [t0, t1)}, for many rows ({@link VectorProducts#widens}): each
     * tile widened to float32 weights, {@code q·scale} as the other passes make them, into a tile of this thread
     * ({@link #widen}), then multiplied by {@link VectorProducts#tileRows}' float32 passes.
     */
    private static void multiplyWidened(byte[][] tiles, float[][] scales, int in, float[] x, int rows, float[] y,
            int t0, int t1) {
        float[] tile = VectorProducts.widenedTile(in);
        int stride = tiles.length * TILE;
        for (int t = t0; t < t1; t++) {
            widen(tiles[t], scales[t], in, tile);
            VectorProducts.tileRows(tile, in, x, rows, y, t * TILE, stride);
        }
    }

    /** Tile {@code w} with its scales {@code s} as float32 weights in {@link VectorProducts#tileIndex}'s layout. */
    private static void widen(byte[] w, float[] s, int in, float[] tile) {
        int column = in * LANES;
        for (int i = 0, wi = 0, ti = 0; i < in; i++, wi += TILE, ti += LANES) {
            int si = i / BLOCK * TILE;
            ((FloatVector) ByteVector.fromArray(BYTES, w, wi).convertShape(VectorOperators.B2F, FLOATS, 0))
                    .mul(FloatVector.fromArray(FLOATS, s, si)).intoArray(tile, ti);
            ((FloatVector) ByteVector.fromArray(BYTES, w, wi + LANES).convertShape(VectorOperators.B2F, FLOATS, 0))
                    .mul(FloatVector.fromArray(FLOATS, s, si + LANES)).intoArray(tile, ti + column);
            ((FloatVector) ByteVector.fromArray(BYTES, w, wi + 2 * LANES).convertShape(VectorOperators.B2F, FLOATS, 0))
                    .mul(FloatVector.fromArray(FLOATS, s, si + 2 * LANES)).intoArray(tile, ti + 2 * column);
            ((FloatVector) ByteVector.fromArray(BYTES, w, wi + 3 * LANES).convertShape(VectorOperators.B2F, FLOATS, 0))
                    .mul(FloatVector.fromArray(FLOATS, s, si + 3 * LANES)).intoArray(tile, ti + 3 * column);
        }
    }

    private static void multiplyWholeTiles(byte[][] tiles, float[][] scales, int in, float[] x, int rows, float[] y,
            int t0, int t1) {
        int stride = tiles.length * TILE;
        for (int t = t0; t < t1; t++) {
            if (rows == 2) {
                twoRowsOfTile(tiles[t], scales[t], in, x, 0, y, t * TILE, stride);
            } else {
                oneRowOfTile(tiles[t], scales[t], in, x, 0, y, t * TILE);
            }
        }
    }

    private static void multiplyRows(byte[][] tiles, float[][] scales, int in, float[] x, int rows, float[] y, int t0,
            int t1) {
        int stride = tiles.length * TILE;
        for (int t = t0; t < t1; t++) {
            byte[] w = tiles[t];
            float[] s = scales[t];
            for (int c0 = 0, ya = t * TILE; c0 < TILE; c0 += HALF, ya += HALF) {
                int m = 0;
                for (; m + 7 < rows; m += 8) {
                    eightRows(w, s, c0, in, x, m * in, y, ya + m * stride, stride);
                }
                if (m + 3 < rows) {
                    fourRows(w, s, c0, in, x, m * in, y, ya + m * stride, stride);
                    m += 4;
                }
                if (in % 4 != 0 && m > 0) {
                    addRest(w, s, c0, in, x, m, y, ya, stride);
                }
                if (m + 1 < rows) {
                    twoRows(w, s, c0, in, x, m * in, y, ya + m * stride, stride);
                    m += 2;
                }
                if (m < rows) {
                    oneRowOfHalf(w, s, c0, in, x, m * in, y, ya + m * stride);
                }
            }
        }
    }

    /**
     * The kernels {@link #multiply} runs for {@code rows} rows, each named once: the whole-tile kernel of one or two
     * rows, from three rows on passes of 8, 4, 2 and 1 rows over a half, and from {@link VectorProducts#WIDENED_ROWS}
     * on the widening and the float32 passes ({@link #multiplyWidened}).
     */
    static java.util.SortedSet<String> rowPasses(int rows) {
        if (rows <= 2) {
            return new java.util.TreeSet<>(java.util.Set.of(rows + (rows == 1 ? " row" : " rows") + ", whole tile"));
        }
        if (rows >= VectorProducts.WIDENED_ROWS) {
            return VectorProducts.widenedRowPasses(rows);
        }
        return Float16Products.passesOfEight(rows);
    }

    private static void oneRowOfTile(byte[] w, float[] s, int in, float[] x, int xa, float[] y, int ya) {
        FloatVector a0 = FloatVector.zero(FLOATS);
        FloatVector a1 = a0;
        FloatVector a2 = a0;
        FloatVector a3 = a0;
        for (int i0 = 0, si = 0; i0 < in; i0 += BLOCK, si += TILE) {
            int i1 = Math.min(in, i0 + BLOCK);
            FloatVector p0 = FloatVector.zero(FLOATS);
            FloatVector p1 = p0;
            FloatVector p2 = p0;
            FloatVector p3 = p0;
            for (int i = i0; i < i1; i++) {
                int at = i * TILE;
                FloatVector xv = FloatVector.broadcast(FLOATS, x[xa + i]);
                p0 = widen(w, at).fma(xv, p0);
                p1 = widen(w, at + LANES).fma(xv, p1);
                p2 = widen(w, at + 2 * LANES).fma(xv, p2);
                p3 = widen(w, at + 3 * LANES).fma(xv, p3);
            }
            a0 = p0.fma(FloatVector.fromArray(FLOATS, s, si), a0);
            a1 = p1.fma(FloatVector.fromArray(FLOATS, s, si + LANES), a1);
            a2 = p2.fma(FloatVector.fromArray(FLOATS, s, si + 2 * LANES), a2);
            a3 = p3.fma(FloatVector.fromArray(FLOATS, s, si + 3 * LANES), a3);
        }
        a0.intoArray(y, ya);
        a1.intoArray(y, ya + LANES);
        a2.intoArray(y, ya + 2 * LANES);
        a3.intoArray(y, ya + 3 * LANES);
    }

    private static void twoRowsOfTile(byte[] w, float[] s, int in, float[] x, int xa, float[] y, int ya,
            int stride) {
        FloatVector a0 = FloatVector.zero(FLOATS);
        FloatVector a1 = a0;
        FloatVector a2 = a0;
        FloatVector a3 = a0;
        FloatVector b0 = a0;
        FloatVector b1 = a0;
        FloatVector b2 = a0;
        FloatVector b3 = a0;
        int xb = xa + in;
        for (int i0 = 0, si = 0; i0 < in; i0 += BLOCK, si += TILE) {
            int i1 = Math.min(in, i0 + BLOCK);
            FloatVector p0 = FloatVector.zero(FLOATS);
            FloatVector p1 = p0;
            FloatVector p2 = p0;
            FloatVector p3 = p0;
            FloatVector q0 = p0;
            FloatVector q1 = p0;
            FloatVector q2 = p0;
            FloatVector q3 = p0;
            for (int i = i0; i < i1; i++) {
                int at = i * TILE;
                FloatVector w0 = widen(w, at);
                FloatVector w1 = widen(w, at + LANES);
                FloatVector w2 = widen(w, at + 2 * LANES);
                FloatVector w3 = widen(w, at + 3 * LANES);
                FloatVector xv = FloatVector.broadcast(FLOATS, x[xa + i]);
                p0 = w0.fma(xv, p0);
                p1 = w1.fma(xv, p1);
                p2 = w2.fma(xv, p2);
                p3 = w3.fma(xv, p3);
                FloatVector xw = FloatVector.broadcast(FLOATS, x[xb + i]);
                q0 = w0.fma(xw, q0);
                q1 = w1.fma(xw, q1);
                q2 = w2.fma(xw, q2);
                q3 = w3.fma(xw, q3);
            }
            FloatVector s0 = FloatVector.fromArray(FLOATS, s, si);
            FloatVector s1 = FloatVector.fromArray(FLOATS, s, si + LANES);
            FloatVector s2 = FloatVector.fromArray(FLOATS, s, si + 2 * LANES);
            FloatVector s3 = FloatVector.fromArray(FLOATS, s, si + 3 * LANES);
            a0 = p0.fma(s0, a0);
            a1 = p1.fma(s1, a1);
            a2 = p2.fma(s2, a2);
            a3 = p3.fma(s3, a3);
            b0 = q0.fma(s0, b0);
            b1 = q1.fma(s1, b1);
            b2 = q2.fma(s2, b2);
            b3 = q3.fma(s3, b3);
        }
        a0.intoArray(y, ya);
        a1.intoArray(y, ya + LANES);
        a2.intoArray(y, ya + 2 * LANES);
        a3.intoArray(y, ya + 3 * LANES);
        b0.intoArray(y, ya + stride);
        b1.intoArray(y, ya + stride + LANES);
        b2.intoArray(y, ya + stride + 2 * LANES);
        b3.intoArray(y, ya + stride + 3 * LANES);
    }

    /**
     * Rows {@code xa} … {@code xa + 7·in} times the half of a tile from output {@code first}, each weight times
     * its block's scale, four quarters of the inputs at once.
     */
    private static void eightRows(byte[] w, float[] s, int first, int in, float[] x, int xa, float[] y, int ya,
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
        for (int q = 0; q < n; q++) {
            int i = q;
            int wi = i * TILE + first;
            int si = i / BLOCK * TILE + first;
            FloatVector w0 = ((FloatVector) ByteVector.fromArray(BYTES, w, wi)
                    .convertShape(VectorOperators.B2F, FLOATS, 0))
                    .mul(FloatVector.fromArray(FLOATS, s, si));
            FloatVector w1 = ((FloatVector) ByteVector.fromArray(BYTES, w, wi + LANES)
                    .convertShape(VectorOperators.B2F, FLOATS, 0))
                    .mul(FloatVector.fromArray(FLOATS, s, si + LANES));
            int xi = xa + i;
            FloatVector xv;
            xv = FloatVector.broadcast(FLOATS, x[xi]); a0 = w0.fma(xv, a0); a1 = w1.fma(xv, a1);
            xv = FloatVector.broadcast(FLOATS, x[xi + in]); b0 = w0.fma(xv, b0); b1 = w1.fma(xv, b1);
            xv = FloatVector.broadcast(FLOATS, x[xi + 2 * in]); c0 = w0.fma(xv, c0); c1 = w1.fma(xv, c1);
            xv = FloatVector.broadcast(FLOATS, x[xi + 3 * in]); d0 = w0.fma(xv, d0); d1 = w1.fma(xv, d1);
            xv = FloatVector.broadcast(FLOATS, x[xi + 4 * in]); e0 = w0.fma(xv, e0); e1 = w1.fma(xv, e1);
            xv = FloatVector.broadcast(FLOATS, x[xi + 5 * in]); f0 = w0.fma(xv, f0); f1 = w1.fma(xv, f1);
            xv = FloatVector.broadcast(FLOATS, x[xi + 6 * in]); g0 = w0.fma(xv, g0); g1 = w1.fma(xv, g1);
            xv = FloatVector.broadcast(FLOATS, x[xi + 7 * in]); h0 = w0.fma(xv, h0); h1 = w1.fma(xv, h1);
            i = q + n;
            wi = i * TILE + first;
            si = i / BLOCK * TILE + first;
            w0 = ((FloatVector) ByteVector.fromArray(BYTES, w, wi)
                    .convertShape(VectorOperators.B2F, FLOATS, 0))
                    .mul(FloatVector.fromArray(FLOATS, s, si));
            w1 = ((FloatVector) ByteVector.fromArray(BYTES, w, wi + LANES)
                    .convertShape(VectorOperators.B2F, FLOATS, 0))
                    .mul(FloatVector.fromArray(FLOATS, s, si + LANES));
            xi = xa + i;
            xv = FloatVector.broadcast(FLOATS, x[xi]); a0 = w0.fma(xv, a0); a1 = w1.fma(xv, a1);
            xv = FloatVector.broadcast(FLOATS, x[xi + in]); b0 = w0.fma(xv, b0); b1 = w1.fma(xv, b1);
            xv = FloatVector.broadcast(FLOATS, x[xi + 2 * in]); c0 = w0.fma(xv, c0); c1 = w1.fma(xv, c1);
            xv = FloatVector.broadcast(FLOATS, x[xi + 3 * in]); d0 = w0.fma(xv, d0); d1 = w1.fma(xv, d1);
            xv = FloatVector.broadcast(FLOATS, x[xi + 4 * in]); e0 = w0.fma(xv, e0); e1 = w1.fma(xv, e1);
            xv = FloatVector.broadcast(FLOATS, x[xi + 5 * in]); f0 = w0.fma(xv, f0); f1 = w1.fma(xv, f1);
            xv = FloatVector.broadcast(FLOATS, x[xi + 6 * in]); g0 = w0.fma(xv, g0); g1 = w1.fma(xv, g1);
            xv = FloatVector.broadcast(FLOATS, x[xi + 7 * in]); h0 = w0.fma(xv, h0); h1 = w1.fma(xv, h1);
            i = q + 2 * n;
            wi = i * TILE + first;
            si = i / BLOCK * TILE + first;
            w0 = ((FloatVector) ByteVector.fromArray(BYTES, w, wi)
                    .convertShape(VectorOperators.B2F, FLOATS, 0))
                    .mul(FloatVector.fromArray(FLOATS, s, si));
            w1 = ((FloatVector) ByteVector.fromArray(BYTES, w, wi + LANES)
                    .convertShape(VectorOperators.B2F, FLOATS, 0))
                    .mul(FloatVector.fromArray(FLOATS, s, si + LANES));
            xi = xa + i;
            xv = FloatVector.broadcast(FLOATS, x[xi]); a0 = w0.fma(xv, a0); a1 = w1.fma(xv, a1);
            xv = FloatVector.broadcast(FLOATS, x[xi + in]); b0 = w0.fma(xv, b0); b1 = w1.fma(xv, b1);
            xv = FloatVector.broadcast(FLOATS, x[xi + 2 * in]); c0 = w0.fma(xv, c0); c1 = w1.fma(xv, c1);
            xv = FloatVector.broadcast(FLOATS, x[xi + 3 * in]); d0 = w0.fma(xv, d0); d1 = w1.fma(xv, d1);
            xv = FloatVector.broadcast(FLOATS, x[xi + 4 * in]); e0 = w0.fma(xv, e0); e1 = w1.fma(xv, e1);
            xv = FloatVector.broadcast(FLOATS, x[xi + 5 * in]); f0 = w0.fma(xv, f0); f1 = w1.fma(xv, f1);
            xv = FloatVector.broadcast(FLOATS, x[xi + 6 * in]); g0 = w0.fma(xv, g0); g1 = w1.fma(xv, g1);
            xv = FloatVector.broadcast(FLOATS, x[xi + 7 * in]); h0 = w0.fma(xv, h0); h1 = w1.fma(xv, h1);
            i = q + 3 * n;
            wi = i * TILE + first;
            si = i / BLOCK * TILE + first;
            w0 = ((FloatVector) ByteVector.fromArray(BYTES, w, wi)
                    .convertShape(VectorOperators.B2F, FLOATS, 0))
                    .mul(FloatVector.fromArray(FLOATS, s, si));
            w1 = ((FloatVector) ByteVector.fromArray(BYTES, w, wi + LANES)
                    .convertShape(VectorOperators.B2F, FLOATS, 0))
                    .mul(FloatVector.fromArray(FLOATS, s, si + LANES));
            xi = xa + i;
            xv = FloatVector.broadcast(FLOATS, x[xi]); a0 = w0.fma(xv, a0); a1 = w1.fma(xv, a1);
            xv = FloatVector.broadcast(FLOATS, x[xi + in]); b0 = w0.fma(xv, b0); b1 = w1.fma(xv, b1);
            xv = FloatVector.broadcast(FLOATS, x[xi + 2 * in]); c0 = w0.fma(xv, c0); c1 = w1.fma(xv, c1);
            xv = FloatVector.broadcast(FLOATS, x[xi + 3 * in]); d0 = w0.fma(xv, d0); d1 = w1.fma(xv, d1);
            xv = FloatVector.broadcast(FLOATS, x[xi + 4 * in]); e0 = w0.fma(xv, e0); e1 = w1.fma(xv, e1);
            xv = FloatVector.broadcast(FLOATS, x[xi + 5 * in]); f0 = w0.fma(xv, f0); f1 = w1.fma(xv, f1);
            xv = FloatVector.broadcast(FLOATS, x[xi + 6 * in]); g0 = w0.fma(xv, g0); g1 = w1.fma(xv, g1);
            xv = FloatVector.broadcast(FLOATS, x[xi + 7 * in]); h0 = w0.fma(xv, h0); h1 = w1.fma(xv, h1);
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

    /**
     * Rows {@code xa} … {@code xa + 3·in} times the half of a tile from output {@code first}, each weight times
     * its block's scale, four quarters of the inputs at once.
     */
    private static void fourRows(byte[] w, float[] s, int first, int in, float[] x, int xa, float[] y, int ya,
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
        for (int q = 0; q < n; q++) {
            int i = q;
            int wi = i * TILE + first;
            int si = i / BLOCK * TILE + first;
            FloatVector w0 = ((FloatVector) ByteVector.fromArray(BYTES, w, wi)
                    .convertShape(VectorOperators.B2F, FLOATS, 0))
                    .mul(FloatVector.fromArray(FLOATS, s, si));
            FloatVector w1 = ((FloatVector) ByteVector.fromArray(BYTES, w, wi + LANES)
                    .convertShape(VectorOperators.B2F, FLOATS, 0))
                    .mul(FloatVector.fromArray(FLOATS, s, si + LANES));
            int xi = xa + i;
            FloatVector xv;
            xv = FloatVector.broadcast(FLOATS, x[xi]); a0 = w0.fma(xv, a0); a1 = w1.fma(xv, a1);
            xv = FloatVector.broadcast(FLOATS, x[xi + in]); b0 = w0.fma(xv, b0); b1 = w1.fma(xv, b1);
            xv = FloatVector.broadcast(FLOATS, x[xi + 2 * in]); c0 = w0.fma(xv, c0); c1 = w1.fma(xv, c1);
            xv = FloatVector.broadcast(FLOATS, x[xi + 3 * in]); d0 = w0.fma(xv, d0); d1 = w1.fma(xv, d1);
            i = q + n;
            wi = i * TILE + first;
            si = i / BLOCK * TILE + first;
            w0 = ((FloatVector) ByteVector.fromArray(BYTES, w, wi)
                    .convertShape(VectorOperators.B2F, FLOATS, 0))
                    .mul(FloatVector.fromArray(FLOATS, s, si));
            w1 = ((FloatVector) ByteVector.fromArray(BYTES, w, wi + LANES)
                    .convertShape(VectorOperators.B2F, FLOATS, 0))
                    .mul(FloatVector.fromArray(FLOATS, s, si + LANES));
            xi = xa + i;
            xv = FloatVector.broadcast(FLOATS, x[xi]); a0 = w0.fma(xv, a0); a1 = w1.fma(xv, a1);
            xv = FloatVector.broadcast(FLOATS, x[xi + in]); b0 = w0.fma(xv, b0); b1 = w1.fma(xv, b1);
            xv = FloatVector.broadcast(FLOATS, x[xi + 2 * in]); c0 = w0.fma(xv, c0); c1 = w1.fma(xv, c1);
            xv = FloatVector.broadcast(FLOATS, x[xi + 3 * in]); d0 = w0.fma(xv, d0); d1 = w1.fma(xv, d1);
            i = q + 2 * n;
            wi = i * TILE + first;
            si = i / BLOCK * TILE + first;
            w0 = ((FloatVector) ByteVector.fromArray(BYTES, w, wi)
                    .convertShape(VectorOperators.B2F, FLOATS, 0))
                    .mul(FloatVector.fromArray(FLOATS, s, si));
            w1 = ((FloatVector) ByteVector.fromArray(BYTES, w, wi + LANES)
                    .convertShape(VectorOperators.B2F, FLOATS, 0))
                    .mul(FloatVector.fromArray(FLOATS, s, si + LANES));
            xi = xa + i;
            xv = FloatVector.broadcast(FLOATS, x[xi]); a0 = w0.fma(xv, a0); a1 = w1.fma(xv, a1);
            xv = FloatVector.broadcast(FLOATS, x[xi + in]); b0 = w0.fma(xv, b0); b1 = w1.fma(xv, b1);
            xv = FloatVector.broadcast(FLOATS, x[xi + 2 * in]); c0 = w0.fma(xv, c0); c1 = w1.fma(xv, c1);
            xv = FloatVector.broadcast(FLOATS, x[xi + 3 * in]); d0 = w0.fma(xv, d0); d1 = w1.fma(xv, d1);
            i = q + 3 * n;
            wi = i * TILE + first;
            si = i / BLOCK * TILE + first;
            w0 = ((FloatVector) ByteVector.fromArray(BYTES, w, wi)
                    .convertShape(VectorOperators.B2F, FLOATS, 0))
                    .mul(FloatVector.fromArray(FLOATS, s, si));
            w1 = ((FloatVector) ByteVector.fromArray(BYTES, w, wi + LANES)
                    .convertShape(VectorOperators.B2F, FLOATS, 0))
                    .mul(FloatVector.fromArray(FLOATS, s, si + LANES));
            xi = xa + i;
            xv = FloatVector.broadcast(FLOATS, x[xi]); a0 = w0.fma(xv, a0); a1 = w1.fma(xv, a1);
            xv = FloatVector.broadcast(FLOATS, x[xi + in]); b0 = w0.fma(xv, b0); b1 = w1.fma(xv, b1);
            xv = FloatVector.broadcast(FLOATS, x[xi + 2 * in]); c0 = w0.fma(xv, c0); c1 = w1.fma(xv, c1);
            xv = FloatVector.broadcast(FLOATS, x[xi + 3 * in]); d0 = w0.fma(xv, d0); d1 = w1.fma(xv, d1);
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
     * Adds to the sums of rows 0 … {@code quartered − 1} in {@code y} the products of the last {@code in % 4} inputs,
     * which the quarters of {@link #eightRows} and {@link #fourRows} leave out; a method of its own, so that those
     * kernels stay one loop each.
     */
    private static void addRest(byte[] w, float[] s, int first, int in, float[] x, int quartered, float[] y, int ya,
            int stride) {
        for (int m = 0, at = ya; m < quartered; m++, at += stride) {
            FloatVector a0 = FloatVector.fromArray(FLOATS, y, at);
            FloatVector a1 = FloatVector.fromArray(FLOATS, y, at + LANES);
            for (int i = in - in % 4; i < in; i++) {
                int wi = i * TILE + first;
                int si = i / BLOCK * TILE + first;
                FloatVector w0 = ((FloatVector) ByteVector.fromArray(BYTES, w, wi)
                        .convertShape(VectorOperators.B2F, FLOATS, 0))
                        .mul(FloatVector.fromArray(FLOATS, s, si));
                FloatVector w1 = ((FloatVector) ByteVector.fromArray(BYTES, w, wi + LANES)
                        .convertShape(VectorOperators.B2F, FLOATS, 0))
                        .mul(FloatVector.fromArray(FLOATS, s, si + LANES));
                FloatVector xv = FloatVector.broadcast(FLOATS, x[m * in + i]);
                a0 = w0.fma(xv, a0);
                a1 = w1.fma(xv, a1);
            }
            a0.intoArray(y, at);
            a1.intoArray(y, at + LANES);
        }
    }

    /**
     * Rows {@code xa} and {@code xa + in} times the half of a tile from output {@code first}, each weight times
     * its block's scale.
     */
    private static void twoRows(byte[] w, float[] s, int first, int in, float[] x, int xa, float[] y, int ya,
            int stride) {
        FloatVector a0 = FloatVector.zero(FLOATS);
        FloatVector a1 = a0;
        FloatVector b0 = a0;
        FloatVector b1 = a0;
        for (int i = 0, wi = first; i < in; i++, wi += TILE) {
            int si = i / BLOCK * TILE + first;
            FloatVector w0 = ((FloatVector) ByteVector.fromArray(BYTES, w, wi)
                    .convertShape(VectorOperators.B2F, FLOATS, 0))
                    .mul(FloatVector.fromArray(FLOATS, s, si));
            FloatVector w1 = ((FloatVector) ByteVector.fromArray(BYTES, w, wi + LANES)
                    .convertShape(VectorOperators.B2F, FLOATS, 0))
                    .mul(FloatVector.fromArray(FLOATS, s, si + LANES));
            int xi = xa + i;
            FloatVector xv = FloatVector.broadcast(FLOATS, x[xi]);
            a0 = w0.fma(xv, a0);
            a1 = w1.fma(xv, a1);
            xv = FloatVector.broadcast(FLOATS, x[xi + in]);
            b0 = w0.fma(xv, b0);
            b1 = w1.fma(xv, b1);
        }
        a0.intoArray(y, ya);
        a1.intoArray(y, ya + LANES);
        b0.intoArray(y, ya + stride);
        b1.intoArray(y, ya + stride + LANES);
    }

    /**
     * Row {@code xa} times the half of a tile from output {@code first}, each weight times
     * its block's scale.
     */
    private static void oneRowOfHalf(byte[] w, float[] s, int first, int in, float[] x, int xa, float[] y,
            int ya) {
        FloatVector a0 = FloatVector.zero(FLOATS);
        FloatVector a1 = a0;
        for (int i = 0, wi = first; i < in; i++, wi += TILE) {
            int si = i / BLOCK * TILE + first;
            FloatVector w0 = ((FloatVector) ByteVector.fromArray(BYTES, w, wi)
                    .convertShape(VectorOperators.B2F, FLOATS, 0))
                    .mul(FloatVector.fromArray(FLOATS, s, si));
            FloatVector w1 = ((FloatVector) ByteVector.fromArray(BYTES, w, wi + LANES)
                    .convertShape(VectorOperators.B2F, FLOATS, 0))
                    .mul(FloatVector.fromArray(FLOATS, s, si + LANES));
            int xi = xa + i;
            FloatVector xv = FloatVector.broadcast(FLOATS, x[xi]);
            a0 = w0.fma(xv, a0);
            a1 = w1.fma(xv, a1);
        }
        a0.intoArray(y, ya);
        a1.intoArray(y, ya + LANES);
    }

    /** {@code LANES} int8 weights from {@code at} as floats. */
    private static FloatVector widen(byte[] w, int at) {
        return (FloatVector) ByteVector.fromArray(BYTES, w, at).convertShape(VectorOperators.B2F, FLOATS, 0);
    }
}
