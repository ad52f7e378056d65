package io.github.attentionsinks.arch;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.github.attentionsinks.AttentionSinkModel;
import io.github.attentionsinks.Session;
import io.github.attentionsinks.Shared;
import io.github.attentionsinks.cache.CacheConfig;
import io.github.attentionsinks.generate.GenerationParams;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * Checks one architecture against a Hugging Face fixture in ../shared/fixtures: one-shot and incremental
 * logits against dense.json, greedy ids and step logits against greedy.json, and sinks/windowed equal to dense
 * before the cache fills.
 *
 * <p>The fixtures have no tokenizer; the test copies the model files next to stories260K's tokenizer (vocab
 * sizes differ, but only ids are fed here).
 */
public final class FixtureParity {
    private FixtureParity() {}

    /** Every architecture fixture with reference logits, by directory name under ../shared/fixtures. */
    static java.util.stream.Stream<String> architectures() {
        return java.util.stream.Stream.of("llama", "mistral", "qwen2", "qwen3", "gpt_neox", "falcon",
                "falcon_new_decoder", "gptj", "mpt", "gpt2", "phi", "phi3", "gemma", "gemma2", "stablelm", "starcoder2",
                "olmo", "llama3_rope");
    }

    /** Loads a fixture as a model directory (config + weights + a borrowed tokenizer). */
    public static AttentionSinkModel load(String fixture, Path tempDir) throws Exception {
        return load(fixture, tempDir, "float32");
    }

    /** As {@link #load(String, Path)}, with the weight matrices in {@code dtype}. */
    public static AttentionSinkModel load(String fixture, Path tempDir, String dtype) throws Exception {
        return load(fixture, tempDir, dtype, "float32");
    }

    /** As {@link #load(String, Path)}, with the weight matrices in {@code dtype} and the KV cache in {@code cacheDtype}. */
    public static AttentionSinkModel load(String fixture, Path tempDir, String dtype, String cacheDtype)
            throws Exception {
        Path src = Shared.fixture(fixture);
        Path dir = Files.createDirectories(tempDir.resolve(fixture + "-" + dtype));
        for (String f : new String[] {"config.json", "model.safetensors"}) {
            Files.copy(src.resolve(f), dir.resolve(f), StandardCopyOption.REPLACE_EXISTING);
        }
        Files.copy(Shared.stories().resolve("tokenizer.json"), dir.resolve("tokenizer.json"),
                StandardCopyOption.REPLACE_EXISTING);
        return AttentionSinkModel.builder().modelPath(dir).device(Shared.device()).kernels(Shared.kernels())
                .dtype(dtype).cacheDtype(cacheDtype).load();
    }

    /** One forward over all 48 tokens (dense cache) against {@code dense.json.logits}. */
    public static void oneShot(AttentionSinkModel model, String fixture, float tolerance) {
        JsonNode dense = Shared.json(Shared.fixture(fixture).resolve("dense.json"));
        int[] ids = Shared.ints(dense.get("input_ids"));
        float[][] expected = Shared.matrix(dense.get("logits"));
        try (Session s = model.newSession(CacheConfig.dense())) {
            float[][] actual = s.appendAll(ids);
            assertRows(expected, actual, 0, tolerance, fixture + " one-shot");
        }
    }

    /** 16-token prefill then single tokens against {@code dense.json.incremental.logits}. */
    public static void incremental(AttentionSinkModel model, String fixture, CacheConfig cache, float tolerance) {
        JsonNode dense = Shared.json(Shared.fixture(fixture).resolve("dense.json"));
        int[] ids = Shared.ints(dense.get("input_ids"));
        JsonNode inc = dense.get("incremental");
        int prefill = inc.get("prefill_tokens").intValue();
        float[][] expected = Shared.matrix(inc.get("logits"));
        try (Session s = model.newSession(cache)) {
            float[][] first = s.appendAll(java.util.Arrays.copyOf(ids, prefill));
            assertRows(java.util.Arrays.copyOf(expected, prefill), first, 0, tolerance, fixture + " " + cache + " prefill");
            for (int t = prefill; t < ids.length; t++) {
                float[] row = s.append(ids[t]);
                assertRows(new float[][] {expected[t]}, new float[][] {row}, 0, tolerance,
                        fixture + " " + cache + " step " + t);
            }
        }
    }

