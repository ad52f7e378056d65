package io.github.attentionsinks.arch;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.attentionsinks.AttentionSinkModel;
import io.github.attentionsinks.Session;
import io.github.attentionsinks.Shared;
import io.github.attentionsinks.cache.CacheConfig;
import io.github.attentionsinks.config.ModelFormatException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Cache semantics of every architecture with re-assignable positions past eviction, and sliding windows, on one-layer
 * cuts of the fixtures.
 *
 * <p>With a single layer a token's key and value depend only on the token and its position, and RoPE attention only
 * on position differences. So after evictions the logits of a stream must equal a fresh dense forward over exactly
 * the tokens the cache keeps, at positions 0, 1, ... (the reference semantics: sinks at 0..S-1, window after them);
 * and a model with sliding window w must equal a fresh forward over its last w tokens. Both references run the dense
 * path, which the fixture tests tie to Hugging Face.
 */
class SinkSemanticsTest {
    static final float TOLERANCE = 1e-4f;

    @TempDir
    Path temp;

    private static float tolerance(String fixture) {
        return fixture.startsWith("gemma") ? 2e-4f : TOLERANCE;
    }

    private AttentionSinkModel oneLayer(String fixture, String name, Consumer<ObjectNode> more) throws Exception {
        return FixtureVariants.load(FixtureVariants.write(fixture, temp, name, c -> {
            // the layer count's name differs: GPT-J n_layer, MPT n_layers, the rest num_hidden_layers
            String key = c.has("n_layer") ? "n_layer" : c.has("n_layers") ? "n_layers" : "num_hidden_layers";
            c.put(key, 1);
            more.accept(c);
        }));
    }

    /** Streams 48 tokens one at a time and compares each step with a fresh forward over the tokens kept. */
    private static void streamMatchesKeptTokens(AttentionSinkModel stream, AttentionSinkModel reference, int[] ids,
            CacheConfig cache, float tolerance, String what) {
        int sinks = cache.attentionSinkSize();
        int window = cache.windowSize();
        float worst = 0;
        try (Session s = stream.newSession(cache)) {
            for (int t = 0; t < ids.length; t++) {
                float[] actual = s.append(ids[t]);
                int[] head = Arrays.copyOf(ids, Math.min(t, sinks));
                int[] recent = Arrays.copyOfRange(ids, Math.max(head.length, t - window), t + 1);
                float[] expected = FixtureVariants.freshDense(reference, FixtureVariants.concat(head, recent));
                float diff = Shared.maxAbsDiff(expected, actual);
                worst = Math.max(worst, diff);
                assertTrue(diff <= tolerance, what + " " + cache + " step " + t + " differs by " + diff);
            }
            assertTrue(s.cacheLength() == sinks + window, what + ": the cache must have evicted");
        }
        System.out.printf("semantics %s %s: max diff %.2e over 48 steps%n", what, cache, worst);
    }

    /**
     * The reference's architectures (and Llama's static rope scalings): RoPE in its rotate-half, partial and
     * interleaved forms, and MPT's ALiBi, whose distances are cache-index differences.
     */
    @ParameterizedTest
    @ValueSource(strings = {"llama", "mistral", "qwen2", "llama3_rope", "llama_rope_linear", "gpt_neox", "falcon",
        "falcon_new_decoder", "gptj", "mpt"})
    void referenceArchitecturesKeepCachePositions(String fixture) throws Exception {
        sinksAndWindowedKeepCachePositions(fixture);
    }

    @ParameterizedTest
    @ValueSource(strings = {"qwen3", "phi", "phi3", "gemma", "gemma2", "stablelm", "starcoder2", "olmo"})
    void sinksAndWindowedKeepCachePositions(String fixture) throws Exception {
        int[] ids = FixtureVariants.inputIds(fixture);
        try (AttentionSinkModel model = oneLayer(fixture, fixture + "-1layer", c -> {})) {
            streamMatchesKeptTokens(model, model, ids, CacheConfig.sinks(4, 8), tolerance(fixture), fixture);
            streamMatchesKeptTokens(model, model, ids, CacheConfig.windowed(8), tolerance(fixture), fixture);
        }
    }

