package io.github.attentionsinks.arch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.attentionsinks.AttentionSinkModel;
import io.github.attentionsinks.Session;
import io.github.attentionsinks.cache.CacheConfig;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * LlamaModel variants made with transformers 4.47: qwen2 (q/k/v bias, theta 1e6) and the three rope_scaling types
 * (llama3, linear, dynamic NTK), within 1e-4 of Hugging Face's logits.
 */
class LlamaVariantsParityTest {
    static final float TOLERANCE = 1e-4f;

    @TempDir
    Path temp;

    private void all(String fixture) throws Exception {
        try (AttentionSinkModel model = FixtureParity.load(fixture, temp)) {
            FixtureParity.all(model, fixture, TOLERANCE);
            FixtureVariants.denseDiffs(model, fixture);
        }
    }

    @Test
    void qwen2() throws Exception {
        all("qwen2");
    }

    @Test
    void llama3Rope() throws Exception {
        all("llama3_rope");
    }

    @Test
    void llamaRopeLinear() throws Exception {
        all("llama_rope_linear");
    }

    /** The base' values fixtures/README.md gives for L = 33, 40 and 48 (max_position_embeddings 32, factor 2). */
    @Test
    void dynamicNtkBaseMatchesTheReadme() throws Exception {
        var config = io.github.attentionsinks.config.ModelConfig.read(
                io.github.attentionsinks.Shared.fixture("llama_rope_dynamic"));
        RopeScaling.DynamicNtk ntk = RopeScaling.dynamicNtk(config, 16);
        assertEquals(10000.0, ntk.base(32), 0.0);
        assertEquals(10717.4, ntk.base(33), 0.05);
        assertEquals(15894.5, ntk.base(40), 0.05);
        assertEquals(22081.8, ntk.base(48), 0.05);
    }

    /**
     * Dynamic NTK in dense mode: the one call over 48 tokens uses base'(48) at every row; the 16-token prefill and
     * steps below position 32 use the default base; the step for position p ≥ 32 uses base'(p + 1) against cached
     * keys rotated with other bases (the fixture's incremental rows differ from its one-shot rows by 4.9). Greedy
     * works the same way.
     */
    @Test
    void llamaRopeDynamicDense() throws Exception {
        try (AttentionSinkModel model = FixtureParity.load("llama_rope_dynamic", temp)) {
            FixtureParity.oneShot(model, "llama_rope_dynamic", TOLERANCE);
            FixtureParity.incremental(model, "llama_rope_dynamic", CacheConfig.dense(), TOLERANCE);
            FixtureParity.greedy(model, "llama_rope_dynamic", CacheConfig.dense(), TOLERANCE);
            FixtureVariants.denseDiffs(model, "llama_rope_dynamic");
            // Before anything is evicted, a bounded cache's positions are the stream's, so these match too.
            for (CacheConfig cache : new CacheConfig[] {CacheConfig.sinks(4, 100), CacheConfig.windowed(100)}) {
                FixtureParity.incremental(model, "llama_rope_dynamic", cache, TOLERANCE);
                FixtureParity.greedy(model, "llama_rope_dynamic", cache, TOLERANCE);
            }
        }
    }

    /**
     * In sinks mode the call length that drives dynamic NTK is the cache position (cacheLengthBefore + n), as in
     * the reference implementation, which gives tokens their cache index as position. With capacity 4 + 20 below
     * max_position_embeddings 32, scaling never starts, so the model must equal plain llama (same weights) in the
     * same mode at every step, evictions included, although the stream reaches position 47. Using the stream
     * position instead would rescale from position 32 on and fail this.
     */
    @Test
    void llamaRopeDynamicSinksScalesByCachePosition() throws Exception {
        int[] ids = FixtureVariants.inputIds("llama_rope_dynamic");
        CacheConfig cache = CacheConfig.sinks(4, 20);
        try (AttentionSinkModel dynamic = FixtureParity.load("llama_rope_dynamic", temp);
                AttentionSinkModel plain = FixtureParity.load("llama", temp);
                Session a = dynamic.newSession(cache);
                Session b = plain.newSession(cache)) {
            float worst = 0;
            for (int id : ids) {
                worst = Math.max(worst, io.github.attentionsinks.Shared.maxAbsDiff(a.append(id), b.append(id)));
            }
            assertTrue(a.streamLength() > 32 && a.cacheLength() == 24, "the stream must pass 32 with a full cache");
            assertTrue(worst <= 1e-5f, "dynamic vs plain llama in sinks(4+20): " + worst);
        }
    }
}
