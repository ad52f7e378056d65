import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Passes of eight and four rows over float16 tile halves laid out as the library's ({@code Float16Products}: a half
 * is {@code [in][32]} shorts, pairs of weights in ints), several ways, on the 30 layers of the SmolLM-135M shape
 * (q/k/v 960 x 576, output 576 x 576, MLP input 3072 x 576, MLP output 576 x 1536; random normal float16 bits), the
 * tiles split between two threads per matrix (an executor, which adds its hand-offs to every way alike): medians of
 * 30 rounds after 10. The ways read a half's inputs in order (one stream of memory), in two, four or eight parts at
 * once, the four quarters also in an inner loop, or in order while touching the line 40 inputs ahead; eight rows as
 * two passes of four over quarters, or as eight rows of the low and then of the high weights of each pair; six rows
 * then two over both halves at once (2026-12-08). "(library)" marks the library's way: the four quarters written out,
 * since the library fills the Vector API's caches first (docs/benchmarks.md, "Vector API caches filled first"; this
 * bench does not, and its bigger kernels may come out of C2 boxed in some JVMs). With the argument {@code l2}: each
 * way on one thread over two tiles again and again, weights from the second-level cache, in multiply-adds per second.
 * Used in docs/benchmarks.md ("Four quarters of the inputs", "Fast-memory runs part by part"):
 *
 * <pre>
 * javac --add-modules jdk.incubator.vector -d /tmp/qp docs/bench/QuarterPassesBench.java
 * java --add-modules jdk.incubator.vector -Xmx4g -cp /tmp/qp QuarterPassesBench [l2]
 * </pre>
 */
public class QuarterPassesBench {
    static final VectorSpecies<Float> F = FloatVector.SPECIES_512;
    static final VectorSpecies<Short> S = ShortVector.SPECIES_512;
    static final int L = 16, TILE = 64, HALF = 32, MASK = 0x8FFFE000;
    static final int[] SINK = new int[16];
    static final String[] NAMES = {"eight rows, inputs in order", "eight rows, two parts of the inputs", "eight rows, four quarters (library)", "eight rows, eight parts", "eight rows, touching 40 lines ahead", "four + four rows, four quarters", "eight rows low, then high, quarters", "four rows, inputs in order", "four rows, four quarters (library)", "eight rows, quarters in an inner loop", "six + two rows over both halves", "six + two, both halves, two parts"};
    static final int[] ROWS = {8, 8, 8, 8, 8, 8, 8, 4, 4, 8, 8, 8};

    static short[][] pack(Random r, int out, int in) {
        short[][] t = new short[(out + TILE - 1) / TILE][];
        for (int k = 0; k < t.length; k++) {
            t[k] = new short[in * TILE];
            for (int j = 0; j < t[k].length; j++) {
                t[k][j] = (short) ((r.nextBoolean() ? 0x8000 : 0) | ((10 + r.nextInt(8)) << 10) | r.nextInt(1024));
            }
        }
        return t;
    }

    /** Way {@code k} over tiles {@code [t0, t1)}; inputs interleaved, input i of row r at {@code i * 8 + r}. */
    static void run(int k, short[][] tiles, int in, float[] x, float[] y, int t0, int t1, int stride) {
        switch (k) {
            case 0: for (int t = t0; t < t1; t++) { short[] w = tiles[t]; for (int wa = 0, ya = t * TILE; wa < in * TILE; wa += in * HALF, ya += HALF) { eight(w, wa, in, x, 0, y, ya, stride); } } break;
            case 1: for (int t = t0; t < t1; t++) { short[] w = tiles[t]; for (int wa = 0, ya = t * TILE; wa < in * TILE; wa += in * HALF, ya += HALF) { eightTwo(w, wa, in, x, 0, y, ya, stride); } } break;
            case 2: for (int t = t0; t < t1; t++) { short[] w = tiles[t]; for (int wa = 0, ya = t * TILE; wa < in * TILE; wa += in * HALF, ya += HALF) { eightFour(w, wa, in, x, 0, y, ya, stride); } } break;
            case 3: for (int t = t0; t < t1; t++) { short[] w = tiles[t]; for (int wa = 0, ya = t * TILE; wa < in * TILE; wa += in * HALF, ya += HALF) { eightEight(w, wa, in, x, 0, y, ya, stride); } } break;
            case 4: for (int t = t0; t < t1; t++) { short[] w = tiles[t]; for (int wa = 0, ya = t * TILE; wa < in * TILE; wa += in * HALF, ya += HALF) { eightTouch(w, wa, in, x, 0, y, ya, stride); } } break;
            case 5: for (int t = t0; t < t1; t++) { short[] w = tiles[t]; for (int wa = 0, ya = t * TILE; wa < in * TILE; wa += in * HALF, ya += HALF) { fourFour(w, wa, in, x, 0, y, ya, stride); fourFour(w, wa, in, x, 4, y, ya + 4 * stride, stride); } } break;
            case 6: for (int t = t0; t < t1; t++) { short[] w = tiles[t]; for (int wa = 0, ya = t * TILE; wa < in * TILE; wa += in * HALF, ya += HALF) { eightLow(w, wa, in, x, 0, y, ya, stride); eightHigh(w, wa, in, x, 0, y, ya, stride); } } break;
            case 7: for (int t = t0; t < t1; t++) { short[] w = tiles[t]; for (int wa = 0, ya = t * TILE; wa < in * TILE; wa += in * HALF, ya += HALF) { four(w, wa, in, x, 0, y, ya, stride); } } break;
            case 8: for (int t = t0; t < t1; t++) { short[] w = tiles[t]; for (int wa = 0, ya = t * TILE; wa < in * TILE; wa += in * HALF, ya += HALF) { fourFour(w, wa, in, x, 0, y, ya, stride); } } break;
            case 9: for (int t = t0; t < t1; t++) { short[] w = tiles[t]; for (int wa = 0, ya = t * TILE; wa < in * TILE; wa += in * HALF, ya += HALF) { eightNested(w, wa, in, x, 0, y, ya, stride); } } break;
            case 10: for (int t = t0; t < t1; t++) { sixWhole1(tiles[t], in, x, 0, y, t * TILE, stride); twoWhole1(tiles[t], in, x, 6, y, t * TILE + 6 * stride, stride); } break;
            case 11: for (int t = t0; t < t1; t++) { sixWhole2(tiles[t], in, x, 0, y, t * TILE, stride); twoWhole2(tiles[t], in, x, 6, y, t * TILE + 6 * stride, stride); } break;
            default: throw new IllegalArgumentException();
        }
    }

