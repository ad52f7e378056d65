import io.github.attentionsinks.kernels.CacheReads;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Random;
import jdk.incubator.vector.*;

/**
 * Attention's scores as a decode step computes them (three query heads against the 1,024 keys of one KV head, over
 * 1,500 such heads in turn, rows from memory) with keys as the cache holds them now, a row of 64 values per key
 * ({@link CacheReads}), against keys turned in blocks of 16, {@code [block][64][16]}, where one vector holds one value
 * of 16 keys and a score needs no sum across lanes. Float32 and float16 entries, one or two threads; prints ns per key
 * row. Used in docs/benchmarks.md ("Eight rows against the fast mode"):
 *
 * <pre>
 * javac --add-modules jdk.incubator.vector -cp examples/target/attention-sinks.jar -d /tmp/bsb docs/bench/BlockedScoresBench.java
 * java --add-modules jdk.incubator.vector -XX:MaxDirectMemorySize=3g -cp examples/target/attention-sinks.jar:/tmp/bsb BlockedScoresBench 2
 * </pre>
 */
public class BlockedScoresBench {
    static final VectorSpecies<Short> HALVES = ShortVector.SPECIES_256;
    static final VectorSpecies<Integer> INTS = IntVector.SPECIES_512;

    /** Float16 blocks [16 keys][64][16 shorts]; q pre-scaled by 2^112 so the widened bits need no multiply. */
    static void blockedHalves(float[] q, ByteBuffer k, int kByte, int n, float scale, float[] scores, int stride) {
        for (int b = 0; b < n; b += 16) {
            FloatVector a = FloatVector.zero(F), c = a, e = a;
            int at = kByte + b * DIM * 2;
            for (int d = 0; d < DIM; d++, at += 32) {
                FloatVector kv = ((IntVector) ShortVector.fromByteBuffer(HALVES, k, at, O).castShape(INTS, 0))
                        .lanewise(VectorOperators.LSHL, 13).and(0x8FFFE000).reinterpretAsFloats();
                a = kv.fma(FloatVector.broadcast(F, q[d]), a);
                c = kv.fma(FloatVector.broadcast(F, q[DIM + d]), c);
                e = kv.fma(FloatVector.broadcast(F, q[2 * DIM + d]), e);
            }
            a.mul(scale).intoArray(scores, b);
            c.mul(scale).intoArray(scores, stride + b);
            e.mul(scale).intoArray(scores, 2 * stride + b);
        }
    }

    static final VectorSpecies<Float> F = FloatVector.SPECIES_512;
    static final int KEYS = 1024, HEADS = 1500, DIM = 64;
    static final ByteOrder O = ByteOrder.nativeOrder();

    static void blocked(float[] q, ByteBuffer k, int kByte, int n, float scale, float[] scores, int stride) {
        for (int b = 0; b < n; b += 16) {
            FloatVector a = FloatVector.zero(F), c = a, e = a;
            int at = kByte + b * DIM * 4;
            for (int d = 0; d < DIM; d++, at += 64) {
                FloatVector kv = FloatVector.fromByteBuffer(F, k, at, O);
                a = kv.fma(FloatVector.broadcast(F, q[d]), a);
                c = kv.fma(FloatVector.broadcast(F, q[DIM + d]), c);
                e = kv.fma(FloatVector.broadcast(F, q[2 * DIM + d]), e);
            }
            a.mul(scale).intoArray(scores, b);
            c.mul(scale).intoArray(scores, stride + b);
            e.mul(scale).intoArray(scores, 2 * stride + b);
        }
    }

    public static void main(String[] args) throws Exception {
        int threads = Integer.parseInt(args[0]);
        int rows = KEYS * HEADS;
        ByteBuffer flat = ByteBuffer.allocateDirect(rows * DIM * 4).order(O);
        ByteBuffer turned = ByteBuffer.allocateDirect(rows * DIM * 4).order(O);
        ByteBuffer halves = ByteBuffer.allocateDirect(rows * DIM * 2).order(O);
        ByteBuffer turnedHalves = ByteBuffer.allocateDirect(rows * DIM * 2).order(O);
        Random r = new Random(1);
        for (int row = 0; row < rows; row++) {
            for (int d = 0; d < DIM; d++) {
                float v = (float) r.nextGaussian();
                flat.putFloat((row * DIM + d) * 4, v);
                int block = row / 16, lane = row % 16;
                turned.putFloat(((block * DIM + d) * 16 + lane) * 4, v);
                short h = io.github.attentionsinks.kernels.Float16Bits.fromFloat(v);
                halves.putShort((row * DIM + d) * 2, h);
                turnedHalves.putShort(((block * DIM + d) * 16 + lane) * 2, h);
            }
        }
        float[] q = new float[3 * DIM];
        for (int i = 0; i < q.length; i++) q[i] = (float) r.nextGaussian();
        float[] qScaled = new float[3 * DIM];
        for (int i = 0; i < q.length; i++) qScaled[i] = q[i] * 0x1p112f;
        // same scores both ways
        float[] s1 = new float[3 * KEYS], s2 = new float[3 * KEYS];
        CacheReads.groupScores(q, 0, 3, flat, 0, KEYS, DIM, 0.125f, s1, 0, KEYS);
        blocked(q, turned, 0, KEYS, 0.125f, s2, KEYS);
        double worst = 0;
        for (int i = 0; i < s1.length; i++) worst = Math.max(worst, Math.abs(s1[i] - s2[i]));
        System.out.println("largest difference " + worst);
        CacheReads.groupScoresHalves(q, 0, 3, halves, 0, KEYS, DIM, 0.125f, s1, 0, KEYS);
        blockedHalves(qScaled, turnedHalves, 0, KEYS, 0.125f, s2, KEYS);
        worst = 0;
        for (int i = 0; i < s1.length; i++) worst = Math.max(worst, Math.abs(s1[i] - s2[i]));
        System.out.println("largest difference, float16 " + worst);
        for (int round = 0; round < 8; round++) {
            StringBuilder line = new StringBuilder("round " + round);
            for (int way = 0; way < 4; way++) {
                boolean block = way % 2 == 1; boolean half = way >= 2;
                long t0 = System.nanoTime();
                Thread[] ws = new Thread[threads];
                for (int t = 0; t < threads; t++) {
                    int first = t;
                    ws[t] = new Thread(() -> {
                        float[] scores = new float[3 * KEYS];
                        for (int h = first; h < HEADS; h += threads) {
                            if (half && block) blockedHalves(qScaled, turnedHalves, h * KEYS * DIM * 2, KEYS, 0.125f, scores, KEYS);
                            else if (half) CacheReads.groupScoresHalves(q, 0, 3, halves, h * KEYS * DIM * 2, KEYS, DIM, 0.125f, scores, 0, KEYS);
                            else if (block) blocked(q, turned, h * KEYS * DIM * 4, KEYS, 0.125f, scores, KEYS);
                            else CacheReads.groupScores(q, 0, 3, flat, h * KEYS * DIM * 4, KEYS, DIM, 0.125f, scores, 0, KEYS);
                        }
                    });
                    ws[t].start();
                }
                for (Thread w : ws) w.join();
                line.append(String.format("  %s %s %.2f", half ? "f16" : "f32", block ? "blocked" : "rows", (System.nanoTime() - t0) / (double) rows));
            }
            System.out.println(line);
        }
    }
}