    /** Greedy ids and step logits against {@code greedy.json}. */
    public static void greedy(AttentionSinkModel model, String fixture, CacheConfig cache, float tolerance) {
        JsonNode greedy = Shared.json(Shared.fixture(fixture).resolve("greedy.json"));
        int[] prompt = Shared.ints(greedy.get("prompt_ids"));
        int[] expected = Shared.ints(greedy.get("generated_ids"));
        float[][] stepLogits = Shared.matrix(greedy.get("step_logits"));
        try (Session s = model.newSession(cache)) {
            float[] logits = s.append(prompt);
            int[] actual = new int[expected.length];
            for (int i = 0; i < expected.length; i++) {
                assertRows(new float[][] {stepLogits[i]}, new float[][] {logits}, 0, tolerance,
                        fixture + " greedy step " + i);
                actual[i] = io.github.attentionsinks.generate.Sampler.argmax(logits);
                logits = s.append(actual[i]);
            }
            assertArrayEquals(expected, actual, fixture + " greedy ids");
        }
        // The same ids through the public generation API.
        try (Session s = model.newSession(cache)) {
            int[] ids = s.generate(prompt, GenerationParams.builder().maxNewTokens(expected.length).build(), null)
                    .tokenIds();
            assertArrayEquals(expected, ids, fixture + " generate()");
        }
    }

    /** Everything above, in dense mode and in sinks/windowed modes large enough not to evict. */
    public static void all(AttentionSinkModel model, String fixture, float tolerance) {
        oneShot(model, fixture, tolerance);
        for (CacheConfig cache : new CacheConfig[] {CacheConfig.dense(), CacheConfig.sinks(4, 100),
                CacheConfig.windowed(100)}) {
            incremental(model, fixture, cache, tolerance);
            greedy(model, fixture, cache, tolerance);
        }
    }

    /** The largest logit difference from Hugging Face's float32 logits: absolute, and relative to a row's largest |logit|. */
    public record Delta(float absolute, float relative) {}

    /**
     * The incremental logits of {@code fixture} (16-token prefill, then one token at a time, dense cache) in a model
     * loaded with {@code dtype}, against {@code dense.json}'s float32 ones; {@code check} sees the loaded model first.
     */
    public static Delta deltaFromFloat32(String fixture, Path tempDir, String dtype,
            java.util.function.Consumer<AttentionSinkModel> check) throws Exception {
        return deltaFromFloat32(fixture, tempDir, dtype, "float32", check);
    }

    /** As above, with the KV cache in {@code cacheDtype}. */
    public static Delta deltaFromFloat32(String fixture, Path tempDir, String dtype, String cacheDtype,
            java.util.function.Consumer<AttentionSinkModel> check) throws Exception {
        JsonNode dense = Shared.json(Shared.fixture(fixture).resolve("dense.json"));
        int[] ids = Shared.ints(dense.get("input_ids"));
        float[][] expected = Shared.matrix(dense.get("incremental").get("logits"));
        Path dir = Files.createDirectories(tempDir.resolve(fixture + "-" + dtype));
        for (String f : new String[] {"config.json", "model.safetensors"}) {
            Files.copy(Shared.fixture(fixture).resolve(f), dir.resolve(f), StandardCopyOption.REPLACE_EXISTING);
        }
        Files.copy(Shared.stories().resolve("tokenizer.json"), dir.resolve("tokenizer.json"),
                StandardCopyOption.REPLACE_EXISTING);
        try (AttentionSinkModel model = AttentionSinkModel.builder().modelPath(dir).device("cpu").dtype(dtype)
                .cacheDtype(cacheDtype).load();
                Session session = model.newSession(CacheConfig.dense())) {
            check.accept(model);
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
            return new Delta(worst, worstRelative);
        }
    }

    static void assertRows(float[][] expected, float[][] actual, int from, float tolerance, String what) {
        assertTrue(actual.length >= expected.length - from, what + ": too few rows");
        for (int r = from; r < expected.length; r++) {
            float diff = Shared.maxAbsDiff(expected[r], actual[r - from]);
            if (!(diff <= tolerance)) {
                throw new AssertionError(what + ": row " + r + " differs by " + diff + " > " + tolerance);
            }
        }
    }
}
