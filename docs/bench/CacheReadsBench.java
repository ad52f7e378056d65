import io.github.attentionsinks.kernels.CacheReads;
import io.github.attentionsinks.kernels.Float16Bits;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Random;

/**
 * Attention's scores over cache rows read in place, float32 rows against float16 rows, as a decode step reads them:
 * three query heads of 64 against the 1,024 keys of one KV head, over 1,500 such heads in turn (384 MiB of float32
 * rows, 192 MiB of float16 ones: from memory, as in a decoder whose weights stream through the caches between
 * layers), on one or two threads. Prints ns per key row for each. Used in docs/benchmarks.md ("A float16 KV cache"):
 *
 * <pre>
 * javac -cp examples/target/attention-sinks.jar -d /tmp/crb docs/bench/CacheReadsBench.java
 * java --add-modules jdk.incubator.vector -XX:MaxDirectMemorySize=2g -cp examples/target/attention-sinks.jar:/tmp/crb CacheReadsBench 1
 * </pre>
 */
public class CacheReadsBench {
    private static final int KEYS = 1024;
    private static final int HEADS = 1500;
    private static final int DIM = 64;

    public static void main(String[] args) throws InterruptedException {
        int threads = Integer.parseInt(args[0]);
        int rows = KEYS * HEADS;
        ByteOrder order = ByteOrder.nativeOrder();
        ByteBuffer floats = ByteBuffer.allocateDirect(rows * DIM * Float.BYTES).order(order);
        ByteBuffer halves = ByteBuffer.allocateDirect(rows * DIM * 2).order(order);
        Random random = new Random(1);
        for (int i = 0; i < rows * DIM; i++) {
            float v = (float) random.nextGaussian();
            floats.putFloat(i * Float.BYTES, v);
            halves.putShort(i * 2, Float16Bits.fromFloat(v));
        }
        float[] q = new float[3 * DIM];
        for (int i = 0; i < q.length; i++) {
            q[i] = (float) random.nextGaussian();
        }
        for (int round = 0; round < 8; round++) {
            StringBuilder line = new StringBuilder("round " + round);
            for (boolean half : new boolean[] {false, true}) {
                long t0 = System.nanoTime();
                Thread[] workers = new Thread[threads];
                for (int t = 0; t < threads; t++) {
                    int first = t;
                    workers[t] = new Thread(() -> {
                        float[] scores = new float[3 * KEYS];
                        for (int h = first; h < HEADS; h += threads) {
                            if (half) {
                                CacheReads.groupScoresHalves(q, 0, 3, halves, h * KEYS * DIM * 2, KEYS, DIM, 0.125f,
                                        scores, 0, KEYS);
                            } else {
                                CacheReads.groupScores(q, 0, 3, floats, h * KEYS * DIM * Float.BYTES, KEYS, DIM,
                                        0.125f, scores, 0, KEYS);
                            }
                        }
                    });
                    workers[t].start();
                }
                for (Thread worker : workers) {
                    worker.join();
                }
                line.append(String.format("  %s %.2f ns/row", half ? "float16" : "float32",
                        (System.nanoTime() - t0) / (double) rows));
            }
            System.out.println(line);
        }
    }
}
