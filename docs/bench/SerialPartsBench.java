import io.github.attentionsinks.ComputeDtype;
import io.github.attentionsinks.generate.Sampler;
import io.github.attentionsinks.kernels.VectorMath;
import io.github.attentionsinks.kernels.WeightKernels;
import java.util.Random;

/**
 * Three small parts of a batched decode step on the SmolLM-135M shape, each beside the way it was written until
 * 2026-12-08 (written out here), in µs, 8 rounds:
 * <ul>
 *   <li>greedy's argmax of 8 rows of 49,152 random logits: the plain loop against {@link Sampler#argmax} (the vector
 *       maximum, then the first logit equal to it);</li>
 *   <li>rotate-half rotary embedding of a row's three query heads and its key (heads of 64): the plain loop against
 *       {@link VectorMath#rotateHalf};</li>
 *   <li>{@link WeightKernels#forEach} of 24 tasks (an 8-session step's attention in one layer) of a few hundred
 *       nanoseconds each: its time beyond half of the same tasks run one after another, per task.</li>
 * </ul>
 * Used in docs/benchmarks.md ("Serial work of a batched step"):
 *
 * <pre>
 * javac -cp examples/target/attention-sinks.jar -d /tmp/spb docs/bench/SerialPartsBench.java
 * java --add-modules jdk.incubator.vector -cp examples/target/attention-sinks.jar:/tmp/spb SerialPartsBench
 * </pre>
 */
public class SerialPartsBench {
    static volatile double sink;

    public static void main(String[] args) {
        Random random = new Random(1);
        float[][] logits = new float[8][49_152];
        for (float[] row : logits) {
            for (int i = 0; i < row.length; i++) {
                row[i] = (float) random.nextGaussian();
            }
        }
        float[] qkv = new float[8 * 1344];
        float[] cos = new float[8 * 64];
        float[] sin = new float[8 * 64];
        for (int i = 0; i < qkv.length; i++) {
            qkv[i] = (float) random.nextGaussian();
        }
        for (int i = 0; i < cos.length; i++) {
            cos[i] = (float) Math.cos(i * 0.1);
            sin[i] = (float) Math.sin(i * 0.1);
        }
        try (WeightKernels kernels = WeightKernels.select(WeightKernels.Choice.JAVA, ComputeDtype.FLOAT32, false, 2)) {
            double[] out = new double[24 * 16];
            for (int round = 0; round < 8; round++) {
                int reps = 2000;
                int found = 0;
                long t0 = System.nanoTime();
                for (int r = 0; r < reps; r++) {
                    for (float[] row : logits) {
                        found += plainArgmax(row);
                    }
                }
                long t1 = System.nanoTime();
                for (int r = 0; r < reps; r++) {
                    for (float[] row : logits) {
                        found -= Sampler.argmax(row);
                    }
                }
                long t2 = System.nanoTime();
                if (found != 0) {
                    throw new AssertionError("the two argmax ways disagree");
                }
                int rotations = 200_000;
                for (int n = 0; n < rotations; n++) {
                    int row = n & 7;
                    plainRotation(qkv, row * 1344, 3, cos, sin, row * 64);
                    plainRotation(qkv, row * 1344 + 576, 1, cos, sin, row * 64);
                }
                long t3 = System.nanoTime();
                for (int n = 0; n < rotations; n++) {
                    int row = n & 7;
                    for (int h = 0; h < 3; h++) {
                        VectorMath.rotateHalf(qkv, row * 1344 + h * 64, 32, cos, sin, row * 64);
                    }
                    VectorMath.rotateHalf(qkv, row * 1344 + 576, 32, cos, sin, row * 64);
                }
                long t4 = System.nanoTime();
                for (int r = 0; r < reps; r++) {
                    kernels.forEach(24, t -> out[t * 16] = work(200, t));
                }
                long t5 = System.nanoTime();
                for (int r = 0; r < reps; r++) {
                    for (int t = 0; t < 24; t++) {
                        out[t * 16] = work(200, t);
                    }
                }
                long t6 = System.nanoTime();
                double parallel = (t5 - t4) / 1e3 / reps;
                double serial = (t6 - t5) / 1e3 / reps;
                System.out.printf("argmax of 8 rows: plain %.1f, vectors %.1f | rotation of 4 heads: plain %.3f, "
                        + "vectors %.3f | forEach of 24 tasks: %.2f, one by one %.2f, beyond half of that %.3f a "
                        + "task%n", (t1 - t0) / 1e3 / reps, (t2 - t1) / 1e3 / reps, (t3 - t2) / 1e3 / rotations,
                        (t4 - t3) / 1e3 / rotations, parallel, serial, (parallel - serial / 2) * 2 / 24);
            }
            sink = out[0] + qkv[0];
        }
    }

    /** The library's argmax until 2026-12-08. */
    static int plainArgmax(float[] logits) {
        int best = 0;
        for (int i = 1; i < logits.length; i++) {
            if (logits[i] > logits[best]) {
                best = i;
            }
        }
        return best;
    }

    /** The library's rotate-half loop until 2026-12-08, heads of 64. */
    static void plainRotation(float[] x, int offset, int count, float[] cos, float[] sin, int table) {
        int half = 32;
        for (int h = 0, at = offset; h < count; h++, at += 64) {
            for (int k = 0; k < half; k++) {
                float xa = x[at + k];
                float xb = x[at + k + half];
                x[at + k] = xa * cos[table + k] + -xb * sin[table + k];
                x[at + k + half] = xb * cos[table + k + half] + xa * sin[table + k + half];
            }
        }
    }

    /** A task of about as many nanoseconds as iterations. */
    static double work(int iterations, int seed) {
        double s = seed;
        for (int i = 0; i < iterations; i++) {
            s = s * 1.0000001 + 0.5;
        }
        return s;
    }
}
