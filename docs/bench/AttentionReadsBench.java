import io.github.attentionsinks.kernels.CacheReads;
import io.github.attentionsinks.kernels.VectorMath;
import java.lang.reflect.Method;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.atomic.AtomicInteger;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * An 8-session decode step's attention at a full window on the SmolLM-135M shape: 30 layers, 3 KV heads of 64 with 3
 * query heads each, 1,024 float32 keys in blocks of 16 and as many values in rows, 377 MB a step, in huge pages as the
 * library's caches are. Two threads claim (session, KV head) tasks layer by layer, as HeapForward's do; three sets of
 * caches are used in turn, so that a step finds little of its caches in the last-level cache. Each way prints ms a
 * step and GB/s, interleaved, 12 rounds of 6 steps:
 * <ul>
 *   <li>{@code one}: scores, softmax and weighted sums with the kernels as they were until 2026-12-07, one run of rows
 *       at a time (written out here);</li>
 *   <li>{@code library}: the same with {@link CacheReads} as built (two runs of rows at once since 2026-12-07);</li>
 *   <li>{@code stream}, {@code stream4}: a plain vector sum over the same bytes, one stream at a time (keys, then
 *       values) or four at once (two halves of each), for what memory gives.</li>
 * </ul>
 * Used in docs/benchmarks.md ("Attention reads two runs of rows at once"):
 *
 * <pre>
 * javac --add-modules jdk.incubator.vector -cp examples/target/attention-sinks.jar -d /tmp/arb docs/bench/AttentionReadsBench.java
 * java --add-modules jdk.incubator.vector -XX:MaxDirectMemorySize=4g -cp examples/target/attention-sinks.jar:/tmp/arb AttentionReadsBench [ways]
 * </pre>
 */
public class AttentionReadsBench {
    static final int SESSIONS = 8, LAYERS = 30, HEADS = 3, GROUP = 3, KEYS = 1024, DIM = 64, SETS = 3;
    static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    static final int LANES = F.length(), VB = LANES * 4;
    static final int HEAD_BYTES = KEYS * DIM * 4;
    static final ByteOrder ORDER = ByteOrder.nativeOrder();
    static volatile float sink;

    public static void main(String[] args) throws Exception {
        ByteBuffer[][] keys = new ByteBuffer[SETS][SESSIONS];
        ByteBuffer[][] values = new ByteBuffer[SETS][SESSIONS];
        Method advise = Class.forName("io.github.attentionsinks.cache.HugePages").getDeclaredMethod("advise", ByteBuffer.class);
        advise.setAccessible(true);
        Random r = new Random(1);
        for (int s = 0; s < SETS; s++) {
            for (int i = 0; i < SESSIONS; i++) {
                keys[s][i] = ByteBuffer.allocateDirect(LAYERS * HEADS * HEAD_BYTES).order(ORDER);
                values[s][i] = ByteBuffer.allocateDirect(LAYERS * HEADS * HEAD_BYTES).order(ORDER);
                advise.invoke(null, keys[s][i]);
                advise.invoke(null, values[s][i]);
                for (int j = 0; j < LAYERS * HEADS * HEAD_BYTES; j += 4) {
                    keys[s][i].putFloat(j, (float) r.nextGaussian() * 0.1f);
                    values[s][i].putFloat(j, (float) r.nextGaussian());
                }
            }
        }
        float[] q = new float[SESSIONS * LAYERS * HEADS * GROUP * DIM];
        for (int i = 0; i < q.length; i++) {
            q[i] = (float) r.nextGaussian();
        }
        String[] ways = args.length > 0 ? args : new String[] {"one", "library", "stream", "stream4"};
        for (int round = 0; round < 12; round++) {
            for (String way : ways) {
                long total = 0;
                for (int step = 0; step < 6; step++) {
                    total += step(way, keys[step % SETS], values[step % SETS], q);
                }
                double ms = total / 6 / 1e6;
                System.out.printf("round %d %-8s %.2f ms a step, %.1f GB/s%n", round, way, ms,
                        2.0 * SESSIONS * LAYERS * HEADS * HEAD_BYTES / ms / 1e6);
            }
        }
    }

