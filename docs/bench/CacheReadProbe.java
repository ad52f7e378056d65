import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * How fast two threads can read eight sessions' caches (SmolLM-135M shape at 1,025 keys: 8 × 47 MB in direct
 * buffers, as libtorch's memory is seen from Java), three ways: rows copied 64 at a time into a heap block and summed
 * there (what attention did), summed with vector loads straight from the buffer ({@code fromByteBuffer}, JDK 17 and
 * 18 only), and the same floats in heap arrays. Used in docs/benchmarks.md ("Cache rows read in place"):
 *
 * <pre>
 * java --add-modules jdk.incubator.vector -Xmx4g docs/bench/CacheReadProbe.java
 * </pre>
 */
public class CacheReadProbe {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static final int L = S.length();

    public static void main(String[] args) throws Exception {
        int sessions = 8;
        int perSession = 1025 * 30 * 3 * 64 * 2; // floats: keys and values of every layer and KV head
        int chunk = 1025 * 64; // one layer's and head's keys (or values)
        int chunks = perSession / chunk;
        ByteBuffer[] bytes = new ByteBuffer[sessions];
        FloatBuffer[] floats = new FloatBuffer[sessions];
        float[][] heap = new float[sessions][];
        for (int s = 0; s < sessions; s++) {
            bytes[s] = ByteBuffer.allocateDirect(perSession * 4).order(ByteOrder.nativeOrder());
            floats[s] = bytes[s].asFloatBuffer();
            heap[s] = new float[perSession];
            for (int i = 0; i < perSession; i++) {
                floats[s].put(i, i % 7);
                heap[s][i] = i % 7;
            }
        }
        ExecutorService pool = Executors.newFixedThreadPool(2);
        for (int rep = 0; rep < 8; rep++) {
            for (String mode : new String[] {"copied", "in place", "heap"}) {
                long t0 = System.nanoTime();
                Future<?>[] parts = new Future<?>[2];
                for (int th = 0; th < 2; th++) {
                    int me = th;
                    parts[th] = pool.submit(() -> {
                        float[] block = new float[64 * 64];
                        FloatVector a0 = FloatVector.zero(S);
                        FloatVector a1 = a0;
                        FloatVector a2 = a0;
                        FloatVector a3 = a0;
                        for (int s = 0; s < sessions; s++) {
                            for (int c = me; c < chunks; c += 2) {
                                int base = c * chunk;
                                if (mode.equals("copied")) {
                                    for (int b = 0; b < chunk; b += block.length) {
                                        int n = Math.min(block.length, chunk - b);
                                        floats[s].get(base + b, block, 0, n);
                                        for (int i = 0; i < n; i += 4 * L) {
                                            a0 = a0.add(FloatVector.fromArray(S, block, i));
                                            a1 = a1.add(FloatVector.fromArray(S, block, i + L));
                                            a2 = a2.add(FloatVector.fromArray(S, block, i + 2 * L));
                                            a3 = a3.add(FloatVector.fromArray(S, block, i + 3 * L));
                                        }
                                    }
                                } else if (mode.equals("in place")) {
                                    ByteBuffer bb = bytes[s];
                                    ByteOrder order = ByteOrder.nativeOrder();
                                    for (int i = 0; i < chunk; i += 4 * L) {
                                        int at = (base + i) * 4;
                                        a0 = a0.add(FloatVector.fromByteBuffer(S, bb, at, order));
                                        a1 = a1.add(FloatVector.fromByteBuffer(S, bb, at + 4 * L, order));
                                        a2 = a2.add(FloatVector.fromByteBuffer(S, bb, at + 8 * L, order));
                                        a3 = a3.add(FloatVector.fromByteBuffer(S, bb, at + 12 * L, order));
                                    }
                                } else {
                                    float[] h = heap[s];
                                    for (int i = 0; i < chunk; i += 4 * L) {
                                        a0 = a0.add(FloatVector.fromArray(S, h, base + i));
                                        a1 = a1.add(FloatVector.fromArray(S, h, base + i + L));
                                        a2 = a2.add(FloatVector.fromArray(S, h, base + i + 2 * L));
                                        a3 = a3.add(FloatVector.fromArray(S, h, base + i + 3 * L));
                                    }
                                }
                            }
                        }
                        return a0.add(a1).add(a2).add(a3).reduceLanes(VectorOperators.ADD);
                    });
                }
                for (Future<?> part : parts) {
                    part.get();
                }
                double ms = (System.nanoTime() - t0) / 1e6;
                if (rep >= 5) {
                    System.out.printf("%s: %.1f ms, %.1f GB/s%n", mode, ms, sessions * (double) perSession * 4 / ms / 1e6);
                }
            }
        }
        pool.shutdown();
    }
}
