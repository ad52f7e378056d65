package io.github.attentionsinks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.types.DataType;
import org.junit.jupiter.api.Test;

/** The one place where dtype names are read: aliases, the default, and refusals that name the value and the fix. */
class ComputeDtypeTest {
    @Test
    void acceptsTheNamesAndAliasesCaseInsensitively() {
        for (String name : new String[] {"float32", "FP32", " f32 ", "float", null, ""}) {
            assertEquals(ComputeDtype.FLOAT32, ComputeDtype.parse(name), String.valueOf(name));
        }
        for (String name : new String[] {"float16", "fp16", "F16", "half"}) {
            assertEquals(ComputeDtype.FLOAT16, ComputeDtype.parse(name), name);
        }
        assertEquals(DataType.FLOAT16, ComputeDtype.FLOAT16.weightType());
        assertEquals("float16", ComputeDtype.FLOAT16.canonicalName());
        for (String name : new String[] {"int8", "Q8_0", "q8"}) {
            assertEquals(ComputeDtype.INT8, ComputeDtype.parse(name), name);
        }
        // int8 is quantized from float32 values: that is what is read from the checkpoint
        assertEquals(DataType.INT8, ComputeDtype.INT8.weightType());
        assertEquals(DataType.FLOAT32, ComputeDtype.INT8.loadType());
        assertEquals(DataType.FLOAT16, ComputeDtype.FLOAT16.loadType());
    }

    @Test
    void refusalsNameTheValueAndWhatToUse() {
        ComputeDtype.InvalidDtypeException bf16 =
                assertThrows(ComputeDtype.InvalidDtypeException.class, () -> ComputeDtype.parse("bf16"));
        assertEquals("bf16", bf16.value());
        assertTrue(bf16.getMessage().contains("aborts the JVM") && bf16.getMessage().contains("use float32, float16 or int8"),
                bf16.getMessage());
        ComputeDtype.InvalidDtypeException int4 =
                assertThrows(ComputeDtype.InvalidDtypeException.class, () -> ComputeDtype.parse("int4"));
        assertTrue(int4.getMessage().startsWith("Unknown dtype 'int4': use float32, float16 or int8"), int4.getMessage());
    }
}
