import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * How fast two threads read memory here: the sum of 135 M floats (540 MB, the SmolLM-135M shape's weights in float32),
 * half on each thread, in vectors, 15 rounds. Used in docs/benchmarks.md ("What the fast mode is"):
 *
 * <pre>
 * javac --add-modules jdk.incubator.vector -d /tmp/sb docs/bench/StreamBench.java
 * java --add-modules jdk.incubator.vector -Xmx3g -cp /tmp/sb StreamBench
 * </pre>
 */
public class StreamBench {
    private static final VectorSpecies<Float> FLOATS = FloatVector.SPECIES_PREFERRED;

    public static void main(String[] args) throws InterruptedException {
        int n = 135_000_000;
        float[] w = new float[n];
        for (int i = 0; i < n; i++) {
            w[i] = (i % 7) * 0.1f;
        }
        int lanes = FLOATS.length();
        for (int round = 0; round < 15; round++) {
            long t0 = System.nanoTime();
            float[] sums = new float[2];
            Thread[] threads = new Thread[2];
            for (int t = 0; t < 2; t++) {
                int half = t;
                threads[t] = new Thread(() -> {
                    int from = half * (n / 2);
                    int to = from + n / 2;
                    FloatVector a = FloatVector.zero(FLOATS);
                    FloatVector b = FloatVector.zero(FLOATS);
                    FloatVector c = FloatVector.zero(FLOATS);
                    FloatVector d = FloatVector.zero(FLOATS);
                    for (int i = from; i + 4 * lanes <= to; i += 4 * lanes) {
                        a = a.add(FloatVector.fromArray(FLOATS, w, i));
                        b = b.add(FloatVector.fromArray(FLOATS, w, i + lanes));
                        c = c.add(FloatVector.fromArray(FLOATS, w, i + 2 * lanes));
                        d = d.add(FloatVector.fromArray(FLOATS, w, i + 3 * lanes));
                    }
                    sums[half] = a.add(b).add(c).add(d).reduceLanes(VectorOperators.ADD);
                });
                threads[t].start();
            }
            for (Thread thread : threads) {
                thread.join();
            }
            long nanos = System.nanoTime() - t0;
            System.out.printf("round %d: %.2f ms, %.1f GB/s (%f)%n", round, nanos / 1e6, n * 4.0 / nanos,
                    sums[0] + sums[1]);
        }
    }
}
