import io.github.attentionsinks.kernels.CacheReads;
import io.github.attentionsinks.kernels.Float16Bits;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Random;

/**
 * Attention's three-query scores over keys in blocks and three heads' weighted sums over value rows as the library
 * computes them ({@link CacheReads#groupScoresBlocks} and {@link CacheReads#groupWeightedSums} for float32 entries,
 * {@link CacheReads#groupScoresHalfBlocks} and {@link CacheReads#groupWeightedSumsHalves} for float16), on one thread:
 * {@code HEADS} KV heads of 1,024 keys (or value rows) of 64 values each, read in turn, so that with the default 1,500
 * heads they come from memory (393 MB float32, 196 MB float16) and with {@code -Dheads=2} from the second-level cache.
 * Prints ns per key (per value row for the sums), eight rounds.
 * Used in docs/benchmarks.md ("Vector API caches filled first", a float16 cache's scores in two runs):
 *
 * <pre>
 * javac -cp examples/target/attention-sinks.jar -d /tmp/hsb docs/bench/HalfScoresBench.java
 * java --add-modules jdk.incubator.vector -XX:MaxDirectMemorySize=3g -cp examples/target/attention-sinks.jar:/tmp/hsb \
 *     HalfScoresBench          # -Dheads=2 for keys from the second-level cache
 * </pre>
 */
public class HalfScoresBench {
    public static void main(String[] args) {
        int dim = 64;
        int keys = 1024;
        int heads = Integer.getInteger("heads", 1500);
        int blocks = keys / CacheReads.keyBlock();
        ByteBuffer k32 = ByteBuffer.allocateDirect(heads * keys * dim * 4).order(ByteOrder.nativeOrder());
        ByteBuffer k16 = ByteBuffer.allocateDirect(heads * keys * dim * 2).order(ByteOrder.nativeOrder());
        Random r = new Random(1);
        for (int i = 0; i < heads * keys * dim; i++) {
            float v = (float) r.nextGaussian() * 0.5f;
            k32.putFloat(i * 4, v);
            k16.putShort(i * 2, Float16Bits.fromFloat(v));
        }
        float[] q = new float[3 * dim];
        for (int i = 0; i < q.length; i++) {
            q[i] = (float) r.nextGaussian();
        }
        float[] scores = new float[3 * keys];
        float[] p = new float[3 * keys];
        for (int i = 0; i < p.length; i++) {
            p[i] = r.nextFloat() / keys;
        }
        float[] out = new float[3 * dim];
        int reps = Math.max(1, 1500 / heads);
        for (int round = 0; round < 8; round++) {
            long t0 = System.nanoTime();
            for (int rep = 0; rep < reps; rep++) {
                for (int h = 0; h < heads; h++) {
                    CacheReads.groupScoresBlocks(q, 0, 3, k32, h * keys * dim * 4, blocks, dim, 0.125f, scores, 0,
                            keys);
                }
            }
            long t1 = System.nanoTime();
            for (int rep = 0; rep < reps; rep++) {
                for (int h = 0; h < heads; h++) {
                    CacheReads.groupScoresHalfBlocks(q, 0, 3, k16, h * keys * dim * 2, blocks, dim, 0.125f, scores, 0,
                            keys);
                }
            }
            long t2 = System.nanoTime();
            for (int rep = 0; rep < reps; rep++) {
                for (int h = 0; h < heads; h++) {
                    CacheReads.groupWeightedSums(p, 0, keys, 3, keys, k32, h * keys * dim * 4, dim, out, 0, dim);
                }
            }
            long t3 = System.nanoTime();
            for (int rep = 0; rep < reps; rep++) {
                for (int h = 0; h < heads; h++) {
                    CacheReads.groupWeightedSumsHalves(p, 0, keys, 3, keys, k16, h * keys * dim * 2, dim, out, 0, dim);
                }
            }
            long t4 = System.nanoTime();
            double n = (double) reps * heads * keys;
            System.out.printf("round %d  scores: float32 %.1f, float16 %.1f ns/key  sums: float32 %.1f, float16 %.1f "
                    + "ns/row%n", round, (t1 - t0) / n, (t2 - t1) / n, (t3 - t2) / n, (t4 - t3) / n);
        }
    }
}
