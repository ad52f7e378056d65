package io.github.attentionsinks.arch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.types.DataType;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The {@code float16} dtype (weight matrices in float16, everything else in float32) on every architecture: the
 * logits stay close to Hugging Face's float32 ones. Rounding a weight to float16 changes it by up to 2^-11 relative;
 * through these fixtures' deliberately large random weights (std 0.2, norms near 2) that grows to 0.14–0.9% of the
 * largest logit, and 2.2% for gemma (embedding ×8, norm gains near 2). The bound, 3% of the row's largest |logit|,
 * still catches real faults: dropping the bias in the float16 path moved the logits by 22–68% on the models with
 * biases.
 */
class Float16WeightsTest {
    static final float RELATIVE_TOLERANCE = 0.03f;

    @TempDir
    Path temp;

    @ParameterizedTest
    @MethodSource("io.github.attentionsinks.arch.FixtureParity#architectures")
    void logitsStayCloseToFloat32(String fixture) throws Exception {
        FixtureParity.Delta delta = FixtureParity.deltaFromFloat32(fixture, temp, "float16", model -> {
            assertEquals(DataType.FLOAT16, model.weightType());
        });
        System.out.printf("float16 weights %s: max abs diff %.2e, %.2f%% of the largest logit%n", fixture,
                delta.absolute(), 100 * delta.relative());
        assertTrue(delta.relative() <= RELATIVE_TOLERANCE, fixture + ": float16 weights moved the logits by "
                + delta.absolute() + " (" + 100 * delta.relative() + "% of the largest logit)");
        assertTrue(delta.absolute() > 0, fixture + ": float16 weights were not used");
    }
}
