import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * A probe, not library code: how fast can plain Java (the Vector API) multiply 1..16 rows by every weight matrix of
 * the SmolLM-135M shape (30 layers of q/k/v 576x960, o 576x576, gate/up 576x3072, down 1536x576, then the lm_head
 * 576x49152), in float32, on one thread and on two? Compare with libtorch's numbers in docs/benchmarks.md.
 *
 * <p>Weights are packed once into tiles of 4 vectors of outputs ({@code [out / T][in][T]}, T = 4 lanes-widths), so a
 * tile streams contiguously; each weight vector loaded feeds two rows' accumulators. The second thread takes half the
 * tiles and spins between products (a probe; a library would park it).
 *
 * <pre>java --add-modules jdk.incubator.vector -Xmx4g docs/prototypes/VectorMatmulProbe.java</pre>
 */
public class VectorMatmulProbe {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static final int L = S.length();
    static final int T = 4 * L;

    /** y[m][o] for o in tiles [t0, t1): y = x · W, W packed tile-major. */
    static void kernel(float[] packed, int in, int out, float[] x, int rows, float[] y, int t0, int t1) {
        for (int t = t0; t < t1; t++) {
            int o = t * T;
            for (int m0 = 0; m0 < rows; m0 += 2) {
                boolean two = m0 + 1 < rows;
                FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
                int xa = m0 * in;
                int xb = (m0 + 1) * in;
                for (int i = 0, wi = t * in * T; i < in; i++, wi += T) {
                    FloatVector w0 = FloatVector.fromArray(S, packed, wi);
                    FloatVector w1 = FloatVector.fromArray(S, packed, wi + L);
                    FloatVector w2 = FloatVector.fromArray(S, packed, wi + 2 * L);
                    FloatVector w3 = FloatVector.fromArray(S, packed, wi + 3 * L);
                    FloatVector xv = FloatVector.broadcast(S, x[xa + i]);
                    a0 = w0.fma(xv, a0);
                    a1 = w1.fma(xv, a1);
                    a2 = w2.fma(xv, a2);
                    a3 = w3.fma(xv, a3);
                    if (two) {
                        FloatVector xw = FloatVector.broadcast(S, x[xb + i]);
                        b0 = w0.fma(xw, b0);
                        b1 = w1.fma(xw, b1);
                        b2 = w2.fma(xw, b2);
                        b3 = w3.fma(xw, b3);
                    }
                }
                int ya = m0 * out + o;
                a0.intoArray(y, ya);
                a1.intoArray(y, ya + L);
                a2.intoArray(y, ya + 2 * L);
                a3.intoArray(y, ya + 3 * L);
                if (two) {
                    int yb = ya + out;
                    b0.intoArray(y, yb);
                    b1.intoArray(y, yb + L);
                    b2.intoArray(y, yb + 2 * L);
                    b3.intoArray(y, yb + 3 * L);
                }
            }
        }
    }

    /** Packs a row-major [in, out] matrix (out a multiple of T) tile-major. */
    static float[] pack(float[] w, int in, int out) {
        float[] p = new float[w.length];
        for (int t = 0; t < out / T; t++) {
            for (int i = 0; i < in; i++) {
                System.arraycopy(w, i * out + t * T, p, (t * in + i) * T, T);
            }
        }
        return p;
    }

    static volatile Runnable task;
    static volatile long seq;
    static final AtomicInteger done = new AtomicInteger();

    static void startHelper() {
        Thread t = new Thread(() -> {
            long seen = 0;
            while (true) {
                while (seq == seen) {
                    Thread.onSpinWait();
                }
                seen = seq;
                task.run();
                done.incrementAndGet();
            }
        });
        t.setDaemon(true);
        t.start();
    }

    static void product(float[] packed, int in, int out, float[] x, int rows, float[] y, int threads) {
        int tiles = out / T;
        if (threads == 1) {
            kernel(packed, in, out, x, rows, y, 0, tiles);
            return;
        }
        int half = tiles / 2;
        task = () -> kernel(packed, in, out, x, rows, y, half, tiles);
        int before = done.get();
        seq++;
        kernel(packed, in, out, x, rows, y, 0, half);
        while (done.get() == before) {
            Thread.onSpinWait();
        }
    }

    public static void main(String[] args) {
        Random random = new Random(1);
        // Correctness on one matrix against a double-precision reference.
        int in = 576, out = 960, rows = 3;
        float[] w = new float[in * out];
        float[] x = new float[rows * in];
        for (int i = 0; i < w.length; i++) {
            w[i] = random.nextFloat() - 0.5f;
        }
        for (int i = 0; i < x.length; i++) {
            x[i] = random.nextFloat() - 0.5f;
        }
        float[] y = new float[rows * out];
        kernel(pack(w, in, out), in, out, x, rows, y, 0, out / T);
        double worst = 0;
        for (int m = 0; m < rows; m++) {
            for (int o = 0; o < out; o++) {
                double s = 0;
                for (int i = 0; i < in; i++) {
                    s += (double) x[m * in + i] * w[i * out + o];
                }
                worst = Math.max(worst, Math.abs(s - y[m * out + o]));
            }
        }
        System.out.printf("species %s, largest difference from a double-precision product: %.2e%n", S, worst);

        int layers = 30;
        int[][] dims = {{576, 960}, {576, 576}, {576, 3072}, {1536, 576}};
        float[][][] weights = new float[layers][4][];
        for (int l = 0; l < layers; l++) {
            for (int j = 0; j < 4; j++) {
                float[] m = new float[dims[j][0] * dims[j][1]];
                for (int k = 0; k < m.length; k += 13) {
                    m[k] = random.nextFloat();
                }
                weights[l][j] = pack(m, dims[j][0], dims[j][1]);
            }
        }
        float[] head = new float[576 * 49152];
        for (int k = 0; k < head.length; k += 13) {
            head[k] = random.nextFloat();
        }
        head = pack(head, 576, 49152);
        startHelper();
        for (int m : new int[] {1, 2, 4, 8, 16}) {
            float[] x576 = new float[m * 576];
            float[] x1536 = new float[m * 1536];
            float[][] ys = new float[5][];
            for (int j = 0; j < 4; j++) {
                ys[j] = new float[m * dims[j][1]];
            }
            ys[4] = new float[m * 49152];
            for (int threads : new int[] {1, 2}) {
                float[] lmHead = head;
                Runnable pass = () -> {
                    for (int l = 0; l < layers; l++) {
                        for (int j = 0; j < 4; j++) {
                            product(weights[l][j], dims[j][0], dims[j][1], j == 3 ? x1536 : x576, m, ys[j], threads);
                        }
                    }
                    product(lmHead, 576, 49152, x576, m, ys[4], threads);
                };
                for (int i = 0; i < 5; i++) {
                    pass.run();
                }
                long start = System.nanoTime();
                for (int i = 0; i < 10; i++) {
                    pass.run();
                }
                System.out.printf("%2d rows, %d thread(s): %.1f ms for every product of a step%n", m, threads,
                        (System.nanoTime() - start) / 10e6);
            }
        }
        System.exit(0);
    }
}
