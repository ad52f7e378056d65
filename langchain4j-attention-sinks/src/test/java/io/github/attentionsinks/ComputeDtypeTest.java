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
    }

    @Test
    void refusalsNameTheValueAndWhatToUse() {
        ComputeDtype.InvalidDtypeException bf16 =
                assertThrows(ComputeDtype.InvalidDtypeException.class, () -> ComputeDtype.parse("bf16"));
        assertEquals("bf16", bf16.value());
        assertTrue(bf16.getMessage().contains("aborts the JVM") && bf16.getMessage().contains("use float32 or float16"),
                bf16.getMessage());
        ComputeDtype.InvalidDtypeException int8 =
                assertThrows(ComputeDtype.InvalidDtypeException.class, () -> ComputeDtype.parse("int8"));
        assertTrue(int8.getMessage().startsWith("Unknown dtype 'int8': use float32 or float16"), int8.getMessage());
    }
}
