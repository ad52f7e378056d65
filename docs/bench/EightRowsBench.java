import jdk.incubator.vector.*;
import java.util.*;

/**
 * Eight input rows times the 30 layers' float32 weights of the SmolLM-135M shape (q/k/v 960 x 576, output 576 x 576,
 * MLP input 3072 x 576, MLP output 576 x 1536; random), two threads, several ways, interleaved: medians of 30 rounds
 * after 10. The first was the library's until 2026-12-06 (VectorProducts: six rows over a whole tile from memory, then
 * two rows over each half from the second-level cache), then six + two over the whole tile; the library's now is "six +
 * two over four columns (now)": a tile laid out in four columns, one per vector of outputs, so that a pass reads four
 * streams of memory. Four + four over such a tile was tried after it (2026-12-07, level), and the last three ways on
 * 2026-12-08 (not faster). The others were tried as replacements and were not faster, beside one row (what memory
 * allows) and the six-row pass alone. With the argument {@code l2}: each way on one thread over two tiles again and
 * again, weights from the second-level cache, in multiply-adds per second. Inputs are random; products are not
 * checked. Used in docs/benchmarks.md ("Eight rows against the fast mode", "A Zen 5 machine", "Tiles in four columns",
 * "Attention reads two runs of rows at once", "Fast-memory runs part by part"):
 *
 * <pre>
 * javac --add-modules jdk.incubator.vector -d /tmp/erb docs/bench/EightRowsBench.java
 * java --add-modules jdk.incubator.vector -Xmx4g -cp /tmp/erb EightRowsBench [l2]
 * </pre>
 */
public class EightRowsBench {
    static final VectorSpecies<Float> F = FloatVector.SPECIES_512;
    static final int L = 16, TILE = 64, HALF = 32, T3 = 48;

    // The library's float32 layout until 2026-12-06: a tile of 64 outputs is two halves [in][32] (now four columns, v15).
    static float[][] pack64(Random r, int out, int in) {
        int tiles = (out + TILE - 1) / TILE; float[][] t = new float[tiles][];
        for (int k = 0; k < tiles; k++) { t[k] = new float[in * TILE]; for (int j = 0; j < t[k].length; j++) t[k][j] = (float) r.nextGaussian(); }
        return t;
    }
    static float[][] pack48(Random r, int out, int in) {
        int tiles = (out + T3 - 1) / T3; float[][] t = new float[tiles][];
        for (int k = 0; k < tiles; k++) { t[k] = new float[in * T3]; for (int j = 0; j < t[k].length; j++) t[k][j] = (float) r.nextGaussian(); }
        return t;
    }

    // The library's passes: six rows over the whole tile, then two rows over each half.
    static void v0(float[][] tiles, int in, float[] x, float[] y, int t0, int t1, int stride) {
        for (int t = t0; t < t1; t++) {
            float[] w = tiles[t]; int ya = t * TILE;
            six(w, in, x, 0, y, ya, stride);
            two(w, 0, in, x, 6 * in, y, ya + 6 * stride, stride);
            two(w, in * HALF, in, x, 6 * in, y, ya + HALF + 6 * stride, stride);
        }
    }
    // Blocks of B inputs: six rows, then two rows over each half from the first-level cache, sums kept in y.
    static final int B = 64;
    static void v1(float[][] tiles, int in, float[] x, float[] y, int t0, int t1, int stride) {
        for (int t = t0; t < t1; t++) {
            float[] w = tiles[t]; int ya = t * TILE;
            for (int i0 = 0; i0 < in; i0 += B) {
                int i1 = Math.min(in, i0 + B);
                sixAcc(w, in, x, 0, y, ya, stride, i0, i1, i0 == 0);
                twoAcc(w, 0, in, x, 6 * in, y, ya + 6 * stride, stride, i0, i1, i0 == 0);
                twoAcc(w, in * HALF, in, x, 6 * in, y, ya + HALF + 6 * stride, stride, i0, i1, i0 == 0);
            }
        }
    }
    // The library's passes with each input value pre-broadcast to a vector in memory (loads instead of broadcasts).
    static void v3(float[][] tiles, int in, float[] x, float[] y, int t0, int t1, int stride) {
        for (int t = t0; t < t1; t++) {
            float[] w = tiles[t]; int ya = t * TILE;
            sixX(w, in, x, 0, y, ya, stride);
            twoX(w, 0, in, x, 6 * in, y, ya + 6 * stride, stride);
            twoX(w, in * HALF, in, x, 6 * in, y, ya + HALF + 6 * stride, stride);
        }
    }
    // Tiles of 48 outputs [in][48]: eight rows in one pass from memory (24 accumulators).
    static void v2(float[][] tiles, int in, float[] x, float[] y, int t0, int t1, int stride) {
        for (int t = t0; t < t1; t++) {
            eight3(tiles[t], in, x, 0, y, t * T3, stride);
        }
    }

