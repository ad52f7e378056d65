package io.github.attentionsinks.arch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.JsonNode;
import io.github.attentionsinks.AttentionSinkModel;
import io.github.attentionsinks.Session;
import io.github.attentionsinks.Shared;
import io.github.attentionsinks.cache.CacheConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

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
    @ValueSource(strings = {"llama", "mistral", "qwen2", "qwen3", "gpt_neox", "falcon", "falcon_new_decoder", "gptj",
            "mpt", "gpt2", "phi", "phi3", "gemma", "gemma2", "stablelm", "starcoder2", "olmo", "llama3_rope"})
    void logitsStayCloseToFloat32(String fixture) throws Exception {
        Path src = Shared.fixture(fixture);
        Path dir = Files.createDirectories(temp.resolve(fixture));
        Files.copy(src.resolve("config.json"), dir.resolve("config.json"), StandardCopyOption.REPLACE_EXISTING);
        Files.copy(src.resolve("model.safetensors"), dir.resolve("model.safetensors"), StandardCopyOption.REPLACE_EXISTING);
        Files.copy(Shared.stories().resolve("tokenizer.json"), dir.resolve("tokenizer.json"),
                StandardCopyOption.REPLACE_EXISTING);
        JsonNode dense = Shared.json(src.resolve("dense.json"));
        int[] ids = Shared.ints(dense.get("input_ids"));
        float[][] expected = Shared.matrix(dense.get("incremental").get("logits"));
        try (AttentionSinkModel model = AttentionSinkModel.builder().modelPath(dir).device("cpu").dtype("float16").load();
                Session session = model.newSession(CacheConfig.dense())) {
            assertEquals(DataType.FLOAT16, model.weightType());
            float[][] prefill = session.appendAll(java.util.Arrays.copyOf(ids, 16));
            float worst = 0;
            float worstRelative = 0;
            for (int t = 0; t < ids.length; t++) {
                float[] row = t < 16 ? prefill[t] : session.append(ids[t]);
                float diff = Shared.maxAbsDiff(expected[t], row);
                float scale = 0;
                for (float v : expected[t]) {
                    scale = Math.max(scale, Math.abs(v));
                }
                worst = Math.max(worst, diff);
                worstRelative = Math.max(worstRelative, diff / scale);
            }
            System.out.printf("float16 weights %s: max abs diff %.2e, %.2f%% of the largest logit%n", fixture, worst,
                    100 * worstRelative);
            assertTrue(worstRelative <= RELATIVE_TOLERANCE, fixture + ": float16 weights moved the logits by "
                    + worst + " (" + 100 * worstRelative + "% of the largest logit)");
            assertTrue(worst > 0, fixture + ": float16 weights were not used");
        }
    }
}
