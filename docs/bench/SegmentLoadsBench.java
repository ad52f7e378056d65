import java.lang.invoke.*;
import java.nio.*;
import jdk.incubator.vector.*;

/**
 * Scores of one 64-float query against 1,024 key rows in place, for 90 heads (30 layers x 3 KV heads), twenty times a
 * round: vector loads from a MemorySegment over each direct buffer through method handles (JDK 19 and later, as
 * SegmentLoads does; FloatVector.fromByteBuffer on JDK 17 and 18), against copying the rows to a float[] first. Used in
 * docs/benchmarks.md ("Cache reads in place on JDK 19 and later"):
 *
 * <pre>
 * javac --release 17 --add-modules jdk.incubator.vector -d /tmp/slb docs/bench/SegmentLoadsBench.java
 * java --add-modules jdk.incubator.vector -cp /tmp/slb SegmentLoadsBench
 * /usr/lib/jvm/temurin-25-jdk-amd64/bin/java --add-modules jdk.incubator.vector -cp /tmp/slb SegmentLoadsBench
 * </pre>
 */
public class SegmentLoadsBench {
    static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    static final int L = F.length();
    static final ByteOrder O = ByteOrder.nativeOrder();
    static final boolean SEG = Runtime.version().feature() >= 19;
    static final MethodHandle OF_BUFFER, FROM_SEGMENT;
    static {
        MethodHandle ofBuffer = null, fromSegment = null;
        if (SEG) {
            try {
                Class<?> ms = Class.forName("java.lang.foreign.MemorySegment");
                MethodHandles.Lookup lk = MethodHandles.publicLookup();
                ofBuffer = lk.findStatic(ms, "ofBuffer", MethodType.methodType(ms, Buffer.class))
                        .asType(MethodType.methodType(Object.class, ByteBuffer.class));
                fromSegment = lk.findStatic(FloatVector.class, "fromMemorySegment",
                        MethodType.methodType(FloatVector.class, VectorSpecies.class, ms, long.class, ByteOrder.class))
                        .asType(MethodType.methodType(FloatVector.class, VectorSpecies.class, Object.class, long.class, ByteOrder.class));
            } catch (ReflectiveOperationException e) { throw new ExceptionInInitializerError(e); }
        }
        OF_BUFFER = ofBuffer; FROM_SEGMENT = fromSegment;
    }
    static Object segment(ByteBuffer b) {
        try { return (Object) OF_BUFFER.invokeExact(b); } catch (Throwable t) { throw new RuntimeException(t); }
    }
    static FloatVector load(Object seg, ByteBuffer b, int at) {
        if (SEG) {
            try { return (FloatVector) FROM_SEGMENT.invokeExact(F, seg, (long) at, O); } catch (Throwable t) { throw new RuntimeException(t); }
        }
        return FloatVector.fromByteBuffer(F, b, at, O);
    }
    static void scores(float[] q, ByteBuffer k, int n, float[] s) {
        Object seg = SEG ? segment(k) : null;
        FloatVector q0 = FloatVector.fromArray(F, q, 0), q1 = FloatVector.fromArray(F, q, L), q2 = FloatVector.fromArray(F, q, 2 * L), q3 = FloatVector.fromArray(F, q, 3 * L);
        int vb = L * 4;
        for (int j = 0, at = 0; j < n; j++, at += 256) {
            FloatVector a = load(seg, k, at).mul(q0);
            FloatVector b = load(seg, k, at + vb).mul(q1);
            a = load(seg, k, at + 2 * vb).fma(q2, a);
            b = load(seg, k, at + 3 * vb).fma(q3, b);
            s[j] = a.add(b).reduceLanes(VectorOperators.ADD);
        }
    }
    static void scoresCopy(float[] q, ByteBuffer k, int n, float[] s, float[] tmp) {
        k.asFloatBuffer().get(0, tmp, 0, n * 64);
        FloatVector q0 = FloatVector.fromArray(F, q, 0), q1 = FloatVector.fromArray(F, q, L), q2 = FloatVector.fromArray(F, q, 2 * L), q3 = FloatVector.fromArray(F, q, 3 * L);
        for (int j = 0, at = 0; j < n; j++, at += 64) {
            FloatVector a = FloatVector.fromArray(F, tmp, at).mul(q0);
            FloatVector b = FloatVector.fromArray(F, tmp, at + L).mul(q1);
            a = FloatVector.fromArray(F, tmp, at + 2 * L).fma(q2, a);
            b = FloatVector.fromArray(F, tmp, at + 3 * L).fma(q3, b);
            s[j] = a.add(b).reduceLanes(VectorOperators.ADD);
        }
    }
    public static void main(String[] args) {
        int n = 1024, heads = 90; // 30 layers x 3 kv heads
        ByteBuffer[] ks = new ByteBuffer[heads];
        for (int h = 0; h < heads; h++) { ks[h] = ByteBuffer.allocateDirect(n * 256).order(O); for (int i = 0; i < n * 64; i++) ks[h].putFloat(i * 4, (float) Math.sin(i + h)); }
        float[] q = new float[64]; for (int i = 0; i < 64; i++) q[i] = (float) Math.cos(i);
        float[] s = new float[n], tmp = new float[n * 64];
        double check = 0;
        for (int round = 0; round < 30; round++) {
            long t0 = System.nanoTime();
            for (int rep = 0; rep < 20; rep++) for (int h = 0; h < heads; h++) { scores(q, ks[h], n, s); check += s[rep]; }
            long t1 = System.nanoTime();
            for (int rep = 0; rep < 20; rep++) for (int h = 0; h < heads; h++) { scoresCopy(q, ks[h], n, s, tmp); check += s[rep]; }
            long t2 = System.nanoTime();
            if (round % 5 == 4) System.out.printf("java %d: in place %.2f ms, copied %.2f ms (20 x 90 heads x 1024 rows) %s%n", Runtime.version().feature(), (t1 - t0) / 1e6, (t2 - t1) / 1e6, check > 0 ? "" : " ");
        }
    }
}
