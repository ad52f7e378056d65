package io.github.attentionsinks.kernels;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.nio.Buffer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorSpecies;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Vector loads from a direct {@link ByteBuffer} on JDK 19 and later, for {@link CacheReads}: there the incubator API
 * loads from a {@code java.lang.foreign.MemorySegment} ({@code FloatVector.fromMemorySegment}), a type that code
 * compiled for JDK 17 cannot name, so the loads and {@code MemorySegment.ofBuffer} are reached through method handles
 * typed with {@code Object} for the segment. Held in static finals, the handles are constants to C2, which inlines them
 * like direct calls: in a standalone loop scoring 1,024 key rows of 64 floats in place for 90 heads, JDK 25 took 10–11
 * ms this way, against 24–28 ms copying the rows to the heap first and 14–15 ms for JDK 17's {@code fromByteBuffer}
 * (docs/benchmarks.md, "Cache reads in place on JDK 19 and later").
 *
 * <p>{@link #WORK} is settled once, by loading known values through the handles: where a lookup fails (an API that
 * moved, a JDK 19–21 whose {@code MemorySegment} is a preview that refuses) or a value comes back wrong, it is false and
 * callers copy rows as on a JDK without these loads.
 */
final class SegmentLoads {
    private static final Logger log = LoggerFactory.getLogger(SegmentLoads.class);
    private static final ByteOrder ORDER = ByteOrder.nativeOrder();
    /** {@code (ByteBuffer) → MemorySegment} as {@code Object}. */
    private static final MethodHandle OF_BUFFER;
    /** {@code FloatVector.fromMemorySegment(species, segment, offset, order)}, the segment as {@code Object}. */
    private static final MethodHandle FLOATS_AT;
    /** {@code ShortVector.fromMemorySegment(species, segment, offset, order)}, the segment as {@code Object}. */
    private static final MethodHandle SHORTS_AT;
    /** Whether the loads are there and give what they should (JDK 19 and later). */
    static final boolean WORK;

    static {
        MethodHandle ofBuffer = null;
        MethodHandle floatsAt = null;
        MethodHandle shortsAt = null;
        boolean work = false;
        if (Runtime.version().feature() >= 19) {
            try {
                Class<?> segment = Class.forName("java.lang.foreign.MemorySegment");
                MethodHandles.Lookup lookup = MethodHandles.publicLookup();
                ofBuffer = lookup.findStatic(segment, "ofBuffer", MethodType.methodType(segment, Buffer.class))
                        .asType(MethodType.methodType(Object.class, ByteBuffer.class));
                floatsAt = lookup.findStatic(FloatVector.class, "fromMemorySegment", MethodType.methodType(
                                FloatVector.class, VectorSpecies.class, segment, long.class, ByteOrder.class))
                        .asType(MethodType.methodType(FloatVector.class, VectorSpecies.class, Object.class, long.class,
                                ByteOrder.class));
                shortsAt = lookup.findStatic(ShortVector.class, "fromMemorySegment", MethodType.methodType(
                                ShortVector.class, VectorSpecies.class, segment, long.class, ByteOrder.class))
                        .asType(MethodType.methodType(ShortVector.class, VectorSpecies.class, Object.class, long.class,
                                ByteOrder.class));
                work = loadsKnownValues(ofBuffer, floatsAt, shortsAt);
                if (!work) {
                    log.debug("MemorySegment vector loads gave wrong values; cache rows are copied to the heap");
                }
            } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
                log.debug("MemorySegment vector loads are not available ({}); cache rows are copied to the heap",
                        e.toString());
            }
        }
        OF_BUFFER = ofBuffer;
        FLOATS_AT = floatsAt;
        SHORTS_AT = shortsAt;
        WORK = work;
    }

    private SegmentLoads() {}

    private static boolean loadsKnownValues(MethodHandle ofBuffer, MethodHandle floatsAt, MethodHandle shortsAt) {
        VectorSpecies<Float> floats = FloatVector.SPECIES_PREFERRED;
        VectorSpecies<Short> shorts = ShortVector.SPECIES_PREFERRED;
        ByteBuffer buffer = ByteBuffer.allocateDirect(4 * (floats.length() + 1) + 2 * shorts.length()).order(ORDER);
        for (int i = 0; i <= floats.length(); i++) {
            buffer.putFloat(4 * i, i + 0.5f);
        }
        int shortsFrom = 4 * (floats.length() + 1);
        for (int i = 0; i < shorts.length(); i++) {
            buffer.putShort(shortsFrom + 2 * i, (short) (1000 - i));
        }
        try {
            Object segment = (Object) ofBuffer.invokeExact(buffer);
            FloatVector f = (FloatVector) floatsAt.invokeExact(floats, segment, 4L, ORDER);
            ShortVector s = (ShortVector) shortsAt.invokeExact(shorts, segment, (long) shortsFrom, ORDER);
            for (int i = 0; i < floats.length(); i++) {
                if (f.lane(i) != i + 1.5f) {
                    return false;
                }
            }
            for (int i = 0; i < shorts.length(); i++) {
                if (s.lane(i) != (short) (1000 - i)) {
                    return false;
                }
            }
            return true;
        } catch (Throwable e) {
            log.debug("MemorySegment vector loads failed: {}", e.toString());
            return false;
        }
    }

    /** The direct buffer as a {@code MemorySegment} (typed {@code Object}), for {@link #floats} and {@link #shorts}. */
    static Object segment(ByteBuffer direct) {
        try {
            return (Object) OF_BUFFER.invokeExact(direct);
        } catch (Throwable e) {
            throw unchecked(e);
        }
    }

    /** {@code FloatVector.fromMemorySegment(species, segment, offset, native order)}. */
    static FloatVector floats(VectorSpecies<Float> species, Object segment, long offset) {
        try {
            return (FloatVector) FLOATS_AT.invokeExact(species, segment, offset, ORDER);
        } catch (Throwable e) {
            throw unchecked(e);
        }
    }

    /** {@code ShortVector.fromMemorySegment(species, segment, offset, native order)}. */
    static ShortVector shorts(VectorSpecies<Short> species, Object segment, long offset) {
        try {
            return (ShortVector) SHORTS_AT.invokeExact(species, segment, offset, ORDER);
        } catch (Throwable e) {
            throw unchecked(e);
        }
    }

    /** What a handle threw, as it was where unchecked (a load out of bounds: IndexOutOfBoundsException). */
    private static RuntimeException unchecked(Throwable e) {
        if (e instanceof Error error) {
            throw error;
        }
        return e instanceof RuntimeException runtime ? runtime : new IllegalStateException(e);
    }
}