    /**
     * A sliding window of 8 in dense mode, one-shot (the mask inside one call) and token by token (the mask of a
     * single query): row t equals a fresh forward over tokens max(0, t−7)..t of the same weights without a window.
     */
    @ParameterizedTest
    @ValueSource(strings = {"gemma2", "starcoder2", "phi3"})
    void slidingWindowSeesTheLastWindowTokens(String fixture) throws Exception {
        int window = 8;
        int[] ids = FixtureVariants.inputIds(fixture);
        float tol = tolerance(fixture);
        try (AttentionSinkModel windowed = oneLayer(fixture, fixture + "-w8", c -> c.put("sliding_window", window));
                AttentionSinkModel full = oneLayer(fixture, fixture + "-full", c -> c.putNull("sliding_window"))) {
            float[][] oneShot;
            try (Session s = windowed.newSession(CacheConfig.dense())) {
                oneShot = s.appendAll(ids);
            }
            float[][] stepwise = new float[ids.length][];
            try (Session s = windowed.newSession(CacheConfig.dense())) {
                System.arraycopy(s.appendAll(Arrays.copyOf(ids, 16)), 0, stepwise, 0, 16);
                for (int t = 16; t < ids.length; t++) {
                    stepwise[t] = s.append(ids[t]);
                }
            }
            float outside = 0;
            for (int t = 0; t < ids.length; t++) {
                float[] expected = FixtureVariants.freshDense(full,
                        Arrays.copyOfRange(ids, Math.max(0, t - window + 1), t + 1));
                float a = Shared.maxAbsDiff(expected, oneShot[t]);
                float b = Shared.maxAbsDiff(expected, stepwise[t]);
                assertTrue(a <= tol && b <= tol, fixture + " row " + t + ": one-shot " + a + ", step " + b);
                if (t >= window) {
                    outside = Math.max(outside,
                            Shared.maxAbsDiff(FixtureVariants.freshDense(full, Arrays.copyOf(ids, t + 1)), oneShot[t]));
                }
            }
            // The window must matter, or this test could not tell a window from none.
            assertTrue(outside > 1e-2f, fixture + ": the window changed nothing (" + outside + ")");
        }
    }

    /**
     * Gemma 2's sliding window inside a sinks cache is measured in cache indices: a sliding layer with window 6 in
     * sinks(4, 8) equals a fresh windowed forward over the kept tokens at positions 0..12, where the sinks fall
     * outside the window of the newest queries.
     */
    @Test
    void gemma2SlidingWindowInsideTheSinkCache() throws Exception {
        int[] ids = FixtureVariants.inputIds("gemma2");
        try (AttentionSinkModel model = oneLayer("gemma2", "gemma2-w6", c -> c.put("sliding_window", 6))) {
            streamMatchesKeptTokens(model, model, ids, CacheConfig.sinks(4, 8), 2e-4f, "gemma2 window 6");
        }
    }

    private void refused(String fixture, String field, Consumer<ObjectNode> edit) throws Exception {
        Path dir = FixtureVariants.write(fixture, temp, fixture + "-refused-" + field, edit);
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> FixtureVariants.load(dir).close());
        assertTrue(e.getMessage().contains(field) && e.getMessage().contains("config.json"), e.getMessage());
    }

    @Test
    void unsupportedVariantsAreRefusedNamingTheField() throws Exception {
        refused("stablelm", "qk_layernorm", c -> c.put("qk_layernorm", true));
        refused("stablelm", "use_parallel_residual", c -> c.put("use_parallel_residual", true));
        refused("phi", "qk_layernorm", c -> c.put("qk_layernorm", true));
        refused("qwen3", "use_sliding_window", c -> c.put("use_sliding_window", true));
        refused("phi3", "rope_scaling", c -> c.putObject("rope_scaling").put("type", "longrope"));
        // GPT-NeoX and Falcon ship with linear scaling only: other types are refused, not silently ignored.
        refused("falcon", "rope_scaling", c -> c.putObject("rope_scaling").put("type", "dynamic").put("factor", 2.0));
        refused("gpt_neox", "rope_scaling", c -> c.putObject("rope_scaling").put("rope_type", "llama3"));
    }
}
