import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * How many 512-bit fused multiply-adds one thread of this CPU retires per second: twelve independent accumulators,
 * no memory. A Zen 4 core runs a 512-bit operation as two 256-bit halves (about one a cycle), a Zen 5 core two a
 * cycle. Used in docs/benchmarks.md ("A Zen 5 machine"):
 *
 * <pre>
 * javac --add-modules jdk.incubator.vector -d /tmp/fp docs/bench/FmaPeak.java
 * java --add-modules jdk.incubator.vector -cp /tmp/fp FmaPeak
 * </pre>
 */
public class FmaPeak {
    static final VectorSpecies<Float> F = FloatVector.SPECIES_512;

    static float run(long n, float[] w) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0, a8 = a0,
                a9 = a0, a10 = a0, a11 = a0;
        FloatVector x = FloatVector.fromArray(F, w, 0), y = FloatVector.fromArray(F, w, 16);
        for (long i = 0; i < n; i++) {
            a0 = x.fma(y, a0); a1 = x.fma(y, a1); a2 = x.fma(y, a2); a3 = x.fma(y, a3); a4 = x.fma(y, a4);
            a5 = x.fma(y, a5); a6 = x.fma(y, a6); a7 = x.fma(y, a7); a8 = x.fma(y, a8); a9 = x.fma(y, a9);
            a10 = x.fma(y, a10); a11 = x.fma(y, a11);
        }
        return a0.add(a1).add(a2).add(a3).add(a4).add(a5).add(a6).add(a7).add(a8).add(a9).add(a10).add(a11)
                .reduceLanes(VectorOperators.ADD);
    }

    public static void main(String[] args) {
        float[] w = new float[32];
        java.util.Arrays.fill(w, 1e-9f);
        for (int round = 0; round < 8; round++) {
            long n = 50_000_000;
            long t0 = System.nanoTime();
            float sum = run(n, w);
            double seconds = (System.nanoTime() - t0) / 1e9;
            System.out.printf("%.2f G 512-bit multiply-adds/s on one thread, %.1f G multiply-adds/s (%s)%n",
                    n * 12 / seconds / 1e9, n * 12 * 16 / seconds / 1e9, sum);
        }
    }
}
