package io.github.attentionsinks.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.github.attentionsinks.runtime.DjlRuntime;
import org.junit.jupiter.api.Test;

/**
 * Float16 values widened to float32 ({@link Float16Bits#toFloat}, {@link VectorMath#widenHalves}) against libtorch's
 * conversion, for every one of the 65,536 bit patterns. The rounding the other way is checked against libtorch in
 * {@code WeightKernelsTest.float16RoundingMatchesLibtorch}.
 */
class Float16BitsTest {
    @Test
    void everyFloat16WidensAsLibtorchWidensIt() {
        short[] all = new short[1 << 16];
        for (int i = 0; i < all.length; i++) {
            all[i] = (short) i;
        }
        float[] libtorch = libtorchValues(all);
        for (int i = 0; i < all.length; i++) {
            float ours = Float16Bits.toFloat(all[i]);
            if (Float.isNaN(libtorch[i])) {
                assertEquals(Float.NaN, ours, "bits 0x" + Integer.toHexString(i));
            } else {
                assertEquals(Float.floatToIntBits(libtorch[i]), Float.floatToIntBits(ours),
                        "bits 0x" + Integer.toHexString(i) + ": libtorch " + libtorch[i] + ", ours " + ours);
            }
        }
    }

    /** The vector form over every finite value, from several offsets and with tails of every length. */
    @Test
    void widenHalvesGivesEveryFiniteValueExactly() {
        short[] finite = new short[2 * 0x7c00];
        for (int i = 0; i < 0x7c00; i++) {
            finite[i] = (short) i;
            finite[0x7c00 + i] = (short) (0x8000 | i);
        }
        float[] libtorch = libtorchValues(finite);
        for (int offset : new int[] {0, 1, 7}) {
            for (int tail = 0; tail <= VectorMath.lanes(); tail++) {
                int n = finite.length - offset - VectorMath.lanes() + tail;
                float[] widened = new float[n + 3];
                VectorMath.widenHalves(finite, offset, widened, 3, n);
                for (int i = 0; i < n; i++) {
                    assertEquals(Float.floatToIntBits(libtorch[offset + i]), Float.floatToIntBits(widened[3 + i]),
                            "bits 0x" + Integer.toHexString(finite[offset + i] & 0xffff) + " from offset " + offset);
                }
            }
        }
    }

    private static float[] libtorchValues(short[] bits) {
        DjlRuntime.engine();
        try (NDManager manager = NDManager.newBaseManager()) {
            java.nio.ByteBuffer bytes = manager.allocateDirect(bits.length * 2);
            bytes.asShortBuffer().put(bits);
            return manager.create(bytes, new ai.djl.ndarray.types.Shape(bits.length), DataType.FLOAT16)
                    .toType(DataType.FLOAT32, false).toFloatArray();
        }
    }
}
