package io.github.attentionsinks.arch;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.attentionsinks.AttentionSinkModel;
import io.github.attentionsinks.Session;
import io.github.attentionsinks.Shared;
import io.github.attentionsinks.cache.CacheConfig;
import io.github.attentionsinks.config.Json;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.function.Consumer;

/**
 * Fixture weights under an edited config.json (fewer layers, a sliding window, a refused flag), and dense-mode max
 * differences against a fixture's references, measured for the documentation.
 */
final class FixtureVariants {
    private FixtureVariants() {}

    /** Copies {@code fixture} to {@code tempDir/name} with its config edited by {@code edit}; returns the directory. */
    static Path write(String fixture, Path tempDir, String name, Consumer<ObjectNode> edit) throws Exception {
        Path src = Shared.fixture(fixture);
        Path dir = Files.createDirectories(tempDir.resolve(name));
        ObjectNode config = (ObjectNode) Json.readTree(src.resolve("config.json"));
        edit.accept(config);
        Json.MAPPER.writeValue(dir.resolve("config.json").toFile(), config);
        Files.copy(src.resolve("model.safetensors"), dir.resolve("model.safetensors"),
                StandardCopyOption.REPLACE_EXISTING);
        Files.copy(Shared.stories().resolve("tokenizer.json"), dir.resolve("tokenizer.json"),
                StandardCopyOption.REPLACE_EXISTING);
        return dir;
    }

    static AttentionSinkModel load(Path dir) {
        return AttentionSinkModel.builder().modelPath(dir).device(Shared.device()).kernels(Shared.kernels()).load();
    }

    /** The fixture's 48 input ids. */
    static int[] inputIds(String fixture) {
        return Shared.ints(Shared.json(Shared.fixture(fixture).resolve("dense.json")).get("input_ids"));
    }

    /** Last-row logits of a fresh dense session fed {@code ids} in one call. */
    static float[] freshDense(AttentionSinkModel model, int[] ids) {
        try (Session s = model.newSession(CacheConfig.dense())) {
            return s.append(ids);
        }
    }

    static int[] concat(int[] a, int[] b) {
        int[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    /**
     * Max abs differences in dense mode against dense.json (one-shot, incremental) and greedy.json (step logits),
     * printed for docs/architectures-modern.md. The assertions live in {@link FixtureParity}.
     */
    static float[] denseDiffs(AttentionSinkModel model, String fixture) {
        var dense = Shared.json(Shared.fixture(fixture).resolve("dense.json"));
        int[] ids = Shared.ints(dense.get("input_ids"));
        float[][] oneShotRef = Shared.matrix(dense.get("logits"));
        float[][] incRef = Shared.matrix(dense.get("incremental").get("logits"));
        int prefill = dense.get("incremental").get("prefill_tokens").intValue();
        float oneShot = 0;
        float incremental = 0;
        try (Session s = model.newSession(CacheConfig.dense())) {
            float[][] rows = s.appendAll(ids);
            for (int r = 0; r < rows.length; r++) {
                oneShot = Math.max(oneShot, Shared.maxAbsDiff(oneShotRef[r], rows[r]));
            }
        }
        try (Session s = model.newSession(CacheConfig.dense())) {
            float[][] rows = s.appendAll(Arrays.copyOf(ids, prefill));
            for (int r = 0; r < prefill; r++) {
                incremental = Math.max(incremental, Shared.maxAbsDiff(incRef[r], rows[r]));
            }
            for (int t = prefill; t < ids.length; t++) {
                incremental = Math.max(incremental, Shared.maxAbsDiff(incRef[t], s.append(ids[t])));
            }
        }
        var greedy = Shared.json(Shared.fixture(fixture).resolve("greedy.json"));
        int[] generated = Shared.ints(greedy.get("generated_ids"));
        float[][] steps = Shared.matrix(greedy.get("step_logits"));
        float greedyDiff = 0;
        try (Session s = model.newSession(CacheConfig.dense())) {
            float[] logits = s.append(Shared.ints(greedy.get("prompt_ids")));
            for (int i = 0; i < generated.length; i++) {
                greedyDiff = Math.max(greedyDiff, Shared.maxAbsDiff(steps[i], logits));
                logits = s.append(generated[i]);
            }
        }
        System.out.printf("parity %s: one-shot %.2e, incremental %.2e, greedy steps %.2e%n", fixture, oneShot,
                incremental, greedyDiff);
        return new float[] {oneShot, incremental, greedyDiff};
    }
}