    static void eight(short[] w, int wa, int in, float[] x, int xa, float[] y, int ya, int stride) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0, b0 = a0, b1 = a0, c0 = a0, c1 = a0, d0 = a0, d1 = a0, e0 = a0, e1 = a0, f0 = a0, f1 = a0, g0 = a0, g1 = a0, h0 = a0, h1 = a0;
        int n = in / 1;
        for (int i = 0, wi = wa; i < n; i++, wi += HALF) {
            IntVector pairs = ShortVector.fromArray(S, w, wi).reinterpretAsInts();
            FloatVector w0 = pairs.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 3).and(MASK).reinterpretAsFloats();
            FloatVector w1 = pairs.lanewise(VectorOperators.ASHR, 3).and(MASK).reinterpretAsFloats();
            int xi = i * 8 + xa;
            FloatVector xv = FloatVector.broadcast(F, x[xi]); a0 = w0.fma(xv, a0); a1 = w1.fma(xv, a1);
            xv = FloatVector.broadcast(F, x[xi + 1]); b0 = w0.fma(xv, b0); b1 = w1.fma(xv, b1);
            xv = FloatVector.broadcast(F, x[xi + 2]); c0 = w0.fma(xv, c0); c1 = w1.fma(xv, c1);
            xv = FloatVector.broadcast(F, x[xi + 3]); d0 = w0.fma(xv, d0); d1 = w1.fma(xv, d1);
            xv = FloatVector.broadcast(F, x[xi + 4]); e0 = w0.fma(xv, e0); e1 = w1.fma(xv, e1);
            xv = FloatVector.broadcast(F, x[xi + 5]); f0 = w0.fma(xv, f0); f1 = w1.fma(xv, f1);
            xv = FloatVector.broadcast(F, x[xi + 6]); g0 = w0.fma(xv, g0); g1 = w1.fma(xv, g1);
            xv = FloatVector.broadcast(F, x[xi + 7]); h0 = w0.fma(xv, h0); h1 = w1.fma(xv, h1);
        }
        a0.intoArray(y, ya + 0 * stride); a1.intoArray(y, ya + 0 * stride + L);
        b0.intoArray(y, ya + 1 * stride); b1.intoArray(y, ya + 1 * stride + L);
        c0.intoArray(y, ya + 2 * stride); c1.intoArray(y, ya + 2 * stride + L);
        d0.intoArray(y, ya + 3 * stride); d1.intoArray(y, ya + 3 * stride + L);
        e0.intoArray(y, ya + 4 * stride); e1.intoArray(y, ya + 4 * stride + L);
        f0.intoArray(y, ya + 5 * stride); f1.intoArray(y, ya + 5 * stride + L);
        g0.intoArray(y, ya + 6 * stride); g1.intoArray(y, ya + 6 * stride + L);
        h0.intoArray(y, ya + 7 * stride); h1.intoArray(y, ya + 7 * stride + L);
    }
    static void eightNested(short[] w, int wa, int in, float[] x, int xa, float[] y, int ya, int stride) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0, b0 = a0, b1 = a0, c0 = a0, c1 = a0, d0 = a0, d1 = a0, e0 = a0, e1 = a0, f0 = a0, f1 = a0, g0 = a0, g1 = a0, h0 = a0, h1 = a0;
        int n = in / 4;
        int quarter = n * HALF;
        int xq = n * 8;
        for (int i = 0, wq = wa, xp = xa; i < n; i++, wq += HALF, xp += 8) {
            for (int q = 0, wi = wq, xi = xp; q < 4; q++, wi += quarter, xi += xq) {
            IntVector pairs = ShortVector.fromArray(S, w, wi).reinterpretAsInts();
            FloatVector w0 = pairs.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 3).and(MASK).reinterpretAsFloats();
            FloatVector w1 = pairs.lanewise(VectorOperators.ASHR, 3).and(MASK).reinterpretAsFloats();
            FloatVector xv = FloatVector.broadcast(F, x[xi]); a0 = w0.fma(xv, a0); a1 = w1.fma(xv, a1);
            xv = FloatVector.broadcast(F, x[xi + 1]); b0 = w0.fma(xv, b0); b1 = w1.fma(xv, b1);
            xv = FloatVector.broadcast(F, x[xi + 2]); c0 = w0.fma(xv, c0); c1 = w1.fma(xv, c1);
            xv = FloatVector.broadcast(F, x[xi + 3]); d0 = w0.fma(xv, d0); d1 = w1.fma(xv, d1);
            xv = FloatVector.broadcast(F, x[xi + 4]); e0 = w0.fma(xv, e0); e1 = w1.fma(xv, e1);
            xv = FloatVector.broadcast(F, x[xi + 5]); f0 = w0.fma(xv, f0); f1 = w1.fma(xv, f1);
            xv = FloatVector.broadcast(F, x[xi + 6]); g0 = w0.fma(xv, g0); g1 = w1.fma(xv, g1);
            xv = FloatVector.broadcast(F, x[xi + 7]); h0 = w0.fma(xv, h0); h1 = w1.fma(xv, h1);
            }
        }
        a0.intoArray(y, ya + 0 * stride); a1.intoArray(y, ya + 0 * stride + L);
        b0.intoArray(y, ya + 1 * stride); b1.intoArray(y, ya + 1 * stride + L);
        c0.intoArray(y, ya + 2 * stride); c1.intoArray(y, ya + 2 * stride + L);
        d0.intoArray(y, ya + 3 * stride); d1.intoArray(y, ya + 3 * stride + L);
        e0.intoArray(y, ya + 4 * stride); e1.intoArray(y, ya + 4 * stride + L);
        f0.intoArray(y, ya + 5 * stride); f1.intoArray(y, ya + 5 * stride + L);
        g0.intoArray(y, ya + 6 * stride); g1.intoArray(y, ya + 6 * stride + L);
        h0.intoArray(y, ya + 7 * stride); h1.intoArray(y, ya + 7 * stride + L);
    }
    static void eightTwo(short[] w, int wa, int in, float[] x, int xa, float[] y, int ya, int stride) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0, b0 = a0, b1 = a0, c0 = a0, c1 = a0, d0 = a0, d1 = a0, e0 = a0, e1 = a0, f0 = a0, f1 = a0, g0 = a0, g1 = a0, h0 = a0, h1 = a0;
        int n = in / 2;
        for (int i = 0, wi = wa; i < n; i++, wi += HALF) {
            IntVector pairs = ShortVector.fromArray(S, w, wi).reinterpretAsInts();
            FloatVector w0 = pairs.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 3).and(MASK).reinterpretAsFloats();
            FloatVector w1 = pairs.lanewise(VectorOperators.ASHR, 3).and(MASK).reinterpretAsFloats();
            int xi = i * 8 + xa;
            FloatVector xv = FloatVector.broadcast(F, x[xi]); a0 = w0.fma(xv, a0); a1 = w1.fma(xv, a1);
            xv = FloatVector.broadcast(F, x[xi + 1]); b0 = w0.fma(xv, b0); b1 = w1.fma(xv, b1);
            xv = FloatVector.broadcast(F, x[xi + 2]); c0 = w0.fma(xv, c0); c1 = w1.fma(xv, c1);
            xv = FloatVector.broadcast(F, x[xi + 3]); d0 = w0.fma(xv, d0); d1 = w1.fma(xv, d1);
            xv = FloatVector.broadcast(F, x[xi + 4]); e0 = w0.fma(xv, e0); e1 = w1.fma(xv, e1);
            xv = FloatVector.broadcast(F, x[xi + 5]); f0 = w0.fma(xv, f0); f1 = w1.fma(xv, f1);
            xv = FloatVector.broadcast(F, x[xi + 6]); g0 = w0.fma(xv, g0); g1 = w1.fma(xv, g1);
            xv = FloatVector.broadcast(F, x[xi + 7]); h0 = w0.fma(xv, h0); h1 = w1.fma(xv, h1);
            pairs = ShortVector.fromArray(S, w, wi + 1 * n * HALF).reinterpretAsInts();
            w0 = pairs.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 3).and(MASK).reinterpretAsFloats();
            w1 = pairs.lanewise(VectorOperators.ASHR, 3).and(MASK).reinterpretAsFloats();
            xi = (i + 1 * n) * 8 + xa;
            xv = FloatVector.broadcast(F, x[xi]); a0 = w0.fma(xv, a0); a1 = w1.fma(xv, a1);
            xv = FloatVector.broadcast(F, x[xi + 1]); b0 = w0.fma(xv, b0); b1 = w1.fma(xv, b1);
            xv = FloatVector.broadcast(F, x[xi + 2]); c0 = w0.fma(xv, c0); c1 = w1.fma(xv, c1);
            xv = FloatVector.broadcast(F, x[xi + 3]); d0 = w0.fma(xv, d0); d1 = w1.fma(xv, d1);
            xv = FloatVector.broadcast(F, x[xi + 4]); e0 = w0.fma(xv, e0); e1 = w1.fma(xv, e1);
            xv = FloatVector.broadcast(F, x[xi + 5]); f0 = w0.fma(xv, f0); f1 = w1.fma(xv, f1);
            xv = FloatVector.broadcast(F, x[xi + 6]); g0 = w0.fma(xv, g0); g1 = w1.fma(xv, g1);
            xv = FloatVector.broadcast(F, x[xi + 7]); h0 = w0.fma(xv, h0); h1 = w1.fma(xv, h1);
        }
        a0.intoArray(y, ya + 0 * stride); a1.intoArray(y, ya + 0 * stride + L);
        b0.intoArray(y, ya + 1 * stride); b1.intoArray(y, ya + 1 * stride + L);
        c0.intoArray(y, ya + 2 * stride); c1.intoArray(y, ya + 2 * stride + L);
        d0.intoArray(y, ya + 3 * stride); d1.intoArray(y, ya + 3 * stride + L);
        e0.intoArray(y, ya + 4 * stride); e1.intoArray(y, ya + 4 * stride + L);
        f0.intoArray(y, ya + 5 * stride); f1.intoArray(y, ya + 5 * stride + L);
        g0.intoArray(y, ya + 6 * stride); g1.intoArray(y, ya + 6 * stride + L);
        h0.intoArray(y, ya + 7 * stride); h1.intoArray(y, ya + 7 * stride + L);
    }
    static void eightFour(short[] w, int wa, int in, float[] x, int xa, float[] y, int ya, int stride) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0, b0 = a0, b1 = a0, c0 = a0, c1 = a0, d0 = a0, d1 = a0, e0 = a0, e1 = a0, f0 = a0, f1 = a0, g0 = a0, g1 = a0, h0 = a0, h1 = a0;
        int n = in / 4;
        for (int i = 0, wi = wa; i < n; i++, wi += HALF) {
            IntVector pairs = ShortVector.fromArray(S, w, wi).reinterpretAsInts();
            FloatVector w0 = pairs.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 3).and(MASK).reinterpretAsFloats();
            FloatVector w1 = pairs.lanewise(VectorOperators.ASHR, 3).and(MASK).reinterpretAsFloats();
            int xi = i * 8 + xa;
            FloatVector xv = FloatVector.broadcast(F, x[xi]); a0 = w0.fma(xv, a0); a1 = w1.fma(xv, a1);
            xv = FloatVector.broadcast(F, x[xi + 1]); b0 = w0.fma(xv, b0); b1 = w1.fma(xv, b1);
            xv = FloatVector.broadcast(F, x[xi + 2]); c0 = w0.fma(xv, c0); c1 = w1.fma(xv, c1);
            xv = FloatVector.broadcast(F, x[xi + 3]); d0 = w0.fma(xv, d0); d1 = w1.fma(xv, d1);
            xv = FloatVector.broadcast(F, x[xi + 4]); e0 = w0.fma(xv, e0); e1 = w1.fma(xv, e1);
            xv = FloatVector.broadcast(F, x[xi + 5]); f0 = w0.fma(xv, f0); f1 = w1.fma(xv, f1);
            xv = FloatVector.broadcast(F, x[xi + 6]); g0 = w0.fma(xv, g0); g1 = w1.fma(xv, g1);
            xv = FloatVector.broadcast(F, x[xi + 7]); h0 = w0.fma(xv, h0); h1 = w1.fma(xv, h1);
            pairs = ShortVector.fromArray(S, w, wi + 1 * n * HALF).reinterpretAsInts();
            w0 = pairs.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 3).and(MASK).reinterpretAsFloats();
            w1 = pairs.lanewise(VectorOperators.ASHR, 3).and(MASK).reinterpretAsFloats();
            xi = (i + 1 * n) * 8 + xa;
            xv = FloatVector.broadcast(F, x[xi]); a0 = w0.fma(xv, a0); a1 = w1.fma(xv, a1);
            xv = FloatVector.broadcast(F, x[xi + 1]); b0 = w0.fma(xv, b0); b1 = w1.fma(xv, b1);
            xv = FloatVector.broadcast(F, x[xi + 2]); c0 = w0.fma(xv, c0); c1 = w1.fma(xv, c1);
            xv = FloatVector.broadcast(F, x[xi + 3]); d0 = w0.fma(xv, d0); d1 = w1.fma(xv, d1);
            xv = FloatVector.broadcast(F, x[xi + 4]); e0 = w0.fma(xv, e0); e1 = w1.fma(xv, e1);
            xv = FloatVector.broadcast(F, x[xi + 5]); f0 = w0.fma(xv, f0); f1 = w1.fma(xv, f1);
            xv = FloatVector.broadcast(F, x[xi + 6]); g0 = w0.fma(xv, g0); g1 = w1.fma(xv, g1);
            xv = FloatVector.broadcast(F, x[xi + 7]); h0 = w0.fma(xv, h0); h1 = w1.fma(xv, h1);
            pairs = ShortVector.fromArray(S, w, wi + 2 * n * HALF).reinterpretAsInts();
            w0 = pairs.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 3).and(MASK).reinterpretAsFloats();
            w1 = pairs.lanewise(VectorOperators.ASHR, 3).and(MASK).reinterpretAsFloats();
            xi = (i + 2 * n) * 8 + xa;
            xv = FloatVector.broadcast(F, x[xi]); a0 = w0.fma(xv, a0); a1 = w1.fma(xv, a1);
            xv = FloatVector.broadcast(F, x[xi + 1]); b0 = w0.fma(xv, b0); b1 = w1.fma(xv, b1);
            xv = FloatVector.broadcast(F, x[xi + 2]); c0 = w0.fma(xv, c0); c1 = w1.fma(xv, c1);
            xv = FloatVector.broadcast(F, x[xi + 3]); d0 = w0.fma(xv, d0); d1 = w1.fma(xv, d1);
            xv = FloatVector.broadcast(F, x[xi + 4]); e0 = w0.fma(xv, e0); e1 = w1.fma(xv, e1);
            xv = FloatVector.broadcast(F, x[xi + 5]); f0 = w0.fma(xv, f0); f1 = w1.fma(xv, f1);
            xv = FloatVector.broadcast(F, x[xi + 6]); g0 = w0.fma(xv, g0); g1 = w1.fma(xv, g1);
            xv = FloatVector.broadcast(F, x[xi + 7]); h0 = w0.fma(xv, h0); h1 = w1.fma(xv, h1);
            pairs = ShortVector.fromArray(S, w, wi + 3 * n * HALF).reinterpretAsInts();
            w0 = pairs.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 3).and(MASK).reinterpretAsFloats();
            w1 = pairs.lanewise(VectorOperators.ASHR, 3).and(MASK).reinterpretAsFloats();
            xi = (i + 3 * n) * 8 + xa;
            xv = FloatVector.broadcast(F, x[xi]); a0 = w0.fma(xv, a0); a1 = w1.fma(xv, a1);
            xv = FloatVector.broadcast(F, x[xi + 1]); b0 = w0.fma(xv, b0); b1 = w1.fma(xv, b1);
            xv = FloatVector.broadcast(F, x[xi + 2]); c0 = w0.fma(xv, c0); c1 = w1.fma(xv, c1);
            xv = FloatVector.broadcast(F, x[xi + 3]); d0 = w0.fma(xv, d0); d1 = w1.fma(xv, d1);
            xv = FloatVector.broadcast(F, x[xi + 4]); e0 = w0.fma(xv, e0); e1 = w1.fma(xv, e1);
            xv = FloatVector.broadcast(F, x[xi + 5]); f0 = w0.fma(xv, f0); f1 = w1.fma(xv, f1);
            xv = FloatVector.broadcast(F, x[xi + 6]); g0 = w0.fma(xv, g0); g1 = w1.fma(xv, g1);
            xv = FloatVector.broadcast(F, x[xi + 7]); h0 = w0.fma(xv, h0); h1 = w1.fma(xv, h1);
        }
        a0.intoArray(y, ya + 0 * stride); a1.intoArray(y, ya + 0 * stride + L);
        b0.intoArray(y, ya + 1 * stride); b1.intoArray(y, ya + 1 * stride + L);
        c0.intoArray(y, ya + 2 * stride); c1.intoArray(y, ya + 2 * stride + L);
        d0.intoArray(y, ya + 3 * stride); d1.intoArray(y, ya + 3 * stride + L);
        e0.intoArray(y, ya + 4 * stride); e1.intoArray(y, ya + 4 * stride + L);
        f0.intoArray(y, ya + 5 * stride); f1.intoArray(y, ya + 5 * stride + L);
        g0.intoArray(y, ya + 6 * stride); g1.intoArray(y, ya + 6 * stride + L);
        h0.intoArray(y, ya + 7 * stride); h1.intoArray(y, ya + 7 * stride + L);
    }
    static void eightEight(short[] w, int wa, int in, float[] x, int xa, float[] y, int ya, int stride) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0, b0 = a0, b1 = a0, c0 = a0, c1 = a0, d0 = a0, d1 = a0, e0 = a0, e1 = a0, f0 = a0, f1 = a0, g0 = a0, g1 = a0, h0 = a0, h1 = a0;
        int n = in / 8;
        for (int i = 0, wi = wa; i < n; i++, wi += HALF) {
            IntVector pairs = ShortVector.fromArray(S, w, wi).reinterpretAsInts();
            FloatVector w0 = pairs.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 3).and(MASK).reinterpretAsFloats();
            FloatVector w1 = pairs.lanewise(VectorOperators.ASHR, 3).and(MASK).reinterpretAsFloats();
            int xi = i * 8 + xa;
            FloatVector xv = FloatVector.broadcast(F, x[xi]); a0 = w0.fma(xv, a0); a1 = w1.fma(xv, a1);
            xv = FloatVector.broadcast(F, x[xi + 1]); b0 = w0.fma(xv, b0); b1 = w1.fma(xv, b1);
            xv = FloatVector.broadcast(F, x[xi + 2]); c0 = w0.fma(xv, c0); c1 = w1.fma(xv, c1);
            xv = FloatVector.broadcast(F, x[xi + 3]); d0 = w0.fma(xv, d0); d1 = w1.fma(xv, d1);
            xv = FloatVector.broadcast(F, x[xi + 4]); e0 = w0.fma(xv, e0); e1 = w1.fma(xv, e1);
            xv = FloatVector.broadcast(F, x[xi + 5]); f0 = w0.fma(xv, f0); f1 = w1.fma(xv, f1);
            xv = FloatVector.broadcast(F, x[xi + 6]); g0 = w0.fma(xv, g0); g1 = w1.fma(xv, g1);
            xv = FloatVector.broadcast(F, x[xi + 7]); h0 = w0.fma(xv, h0); h1 = w1.fma(xv, h1);
            pairs = ShortVector.fromArray(S, w, wi + 1 * n * HALF).reinterpretAsInts();
            w0 = pairs.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 3).and(MASK).reinterpretAsFloats();
            w1 = pairs.lanewise(VectorOperators.ASHR, 3).and(MASK).reinterpretAsFloats();
            xi = (i + 1 * n) * 8 + xa;
            xv = FloatVector.broadcast(F, x[xi]); a0 = w0.fma(xv, a0); a1 = w1.fma(xv, a1);
            xv = FloatVector.broadcast(F, x[xi + 1]); b0 = w0.fma(xv, b0); b1 = w1.fma(xv, b1);
            xv = FloatVector.broadcast(F, x[xi + 2]); c0 = w0.fma(xv, c0); c1 = w1.fma(xv, c1);
            xv = FloatVector.broadcast(F, x[xi + 3]); d0 = w0.fma(xv, d0); d1 = w1.fma(xv, d1);
            xv = FloatVector.broadcast(F, x[xi + 4]); e0 = w0.fma(xv, e0); e1 = w1.fma(xv, e1);
            xv = FloatVector.broadcast(F, x[xi + 5]); f0 = w0.fma(xv, f0); f1 = w1.fma(xv, f1);
            xv = FloatVector.broadcast(F, x[xi + 6]); g0 = w0.fma(xv, g0); g1 = w1.fma(xv, g1);
            xv = FloatVector.broadcast(F, x[xi + 7]); h0 = w0.fma(xv, h0); h1 = w1.fma(xv, h1);
            pairs = ShortVector.fromArray(S, w, wi + 2 * n * HALF).reinterpretAsInts();
            w0 = pairs.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 3).and(MASK).reinterpretAsFloats();
            w1 = pairs.lanewise(VectorOperators.ASHR, 3).and(MASK).reinterpretAsFloats();
            xi = (i + 2 * n) * 8 + xa;
            xv = FloatVector.broadcast(F, x[xi]); a0 = w0.fma(xv, a0); a1 = w1.fma(xv, a1);
            xv = FloatVector.broadcast(F, x[xi + 1]); b0 = w0.fma(xv, b0); b1 = w1.fma(xv, b1);
            xv = FloatVector.broadcast(F, x[xi + 2]); c0 = w0.fma(xv, c0); c1 = w1.fma(xv, c1);
            xv = FloatVector.broadcast(F, x[xi + 3]); d0 = w0.fma(xv, d0); d1 = w1.fma(xv, d1);
            xv = FloatVector.broadcast(F, x[xi + 4]); e0 = w0.fma(xv, e0); e1 = w1.fma(xv, e1);
            xv = FloatVector.broadcast(F, x[xi + 5]); f0 = w0.fma(xv, f0); f1 = w1.fma(xv, f1);
            xv = FloatVector.broadcast(F, x[xi + 6]); g0 = w0.fma(xv, g0); g1 = w1.fma(xv, g1);
            xv = FloatVector.broadcast(F, x[xi + 7]); h0 = w0.fma(xv, h0); h1 = w1.fma(xv, h1);
            pairs = ShortVector.fromArray(S, w, wi + 3 * n * HALF).reinterpretAsInts();
            w0 = pairs.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 3).and(MASK).reinterpretAsFloats();
            w1 = pairs.lanewise(VectorOperators.ASHR, 3).and(MASK).reinterpretAsFloats();
            xi = (i + 3 * n) * 8 + xa;
            xv = FloatVector.broadcast(F, x[xi]); a0 = w0.fma(xv, a0); a1 = w1.fma(xv, a1);
            xv = FloatVector.broadcast(F, x[xi + 1]); b0 = w0.fma(xv, b0); b1 = w1.fma(xv, b1);
            xv = FloatVector.broadcast(F, x[xi + 2]); c0 = w0.fma(xv, c0); c1 = w1.fma(xv, c1);
            xv = FloatVector.broadcast(F, x[xi + 3]); d0 = w0.fma(xv, d0); d1 = w1.fma(xv, d1);
            xv = FloatVector.broadcast(F, x[xi + 4]); e0 = w0.fma(xv, e0); e1 = w1.fma(xv, e1);
            xv = FloatVector.broadcast(F, x[xi + 5]); f0 = w0.fma(xv, f0); f1 = w1.fma(xv, f1);
            xv = FloatVector.broadcast(F, x[xi + 6]); g0 = w0.fma(xv, g0); g1 = w1.fma(xv, g1);
            xv = FloatVector.broadcast(F, x[xi + 7]); h0 = w0.fma(xv, h0); h1 = w1.fma(xv, h1);
            pairs = ShortVector.fromArray(S, w, wi + 4 * n * HALF).reinterpretAsInts();
            w0 = pairs.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 3).and(MASK).reinterpretAsFloats();
            w1 = pairs.lanewise(VectorOperators.ASHR, 3).and(MASK).reinterpretAsFloats();
            xi = (i + 4 * n) * 8 + xa;
            xv = FloatVector.broadcast(F, x[xi]); a0 = w0.fma(xv, a0); a1 = w1.fma(xv, a1);
            xv = FloatVector.broadcast(F, x[xi + 1]); b0 = w0.fma(xv, b0); b1 = w1.fma(xv, b1);
            xv = FloatVector.broadcast(F, x[xi + 2]); c0 = w0.fma(xv, c0); c1 = w1.fma(xv, c1);
            xv = FloatVector.broadcast(F, x[xi + 3]); d0 = w0.fma(xv, d0); d1 = w1.fma(xv, d1);
            xv = FloatVector.broadcast(F, x[xi + 4]); e0 = w0.fma(xv, e0); e1 = w1.fma(xv, e1);
            xv = FloatVector.broadcast(F, x[xi + 5]); f0 = w0.fma(xv, f0); f1 = w1.fma(xv, f1);
            xv = FloatVector.broadcast(F, x[xi + 6]); g0 = w0.fma(xv, g0); g1 = w1.fma(xv, g1);
            xv = FloatVector.broadcast(F, x[xi + 7]); h0 = w0.fma(xv, h0); h1 = w1.fma(xv, h1);
            pairs = ShortVector.fromArray(S, w, wi + 5 * n * HALF).reinterpretAsInts();
            w0 = pairs.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 3).and(MASK).reinterpretAsFloats();
            w1 = pairs.lanewise(VectorOperators.ASHR, 3).and(MASK).reinterpretAsFloats();
            xi = (i + 5 * n) * 8 + xa;
            xv = FloatVector.broadcast(F, x[xi]); a0 = w0.fma(xv, a0); a1 = w1.fma(xv, a1);
            xv = FloatVector.broadcast(F, x[xi + 1]); b0 = w0.fma(xv, b0); b1 = w1.fma(xv, b1);
            xv = FloatVector.broadcast(F, x[xi + 2]); c0 = w0.fma(xv, c0); c1 = w1.fma(xv, c1);
            xv = FloatVector.broadcast(F, x[xi + 3]); d0 = w0.fma(xv, d0); d1 = w1.fma(xv, d1);
            xv = FloatVector.broadcast(F, x[xi + 4]); e0 = w0.fma(xv, e0); e1 = w1.fma(xv, e1);
            xv = FloatVector.broadcast(F, x[xi + 5]); f0 = w0.fma(xv, f0); f1 = w1.fma(xv, f1);
            xv = FloatVector.broadcast(F, x[xi + 6]); g0 = w0.fma(xv, g0); g1 = w1.fma(xv, g1);
            xv = FloatVector.broadcast(F, x[xi + 7]); h0 = w0.fma(xv, h0); h1 = w1.fma(xv, h1);
            pairs = ShortVector.fromArray(S, w, wi + 6 * n * HALF).reinterpretAsInts();
            w0 = pairs.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 3).and(MASK).reinterpretAsFloats();
            w1 = pairs.lanewise(VectorOperators.ASHR, 3).and(MASK).reinterpretAsFloats();
            xi = (i + 6 * n) * 8 + xa;
            xv = FloatVector.broadcast(F, x[xi]); a0 = w0.fma(xv, a0); a1 = w1.fma(xv, a1);
            xv = FloatVector.broadcast(F, x[xi + 1]); b0 = w0.fma(xv, b0); b1 = w1.fma(xv, b1);
            xv = FloatVector.broadcast(F, x[xi + 2]); c0 = w0.fma(xv, c0); c1 = w1.fma(xv, c1);
            xv = FloatVector.broadcast(F, x[xi + 3]); d0 = w0.fma(xv, d0); d1 = w1.fma(xv, d1);
            xv = FloatVector.broadcast(F, x[xi + 4]); e0 = w0.fma(xv, e0); e1 = w1.fma(xv, e1);
            xv = FloatVector.broadcast(F, x[xi + 5]); f0 = w0.fma(xv, f0); f1 = w1.fma(xv, f1);
            xv = FloatVector.broadcast(F, x[xi + 6]); g0 = w0.fma(xv, g0); g1 = w1.fma(xv, g1);
            xv = FloatVector.broadcast(F, x[xi + 7]); h0 = w0.fma(xv, h0); h1 = w1.fma(xv, h1);
            pairs = ShortVector.fromArray(S, w, wi + 7 * n * HALF).reinterpretAsInts();
            w0 = pairs.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 3).and(MASK).reinterpretAsFloats();
            w1 = pairs.lanewise(VectorOperators.ASHR, 3).and(MASK).reinterpretAsFloats();
            xi = (i + 7 * n) * 8 + xa;
            xv = FloatVector.broadcast(F, x[xi]); a0 = w0.fma(xv, a0); a1 = w1.fma(xv, a1);
            xv = FloatVector.broadcast(F, x[xi + 1]); b0 = w0.fma(xv, b0); b1 = w1.fma(xv, b1);
            xv = FloatVector.broadcast(F, x[xi + 2]); c0 = w0.fma(xv, c0); c1 = w1.fma(xv, c1);
            xv = FloatVector.broadcast(F, x[xi + 3]); d0 = w0.fma(xv, d0); d1 = w1.fma(xv, d1);
            xv = FloatVector.broadcast(F, x[xi + 4]); e0 = w0.fma(xv, e0); e1 = w1.fma(xv, e1);
            xv = FloatVector.broadcast(F, x[xi + 5]); f0 = w0.fma(xv, f0); f1 = w1.fma(xv, f1);
            xv = FloatVector.broadcast(F, x[xi + 6]); g0 = w0.fma(xv, g0); g1 = w1.fma(xv, g1);
            xv = FloatVector.broadcast(F, x[xi + 7]); h0 = w0.fma(xv, h0); h1 = w1.fma(xv, h1);
        }
        a0.intoArray(y, ya + 0 * stride); a1.intoArray(y, ya + 0 * stride + L);
        b0.intoArray(y, ya + 1 * stride); b1.intoArray(y, ya + 1 * stride + L);
        c0.intoArray(y, ya + 2 * stride); c1.intoArray(y, ya + 2 * stride + L);
        d0.intoArray(y, ya + 3 * stride); d1.intoArray(y, ya + 3 * stride + L);
        e0.intoArray(y, ya + 4 * stride); e1.intoArray(y, ya + 4 * stride + L);
        f0.intoArray(y, ya + 5 * stride); f1.intoArray(y, ya + 5 * stride + L);
        g0.intoArray(y, ya + 6 * stride); g1.intoArray(y, ya + 6 * stride + L);
        h0.intoArray(y, ya + 7 * stride); h1.intoArray(y, ya + 7 * stride + L);
    }
    static void eightTouch(short[] w, int wa, int in, float[] x, int xa, float[] y, int ya, int stride) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0, b0 = a0, b1 = a0, c0 = a0, c1 = a0, d0 = a0, d1 = a0, e0 = a0, e1 = a0, f0 = a0, f1 = a0, g0 = a0, g1 = a0, h0 = a0, h1 = a0;
        IntVector touch = IntVector.zero(IntVector.SPECIES_512);
        int last = w.length - HALF;
        int n = in / 1;
        for (int i = 0, wi = wa; i < n; i++, wi += HALF) {
            touch = touch.or(ShortVector.fromArray(S, w, Math.min(wi + 40 * HALF, last)).reinterpretAsInts());
            IntVector pairs = ShortVector.fromArray(S, w, wi).reinterpretAsInts();
            FloatVector w0 = pairs.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 3).and(MASK).reinterpretAsFloats();
            FloatVector w1 = pairs.lanewise(VectorOperators.ASHR, 3).and(MASK).reinterpretAsFloats();
            int xi = i * 8 + xa;
            FloatVector xv = FloatVector.broadcast(F, x[xi]); a0 = w0.fma(xv, a0); a1 = w1.fma(xv, a1);
            xv = FloatVector.broadcast(F, x[xi + 1]); b0 = w0.fma(xv, b0); b1 = w1.fma(xv, b1);
            xv = FloatVector.broadcast(F, x[xi + 2]); c0 = w0.fma(xv, c0); c1 = w1.fma(xv, c1);
            xv = FloatVector.broadcast(F, x[xi + 3]); d0 = w0.fma(xv, d0); d1 = w1.fma(xv, d1);
            xv = FloatVector.broadcast(F, x[xi + 4]); e0 = w0.fma(xv, e0); e1 = w1.fma(xv, e1);
            xv = FloatVector.broadcast(F, x[xi + 5]); f0 = w0.fma(xv, f0); f1 = w1.fma(xv, f1);
            xv = FloatVector.broadcast(F, x[xi + 6]); g0 = w0.fma(xv, g0); g1 = w1.fma(xv, g1);
            xv = FloatVector.broadcast(F, x[xi + 7]); h0 = w0.fma(xv, h0); h1 = w1.fma(xv, h1);
        }
        touch.intoArray(SINK, 0);
        a0.intoArray(y, ya + 0 * stride); a1.intoArray(y, ya + 0 * stride + L);
        b0.intoArray(y, ya + 1 * stride); b1.intoArray(y, ya + 1 * stride + L);
        c0.intoArray(y, ya + 2 * stride); c1.intoArray(y, ya + 2 * stride + L);
        d0.intoArray(y, ya + 3 * stride); d1.intoArray(y, ya + 3 * stride + L);
        e0.intoArray(y, ya + 4 * stride); e1.intoArray(y, ya + 4 * stride + L);
        f0.intoArray(y, ya + 5 * stride); f1.intoArray(y, ya + 5 * stride + L);
        g0.intoArray(y, ya + 6 * stride); g1.intoArray(y, ya + 6 * stride + L);
        h0.intoArray(y, ya + 7 * stride); h1.intoArray(y, ya + 7 * stride + L);
    }
    static void four(short[] w, int wa, int in, float[] x, int xa, float[] y, int ya, int stride) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0, b0 = a0, b1 = a0, c0 = a0, c1 = a0, d0 = a0, d1 = a0;
        int n = in / 1;
        for (int i = 0, wi = wa; i < n; i++, wi += HALF) {
            IntVector pairs = ShortVector.fromArray(S, w, wi).reinterpretAsInts();
            FloatVector w0 = pairs.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 3).and(MASK).reinterpretAsFloats();
            FloatVector w1 = pairs.lanewise(VectorOperators.ASHR, 3).and(MASK).reinterpretAsFloats();
            int xi = i * 8 + xa;
            FloatVector xv = FloatVector.broadcast(F, x[xi]); a0 = w0.fma(xv, a0); a1 = w1.fma(xv, a1);
            xv = FloatVector.broadcast(F, x[xi + 1]); b0 = w0.fma(xv, b0); b1 = w1.fma(xv, b1);
            xv = FloatVector.broadcast(F, x[xi + 2]); c0 = w0.fma(xv, c0); c1 = w1.fma(xv, c1);
            xv = FloatVector.broadcast(F, x[xi + 3]); d0 = w0.fma(xv, d0); d1 = w1.fma(xv, d1);
        }
        a0.intoArray(y, ya + 0 * stride); a1.intoArray(y, ya + 0 * stride + L);
        b0.intoArray(y, ya + 1 * stride); b1.intoArray(y, ya + 1 * stride + L);
        c0.intoArray(y, ya + 2 * stride); c1.intoArray(y, ya + 2 * stride + L);
        d0.intoArray(y, ya + 3 * stride); d1.intoArray(y, ya + 3 * stride + L);
    }
    static void fourFour(short[] w, int wa, int in, float[] x, int xa, float[] y, int ya, int stride) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0, b0 = a0, b1 = a0, c0 = a0, c1 = a0, d0 = a0, d1 = a0;
        int n = in / 4;
        for (int i = 0, wi = wa; i < n; i++, wi += HALF) {
            IntVector pairs = ShortVector.fromArray(S, w, wi).reinterpretAsInts();
            FloatVector w0 = pairs.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 3).and(MASK).reinterpretAsFloats();
            FloatVector w1 = pairs.lanewise(VectorOperators.ASHR, 3).and(MASK).reinterpretAsFloats();
            int xi = i * 8 + xa;
            FloatVector xv = FloatVector.broadcast(F, x[xi]); a0 = w0.fma(xv, a0); a1 = w1.fma(xv, a1);
            xv = FloatVector.broadcast(F, x[xi + 1]); b0 = w0.fma(xv, b0); b1 = w1.fma(xv, b1);
            xv = FloatVector.broadcast(F, x[xi + 2]); c0 = w0.fma(xv, c0); c1 = w1.fma(xv, c1);
            xv = FloatVector.broadcast(F, x[xi + 3]); d0 = w0.fma(xv, d0); d1 = w1.fma(xv, d1);
            pairs = ShortVector.fromArray(S, w, wi + 1 * n * HALF).reinterpretAsInts();
            w0 = pairs.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 3).and(MASK).reinterpretAsFloats();
            w1 = pairs.lanewise(VectorOperators.ASHR, 3).and(MASK).reinterpretAsFloats();
            xi = (i + 1 * n) * 8 + xa;
            xv = FloatVector.broadcast(F, x[xi]); a0 = w0.fma(xv, a0); a1 = w1.fma(xv, a1);
            xv = FloatVector.broadcast(F, x[xi + 1]); b0 = w0.fma(xv, b0); b1 = w1.fma(xv, b1);
            xv = FloatVector.broadcast(F, x[xi + 2]); c0 = w0.fma(xv, c0); c1 = w1.fma(xv, c1);
            xv = FloatVector.broadcast(F, x[xi + 3]); d0 = w0.fma(xv, d0); d1 = w1.fma(xv, d1);
            pairs = ShortVector.fromArray(S, w, wi + 2 * n * HALF).reinterpretAsInts();
            w0 = pairs.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 3).and(MASK).reinterpretAsFloats();
            w1 = pairs.lanewise(VectorOperators.ASHR, 3).and(MASK).reinterpretAsFloats();
            xi = (i + 2 * n) * 8 + xa;
            xv = FloatVector.broadcast(F, x[xi]); a0 = w0.fma(xv, a0); a1 = w1.fma(xv, a1);
            xv = FloatVector.broadcast(F, x[xi + 1]); b0 = w0.fma(xv, b0); b1 = w1.fma(xv, b1);
            xv = FloatVector.broadcast(F, x[xi + 2]); c0 = w0.fma(xv, c0); c1 = w1.fma(xv, c1);
            xv = FloatVector.broadcast(F, x[xi + 3]); d0 = w0.fma(xv, d0); d1 = w1.fma(xv, d1);
            pairs = ShortVector.fromArray(S, w, wi + 3 * n * HALF).reinterpretAsInts();
            w0 = pairs.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 3).and(MASK).reinterpretAsFloats();
            w1 = pairs.lanewise(VectorOperators.ASHR, 3).and(MASK).reinterpretAsFloats();
            xi = (i + 3 * n) * 8 + xa;
            xv = FloatVector.broadcast(F, x[xi]); a0 = w0.fma(xv, a0); a1 = w1.fma(xv, a1);
            xv = FloatVector.broadcast(F, x[xi + 1]); b0 = w0.fma(xv, b0); b1 = w1.fma(xv, b1);
            xv = FloatVector.broadcast(F, x[xi + 2]); c0 = w0.fma(xv, c0); c1 = w1.fma(xv, c1);
            xv = FloatVector.broadcast(F, x[xi + 3]); d0 = w0.fma(xv, d0); d1 = w1.fma(xv, d1);
        }
        a0.intoArray(y, ya + 0 * stride); a1.intoArray(y, ya + 0 * stride + L);
        b0.intoArray(y, ya + 1 * stride); b1.intoArray(y, ya + 1 * stride + L);
        c0.intoArray(y, ya + 2 * stride); c1.intoArray(y, ya + 2 * stride + L);
        d0.intoArray(y, ya + 3 * stride); d1.intoArray(y, ya + 3 * stride + L);
    }
    static void eightLow(short[] w, int wa, int in, float[] x, int xa, float[] y, int ya, int stride) {
        FloatVector a = FloatVector.zero(F), b = a, c = a, d = a, e = a, f = a, g = a, h = a;
        int n = in / 4;
        for (int i = 0, wi = wa; i < n; i++, wi += HALF) {
            IntVector p = ShortVector.fromArray(S, w, wi).reinterpretAsInts();
            FloatVector u = p.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 3).and(MASK).reinterpretAsFloats();
            int xi = (i + 0 * n) * 8 + xa;
            FloatVector xv = FloatVector.broadcast(F, x[xi]); a = u.fma(xv, a);
            xv = FloatVector.broadcast(F, x[xi + 1]); b = u.fma(xv, b);
            xv = FloatVector.broadcast(F, x[xi + 2]); c = u.fma(xv, c);
            xv = FloatVector.broadcast(F, x[xi + 3]); d = u.fma(xv, d);
            xv = FloatVector.broadcast(F, x[xi + 4]); e = u.fma(xv, e);
            xv = FloatVector.broadcast(F, x[xi + 5]); f = u.fma(xv, f);
            xv = FloatVector.broadcast(F, x[xi + 6]); g = u.fma(xv, g);
            xv = FloatVector.broadcast(F, x[xi + 7]); h = u.fma(xv, h);
            p = ShortVector.fromArray(S, w, wi + 1 * n * HALF).reinterpretAsInts();
            u = p.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 3).and(MASK).reinterpretAsFloats();
            xi = (i + 1 * n) * 8 + xa;
            xv = FloatVector.broadcast(F, x[xi]); a = u.fma(xv, a);
            xv = FloatVector.broadcast(F, x[xi + 1]); b = u.fma(xv, b);
            xv = FloatVector.broadcast(F, x[xi + 2]); c = u.fma(xv, c);
            xv = FloatVector.broadcast(F, x[xi + 3]); d = u.fma(xv, d);
            xv = FloatVector.broadcast(F, x[xi + 4]); e = u.fma(xv, e);
            xv = FloatVector.broadcast(F, x[xi + 5]); f = u.fma(xv, f);
            xv = FloatVector.broadcast(F, x[xi + 6]); g = u.fma(xv, g);
            xv = FloatVector.broadcast(F, x[xi + 7]); h = u.fma(xv, h);
            p = ShortVector.fromArray(S, w, wi + 2 * n * HALF).reinterpretAsInts();
            u = p.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 3).and(MASK).reinterpretAsFloats();
            xi = (i + 2 * n) * 8 + xa;
            xv = FloatVector.broadcast(F, x[xi]); a = u.fma(xv, a);
            xv = FloatVector.broadcast(F, x[xi + 1]); b = u.fma(xv, b);
            xv = FloatVector.broadcast(F, x[xi + 2]); c = u.fma(xv, c);
            xv = FloatVector.broadcast(F, x[xi + 3]); d = u.fma(xv, d);
            xv = FloatVector.broadcast(F, x[xi + 4]); e = u.fma(xv, e);
            xv = FloatVector.broadcast(F, x[xi + 5]); f = u.fma(xv, f);
            xv = FloatVector.broadcast(F, x[xi + 6]); g = u.fma(xv, g);
            xv = FloatVector.broadcast(F, x[xi + 7]); h = u.fma(xv, h);
            p = ShortVector.fromArray(S, w, wi + 3 * n * HALF).reinterpretAsInts();
            u = p.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 3).and(MASK).reinterpretAsFloats();
            xi = (i + 3 * n) * 8 + xa;
            xv = FloatVector.broadcast(F, x[xi]); a = u.fma(xv, a);
            xv = FloatVector.broadcast(F, x[xi + 1]); b = u.fma(xv, b);
            xv = FloatVector.broadcast(F, x[xi + 2]); c = u.fma(xv, c);
            xv = FloatVector.broadcast(F, x[xi + 3]); d = u.fma(xv, d);
            xv = FloatVector.broadcast(F, x[xi + 4]); e = u.fma(xv, e);
            xv = FloatVector.broadcast(F, x[xi + 5]); f = u.fma(xv, f);
            xv = FloatVector.broadcast(F, x[xi + 6]); g = u.fma(xv, g);
            xv = FloatVector.broadcast(F, x[xi + 7]); h = u.fma(xv, h);
        }
        a.intoArray(y, ya + 0 * stride);
        b.intoArray(y, ya + 1 * stride);
        c.intoArray(y, ya + 2 * stride);
        d.intoArray(y, ya + 3 * stride);
        e.intoArray(y, ya + 4 * stride);
        f.intoArray(y, ya + 5 * stride);
        g.intoArray(y, ya + 6 * stride);
        h.intoArray(y, ya + 7 * stride);
    }
    static void eightHigh(short[] w, int wa, int in, float[] x, int xa, float[] y, int ya, int stride) {
        FloatVector a = FloatVector.zero(F), b = a, c = a, d = a, e = a, f = a, g = a, h = a;
        int n = in / 4;
        for (int i = 0, wi = wa; i < n; i++, wi += HALF) {
            IntVector p = ShortVector.fromArray(S, w, wi).reinterpretAsInts();
            FloatVector u = p.lanewise(VectorOperators.ASHR, 3).and(MASK).reinterpretAsFloats();
            int xi = (i + 0 * n) * 8 + xa;
            FloatVector xv = FloatVector.broadcast(F, x[xi]); a = u.fma(xv, a);
            xv = FloatVector.broadcast(F, x[xi + 1]); b = u.fma(xv, b);
            xv = FloatVector.broadcast(F, x[xi + 2]); c = u.fma(xv, c);
            xv = FloatVector.broadcast(F, x[xi + 3]); d = u.fma(xv, d);
            xv = FloatVector.broadcast(F, x[xi + 4]); e = u.fma(xv, e);
            xv = FloatVector.broadcast(F, x[xi + 5]); f = u.fma(xv, f);
            xv = FloatVector.broadcast(F, x[xi + 6]); g = u.fma(xv, g);
            xv = FloatVector.broadcast(F, x[xi + 7]); h = u.fma(xv, h);
            p = ShortVector.fromArray(S, w, wi + 1 * n * HALF).reinterpretAsInts();
            u = p.lanewise(VectorOperators.ASHR, 3).and(MASK).reinterpretAsFloats();
            xi = (i + 1 * n) * 8 + xa;
            xv = FloatVector.broadcast(F, x[xi]); a = u.fma(xv, a);
            xv = FloatVector.broadcast(F, x[xi + 1]); b = u.fma(xv, b);
            xv = FloatVector.broadcast(F, x[xi + 2]); c = u.fma(xv, c);
            xv = FloatVector.broadcast(F, x[xi + 3]); d = u.fma(xv, d);
            xv = FloatVector.broadcast(F, x[xi + 4]); e = u.fma(xv, e);
            xv = FloatVector.broadcast(F, x[xi + 5]); f = u.fma(xv, f);
            xv = FloatVector.broadcast(F, x[xi + 6]); g = u.fma(xv, g);
            xv = FloatVector.broadcast(F, x[xi + 7]); h = u.fma(xv, h);
            p = ShortVector.fromArray(S, w, wi + 2 * n * HALF).reinterpretAsInts();
            u = p.lanewise(VectorOperators.ASHR, 3).and(MASK).reinterpretAsFloats();
            xi = (i + 2 * n) * 8 + xa;
            xv = FloatVector.broadcast(F, x[xi]); a = u.fma(xv, a);
            xv = FloatVector.broadcast(F, x[xi + 1]); b = u.fma(xv, b);
            xv = FloatVector.broadcast(F, x[xi + 2]); c = u.fma(xv, c);
            xv = FloatVector.broadcast(F, x[xi + 3]); d = u.fma(xv, d);
            xv = FloatVector.broadcast(F, x[xi + 4]); e = u.fma(xv, e);
            xv = FloatVector.broadcast(F, x[xi + 5]); f = u.fma(xv, f);
            xv = FloatVector.broadcast(F, x[xi + 6]); g = u.fma(xv, g);
            xv = FloatVector.broadcast(F, x[xi + 7]); h = u.fma(xv, h);
            p = ShortVector.fromArray(S, w, wi + 3 * n * HALF).reinterpretAsInts();
            u = p.lanewise(VectorOperators.ASHR, 3).and(MASK).reinterpretAsFloats();
            xi = (i + 3 * n) * 8 + xa;
            xv = FloatVector.broadcast(F, x[xi]); a = u.fma(xv, a);
            xv = FloatVector.broadcast(F, x[xi + 1]); b = u.fma(xv, b);
            xv = FloatVector.broadcast(F, x[xi + 2]); c = u.fma(xv, c);
            xv = FloatVector.broadcast(F, x[xi + 3]); d = u.fma(xv, d);
            xv = FloatVector.broadcast(F, x[xi + 4]); e = u.fma(xv, e);
            xv = FloatVector.broadcast(F, x[xi + 5]); f = u.fma(xv, f);
            xv = FloatVector.broadcast(F, x[xi + 6]); g = u.fma(xv, g);
            xv = FloatVector.broadcast(F, x[xi + 7]); h = u.fma(xv, h);
        }
        a.intoArray(y, ya + 0 * stride + L);
        b.intoArray(y, ya + 1 * stride + L);
        c.intoArray(y, ya + 2 * stride + L);
        d.intoArray(y, ya + 3 * stride + L);
        e.intoArray(y, ya + 4 * stride + L);
        f.intoArray(y, ya + 5 * stride + L);
        g.intoArray(y, ya + 6 * stride + L);
        h.intoArray(y, ya + 7 * stride + L);
    }

    /**
     * Tried 2026-12-08: six rows over both halves of a tile in one pass (24 accumulators, both halves' pairs of
     * weights each input: two streams, or four with the inputs in two parts), then two rows the same way.
     */
    static void sixWhole1(short[] w, int in, float[] x, int xa, float[] y, int ya, int stride) {
        FloatVector r0c0 = FloatVector.zero(F), r0c1 = r0c0, r0c2 = r0c0, r0c3 = r0c0, r1c0 = r0c0, r1c1 = r0c0, r1c2 = r0c0, r1c3 = r0c0, r2c0 = r0c0, r2c1 = r0c0, r2c2 = r0c0, r2c3 = r0c0, r3c0 = r0c0, r3c1 = r0c0, r3c2 = r0c0, r3c3 = r0c0, r4c0 = r0c0, r4c1 = r0c0, r4c2 = r0c0, r4c3 = r0c0, r5c0 = r0c0, r5c1 = r0c0, r5c2 = r0c0, r5c3 = r0c0;
        int n = in / 1; int hq = in * HALF; int pq = n * HALF;
        IntVector p; FloatVector w0, w1, w2, w3, xv;
        for (int i = 0, wi = 0; i < n; i++, wi += HALF) {
            p = ShortVector.fromArray(S, w, wi).reinterpretAsInts();
            w0 = p.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 3).and(MASK).reinterpretAsFloats();
            w1 = p.lanewise(VectorOperators.ASHR, 3).and(MASK).reinterpretAsFloats();
            p = ShortVector.fromArray(S, w, wi + hq).reinterpretAsInts();
            w2 = p.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 3).and(MASK).reinterpretAsFloats();
            w3 = p.lanewise(VectorOperators.ASHR, 3).and(MASK).reinterpretAsFloats();
            int xi0 = (i + 0 * n) * 8 + xa;
            xv = FloatVector.broadcast(F, x[xi0 + 0]); r0c0 = w0.fma(xv, r0c0); r0c1 = w1.fma(xv, r0c1); r0c2 = w2.fma(xv, r0c2); r0c3 = w3.fma(xv, r0c3);
            xv = FloatVector.broadcast(F, x[xi0 + 1]); r1c0 = w0.fma(xv, r1c0); r1c1 = w1.fma(xv, r1c1); r1c2 = w2.fma(xv, r1c2); r1c3 = w3.fma(xv, r1c3);
            xv = FloatVector.broadcast(F, x[xi0 + 2]); r2c0 = w0.fma(xv, r2c0); r2c1 = w1.fma(xv, r2c1); r2c2 = w2.fma(xv, r2c2); r2c3 = w3.fma(xv, r2c3);
            xv = FloatVector.broadcast(F, x[xi0 + 3]); r3c0 = w0.fma(xv, r3c0); r3c1 = w1.fma(xv, r3c1); r3c2 = w2.fma(xv, r3c2); r3c3 = w3.fma(xv, r3c3);
            xv = FloatVector.broadcast(F, x[xi0 + 4]); r4c0 = w0.fma(xv, r4c0); r4c1 = w1.fma(xv, r4c1); r4c2 = w2.fma(xv, r4c2); r4c3 = w3.fma(xv, r4c3);
            xv = FloatVector.broadcast(F, x[xi0 + 5]); r5c0 = w0.fma(xv, r5c0); r5c1 = w1.fma(xv, r5c1); r5c2 = w2.fma(xv, r5c2); r5c3 = w3.fma(xv, r5c3);
        }
        r0c0.intoArray(y, ya + 0 * stride + 0); r0c1.intoArray(y, ya + 0 * stride + 16); r0c2.intoArray(y, ya + 0 * stride + 32); r0c3.intoArray(y, ya + 0 * stride + 48);
        r1c0.intoArray(y, ya + 1 * stride + 0); r1c1.intoArray(y, ya + 1 * stride + 16); r1c2.intoArray(y, ya + 1 * stride + 32); r1c3.intoArray(y, ya + 1 * stride + 48);
        r2c0.intoArray(y, ya + 2 * stride + 0); r2c1.intoArray(y, ya + 2 * stride + 16); r2c2.intoArray(y, ya + 2 * stride + 32); r2c3.intoArray(y, ya + 2 * stride + 48);
        r3c0.intoArray(y, ya + 3 * stride + 0); r3c1.intoArray(y, ya + 3 * stride + 16); r3c2.intoArray(y, ya + 3 * stride + 32); r3c3.intoArray(y, ya + 3 * stride + 48);
        r4c0.intoArray(y, ya + 4 * stride + 0); r4c1.intoArray(y, ya + 4 * stride + 16); r4c2.intoArray(y, ya + 4 * stride + 32); r4c3.intoArray(y, ya + 4 * stride + 48);
        r5c0.intoArray(y, ya + 5 * stride + 0); r5c1.intoArray(y, ya + 5 * stride + 16); r5c2.intoArray(y, ya + 5 * stride + 32); r5c3.intoArray(y, ya + 5 * stride + 48);
    }
    static void twoWhole1(short[] w, int in, float[] x, int xa, float[] y, int ya, int stride) {
        FloatVector r0c0 = FloatVector.zero(F), r0c1 = r0c0, r0c2 = r0c0, r0c3 = r0c0, r1c0 = r0c0, r1c1 = r0c0, r1c2 = r0c0, r1c3 = r0c0;
        int n = in / 1; int hq = in * HALF; int pq = n * HALF;
        IntVector p; FloatVector w0, w1, w2, w3, xv;
        for (int i = 0, wi = 0; i < n; i++, wi += HALF) {
            p = ShortVector.fromArray(S, w, wi).reinterpretAsInts();
            w0 = p.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 3).and(MASK).reinterpretAsFloats();
            w1 = p.lanewise(VectorOperators.ASHR, 3).and(MASK).reinterpretAsFloats();
            p = ShortVector.fromArray(S, w, wi + hq).reinterpretAsInts();
            w2 = p.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 3).and(MASK).reinterpretAsFloats();
            w3 = p.lanewise(VectorOperators.ASHR, 3).and(MASK).reinterpretAsFloats();
            int xi0 = (i + 0 * n) * 8 + xa;
            xv = FloatVector.broadcast(F, x[xi0 + 0]); r0c0 = w0.fma(xv, r0c0); r0c1 = w1.fma(xv, r0c1); r0c2 = w2.fma(xv, r0c2); r0c3 = w3.fma(xv, r0c3);
            xv = FloatVector.broadcast(F, x[xi0 + 1]); r1c0 = w0.fma(xv, r1c0); r1c1 = w1.fma(xv, r1c1); r1c2 = w2.fma(xv, r1c2); r1c3 = w3.fma(xv, r1c3);
        }
        r0c0.intoArray(y, ya + 0 * stride + 0); r0c1.intoArray(y, ya + 0 * stride + 16); r0c2.intoArray(y, ya + 0 * stride + 32); r0c3.intoArray(y, ya + 0 * stride + 48);
        r1c0.intoArray(y, ya + 1 * stride + 0); r1c1.intoArray(y, ya + 1 * stride + 16); r1c2.intoArray(y, ya + 1 * stride + 32); r1c3.intoArray(y, ya + 1 * stride + 48);
    }
    static void sixWhole2(short[] w, int in, float[] x, int xa, float[] y, int ya, int stride) {
        FloatVector r0c0 = FloatVector.zero(F), r0c1 = r0c0, r0c2 = r0c0, r0c3 = r0c0, r1c0 = r0c0, r1c1 = r0c0, r1c2 = r0c0, r1c3 = r0c0, r2c0 = r0c0, r2c1 = r0c0, r2c2 = r0c0, r2c3 = r0c0, r3c0 = r0c0, r3c1 = r0c0, r3c2 = r0c0, r3c3 = r0c0, r4c0 = r0c0, r4c1 = r0c0, r4c2 = r0c0, r4c3 = r0c0, r5c0 = r0c0, r5c1 = r0c0, r5c2 = r0c0, r5c3 = r0c0;
        int n = in / 2; int hq = in * HALF; int pq = n * HALF;
        IntVector p; FloatVector w0, w1, w2, w3, xv;
        for (int i = 0, wi = 0; i < n; i++, wi += HALF) {
            p = ShortVector.fromArray(S, w, wi).reinterpretAsInts();
            w0 = p.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 3).and(MASK).reinterpretAsFloats();
            w1 = p.lanewise(VectorOperators.ASHR, 3).and(MASK).reinterpretAsFloats();
            p = ShortVector.fromArray(S, w, wi + hq).reinterpretAsInts();
            w2 = p.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 3).and(MASK).reinterpretAsFloats();
            w3 = p.lanewise(VectorOperators.ASHR, 3).and(MASK).reinterpretAsFloats();
            int xi0 = (i + 0 * n) * 8 + xa;
            xv = FloatVector.broadcast(F, x[xi0 + 0]); r0c0 = w0.fma(xv, r0c0); r0c1 = w1.fma(xv, r0c1); r0c2 = w2.fma(xv, r0c2); r0c3 = w3.fma(xv, r0c3);
            xv = FloatVector.broadcast(F, x[xi0 + 1]); r1c0 = w0.fma(xv, r1c0); r1c1 = w1.fma(xv, r1c1); r1c2 = w2.fma(xv, r1c2); r1c3 = w3.fma(xv, r1c3);
            xv = FloatVector.broadcast(F, x[xi0 + 2]); r2c0 = w0.fma(xv, r2c0); r2c1 = w1.fma(xv, r2c1); r2c2 = w2.fma(xv, r2c2); r2c3 = w3.fma(xv, r2c3);
            xv = FloatVector.broadcast(F, x[xi0 + 3]); r3c0 = w0.fma(xv, r3c0); r3c1 = w1.fma(xv, r3c1); r3c2 = w2.fma(xv, r3c2); r3c3 = w3.fma(xv, r3c3);
            xv = FloatVector.broadcast(F, x[xi0 + 4]); r4c0 = w0.fma(xv, r4c0); r4c1 = w1.fma(xv, r4c1); r4c2 = w2.fma(xv, r4c2); r4c3 = w3.fma(xv, r4c3);
            xv = FloatVector.broadcast(F, x[xi0 + 5]); r5c0 = w0.fma(xv, r5c0); r5c1 = w1.fma(xv, r5c1); r5c2 = w2.fma(xv, r5c2); r5c3 = w3.fma(xv, r5c3);
            p = ShortVector.fromArray(S, w, wi + 1 * pq).reinterpretAsInts();
            w0 = p.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 3).and(MASK).reinterpretAsFloats();
            w1 = p.lanewise(VectorOperators.ASHR, 3).and(MASK).reinterpretAsFloats();
            p = ShortVector.fromArray(S, w, wi + hq + 1 * pq).reinterpretAsInts();
            w2 = p.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 3).and(MASK).reinterpretAsFloats();
            w3 = p.lanewise(VectorOperators.ASHR, 3).and(MASK).reinterpretAsFloats();
            int xi1 = (i + 1 * n) * 8 + xa;
            xv = FloatVector.broadcast(F, x[xi1 + 0]); r0c0 = w0.fma(xv, r0c0); r0c1 = w1.fma(xv, r0c1); r0c2 = w2.fma(xv, r0c2); r0c3 = w3.fma(xv, r0c3);
            xv = FloatVector.broadcast(F, x[xi1 + 1]); r1c0 = w0.fma(xv, r1c0); r1c1 = w1.fma(xv, r1c1); r1c2 = w2.fma(xv, r1c2); r1c3 = w3.fma(xv, r1c3);
            xv = FloatVector.broadcast(F, x[xi1 + 2]); r2c0 = w0.fma(xv, r2c0); r2c1 = w1.fma(xv, r2c1); r2c2 = w2.fma(xv, r2c2); r2c3 = w3.fma(xv, r2c3);
            xv = FloatVector.broadcast(F, x[xi1 + 3]); r3c0 = w0.fma(xv, r3c0); r3c1 = w1.fma(xv, r3c1); r3c2 = w2.fma(xv, r3c2); r3c3 = w3.fma(xv, r3c3);
            xv = FloatVector.broadcast(F, x[xi1 + 4]); r4c0 = w0.fma(xv, r4c0); r4c1 = w1.fma(xv, r4c1); r4c2 = w2.fma(xv, r4c2); r4c3 = w3.fma(xv, r4c3);
            xv = FloatVector.broadcast(F, x[xi1 + 5]); r5c0 = w0.fma(xv, r5c0); r5c1 = w1.fma(xv, r5c1); r5c2 = w2.fma(xv, r5c2); r5c3 = w3.fma(xv, r5c3);
        }
        r0c0.intoArray(y, ya + 0 * stride + 0); r0c1.intoArray(y, ya + 0 * stride + 16); r0c2.intoArray(y, ya + 0 * stride + 32); r0c3.intoArray(y, ya + 0 * stride + 48);
        r1c0.intoArray(y, ya + 1 * stride + 0); r1c1.intoArray(y, ya + 1 * stride + 16); r1c2.intoArray(y, ya + 1 * stride + 32); r1c3.intoArray(y, ya + 1 * stride + 48);
        r2c0.intoArray(y, ya + 2 * stride + 0); r2c1.intoArray(y, ya + 2 * stride + 16); r2c2.intoArray(y, ya + 2 * stride + 32); r2c3.intoArray(y, ya + 2 * stride + 48);
        r3c0.intoArray(y, ya + 3 * stride + 0); r3c1.intoArray(y, ya + 3 * stride + 16); r3c2.intoArray(y, ya + 3 * stride + 32); r3c3.intoArray(y, ya + 3 * stride + 48);
        r4c0.intoArray(y, ya + 4 * stride + 0); r4c1.intoArray(y, ya + 4 * stride + 16); r4c2.intoArray(y, ya + 4 * stride + 32); r4c3.intoArray(y, ya + 4 * stride + 48);
        r5c0.intoArray(y, ya + 5 * stride + 0); r5c1.intoArray(y, ya + 5 * stride + 16); r5c2.intoArray(y, ya + 5 * stride + 32); r5c3.intoArray(y, ya + 5 * stride + 48);
    }
    static void twoWhole2(short[] w, int in, float[] x, int xa, float[] y, int ya, int stride) {
        FloatVector r0c0 = FloatVector.zero(F), r0c1 = r0c0, r0c2 = r0c0, r0c3 = r0c0, r1c0 = r0c0, r1c1 = r0c0, r1c2 = r0c0, r1c3 = r0c0;
        int n = in / 2; int hq = in * HALF; int pq = n * HALF;
        IntVector p; FloatVector w0, w1, w2, w3, xv;
        for (int i = 0, wi = 0; i < n; i++, wi += HALF) {
            p = ShortVector.fromArray(S, w, wi).reinterpretAsInts();
            w0 = p.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 3).and(MASK).reinterpretAsFloats();
            w1 = p.lanewise(VectorOperators.ASHR, 3).and(MASK).reinterpretAsFloats();
            p = ShortVector.fromArray(S, w, wi + hq).reinterpretAsInts();
            w2 = p.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 3).and(MASK).reinterpretAsFloats();
            w3 = p.lanewise(VectorOperators.ASHR, 3).and(MASK).reinterpretAsFloats();
            int xi0 = (i + 0 * n) * 8 + xa;
            xv = FloatVector.broadcast(F, x[xi0 + 0]); r0c0 = w0.fma(xv, r0c0); r0c1 = w1.fma(xv, r0c1); r0c2 = w2.fma(xv, r0c2); r0c3 = w3.fma(xv, r0c3);
            xv = FloatVector.broadcast(F, x[xi0 + 1]); r1c0 = w0.fma(xv, r1c0); r1c1 = w1.fma(xv, r1c1); r1c2 = w2.fma(xv, r1c2); r1c3 = w3.fma(xv, r1c3);
            p = ShortVector.fromArray(S, w, wi + 1 * pq).reinterpretAsInts();
            w0 = p.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 3).and(MASK).reinterpretAsFloats();
            w1 = p.lanewise(VectorOperators.ASHR, 3).and(MASK).reinterpretAsFloats();
            p = ShortVector.fromArray(S, w, wi + hq + 1 * pq).reinterpretAsInts();
            w2 = p.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 3).and(MASK).reinterpretAsFloats();
            w3 = p.lanewise(VectorOperators.ASHR, 3).and(MASK).reinterpretAsFloats();
            int xi1 = (i + 1 * n) * 8 + xa;
            xv = FloatVector.broadcast(F, x[xi1 + 0]); r0c0 = w0.fma(xv, r0c0); r0c1 = w1.fma(xv, r0c1); r0c2 = w2.fma(xv, r0c2); r0c3 = w3.fma(xv, r0c3);
            xv = FloatVector.broadcast(F, x[xi1 + 1]); r1c0 = w0.fma(xv, r1c0); r1c1 = w1.fma(xv, r1c1); r1c2 = w2.fma(xv, r1c2); r1c3 = w3.fma(xv, r1c3);
        }
        r0c0.intoArray(y, ya + 0 * stride + 0); r0c1.intoArray(y, ya + 0 * stride + 16); r0c2.intoArray(y, ya + 0 * stride + 32); r0c3.intoArray(y, ya + 0 * stride + 48);
        r1c0.intoArray(y, ya + 1 * stride + 0); r1c1.intoArray(y, ya + 1 * stride + 16); r1c2.intoArray(y, ya + 1 * stride + 32); r1c3.intoArray(y, ya + 1 * stride + 48);
    }
    public static void main(String[] a) throws Exception {
        Random r = new Random(1);
        float[] x = new float[8 * 1536];
        for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
        float[] y = new float[8 * 3072];
        if (a.length > 0 && a[0].equals("l2")) {
            short[][] two = pack(new Random(2), 2 * TILE, 576);
            for (int round = 0; round < 6; round++) {
                for (int k = 0; k < NAMES.length; k++) {
                    int reps = 20000;
                    long t0 = System.nanoTime();
                    for (int i = 0; i < reps; i++) run(k, two, 576, x, y, 0, 2, 2 * TILE);
                    double s = (System.nanoTime() - t0) / 1e9;
                    if (round >= 3) System.out.printf("%-40s %.1f G multiply-adds/s%n", NAMES[k], (double) reps * 2 * TILE * 576 * ROWS[k] / s / 1e9);
                }
            }
            return;
        }
        int[][] shapes = {{960, 576}, {576, 576}, {3072, 576}, {576, 1536}};
        List<short[][]> mats = new ArrayList<>();
        List<Integer> ins = new ArrayList<>();
        for (int l = 0; l < 30; l++) for (int[] s : shapes) { mats.add(pack(r, s[0], s[1])); ins.add(s[1]); }
        ExecutorService ex = Executors.newFixedThreadPool(1);
        int rounds = 40;
        double[][] ms = new double[NAMES.length][rounds];
        for (int round = 0; round < rounds; round++) {
            for (int k = 0; k < NAMES.length; k++) {
                int way = k;
                long t0 = System.nanoTime();
                for (int j = 0; j < mats.size(); j++) {
                    short[][] tl = mats.get(j); int in = ins.get(j); int stride = tl.length * TILE; int half = tl.length / 2;
                    Future<?> other = ex.submit(() -> run(way, tl, in, x, y, 0, half, stride));
                    run(way, tl, in, x, y, half, tl.length, stride);
                    other.get();
                }
                ms[k][round] = (System.nanoTime() - t0) / 1e6;
            }
        }
        for (int k = 0; k < NAMES.length; k++) {
            double[] v = Arrays.copyOfRange(ms[k], 10, rounds);
            Arrays.sort(v);
            System.out.printf("%-40s min %.2f  median %.2f  p90 %.2f ms%n", NAMES[k], v[0], v[v.length / 2], v[v.length * 9 / 10]);
        }
        ex.shutdown();
    }
}
