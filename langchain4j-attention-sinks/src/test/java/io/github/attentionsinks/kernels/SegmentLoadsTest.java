package io.github.attentionsinks.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;
import org.junit.jupiter.api.Test;

/**
 * {@link SegmentLoads}: on JDK 22 and later (MemorySegment final) the loads are found and read a direct buffer's bytes
 * at any offset, and a load past its end fails instead of reading other memory; on JDK 17 and 18 nothing is looked up
 * and {@link CacheReads} loads from the buffer itself. CI runs this module's tests on JDK 25 as well (its
 * {@code newer-jdk} profile), where a silently missing lookup would only have made attention slower.
 */
class SegmentLoadsTest {
    private static final VectorSpecies<Float> FLOATS = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Short> HALVES =
            VectorSpecies.of(short.class, VectorShape.forBitSize(FLOATS.vectorBitSize() / 2));

    @Test
    void cacheReadsHaveLoadsOnEveryJdkFrom17Or22() {
        int feature = Runtime.version().feature();
        if (feature <= 18) {
            assertFalse(SegmentLoads.WORK, "JDK " + feature + " loads from buffers; segments are not looked up");
        } else if (feature >= 22) {
            assertTrue(SegmentLoads.WORK, "JDK " + feature + " has final MemorySegment loads; they should be found");
        }
        assumeTrue(feature <= 18 || feature >= 22, "JDK 19-21: segment loads are used only if their check passes");
        assertTrue(CacheReads.AVAILABLE);
    }

    @Test
    void loadsReadTheBufferAtEveryOffsetAndRefusePastItsEnd() {
        assumeTrue(SegmentLoads.WORK, "segment loads are for JDK 19 and later");
        int lanes = FLOATS.length();
        ByteBuffer buffer = ByteBuffer.allocateDirect(4 * (3 * lanes)).order(ByteOrder.nativeOrder());
        for (int i = 0; i < 3 * lanes; i++) {
            buffer.putFloat(4 * i, 0.25f * i - 7f);
        }
        Object segment = SegmentLoads.segment(buffer);
        for (int offset : new int[] {0, 4, 12, 4 * lanes + 8, 4 * (2 * lanes)}) {
            FloatVector v = SegmentLoads.floats(FLOATS, segment, offset);
            for (int i = 0; i < lanes; i++) {
                assertEquals(buffer.getFloat(offset + 4 * i), v.lane(i), "float lane " + i + " from byte " + offset);
            }
            ShortVector s = SegmentLoads.shorts(HALVES, segment, offset);
            for (int i = 0; i < HALVES.length(); i++) {
                assertEquals(buffer.getShort(offset + 2 * i), s.lane(i), "short lane " + i + " from byte " + offset);
            }
        }
        assertThrows(IndexOutOfBoundsException.class, () -> SegmentLoads.floats(FLOATS, segment, 4 * (2 * lanes) + 4));
    }
}
