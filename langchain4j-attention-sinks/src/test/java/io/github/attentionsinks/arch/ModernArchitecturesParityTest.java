package io.github.attentionsinks.arch;

import io.github.attentionsinks.AttentionSinkModel;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The newer architectures (transformers 4.47; qwen3 4.57.6) against their Hugging Face fixtures: one-shot,
 * incremental and greedy logits in dense mode and in sinks/windowed modes that do not evict, within 1e-4 (2e-4 for
 * gemma and gemma2, whose logits reach 12 to 17 after ×8 embeddings and ≈2× norms: fixtures/README.md).
 */
class ModernArchitecturesParityTest {
    static final float TOLERANCE = 1e-4f;
    static final float GEMMA_TOLERANCE = 2e-4f;

    @TempDir
    Path temp;

    private void check(String fixture, float tolerance) throws Exception {
        try (AttentionSinkModel model = FixtureParity.load(fixture, temp)) {
            FixtureParity.all(model, fixture, tolerance);
            FixtureVariants.denseDiffs(model, fixture);
        }
    }

    @Test
    void qwen3() throws Exception {
        check("qwen3", TOLERANCE);
    }

    @Test
    void phi() throws Exception {
        check("phi", TOLERANCE);
    }

    @Test
    void phi3() throws Exception {
        check("phi3", TOLERANCE);
    }

    @Test
    void gemma() throws Exception {
        check("gemma", GEMMA_TOLERANCE);
    }

    @Test
    void gemma2() throws Exception {
        check("gemma2", GEMMA_TOLERANCE);
    }

    @Test
    void stablelm() throws Exception {
        check("stablelm", TOLERANCE);
    }

    @Test
    void starcoder2() throws Exception {
        check("starcoder2", TOLERANCE);
    }

    @Test
    void olmo() throws Exception {
        check("olmo", TOLERANCE);
    }
}
