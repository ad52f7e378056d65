package io.github.attentionsinks.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.github.attentionsinks.runtime.DjlRuntime;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** {@link Linear#copyRows} reads the rows libtorch's lookup ({@link Linear#rows}) gives, in both weight layouts. */
class LinearTest {
    static final int OUT = 37;
    static final int IN = 11;
    static final int[] IDS = {0, 36, 5, 5, 17};

    @Test
    void copiedRowsAreTheLookedUpRowsInBothLayouts() {
        DjlRuntime.engine();
        try (NDManager manager = NDManager.newBaseManager(Device.cpu())) {
            float[] values = new float[OUT * IN];
            Random random = new Random(3);
            for (int i = 0; i < values.length; i++) {
                values[i] = (float) random.nextGaussian();
            }
            Linear transposed = new Linear(manager.create(values, new Shape(OUT, IN)), null); // kept [in, out]
            Linear table = Linear.table(manager.create(values, new Shape(OUT, IN))); // kept [out, in]
            for (Linear linear : new Linear[] {transposed, table}) {
                NDArray ids = manager.create(IDS).toType(DataType.INT64, false);
                float[] expected = linear.rows(ids, DataType.FLOAT32).toFloatArray();
                float[] copied = new float[IDS.length * IN];
                assertTrue(linear.copyRows(IDS, copied));
                assertArrayEquals(expected, copied, "the same floats, bit for bit");
                assertThrows(IndexOutOfBoundsException.class, () -> linear.copyRows(new int[] {OUT}, copied));
            }
            Linear half = Linear.table(manager.create(values, new Shape(OUT, IN)).toType(DataType.FLOAT16, false));
            float[] untouched = new float[IN];
            assertFalse(half.copyRows(new int[] {1}, untouched), "float16 tables are looked up by libtorch");
            assertArrayEquals(new float[IN], untouched);
        }
    }
}
