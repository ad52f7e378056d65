import io.github.attentionsinks.kernels.VectorMath;
import java.util.Arrays;
import java.util.Random;

/**
 * The two kernels of a prompt chunk's attention, on one thread, data in the caches: the scores of 48 queries (16 rows
 * × 3 query heads of a KV head, as a SmolLM-shaped task) against 1,024 keys of 64 in turned blocks, one block a pass
 * ({@link VectorMath#blockScores}) against two ({@link VectorMath#blockPairScores}); and their weighted sums over value
 * rows in blocks of 64, a pair and a single query a pass ({@link VectorMath#addWeightedSums},
 * {@link VectorMath#addWeightedSum}) against three ({@link VectorMath#addThreeWeightedSums}). Prints G multiply-adds
 * per second per round and whether both ways gave the same floats. Used in docs/benchmarks.md ("Prompt attention's
 * kernels at the cores' speed"):
 *
 * <pre>
 * javac -cp examples/target/attention-sinks.jar -d /tmp/pab docs/bench/PromptAttentionBench.java
 * java --add-modules jdk.incubator.vector -cp examples/target/attention-sinks.jar:/tmp/pab PromptAttentionBench 6
 * </pre>
 */
public class PromptAttentionBench {
    public static void main(String[] args) {
        int rounds = Integer.parseInt(args[0]);
        int dim = 64;
        int keys = 1024;
        int rows = 16;
        int group = 3;
        int queries = rows * group;
        int lanes = VectorMath.lanes();
        Random random = new Random(3);
        float[] qs = gaussian(random, queries * dim);
        float[] turned = gaussian(random, keys * dim);
        float[] one = new float[queries * keys];
        float[] two = new float[queries * keys];
        float[] p = gaussian(random, queries * keys);
        float[] values = gaussian(random, 64 * dim);
        float[] pairs = new float[queries * dim];
        float[] threes = new float[queries * dim];
        for (int round = 0; round < rounds; round++) {
            long t0 = System.nanoTime();
            for (int rep = 0; rep < 2000; rep++) {
                for (int b = 0; b < keys / lanes; b++) {
                    VectorMath.blockScores(qs, queries, dim, turned, b * lanes * dim, 0.125f, one, b * lanes, keys);
                }
            }
            long t1 = System.nanoTime();
            for (int rep = 0; rep < 2000; rep++) {
                for (int b = 0; b + 1 < keys / lanes; b += 2) {
                    VectorMath.blockPairScores(qs, queries, dim, turned, b * lanes * dim, (b + 1) * lanes * dim,
                            0.125f, two, b * lanes, (b + 1) * lanes, keys);
                }
            }
            long t2 = System.nanoTime();
            Arrays.fill(pairs, 0);
            Arrays.fill(threes, 0);
            long t3 = System.nanoTime();
            for (int rep = 0; rep < 200; rep++) {
                for (int b = 0; b < keys; b += 64) {
                    for (int i = 0; i < rows; i++) {
                        int at = i * group * keys + b;
                        int out = i * group * dim;
                        VectorMath.addWeightedSums(p, at, at + keys, 64, values, 0, dim, pairs, out, out + dim);
                        VectorMath.addWeightedSum(p, at + 2 * keys, 64, values, 0, dim, pairs, out + 2 * dim);
                    }
                }
            }
            long t4 = System.nanoTime();
            for (int rep = 0; rep < 200; rep++) {
                for (int b = 0; b < keys; b += 64) {
                    for (int i = 0; i < rows; i++) {
                        int at = i * group * keys + b;
                        int out = i * group * dim;
                        VectorMath.addThreeWeightedSums(p, at, at + keys, at + 2 * keys, 64, values, 0, dim, threes,
                                out, out + dim, out + 2 * dim);
                    }
                }
            }
            long t5 = System.nanoTime();
            double scores = 2000.0 * queries * keys * dim;
            double sums = 200.0 * queries * keys * dim;
            System.out.printf("round %d: scores one block %.1f, two blocks %.1f G/s (same floats: %b); weighted sums "
                    + "pair + single %.1f, three %.1f G/s (same floats: %b)%n", round, scores / (t1 - t0),
                    scores / (t2 - t1), Arrays.equals(one, two), sums / (t4 - t3), sums / (t5 - t4),
                    Arrays.equals(pairs, threes));
        }
    }

    private static float[] gaussian(Random random, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) random.nextGaussian();
        }
        return a;
    }
}