    static long step(String way, ByteBuffer[] k, ByteBuffer[] v, float[] q) throws Exception {
        CyclicBarrier layerStart = new CyclicBarrier(2);
        AtomicInteger[] claims = new AtomicInteger[LAYERS];
        for (int l = 0; l < LAYERS; l++) {
            claims[l] = new AtomicInteger();
        }
        Thread[] threads = new Thread[2];
        long t0 = System.nanoTime();
        for (int th = 0; th < 2; th++) {
            threads[th] = new Thread(() -> {
                float[] scores = new float[GROUP * KEYS];
                float[] out = new float[GROUP * (DIM + 2)];
                float[] qs = new float[GROUP * DIM];
                try {
                    for (int l = 0; l < LAYERS; l++) {
                        layerStart.await();
                        for (int t; (t = claims[l].getAndIncrement()) < SESSIONS * HEADS; ) {
                            int s = t / HEADS, g = t % HEADS;
                            System.arraycopy(q, ((s * LAYERS + l) * HEADS + g) * GROUP * DIM, qs, 0, GROUP * DIM);
                            task(way, k[s], v[s], (l * HEADS + g) * HEAD_BYTES, qs, scores, out);
                        }
                    }
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
            threads[th].start();
        }
        for (Thread t : threads) {
            t.join();
        }
        return System.nanoTime() - t0;
    }

    static void task(String way, ByteBuffer k, ByteBuffer v, int at, float[] qs, float[] scores, float[] out) {
        if (way.startsWith("stream")) {
            sink = way.equals("stream") ? sum(k, at, HEAD_BYTES) + sum(v, at, HEAD_BYTES) : sumFour(k, v, at);
            return;
        }
        int blocks = KEYS / CacheReads.keyBlock();
        if (way.equals("one")) {
            for (int b = 0; b < blocks; b++) { // the library called per 64 keys; one block at a time is the same loop
                oneScores(qs, k, at + b * LANES * DIM * 4, scores, b * LANES, KEYS);
            }
        } else {
            CacheReads.groupScoresBlocks(qs, 0, GROUP, k, at, blocks, DIM, 0.125f, scores, 0, KEYS);
        }
        Arrays.fill(out, 0f);
        for (int h = 0; h < GROUP; h++) {
            float max = VectorMath.max(scores, h * KEYS, KEYS);
            out[h * (DIM + 2)] = max;
            out[h * (DIM + 2) + 1] = VectorMath.expShifted(scores, h * KEYS, KEYS, max);
        }
        if (way.equals("one")) {
            oneSums(scores, KEYS, v, at, out, 2, DIM + 2);
        } else {
            CacheReads.groupWeightedSums(scores, 0, KEYS, GROUP, KEYS, v, at, DIM, out, 2, DIM + 2);
        }
        sink = out[5];
    }

    static FloatVector load(ByteBuffer b, int at) {
        return FloatVector.fromByteBuffer(F, b, at, ORDER);
    }

    static float sum(ByteBuffer b, int at, int bytes) {
        FloatVector a = FloatVector.zero(F), c = a, d = a, e = a;
        for (int j = 0; j < bytes; j += 4 * VB) {
            a = a.add(load(b, at + j));
            c = c.add(load(b, at + j + VB));
            d = d.add(load(b, at + j + 2 * VB));
            e = e.add(load(b, at + j + 3 * VB));
        }
        return a.add(c).add(d).add(e).reduceLanes(VectorOperators.ADD);
    }

    static float sumFour(ByteBuffer k, ByteBuffer v, int at) {
        FloatVector a = FloatVector.zero(F), c = a, d = a, e = a;
        int half = HEAD_BYTES / 2;
        for (int j = 0; j < half; j += VB) {
            a = a.add(load(k, at + j));
            c = c.add(load(k, at + half + j));
            d = d.add(load(v, at + j));
            e = e.add(load(v, at + half + j));
        }
        return a.add(c).add(d).add(e).reduceLanes(VectorOperators.ADD);
    }

    /** The three-query scores of one block of keys, as CacheReads.threeScoresBlocks computed them until 2026-12-07. */
    static void oneScores(float[] q, ByteBuffer k, int at, float[] scores, int sOff, int sStride) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0, r0 = a0, r1 = a0, t0 = a0, t1 = a0;
        for (int d = 0; d < DIM; d += 2, at += 2 * VB) {
            FloatVector k0 = load(k, at), k1 = load(k, at + VB);
            a0 = k0.fma(FloatVector.broadcast(F, q[d]), a0);
            r0 = k0.fma(FloatVector.broadcast(F, q[DIM + d]), r0);
            t0 = k0.fma(FloatVector.broadcast(F, q[2 * DIM + d]), t0);
            a1 = k1.fma(FloatVector.broadcast(F, q[d + 1]), a1);
            r1 = k1.fma(FloatVector.broadcast(F, q[DIM + d + 1]), r1);
            t1 = k1.fma(FloatVector.broadcast(F, q[2 * DIM + d + 1]), t1);
        }
        a0.add(a1).mul(0.125f).intoArray(scores, sOff);
        r0.add(r1).mul(0.125f).intoArray(scores, sOff + sStride);
        t0.add(t1).mul(0.125f).intoArray(scores, sOff + 2 * sStride);
    }

    /** Three heads' weighted sums over all rows, one run, as CacheReads.threeWeightedSums computed them until 2026-12-07. */
    static void oneSums(float[] p, int pStride, ByteBuffer v, int vByte, float[] out, int outOff, int outStride) {
        int o2 = outOff + outStride, o3 = outOff + 2 * outStride;
        FloatVector a0 = FloatVector.fromArray(F, out, outOff), a1 = FloatVector.fromArray(F, out, outOff + LANES),
                a2 = FloatVector.fromArray(F, out, outOff + 2 * LANES), a3 = FloatVector.fromArray(F, out, outOff + 3 * LANES);
        FloatVector b0 = FloatVector.fromArray(F, out, o2), b1 = FloatVector.fromArray(F, out, o2 + LANES),
                b2 = FloatVector.fromArray(F, out, o2 + 2 * LANES), b3 = FloatVector.fromArray(F, out, o2 + 3 * LANES);
        FloatVector c0 = FloatVector.fromArray(F, out, o3), c1 = FloatVector.fromArray(F, out, o3 + LANES),
                c2 = FloatVector.fromArray(F, out, o3 + 2 * LANES), c3 = FloatVector.fromArray(F, out, o3 + 3 * LANES);
        for (int j = 0, at = vByte; j < KEYS; j++, at += 4 * VB) {
            FloatVector v0 = load(v, at), v1 = load(v, at + VB), v2 = load(v, at + 2 * VB), v3 = load(v, at + 3 * VB);
            FloatVector pa = FloatVector.broadcast(F, p[j]);
            FloatVector pb = FloatVector.broadcast(F, p[pStride + j]);
            FloatVector pc = FloatVector.broadcast(F, p[2 * pStride + j]);
            a0 = v0.fma(pa, a0); a1 = v1.fma(pa, a1); a2 = v2.fma(pa, a2); a3 = v3.fma(pa, a3);
            b0 = v0.fma(pb, b0); b1 = v1.fma(pb, b1); b2 = v2.fma(pb, b2); b3 = v3.fma(pb, b3);
            c0 = v0.fma(pc, c0); c1 = v1.fma(pc, c1); c2 = v2.fma(pc, c2); c3 = v3.fma(pc, c3);
        }
        a0.intoArray(out, outOff); a1.intoArray(out, outOff + LANES); a2.intoArray(out, outOff + 2 * LANES); a3.intoArray(out, outOff + 3 * LANES);
        b0.intoArray(out, o2); b1.intoArray(out, o2 + LANES); b2.intoArray(out, o2 + 2 * LANES); b3.intoArray(out, o2 + 3 * LANES);
        c0.intoArray(out, o3); c1.intoArray(out, o3 + LANES); c2.intoArray(out, o3 + 2 * LANES); c3.intoArray(out, o3 + 3 * LANES);
    }
}