    // Eight rows over each half [in][32] from memory: 16 accumulators, one weight stream at a time.
    static void v4(float[][] tiles, int in, float[] x, float[] y, int t0, int t1, int stride) {
        for (int t = t0; t < t1; t++) {
            float[] w = tiles[t]; int ya = t * TILE;
            eight2(w, 0, in, x, 0, y, ya, stride);
            eight2(w, in * HALF, in, x, 0, y, ya + HALF, stride);
        }
    }
    static void eight2(float[] w, int wa, int in, float[] x, int xa, float[] y, int ya, int stride) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0, b0 = a0, b1 = a0, c0 = a0, c1 = a0, d0 = a0, d1 = a0,
            e0 = a0, e1 = a0, f0 = a0, f1 = a0, g0 = a0, g1 = a0, h0 = a0, h1 = a0;
        for (int i = 0, wi = wa; i < in; i++, wi += HALF) {
            FloatVector w0 = FloatVector.fromArray(F, w, wi), w1 = FloatVector.fromArray(F, w, wi + L);
            int xi = xa + i;
            FloatVector xv = FloatVector.broadcast(F, x[xi]); a0 = w0.fma(xv, a0); a1 = w1.fma(xv, a1);
            xv = FloatVector.broadcast(F, x[xi + in]); b0 = w0.fma(xv, b0); b1 = w1.fma(xv, b1);
            xv = FloatVector.broadcast(F, x[xi + 2 * in]); c0 = w0.fma(xv, c0); c1 = w1.fma(xv, c1);
            xv = FloatVector.broadcast(F, x[xi + 3 * in]); d0 = w0.fma(xv, d0); d1 = w1.fma(xv, d1);
            xv = FloatVector.broadcast(F, x[xi + 4 * in]); e0 = w0.fma(xv, e0); e1 = w1.fma(xv, e1);
            xv = FloatVector.broadcast(F, x[xi + 5 * in]); f0 = w0.fma(xv, f0); f1 = w1.fma(xv, f1);
            xv = FloatVector.broadcast(F, x[xi + 6 * in]); g0 = w0.fma(xv, g0); g1 = w1.fma(xv, g1);
            xv = FloatVector.broadcast(F, x[xi + 7 * in]); h0 = w0.fma(xv, h0); h1 = w1.fma(xv, h1);
        }
        a0.intoArray(y, ya); a1.intoArray(y, ya + L);
        b0.intoArray(y, ya + stride); b1.intoArray(y, ya + stride + L);
        c0.intoArray(y, ya + 2 * stride); c1.intoArray(y, ya + 2 * stride + L);
        d0.intoArray(y, ya + 3 * stride); d1.intoArray(y, ya + 3 * stride + L);
        e0.intoArray(y, ya + 4 * stride); e1.intoArray(y, ya + 4 * stride + L);
        f0.intoArray(y, ya + 5 * stride); f1.intoArray(y, ya + 5 * stride + L);
        g0.intoArray(y, ya + 6 * stride); g1.intoArray(y, ya + 6 * stride + L);
        h0.intoArray(y, ya + 7 * stride); h1.intoArray(y, ya + 7 * stride + L);
    }
    // Single row over the whole tile from memory, for the memory floor.
    static void v5(float[][] tiles, int in, float[] x, float[] y, int t0, int t1, int stride) {
        for (int t = t0; t < t1; t++) {
            float[] w = tiles[t]; int ya = t * TILE; int wb = in * HALF;
            FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
            for (int i = 0, wi = 0; i < in; i++, wi += HALF) {
                FloatVector xv = FloatVector.broadcast(F, x[i]);
                a0 = FloatVector.fromArray(F, w, wi).fma(xv, a0); a1 = FloatVector.fromArray(F, w, wi + L).fma(xv, a1);
                a2 = FloatVector.fromArray(F, w, wb + wi).fma(xv, a2); a3 = FloatVector.fromArray(F, w, wb + wi + L).fma(xv, a3);
            }
            a0.intoArray(y, ya); a1.intoArray(y, ya + L); a2.intoArray(y, ya + HALF); a3.intoArray(y, ya + HALF + L);
        }
    }
    static void v6(float[][] tiles, int in, float[] x, float[] y, int t0, int t1, int stride) {
        for (int t = t0; t < t1; t++) six(tiles[t], in, x, 0, y, t * TILE, stride);
    }
    // x transposed: row r's input i at xt[i * 8 + r]; indices from i alone.
    static void v7(float[][] tiles, int in, float[] xt, float[] y, int t0, int t1, int stride) {
        for (int t = t0; t < t1; t++) {
            float[] w = tiles[t]; int ya = t * TILE;
            sixT(w, in, xt, y, ya, stride);
            two(w, 0, in, xt8, 6 * in, y, ya + 6 * stride, stride);
            two(w, in * HALF, in, xt8, 6 * in, y, ya + HALF + 6 * stride, stride);
        }
    }
    /** The rows as the library lays them out, for v7's two-row passes (its six-row pass reads the transposed ones). */
    static float[] xt8;
    static void v8(float[][] tiles, int in, float[] xt, float[] y, int t0, int t1, int stride) {
        for (int t = t0; t < t1; t++) eight3T(tiles[t], in, xt, y, t * T3, stride);
    }
    static void sixT(float[] w, int in, float[] x, float[] y, int ya, int stride) {
        int wb = in * HALF;
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0, c0 = a0, c1 = a0, c2 = a0, c3 = a0,
            d0 = a0, d1 = a0, d2 = a0, d3 = a0, e0 = a0, e1 = a0, e2 = a0, e3 = a0, f0 = a0, f1 = a0, f2 = a0, f3 = a0;
        for (int i = 0; i < in; i++) {
            FloatVector w0 = FloatVector.fromArray(F, w, i * HALF), w1 = FloatVector.fromArray(F, w, i * HALF + L),
                w2 = FloatVector.fromArray(F, w, wb + i * HALF), w3 = FloatVector.fromArray(F, w, wb + i * HALF + L);
            FloatVector xv = FloatVector.broadcast(F, x[i * 8]);
            a0 = w0.fma(xv, a0); a1 = w1.fma(xv, a1); a2 = w2.fma(xv, a2); a3 = w3.fma(xv, a3);
            xv = FloatVector.broadcast(F, x[i * 8 + 1]);
            b0 = w0.fma(xv, b0); b1 = w1.fma(xv, b1); b2 = w2.fma(xv, b2); b3 = w3.fma(xv, b3);
            xv = FloatVector.broadcast(F, x[i * 8 + 2]);
            c0 = w0.fma(xv, c0); c1 = w1.fma(xv, c1); c2 = w2.fma(xv, c2); c3 = w3.fma(xv, c3);
            xv = FloatVector.broadcast(F, x[i * 8 + 3]);
            d0 = w0.fma(xv, d0); d1 = w1.fma(xv, d1); d2 = w2.fma(xv, d2); d3 = w3.fma(xv, d3);
            xv = FloatVector.broadcast(F, x[i * 8 + 4]);
            e0 = w0.fma(xv, e0); e1 = w1.fma(xv, e1); e2 = w2.fma(xv, e2); e3 = w3.fma(xv, e3);
            xv = FloatVector.broadcast(F, x[i * 8 + 5]);
            f0 = w0.fma(xv, f0); f1 = w1.fma(xv, f1); f2 = w2.fma(xv, f2); f3 = w3.fma(xv, f3);
        }
        int yb = ya + HALF;
        a0.intoArray(y, ya); a1.intoArray(y, ya + L); a2.intoArray(y, yb); a3.intoArray(y, yb + L);
        b0.intoArray(y, ya + stride); b1.intoArray(y, ya + stride + L); b2.intoArray(y, yb + stride); b3.intoArray(y, yb + stride + L);
        c0.intoArray(y, ya + 2 * stride); c1.intoArray(y, ya + 2 * stride + L); c2.intoArray(y, yb + 2 * stride); c3.intoArray(y, yb + 2 * stride + L);
        d0.intoArray(y, ya + 3 * stride); d1.intoArray(y, ya + 3 * stride + L); d2.intoArray(y, yb + 3 * stride); d3.intoArray(y, yb + 3 * stride + L);
        e0.intoArray(y, ya + 4 * stride); e1.intoArray(y, ya + 4 * stride + L); e2.intoArray(y, yb + 4 * stride); e3.intoArray(y, yb + 4 * stride + L);
        f0.intoArray(y, ya + 5 * stride); f1.intoArray(y, ya + 5 * stride + L); f2.intoArray(y, yb + 5 * stride); f3.intoArray(y, yb + 5 * stride + L);
    }
    static void eight3T(float[] w, int in, float[] x, float[] y, int ya, int stride) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, b0 = a0, b1 = a0, b2 = a0, c0 = a0, c1 = a0, c2 = a0, d0 = a0, d1 = a0, d2 = a0,
            e0 = a0, e1 = a0, e2 = a0, f0 = a0, f1 = a0, f2 = a0, g0 = a0, g1 = a0, g2 = a0, h0 = a0, h1 = a0, h2 = a0;
        for (int i = 0; i < in; i++) {
            FloatVector w0 = FloatVector.fromArray(F, w, i * T3), w1 = FloatVector.fromArray(F, w, i * T3 + L), w2 = FloatVector.fromArray(F, w, i * T3 + 2 * L);
            FloatVector xv = FloatVector.broadcast(F, x[i * 8]); a0 = w0.fma(xv, a0); a1 = w1.fma(xv, a1); a2 = w2.fma(xv, a2);
            xv = FloatVector.broadcast(F, x[i * 8 + 1]); b0 = w0.fma(xv, b0); b1 = w1.fma(xv, b1); b2 = w2.fma(xv, b2);
            xv = FloatVector.broadcast(F, x[i * 8 + 2]); c0 = w0.fma(xv, c0); c1 = w1.fma(xv, c1); c2 = w2.fma(xv, c2);
            xv = FloatVector.broadcast(F, x[i * 8 + 3]); d0 = w0.fma(xv, d0); d1 = w1.fma(xv, d1); d2 = w2.fma(xv, d2);
            xv = FloatVector.broadcast(F, x[i * 8 + 4]); e0 = w0.fma(xv, e0); e1 = w1.fma(xv, e1); e2 = w2.fma(xv, e2);
            xv = FloatVector.broadcast(F, x[i * 8 + 5]); f0 = w0.fma(xv, f0); f1 = w1.fma(xv, f1); f2 = w2.fma(xv, f2);
            xv = FloatVector.broadcast(F, x[i * 8 + 6]); g0 = w0.fma(xv, g0); g1 = w1.fma(xv, g1); g2 = w2.fma(xv, g2);
            xv = FloatVector.broadcast(F, x[i * 8 + 7]); h0 = w0.fma(xv, h0); h1 = w1.fma(xv, h1); h2 = w2.fma(xv, h2);
        }
        a0.intoArray(y, ya); a1.intoArray(y, ya + L); a2.intoArray(y, ya + 2 * L);
        b0.intoArray(y, ya + stride); b1.intoArray(y, ya + stride + L); b2.intoArray(y, ya + stride + 2 * L);
        c0.intoArray(y, ya + 2 * stride); c1.intoArray(y, ya + 2 * stride + L); c2.intoArray(y, ya + 2 * stride + 2 * L);
        d0.intoArray(y, ya + 3 * stride); d1.intoArray(y, ya + 3 * stride + L); d2.intoArray(y, ya + 3 * stride + 2 * L);
        e0.intoArray(y, ya + 4 * stride); e1.intoArray(y, ya + 4 * stride + L); e2.intoArray(y, ya + 4 * stride + 2 * L);
        f0.intoArray(y, ya + 5 * stride); f1.intoArray(y, ya + 5 * stride + L); f2.intoArray(y, ya + 5 * stride + 2 * L);
        g0.intoArray(y, ya + 6 * stride); g1.intoArray(y, ya + 6 * stride + L); g2.intoArray(y, ya + 6 * stride + 2 * L);
        h0.intoArray(y, ya + 7 * stride); h1.intoArray(y, ya + 7 * stride + L); h2.intoArray(y, ya + 7 * stride + 2 * L);
    }
    static int D = Integer.getInteger("d", 24);
    static float sink;
    static void v9(float[][] tiles, int in, float[] x, float[] y, int t0, int t1, int stride) {
        for (int t = t0; t < t1; t++) {
            float[] w = tiles[t]; int ya = t * TILE;
            sixP(w, in, x, 0, y, ya, stride);
            two(w, 0, in, x, 6 * in, y, ya + 6 * stride, stride);
            two(w, in * HALF, in, x, 6 * in, y, ya + HALF + 6 * stride, stride);
        }
    }
    // Six rows over the whole tile, then the two other rows over the whole tile too (eight accumulators).
    static void v10(float[][] tiles, int in, float[] x, float[] y, int t0, int t1, int stride) {
        for (int t = t0; t < t1; t++) {
            float[] w = tiles[t]; int ya = t * TILE;
            six(w, in, x, 0, y, ya, stride);
            twoWhole(w, in, x, 6 * in, y, ya + 6 * stride, stride);
        }
    }
    static void twoWhole(float[] w, int in, float[] x, int xa, float[] y, int ya, int stride) {
        int wb = in * HALF;
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0; int xb = xa + in;
        for (int i = 0, wi = 0; i < in; i++, wi += HALF) {
            FloatVector w0 = FloatVector.fromArray(F, w, wi), w1 = FloatVector.fromArray(F, w, wi + L),
                w2 = FloatVector.fromArray(F, w, wb + wi), w3 = FloatVector.fromArray(F, w, wb + wi + L);
            FloatVector xv = FloatVector.broadcast(F, x[xa + i]);
            a0 = w0.fma(xv, a0); a1 = w1.fma(xv, a1); a2 = w2.fma(xv, a2); a3 = w3.fma(xv, a3);
            xv = FloatVector.broadcast(F, x[xb + i]);
            b0 = w0.fma(xv, b0); b1 = w1.fma(xv, b1); b2 = w2.fma(xv, b2); b3 = w3.fma(xv, b3);
        }
        int yb = ya + HALF;
        a0.intoArray(y, ya); a1.intoArray(y, ya + L); a2.intoArray(y, yb); a3.intoArray(y, yb + L);
        b0.intoArray(y, ya + stride); b1.intoArray(y, ya + stride + L); b2.intoArray(y, yb + stride); b3.intoArray(y, yb + stride + L);
    }
    static void six(float[] w, int in, float[] x, int xa, float[] y, int ya, int stride) {
        int wb = in * HALF;
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0, c0 = a0, c1 = a0, c2 = a0, c3 = a0,
            d0 = a0, d1 = a0, d2 = a0, d3 = a0, e0 = a0, e1 = a0, e2 = a0, e3 = a0, f0 = a0, f1 = a0, f2 = a0, f3 = a0;
        for (int i = 0, wi = 0; i < in; i++, wi += HALF) {
            FloatVector w0 = FloatVector.fromArray(F, w, wi), w1 = FloatVector.fromArray(F, w, wi + L),
                w2 = FloatVector.fromArray(F, w, wb + wi), w3 = FloatVector.fromArray(F, w, wb + wi + L);
            int xi = xa + i;
            FloatVector xv = FloatVector.broadcast(F, x[xi]);
            a0 = w0.fma(xv, a0); a1 = w1.fma(xv, a1); a2 = w2.fma(xv, a2); a3 = w3.fma(xv, a3);
            xv = FloatVector.broadcast(F, x[xi + in]);
            b0 = w0.fma(xv, b0); b1 = w1.fma(xv, b1); b2 = w2.fma(xv, b2); b3 = w3.fma(xv, b3);
            xv = FloatVector.broadcast(F, x[xi + 2 * in]);
            c0 = w0.fma(xv, c0); c1 = w1.fma(xv, c1); c2 = w2.fma(xv, c2); c3 = w3.fma(xv, c3);
            xv = FloatVector.broadcast(F, x[xi + 3 * in]);
            d0 = w0.fma(xv, d0); d1 = w1.fma(xv, d1); d2 = w2.fma(xv, d2); d3 = w3.fma(xv, d3);
            xv = FloatVector.broadcast(F, x[xi + 4 * in]);
            e0 = w0.fma(xv, e0); e1 = w1.fma(xv, e1); e2 = w2.fma(xv, e2); e3 = w3.fma(xv, e3);
            xv = FloatVector.broadcast(F, x[xi + 5 * in]);
            f0 = w0.fma(xv, f0); f1 = w1.fma(xv, f1); f2 = w2.fma(xv, f2); f3 = w3.fma(xv, f3);
        }
        int yb = ya + HALF;
        a0.intoArray(y, ya); a1.intoArray(y, ya + L); a2.intoArray(y, yb); a3.intoArray(y, yb + L);
        b0.intoArray(y, ya + stride); b1.intoArray(y, ya + stride + L); b2.intoArray(y, yb + stride); b3.intoArray(y, yb + stride + L);
        c0.intoArray(y, ya + 2 * stride); c1.intoArray(y, ya + 2 * stride + L); c2.intoArray(y, yb + 2 * stride); c3.intoArray(y, yb + 2 * stride + L);
        d0.intoArray(y, ya + 3 * stride); d1.intoArray(y, ya + 3 * stride + L); d2.intoArray(y, yb + 3 * stride); d3.intoArray(y, yb + 3 * stride + L);
        e0.intoArray(y, ya + 4 * stride); e1.intoArray(y, ya + 4 * stride + L); e2.intoArray(y, yb + 4 * stride); e3.intoArray(y, yb + 4 * stride + L);
        f0.intoArray(y, ya + 5 * stride); f1.intoArray(y, ya + 5 * stride + L); f2.intoArray(y, yb + 5 * stride); f3.intoArray(y, yb + 5 * stride + L);
    }
    static void sixP(float[] w, int in, float[] x, int xa, float[] y, int ya, int stride) {
        int wb = in * HALF;
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0, c0 = a0, c1 = a0, c2 = a0, c3 = a0,
            d0 = a0, d1 = a0, d2 = a0, d3 = a0, e0 = a0, e1 = a0, e2 = a0, e3 = a0, f0 = a0, f1 = a0, f2 = a0, f3 = a0;
        float touched = 0;
        for (int i = 0, wi = 0; i < in; i++, wi += HALF) {
            FloatVector w0 = FloatVector.fromArray(F, w, wi), w1 = FloatVector.fromArray(F, w, wi + L),
                w2 = FloatVector.fromArray(F, w, wb + wi), w3 = FloatVector.fromArray(F, w, wb + wi + L);
            int xi = xa + i;
            int ti = Math.min(wi + D * HALF, wb - 32);
            touched += w[ti] + w[ti + 16] + w[wb + ti] + w[wb + ti + 16];
            FloatVector xv = FloatVector.broadcast(F, x[xi]);
            a0 = w0.fma(xv, a0); a1 = w1.fma(xv, a1); a2 = w2.fma(xv, a2); a3 = w3.fma(xv, a3);
            xv = FloatVector.broadcast(F, x[xi + in]);
            b0 = w0.fma(xv, b0); b1 = w1.fma(xv, b1); b2 = w2.fma(xv, b2); b3 = w3.fma(xv, b3);
            xv = FloatVector.broadcast(F, x[xi + 2 * in]);
            c0 = w0.fma(xv, c0); c1 = w1.fma(xv, c1); c2 = w2.fma(xv, c2); c3 = w3.fma(xv, c3);
            xv = FloatVector.broadcast(F, x[xi + 3 * in]);
            d0 = w0.fma(xv, d0); d1 = w1.fma(xv, d1); d2 = w2.fma(xv, d2); d3 = w3.fma(xv, d3);
            xv = FloatVector.broadcast(F, x[xi + 4 * in]);
            e0 = w0.fma(xv, e0); e1 = w1.fma(xv, e1); e2 = w2.fma(xv, e2); e3 = w3.fma(xv, e3);
            xv = FloatVector.broadcast(F, x[xi + 5 * in]);
            f0 = w0.fma(xv, f0); f1 = w1.fma(xv, f1); f2 = w2.fma(xv, f2); f3 = w3.fma(xv, f3);
        }
        sink = touched;
        int yb = ya + HALF;
        a0.intoArray(y, ya); a1.intoArray(y, ya + L); a2.intoArray(y, yb); a3.intoArray(y, yb + L);
        b0.intoArray(y, ya + stride); b1.intoArray(y, ya + stride + L); b2.intoArray(y, yb + stride); b3.intoArray(y, yb + stride + L);
        c0.intoArray(y, ya + 2 * stride); c1.intoArray(y, ya + 2 * stride + L); c2.intoArray(y, yb + 2 * stride); c3.intoArray(y, yb + 2 * stride + L);
        d0.intoArray(y, ya + 3 * stride); d1.intoArray(y, ya + 3 * stride + L); d2.intoArray(y, yb + 3 * stride); d3.intoArray(y, yb + 3 * stride + L);
        e0.intoArray(y, ya + 4 * stride); e1.intoArray(y, ya + 4 * stride + L); e2.intoArray(y, yb + 4 * stride); e3.intoArray(y, yb + 4 * stride + L);
        f0.intoArray(y, ya + 5 * stride); f1.intoArray(y, ya + 5 * stride + L); f2.intoArray(y, yb + 5 * stride); f3.intoArray(y, yb + 5 * stride + L);
    }
    static void sixX(float[] w, int in, float[] x, int xa, float[] y, int ya, int stride) {
        int wb = in * HALF;
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0, c0 = a0, c1 = a0, c2 = a0, c3 = a0,
            d0 = a0, d1 = a0, d2 = a0, d3 = a0, e0 = a0, e1 = a0, e2 = a0, e3 = a0, f0 = a0, f1 = a0, f2 = a0, f3 = a0;
        for (int i = 0, wi = 0; i < in; i++, wi += HALF) {
            FloatVector w0 = FloatVector.fromArray(F, w, wi), w1 = FloatVector.fromArray(F, w, wi + L),
                w2 = FloatVector.fromArray(F, w, wb + wi), w3 = FloatVector.fromArray(F, w, wb + wi + L);
            int xi = xa + i;
            FloatVector xv = FloatVector.fromArray(F, x, (xi) * 16);
            a0 = w0.fma(xv, a0); a1 = w1.fma(xv, a1); a2 = w2.fma(xv, a2); a3 = w3.fma(xv, a3);
            xv = FloatVector.fromArray(F, x, (xi + in) * 16);
            b0 = w0.fma(xv, b0); b1 = w1.fma(xv, b1); b2 = w2.fma(xv, b2); b3 = w3.fma(xv, b3);
            xv = FloatVector.fromArray(F, x, (xi + 2 * in) * 16);
            c0 = w0.fma(xv, c0); c1 = w1.fma(xv, c1); c2 = w2.fma(xv, c2); c3 = w3.fma(xv, c3);
            xv = FloatVector.fromArray(F, x, (xi + 3 * in) * 16);
            d0 = w0.fma(xv, d0); d1 = w1.fma(xv, d1); d2 = w2.fma(xv, d2); d3 = w3.fma(xv, d3);
            xv = FloatVector.fromArray(F, x, (xi + 4 * in) * 16);
            e0 = w0.fma(xv, e0); e1 = w1.fma(xv, e1); e2 = w2.fma(xv, e2); e3 = w3.fma(xv, e3);
            xv = FloatVector.fromArray(F, x, (xi + 5 * in) * 16);
            f0 = w0.fma(xv, f0); f1 = w1.fma(xv, f1); f2 = w2.fma(xv, f2); f3 = w3.fma(xv, f3);
        }
        int yb = ya + HALF;
        a0.intoArray(y, ya); a1.intoArray(y, ya + L); a2.intoArray(y, yb); a3.intoArray(y, yb + L);
        b0.intoArray(y, ya + stride); b1.intoArray(y, ya + stride + L); b2.intoArray(y, yb + stride); b3.intoArray(y, yb + stride + L);
        c0.intoArray(y, ya + 2 * stride); c1.intoArray(y, ya + 2 * stride + L); c2.intoArray(y, yb + 2 * stride); c3.intoArray(y, yb + 2 * stride + L);
        d0.intoArray(y, ya + 3 * stride); d1.intoArray(y, ya + 3 * stride + L); d2.intoArray(y, yb + 3 * stride); d3.intoArray(y, yb + 3 * stride + L);
        e0.intoArray(y, ya + 4 * stride); e1.intoArray(y, ya + 4 * stride + L); e2.intoArray(y, yb + 4 * stride); e3.intoArray(y, yb + 4 * stride + L);
        f0.intoArray(y, ya + 5 * stride); f1.intoArray(y, ya + 5 * stride + L); f2.intoArray(y, yb + 5 * stride); f3.intoArray(y, yb + 5 * stride + L);
    }
    static void twoX(float[] w, int wa, int in, float[] x, int xa, float[] y, int ya, int stride) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0, b0 = a0, b1 = a0; int xb = xa + in;
        for (int i = 0, wi = wa; i < in; i++, wi += HALF) {
            FloatVector w0 = FloatVector.fromArray(F, w, wi), w1 = FloatVector.fromArray(F, w, wi + L);
            FloatVector xv = FloatVector.fromArray(F, x, (xa + i) * 16); a0 = w0.fma(xv, a0); a1 = w1.fma(xv, a1);
            FloatVector xw = FloatVector.fromArray(F, x, (xb + i) * 16); b0 = w0.fma(xw, b0); b1 = w1.fma(xw, b1);
        }
        a0.intoArray(y, ya); a1.intoArray(y, ya + L); b0.intoArray(y, ya + stride); b1.intoArray(y, ya + stride + L);
    }
    static void sixAcc(float[] w, int in, float[] x, int xa, float[] y, int ya, int stride, int i0, int i1, boolean first) {
        int wb = in * HALF; int yb = ya + HALF;
        FloatVector a0, a1, a2, a3, b0, b1, b2, b3, c0, c1, c2, c3, d0, d1, d2, d3, e0, e1, e2, e3, f0, f1, f2, f3;
        if (first) {
            a0 = FloatVector.zero(F); a1 = a0; a2 = a0; a3 = a0; b0 = a0; b1 = a0; b2 = a0; b3 = a0; c0 = a0; c1 = a0; c2 = a0; c3 = a0;
            d0 = a0; d1 = a0; d2 = a0; d3 = a0; e0 = a0; e1 = a0; e2 = a0; e3 = a0; f0 = a0; f1 = a0; f2 = a0; f3 = a0;
        } else {
            a0 = FloatVector.fromArray(F, y, ya); a1 = FloatVector.fromArray(F, y, ya + L); a2 = FloatVector.fromArray(F, y, yb); a3 = FloatVector.fromArray(F, y, yb + L);
            b0 = FloatVector.fromArray(F, y, ya + stride); b1 = FloatVector.fromArray(F, y, ya + stride + L); b2 = FloatVector.fromArray(F, y, yb + stride); b3 = FloatVector.fromArray(F, y, yb + stride + L);
            c0 = FloatVector.fromArray(F, y, ya + 2 * stride); c1 = FloatVector.fromArray(F, y, ya + 2 * stride + L); c2 = FloatVector.fromArray(F, y, yb + 2 * stride); c3 = FloatVector.fromArray(F, y, yb + 2 * stride + L);
            d0 = FloatVector.fromArray(F, y, ya + 3 * stride); d1 = FloatVector.fromArray(F, y, ya + 3 * stride + L); d2 = FloatVector.fromArray(F, y, yb + 3 * stride); d3 = FloatVector.fromArray(F, y, yb + 3 * stride + L);
            e0 = FloatVector.fromArray(F, y, ya + 4 * stride); e1 = FloatVector.fromArray(F, y, ya + 4 * stride + L); e2 = FloatVector.fromArray(F, y, yb + 4 * stride); e3 = FloatVector.fromArray(F, y, yb + 4 * stride + L);
            f0 = FloatVector.fromArray(F, y, ya + 5 * stride); f1 = FloatVector.fromArray(F, y, ya + 5 * stride + L); f2 = FloatVector.fromArray(F, y, yb + 5 * stride); f3 = FloatVector.fromArray(F, y, yb + 5 * stride + L);
        }
        for (int i = i0, wi = i0 * HALF; i < i1; i++, wi += HALF) {
            FloatVector w0 = FloatVector.fromArray(F, w, wi), w1 = FloatVector.fromArray(F, w, wi + L),
                w2 = FloatVector.fromArray(F, w, wb + wi), w3 = FloatVector.fromArray(F, w, wb + wi + L);
            int xi = xa + i;
            FloatVector xv = FloatVector.broadcast(F, x[xi]);
            a0 = w0.fma(xv, a0); a1 = w1.fma(xv, a1); a2 = w2.fma(xv, a2); a3 = w3.fma(xv, a3);
            xv = FloatVector.broadcast(F, x[xi + in]);
            b0 = w0.fma(xv, b0); b1 = w1.fma(xv, b1); b2 = w2.fma(xv, b2); b3 = w3.fma(xv, b3);
            xv = FloatVector.broadcast(F, x[xi + 2 * in]);
            c0 = w0.fma(xv, c0); c1 = w1.fma(xv, c1); c2 = w2.fma(xv, c2); c3 = w3.fma(xv, c3);
            xv = FloatVector.broadcast(F, x[xi + 3 * in]);
            d0 = w0.fma(xv, d0); d1 = w1.fma(xv, d1); d2 = w2.fma(xv, d2); d3 = w3.fma(xv, d3);
            xv = FloatVector.broadcast(F, x[xi + 4 * in]);
            e0 = w0.fma(xv, e0); e1 = w1.fma(xv, e1); e2 = w2.fma(xv, e2); e3 = w3.fma(xv, e3);
            xv = FloatVector.broadcast(F, x[xi + 5 * in]);
            f0 = w0.fma(xv, f0); f1 = w1.fma(xv, f1); f2 = w2.fma(xv, f2); f3 = w3.fma(xv, f3);
        }
        a0.intoArray(y, ya); a1.intoArray(y, ya + L); a2.intoArray(y, yb); a3.intoArray(y, yb + L);
        b0.intoArray(y, ya + stride); b1.intoArray(y, ya + stride + L); b2.intoArray(y, yb + stride); b3.intoArray(y, yb + stride + L);
        c0.intoArray(y, ya + 2 * stride); c1.intoArray(y, ya + 2 * stride + L); c2.intoArray(y, yb + 2 * stride); c3.intoArray(y, yb + 2 * stride + L);
        d0.intoArray(y, ya + 3 * stride); d1.intoArray(y, ya + 3 * stride + L); d2.intoArray(y, yb + 3 * stride); d3.intoArray(y, yb + 3 * stride + L);
        e0.intoArray(y, ya + 4 * stride); e1.intoArray(y, ya + 4 * stride + L); e2.intoArray(y, yb + 4 * stride); e3.intoArray(y, yb + 4 * stride + L);
        f0.intoArray(y, ya + 5 * stride); f1.intoArray(y, ya + 5 * stride + L); f2.intoArray(y, yb + 5 * stride); f3.intoArray(y, yb + 5 * stride + L);
    }
    static void two(float[] w, int wa, int in, float[] x, int xa, float[] y, int ya, int stride) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0, b0 = a0, b1 = a0; int xb = xa + in;
        for (int i = 0, wi = wa; i < in; i++, wi += HALF) {
            FloatVector w0 = FloatVector.fromArray(F, w, wi), w1 = FloatVector.fromArray(F, w, wi + L);
            FloatVector xv = FloatVector.broadcast(F, x[xa + i]); a0 = w0.fma(xv, a0); a1 = w1.fma(xv, a1);
            FloatVector xw = FloatVector.broadcast(F, x[xb + i]); b0 = w0.fma(xw, b0); b1 = w1.fma(xw, b1);
        }
        a0.intoArray(y, ya); a1.intoArray(y, ya + L); b0.intoArray(y, ya + stride); b1.intoArray(y, ya + stride + L);
    }
    static void twoAcc(float[] w, int wa, int in, float[] x, int xa, float[] y, int ya, int stride, int i0, int i1, boolean first) {
        FloatVector a0, a1, b0, b1; int xb = xa + in;
        if (first) { a0 = FloatVector.zero(F); a1 = a0; b0 = a0; b1 = a0; }
        else { a0 = FloatVector.fromArray(F, y, ya); a1 = FloatVector.fromArray(F, y, ya + L); b0 = FloatVector.fromArray(F, y, ya + stride); b1 = FloatVector.fromArray(F, y, ya + stride + L); }
        for (int i = i0, wi = wa + i0 * HALF; i < i1; i++, wi += HALF) {
            FloatVector w0 = FloatVector.fromArray(F, w, wi), w1 = FloatVector.fromArray(F, w, wi + L);
            FloatVector xv = FloatVector.broadcast(F, x[xa + i]); a0 = w0.fma(xv, a0); a1 = w1.fma(xv, a1);
            FloatVector xw = FloatVector.broadcast(F, x[xb + i]); b0 = w0.fma(xw, b0); b1 = w1.fma(xw, b1);
        }
        a0.intoArray(y, ya); a1.intoArray(y, ya + L); b0.intoArray(y, ya + stride); b1.intoArray(y, ya + stride + L);
    }
    static void eight3(float[] w, int in, float[] x, int xa, float[] y, int ya, int stride) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, b0 = a0, b1 = a0, b2 = a0, c0 = a0, c1 = a0, c2 = a0, d0 = a0, d1 = a0, d2 = a0,
            e0 = a0, e1 = a0, e2 = a0, f0 = a0, f1 = a0, f2 = a0, g0 = a0, g1 = a0, g2 = a0, h0 = a0, h1 = a0, h2 = a0;
        for (int i = 0, wi = 0; i < in; i++, wi += T3) {
            FloatVector w0 = FloatVector.fromArray(F, w, wi), w1 = FloatVector.fromArray(F, w, wi + L), w2 = FloatVector.fromArray(F, w, wi + 2 * L);
            int xi = xa + i;
            FloatVector xv = FloatVector.broadcast(F, x[xi]); a0 = w0.fma(xv, a0); a1 = w1.fma(xv, a1); a2 = w2.fma(xv, a2);
            xv = FloatVector.broadcast(F, x[xi + in]); b0 = w0.fma(xv, b0); b1 = w1.fma(xv, b1); b2 = w2.fma(xv, b2);
            xv = FloatVector.broadcast(F, x[xi + 2 * in]); c0 = w0.fma(xv, c0); c1 = w1.fma(xv, c1); c2 = w2.fma(xv, c2);
            xv = FloatVector.broadcast(F, x[xi + 3 * in]); d0 = w0.fma(xv, d0); d1 = w1.fma(xv, d1); d2 = w2.fma(xv, d2);
            xv = FloatVector.broadcast(F, x[xi + 4 * in]); e0 = w0.fma(xv, e0); e1 = w1.fma(xv, e1); e2 = w2.fma(xv, e2);
            xv = FloatVector.broadcast(F, x[xi + 5 * in]); f0 = w0.fma(xv, f0); f1 = w1.fma(xv, f1); f2 = w2.fma(xv, f2);
            xv = FloatVector.broadcast(F, x[xi + 6 * in]); g0 = w0.fma(xv, g0); g1 = w1.fma(xv, g1); g2 = w2.fma(xv, g2);
            xv = FloatVector.broadcast(F, x[xi + 7 * in]); h0 = w0.fma(xv, h0); h1 = w1.fma(xv, h1); h2 = w2.fma(xv, h2);
        }
        a0.intoArray(y, ya); a1.intoArray(y, ya + L); a2.intoArray(y, ya + 2 * L);
        b0.intoArray(y, ya + stride); b1.intoArray(y, ya + stride + L); b2.intoArray(y, ya + stride + 2 * L);
        c0.intoArray(y, ya + 2 * stride); c1.intoArray(y, ya + 2 * stride + L); c2.intoArray(y, ya + 2 * stride + 2 * L);
        d0.intoArray(y, ya + 3 * stride); d1.intoArray(y, ya + 3 * stride + L); d2.intoArray(y, ya + 3 * stride + 2 * L);
        e0.intoArray(y, ya + 4 * stride); e1.intoArray(y, ya + 4 * stride + L); e2.intoArray(y, ya + 4 * stride + 2 * L);
        f0.intoArray(y, ya + 5 * stride); f1.intoArray(y, ya + 5 * stride + L); f2.intoArray(y, ya + 5 * stride + 2 * L);
        g0.intoArray(y, ya + 6 * stride); g1.intoArray(y, ya + 6 * stride + L); g2.intoArray(y, ya + 6 * stride + 2 * L);
        h0.intoArray(y, ya + 7 * stride); h1.intoArray(y, ya + 7 * stride + L); h2.intoArray(y, ya + 7 * stride + 2 * L);
    }

    // Four columns [4][in][16] (VectorProducts since 2026-12-06): six rows, then two, over the whole tile from four streams.
    static void v15(float[][] tiles, int in, float[] x, float[] y, int t0, int t1, int stride) {
        for (int t = t0; t < t1; t++) { sixQ(tiles[t], in, x, 0, y, t * TILE, stride); twoQ(tiles[t], in, x, 6 * in, y, t * TILE + 6 * stride, stride); }
    }
    static void sixQ(float[] w, int in, float[] x, int xa, float[] y, int ya, int stride) {
        int q1 = in * L, q2 = 2 * in * L, q3 = 3 * in * L;
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0, c0 = a0, c1 = a0, c2 = a0, c3 = a0,
            d0 = a0, d1 = a0, d2 = a0, d3 = a0, e0 = a0, e1 = a0, e2 = a0, e3 = a0, f0 = a0, f1 = a0, f2 = a0, f3 = a0;
        for (int i = 0, wi = 0; i < in; i++, wi += L) {
            FloatVector w0 = FloatVector.fromArray(F, w, wi), w1 = FloatVector.fromArray(F, w, q1 + wi),
                w2 = FloatVector.fromArray(F, w, q2 + wi), w3 = FloatVector.fromArray(F, w, q3 + wi);
            int xi = xa + i;
            FloatVector xv = FloatVector.broadcast(F, x[xi]);
            a0 = w0.fma(xv, a0); a1 = w1.fma(xv, a1); a2 = w2.fma(xv, a2); a3 = w3.fma(xv, a3);
            xv = FloatVector.broadcast(F, x[xi + in]);
            b0 = w0.fma(xv, b0); b1 = w1.fma(xv, b1); b2 = w2.fma(xv, b2); b3 = w3.fma(xv, b3);
            xv = FloatVector.broadcast(F, x[xi + 2 * in]);
            c0 = w0.fma(xv, c0); c1 = w1.fma(xv, c1); c2 = w2.fma(xv, c2); c3 = w3.fma(xv, c3);
            xv = FloatVector.broadcast(F, x[xi + 3 * in]);
            d0 = w0.fma(xv, d0); d1 = w1.fma(xv, d1); d2 = w2.fma(xv, d2); d3 = w3.fma(xv, d3);
            xv = FloatVector.broadcast(F, x[xi + 4 * in]);
            e0 = w0.fma(xv, e0); e1 = w1.fma(xv, e1); e2 = w2.fma(xv, e2); e3 = w3.fma(xv, e3);
            xv = FloatVector.broadcast(F, x[xi + 5 * in]);
            f0 = w0.fma(xv, f0); f1 = w1.fma(xv, f1); f2 = w2.fma(xv, f2); f3 = w3.fma(xv, f3);
        }
        a0.intoArray(y, ya); a1.intoArray(y, ya + L); a2.intoArray(y, ya + 2 * L); a3.intoArray(y, ya + 3 * L);
        b0.intoArray(y, ya + stride); b1.intoArray(y, ya + stride + L); b2.intoArray(y, ya + stride + 2 * L); b3.intoArray(y, ya + stride + 3 * L);
        c0.intoArray(y, ya + 2 * stride); c1.intoArray(y, ya + 2 * stride + L); c2.intoArray(y, ya + 2 * stride + 2 * L); c3.intoArray(y, ya + 2 * stride + 3 * L);
        d0.intoArray(y, ya + 3 * stride); d1.intoArray(y, ya + 3 * stride + L); d2.intoArray(y, ya + 3 * stride + 2 * L); d3.intoArray(y, ya + 3 * stride + 3 * L);
        e0.intoArray(y, ya + 4 * stride); e1.intoArray(y, ya + 4 * stride + L); e2.intoArray(y, ya + 4 * stride + 2 * L); e3.intoArray(y, ya + 4 * stride + 3 * L);
        f0.intoArray(y, ya + 5 * stride); f1.intoArray(y, ya + 5 * stride + L); f2.intoArray(y, ya + 5 * stride + 2 * L); f3.intoArray(y, ya + 5 * stride + 3 * L);
    }
    static void twoQ(float[] w, int in, float[] x, int xa, float[] y, int ya, int stride) {
        int q1 = in * L, q2 = 2 * in * L, q3 = 3 * in * L;
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0; int xb = xa + in;
        for (int i = 0, wi = 0; i < in; i++, wi += L) {
            FloatVector w0 = FloatVector.fromArray(F, w, wi), w1 = FloatVector.fromArray(F, w, q1 + wi),
                w2 = FloatVector.fromArray(F, w, q2 + wi), w3 = FloatVector.fromArray(F, w, q3 + wi);
            FloatVector xv = FloatVector.broadcast(F, x[xa + i]);
            a0 = w0.fma(xv, a0); a1 = w1.fma(xv, a1); a2 = w2.fma(xv, a2); a3 = w3.fma(xv, a3);
            xv = FloatVector.broadcast(F, x[xb + i]);
            b0 = w0.fma(xv, b0); b1 = w1.fma(xv, b1); b2 = w2.fma(xv, b2); b3 = w3.fma(xv, b3);
        }
        a0.intoArray(y, ya); a1.intoArray(y, ya + L); a2.intoArray(y, ya + 2 * L); a3.intoArray(y, ya + 3 * L);
        b0.intoArray(y, ya + stride); b1.intoArray(y, ya + stride + L); b2.intoArray(y, ya + stride + 2 * L); b3.intoArray(y, ya + stride + 3 * L);
    }
    // Four columns: four rows over the whole tile from memory, then the other four from the second-level cache.
    static void v18(float[][] tiles, int in, float[] x, float[] y, int t0, int t1, int stride) {
        for (int t = t0; t < t1; t++) { fourQ(tiles[t], in, x, 0, y, t * TILE, stride); fourQ(tiles[t], in, x, 4 * in, y, t * TILE + 4 * stride, stride); }
    }
    static void fourQ(float[] w, int in, float[] x, int xa, float[] y, int ya, int stride) {
        int q1 = in * L, q2 = 2 * in * L, q3 = 3 * in * L;
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0, c0 = a0, c1 = a0, c2 = a0, c3 = a0,
            d0 = a0, d1 = a0, d2 = a0, d3 = a0;
        for (int i = 0, wi = 0; i < in; i++, wi += L) {
            FloatVector w0 = FloatVector.fromArray(F, w, wi), w1 = FloatVector.fromArray(F, w, q1 + wi),
                w2 = FloatVector.fromArray(F, w, q2 + wi), w3 = FloatVector.fromArray(F, w, q3 + wi);
            int xi = xa + i;
            FloatVector xv = FloatVector.broadcast(F, x[xi]);
            a0 = w0.fma(xv, a0); a1 = w1.fma(xv, a1); a2 = w2.fma(xv, a2); a3 = w3.fma(xv, a3);
            xv = FloatVector.broadcast(F, x[xi + in]);
            b0 = w0.fma(xv, b0); b1 = w1.fma(xv, b1); b2 = w2.fma(xv, b2); b3 = w3.fma(xv, b3);
            xv = FloatVector.broadcast(F, x[xi + 2 * in]);
            c0 = w0.fma(xv, c0); c1 = w1.fma(xv, c1); c2 = w2.fma(xv, c2); c3 = w3.fma(xv, c3);
            xv = FloatVector.broadcast(F, x[xi + 3 * in]);
            d0 = w0.fma(xv, d0); d1 = w1.fma(xv, d1); d2 = w2.fma(xv, d2); d3 = w3.fma(xv, d3);
        }
        a0.intoArray(y, ya); a1.intoArray(y, ya + L); a2.intoArray(y, ya + 2 * L); a3.intoArray(y, ya + 3 * L);
        b0.intoArray(y, ya + stride); b1.intoArray(y, ya + stride + L); b2.intoArray(y, ya + stride + 2 * L); b3.intoArray(y, ya + stride + 3 * L);
        c0.intoArray(y, ya + 2 * stride); c1.intoArray(y, ya + 2 * stride + L); c2.intoArray(y, ya + 2 * stride + 2 * L); c3.intoArray(y, ya + 2 * stride + 3 * L);
        d0.intoArray(y, ya + 3 * stride); d1.intoArray(y, ya + 3 * stride + L); d2.intoArray(y, ya + 3 * stride + 2 * L); d3.intoArray(y, ya + 3 * stride + 3 * L);
    }
    // One row over four columns: two inputs an iteration, eight accumulators.
    static void v17(float[][] tiles, int in, float[] x, float[] y, int t0, int t1, int stride) {
        for (int t = t0; t < t1; t++) oneQ(tiles[t], in, x, 0, y, t * TILE);
    }
    static void oneQ(float[] w, int in, float[] x, int xa, float[] y, int ya) {
        int q1 = in * L, q2 = 2 * in * L, q3 = 3 * in * L;
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
        int i = 0, wi = 0;
        for (; i + 1 < in; i += 2, wi += 2 * L) {
            FloatVector xv = FloatVector.broadcast(F, x[xa + i]), xw = FloatVector.broadcast(F, x[xa + i + 1]);
            a0 = FloatVector.fromArray(F, w, wi).fma(xv, a0); a1 = FloatVector.fromArray(F, w, q1 + wi).fma(xv, a1);
            a2 = FloatVector.fromArray(F, w, q2 + wi).fma(xv, a2); a3 = FloatVector.fromArray(F, w, q3 + wi).fma(xv, a3);
            b0 = FloatVector.fromArray(F, w, wi + L).fma(xw, b0); b1 = FloatVector.fromArray(F, w, q1 + wi + L).fma(xw, b1);
            b2 = FloatVector.fromArray(F, w, q2 + wi + L).fma(xw, b2); b3 = FloatVector.fromArray(F, w, q3 + wi + L).fma(xw, b3);
        }
        a0.add(b0).intoArray(y, ya); a1.add(b1).intoArray(y, ya + L); a2.add(b2).intoArray(y, ya + 2 * L); a3.add(b3).intoArray(y, ya + 3 * L);
    }

    // Tried 2026-12-08: all eight rows in one pass over the four columns, 32 accumulators (C2 spills a few), or seven
    // rows (28) and then one; and six rows whose inputs lie interleaved (input i of row r at i * 8 + r), then two.
    static void eightQ(float[] w, int in, float[] x, int xa, float[] y, int ya, int stride) {
        int q1 = in * L, q2 = 2 * in * L, q3 = 3 * in * L;
        FloatVector r0c0 = FloatVector.zero(F), r0c1 = r0c0, r0c2 = r0c0, r0c3 = r0c0, r1c0 = r0c0, r1c1 = r0c0, r1c2 = r0c0, r1c3 = r0c0, r2c0 = r0c0, r2c1 = r0c0, r2c2 = r0c0, r2c3 = r0c0, r3c0 = r0c0, r3c1 = r0c0, r3c2 = r0c0, r3c3 = r0c0, r4c0 = r0c0, r4c1 = r0c0, r4c2 = r0c0, r4c3 = r0c0, r5c0 = r0c0, r5c1 = r0c0, r5c2 = r0c0, r5c3 = r0c0, r6c0 = r0c0, r6c1 = r0c0, r6c2 = r0c0, r6c3 = r0c0, r7c0 = r0c0, r7c1 = r0c0, r7c2 = r0c0, r7c3 = r0c0;
        for (int i = 0, wi = 0; i < in; i++, wi += L) {
            FloatVector w0 = FloatVector.fromArray(F, w, wi), w1 = FloatVector.fromArray(F, w, q1 + wi), w2 = FloatVector.fromArray(F, w, q2 + wi), w3 = FloatVector.fromArray(F, w, q3 + wi);
            int xi = xa + i; FloatVector xv;
            xv = FloatVector.broadcast(F, x[xi + 0 * in]); r0c0 = w0.fma(xv, r0c0); r0c1 = w1.fma(xv, r0c1); r0c2 = w2.fma(xv, r0c2); r0c3 = w3.fma(xv, r0c3);
            xv = FloatVector.broadcast(F, x[xi + 1 * in]); r1c0 = w0.fma(xv, r1c0); r1c1 = w1.fma(xv, r1c1); r1c2 = w2.fma(xv, r1c2); r1c3 = w3.fma(xv, r1c3);
            xv = FloatVector.broadcast(F, x[xi + 2 * in]); r2c0 = w0.fma(xv, r2c0); r2c1 = w1.fma(xv, r2c1); r2c2 = w2.fma(xv, r2c2); r2c3 = w3.fma(xv, r2c3);
            xv = FloatVector.broadcast(F, x[xi + 3 * in]); r3c0 = w0.fma(xv, r3c0); r3c1 = w1.fma(xv, r3c1); r3c2 = w2.fma(xv, r3c2); r3c3 = w3.fma(xv, r3c3);
            xv = FloatVector.broadcast(F, x[xi + 4 * in]); r4c0 = w0.fma(xv, r4c0); r4c1 = w1.fma(xv, r4c1); r4c2 = w2.fma(xv, r4c2); r4c3 = w3.fma(xv, r4c3);
            xv = FloatVector.broadcast(F, x[xi + 5 * in]); r5c0 = w0.fma(xv, r5c0); r5c1 = w1.fma(xv, r5c1); r5c2 = w2.fma(xv, r5c2); r5c3 = w3.fma(xv, r5c3);
            xv = FloatVector.broadcast(F, x[xi + 6 * in]); r6c0 = w0.fma(xv, r6c0); r6c1 = w1.fma(xv, r6c1); r6c2 = w2.fma(xv, r6c2); r6c3 = w3.fma(xv, r6c3);
            xv = FloatVector.broadcast(F, x[xi + 7 * in]); r7c0 = w0.fma(xv, r7c0); r7c1 = w1.fma(xv, r7c1); r7c2 = w2.fma(xv, r7c2); r7c3 = w3.fma(xv, r7c3);
        }
        r0c0.intoArray(y, ya + 0 * stride + 0 * L); r0c1.intoArray(y, ya + 0 * stride + 1 * L); r0c2.intoArray(y, ya + 0 * stride + 2 * L); r0c3.intoArray(y, ya + 0 * stride + 3 * L);
        r1c0.intoArray(y, ya + 1 * stride + 0 * L); r1c1.intoArray(y, ya + 1 * stride + 1 * L); r1c2.intoArray(y, ya + 1 * stride + 2 * L); r1c3.intoArray(y, ya + 1 * stride + 3 * L);
        r2c0.intoArray(y, ya + 2 * stride + 0 * L); r2c1.intoArray(y, ya + 2 * stride + 1 * L); r2c2.intoArray(y, ya + 2 * stride + 2 * L); r2c3.intoArray(y, ya + 2 * stride + 3 * L);
        r3c0.intoArray(y, ya + 3 * stride + 0 * L); r3c1.intoArray(y, ya + 3 * stride + 1 * L); r3c2.intoArray(y, ya + 3 * stride + 2 * L); r3c3.intoArray(y, ya + 3 * stride + 3 * L);
        r4c0.intoArray(y, ya + 4 * stride + 0 * L); r4c1.intoArray(y, ya + 4 * stride + 1 * L); r4c2.intoArray(y, ya + 4 * stride + 2 * L); r4c3.intoArray(y, ya + 4 * stride + 3 * L);
        r5c0.intoArray(y, ya + 5 * stride + 0 * L); r5c1.intoArray(y, ya + 5 * stride + 1 * L); r5c2.intoArray(y, ya + 5 * stride + 2 * L); r5c3.intoArray(y, ya + 5 * stride + 3 * L);
        r6c0.intoArray(y, ya + 6 * stride + 0 * L); r6c1.intoArray(y, ya + 6 * stride + 1 * L); r6c2.intoArray(y, ya + 6 * stride + 2 * L); r6c3.intoArray(y, ya + 6 * stride + 3 * L);
        r7c0.intoArray(y, ya + 7 * stride + 0 * L); r7c1.intoArray(y, ya + 7 * stride + 1 * L); r7c2.intoArray(y, ya + 7 * stride + 2 * L); r7c3.intoArray(y, ya + 7 * stride + 3 * L);
    }
    static void sevenQ(float[] w, int in, float[] x, int xa, float[] y, int ya, int stride) {
        int q1 = in * L, q2 = 2 * in * L, q3 = 3 * in * L;
        FloatVector r0c0 = FloatVector.zero(F), r0c1 = r0c0, r0c2 = r0c0, r0c3 = r0c0, r1c0 = r0c0, r1c1 = r0c0, r1c2 = r0c0, r1c3 = r0c0, r2c0 = r0c0, r2c1 = r0c0, r2c2 = r0c0, r2c3 = r0c0, r3c0 = r0c0, r3c1 = r0c0, r3c2 = r0c0, r3c3 = r0c0, r4c0 = r0c0, r4c1 = r0c0, r4c2 = r0c0, r4c3 = r0c0, r5c0 = r0c0, r5c1 = r0c0, r5c2 = r0c0, r5c3 = r0c0, r6c0 = r0c0, r6c1 = r0c0, r6c2 = r0c0, r6c3 = r0c0;
        for (int i = 0, wi = 0; i < in; i++, wi += L) {
            FloatVector w0 = FloatVector.fromArray(F, w, wi), w1 = FloatVector.fromArray(F, w, q1 + wi), w2 = FloatVector.fromArray(F, w, q2 + wi), w3 = FloatVector.fromArray(F, w, q3 + wi);
            int xi = xa + i; FloatVector xv;
            xv = FloatVector.broadcast(F, x[xi + 0 * in]); r0c0 = w0.fma(xv, r0c0); r0c1 = w1.fma(xv, r0c1); r0c2 = w2.fma(xv, r0c2); r0c3 = w3.fma(xv, r0c3);
            xv = FloatVector.broadcast(F, x[xi + 1 * in]); r1c0 = w0.fma(xv, r1c0); r1c1 = w1.fma(xv, r1c1); r1c2 = w2.fma(xv, r1c2); r1c3 = w3.fma(xv, r1c3);
            xv = FloatVector.broadcast(F, x[xi + 2 * in]); r2c0 = w0.fma(xv, r2c0); r2c1 = w1.fma(xv, r2c1); r2c2 = w2.fma(xv, r2c2); r2c3 = w3.fma(xv, r2c3);
            xv = FloatVector.broadcast(F, x[xi + 3 * in]); r3c0 = w0.fma(xv, r3c0); r3c1 = w1.fma(xv, r3c1); r3c2 = w2.fma(xv, r3c2); r3c3 = w3.fma(xv, r3c3);
            xv = FloatVector.broadcast(F, x[xi + 4 * in]); r4c0 = w0.fma(xv, r4c0); r4c1 = w1.fma(xv, r4c1); r4c2 = w2.fma(xv, r4c2); r4c3 = w3.fma(xv, r4c3);
            xv = FloatVector.broadcast(F, x[xi + 5 * in]); r5c0 = w0.fma(xv, r5c0); r5c1 = w1.fma(xv, r5c1); r5c2 = w2.fma(xv, r5c2); r5c3 = w3.fma(xv, r5c3);
            xv = FloatVector.broadcast(F, x[xi + 6 * in]); r6c0 = w0.fma(xv, r6c0); r6c1 = w1.fma(xv, r6c1); r6c2 = w2.fma(xv, r6c2); r6c3 = w3.fma(xv, r6c3);
        }
        r0c0.intoArray(y, ya + 0 * stride + 0 * L); r0c1.intoArray(y, ya + 0 * stride + 1 * L); r0c2.intoArray(y, ya + 0 * stride + 2 * L); r0c3.intoArray(y, ya + 0 * stride + 3 * L);
        r1c0.intoArray(y, ya + 1 * stride + 0 * L); r1c1.intoArray(y, ya + 1 * stride + 1 * L); r1c2.intoArray(y, ya + 1 * stride + 2 * L); r1c3.intoArray(y, ya + 1 * stride + 3 * L);
        r2c0.intoArray(y, ya + 2 * stride + 0 * L); r2c1.intoArray(y, ya + 2 * stride + 1 * L); r2c2.intoArray(y, ya + 2 * stride + 2 * L); r2c3.intoArray(y, ya + 2 * stride + 3 * L);
        r3c0.intoArray(y, ya + 3 * stride + 0 * L); r3c1.intoArray(y, ya + 3 * stride + 1 * L); r3c2.intoArray(y, ya + 3 * stride + 2 * L); r3c3.intoArray(y, ya + 3 * stride + 3 * L);
        r4c0.intoArray(y, ya + 4 * stride + 0 * L); r4c1.intoArray(y, ya + 4 * stride + 1 * L); r4c2.intoArray(y, ya + 4 * stride + 2 * L); r4c3.intoArray(y, ya + 4 * stride + 3 * L);
        r5c0.intoArray(y, ya + 5 * stride + 0 * L); r5c1.intoArray(y, ya + 5 * stride + 1 * L); r5c2.intoArray(y, ya + 5 * stride + 2 * L); r5c3.intoArray(y, ya + 5 * stride + 3 * L);
        r6c0.intoArray(y, ya + 6 * stride + 0 * L); r6c1.intoArray(y, ya + 6 * stride + 1 * L); r6c2.intoArray(y, ya + 6 * stride + 2 * L); r6c3.intoArray(y, ya + 6 * stride + 3 * L);
    }
    static void sixQI(float[] w, int in, float[] x, int xa, float[] y, int ya, int stride) {
        int q1 = in * L, q2 = 2 * in * L, q3 = 3 * in * L;
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0, c0 = a0, c1 = a0, c2 = a0, c3 = a0,
            d0 = a0, d1 = a0, d2 = a0, d3 = a0, e0 = a0, e1 = a0, e2 = a0, e3 = a0, f0 = a0, f1 = a0, f2 = a0, f3 = a0;
        for (int i = 0, wi = 0, xi = xa; i < in; i++, wi += L, xi += 8) {
            FloatVector w0 = FloatVector.fromArray(F, w, wi), w1 = FloatVector.fromArray(F, w, q1 + wi),
                w2 = FloatVector.fromArray(F, w, q2 + wi), w3 = FloatVector.fromArray(F, w, q3 + wi);
            FloatVector va = FloatVector.broadcast(F, x[xi + 0]); a0 = w0.fma(va, a0); a1 = w1.fma(va, a1); a2 = w2.fma(va, a2); a3 = w3.fma(va, a3);
            FloatVector vb = FloatVector.broadcast(F, x[xi + 1]); b0 = w0.fma(vb, b0); b1 = w1.fma(vb, b1); b2 = w2.fma(vb, b2); b3 = w3.fma(vb, b3);
            FloatVector vc = FloatVector.broadcast(F, x[xi + 2]); c0 = w0.fma(vc, c0); c1 = w1.fma(vc, c1); c2 = w2.fma(vc, c2); c3 = w3.fma(vc, c3);
            FloatVector vd = FloatVector.broadcast(F, x[xi + 3]); d0 = w0.fma(vd, d0); d1 = w1.fma(vd, d1); d2 = w2.fma(vd, d2); d3 = w3.fma(vd, d3);
            FloatVector ve = FloatVector.broadcast(F, x[xi + 4]); e0 = w0.fma(ve, e0); e1 = w1.fma(ve, e1); e2 = w2.fma(ve, e2); e3 = w3.fma(ve, e3);
            FloatVector vf = FloatVector.broadcast(F, x[xi + 5]); f0 = w0.fma(vf, f0); f1 = w1.fma(vf, f1); f2 = w2.fma(vf, f2); f3 = w3.fma(vf, f3);
        }
        a0.intoArray(y, ya); a1.intoArray(y, ya + L); a2.intoArray(y, ya + 2 * L); a3.intoArray(y, ya + 3 * L);
        b0.intoArray(y, ya + stride); b1.intoArray(y, ya + stride + L); b2.intoArray(y, ya + stride + 2 * L); b3.intoArray(y, ya + stride + 3 * L);
        c0.intoArray(y, ya + 2 * stride); c1.intoArray(y, ya + 2 * stride + L); c2.intoArray(y, ya + 2 * stride + 2 * L); c3.intoArray(y, ya + 2 * stride + 3 * L);
        d0.intoArray(y, ya + 3 * stride); d1.intoArray(y, ya + 3 * stride + L); d2.intoArray(y, ya + 3 * stride + 2 * L); d3.intoArray(y, ya + 3 * stride + 3 * L);
        e0.intoArray(y, ya + 4 * stride); e1.intoArray(y, ya + 4 * stride + L); e2.intoArray(y, ya + 4 * stride + 2 * L); e3.intoArray(y, ya + 4 * stride + 3 * L);
        f0.intoArray(y, ya + 5 * stride); f1.intoArray(y, ya + 5 * stride + L); f2.intoArray(y, ya + 5 * stride + 2 * L); f3.intoArray(y, ya + 5 * stride + 3 * L);
    }
    static void v19(float[][] tiles, int in, float[] x, float[] y, int t0, int t1, int stride) {
        for (int t = t0; t < t1; t++) eightQ(tiles[t], in, x, 0, y, t * TILE, stride);
    }
    static void v20(float[][] tiles, int in, float[] x, float[] y, int t0, int t1, int stride) {
        for (int t = t0; t < t1; t++) { sevenQ(tiles[t], in, x, 0, y, t * TILE, stride); oneQ(tiles[t], in, x, 7 * in, y, t * TILE + 7 * stride); }
    }
    static final float[] XI = new float[8 * 1536];
    static void v22(float[][] tiles, int in, float[] x, float[] y, int t0, int t1, int stride) {
        for (int t = t0; t < t1; t++) { sixQI(tiles[t], in, XI, 0, y, t * TILE, stride); twoQ(tiles[t], in, x, 6 * in, y, t * TILE + 6 * stride, stride); }
    }

    interface K { void run(float[][] tiles, int in, float[] x, float[] y, int t0, int t1, int stride); }

    public static void main(String[] a) throws Exception {
        Random r = new Random(1);
        int[][] shapes = {{960, 576}, {576, 576}, {3072, 576}, {576, 1536}};
        List<float[][]> m64 = new ArrayList<>(), m48 = new ArrayList<>(); List<int[]> sh = new ArrayList<>();
        for (int l = 0; l < 30; l++) for (int[] s : shapes) { m64.add(pack64(r, s[0], s[1])); m48.add(pack48(r, s[0], s[1])); sh.add(s); }
        float[] x = new float[8 * 1536]; for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
        float[] xx = new float[x.length * 16]; for (int i = 0; i < xx.length; i++) xx[i] = x[i / 16];
        float[] y = new float[8 * 3072];
        float[] xt = new float[8 * 1536]; for (int i = 0; i < xt.length; i++) xt[i] = (float) r.nextGaussian(); xt8 = x;
        for (int i = 0; i < XI.length; i++) XI[i] = (float) r.nextGaussian();
        java.util.concurrent.ExecutorService ex = java.util.concurrent.Executors.newFixedThreadPool(2);
        K[] ks = {EightRowsBench::v0, EightRowsBench::v1, EightRowsBench::v3, EightRowsBench::v2, EightRowsBench::v4, EightRowsBench::v5, EightRowsBench::v6, EightRowsBench::v7, EightRowsBench::v8, EightRowsBench::v9, EightRowsBench::v10, EightRowsBench::v15, EightRowsBench::v17, EightRowsBench::v18, EightRowsBench::v19, EightRowsBench::v20, EightRowsBench::v22};
        String[] names = {"six + two over each half (before)", "blocked, 64 inputs", "six + two, inputs pre-broadcast", "eight rows x 3 vectors", "eight rows x 2 vectors per half", "one row (memory floor)", "six rows only", "six (x transposed) + two", "eight x 3 (x transposed)", "six with touch-ahead + two", "six + two over the whole tile (before)", "six + two over four columns (now)", "one row over four columns", "four + four over four columns", "eight x 4 columns, 32 accumulators", "seven x 4 columns + one", "six (x interleaved) + two"};
        if (a.length > 0 && a[0].equals("l2")) {
            secondLevel(ks, names, x, xt, xx, y);
            ex.shutdown();
            return;
        }
        int rounds = 40;
        double[][] ms = new double[ks.length][rounds];
        for (int round = 0; round < rounds; round++) {
            for (int k = 0; k < ks.length; k++) {
                K kern = ks[k];
                List<float[][]> mats = (k == 3 || k == 8) ? m48 : m64; int tileOut = (k == 3 || k == 8) ? T3 : TILE;
                float[] xin = k == 2 ? xx : k >= 7 ? xt : x;
                long t0 = System.nanoTime();
                for (int j = 0; j < mats.size(); j++) {
                    float[][] tl = mats.get(j); int in = sh.get(j)[1]; int stride = tl.length * tileOut; int half = tl.length / 2;
                    var f1 = ex.submit(() -> kern.run(tl, in, xin, y, 0, half, stride));
                    kern.run(tl, in, xin, y, half, tl.length, stride);
                    f1.get();
                }
                ms[k][round] = (System.nanoTime() - t0) / 1e6;
            }
        }
        for (int k = 0; k < ks.length; k++) {
            double[] v = Arrays.copyOfRange(ms[k], 10, rounds); Arrays.sort(v);
            System.out.printf("%-34s min %.2f  median %.2f  p90 %.2f ms%n", names[k], v[0], v[v.length / 2], v[v.length * 9 / 10]);
        }
        ex.shutdown();
    }

    /** Each way on one thread over two tiles of a 576-input matrix, again and again: weights from the L2 cache. */
    static void secondLevel(K[] ks, String[] names, float[] x, float[] xt, float[] xx, float[] y) {
        Random r = new Random(2);
        int in = 576;
        float[][] t64 = pack64(r, 2 * TILE, in), t48 = pack48(r, 2 * T3, in);
        for (int round = 0; round < 6; round++) {
            for (int k = 0; k < ks.length; k++) {
                boolean narrow = k == 3 || k == 8;
                float[][] tl = narrow ? t48 : t64; int tileOut = narrow ? T3 : TILE; int stride = tl.length * tileOut;
                float[] xin = k == 2 ? xx : k >= 7 ? xt : x;
                int rows = k == 5 || k == 12 ? 1 : k == 6 ? 6 : 8, reps = 20000;
                long t0 = System.nanoTime();
                for (int i = 0; i < reps; i++) ks[k].run(tl, in, xin, y, 0, tl.length, stride);
                double seconds = (System.nanoTime() - t0) / 1e9;
                if (round >= 3) {
                    System.out.printf("%-34s %.1f G multiply-adds/s%n", names[k], (double) reps * tl.length * tileOut * in * rows / seconds / 1e9);
                }
            }
        }
    }
}
