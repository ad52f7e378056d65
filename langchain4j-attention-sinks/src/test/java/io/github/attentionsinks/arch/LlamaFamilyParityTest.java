package io.github.attentionsinks.arch;

import io.github.attentionsinks.AttentionSinkModel;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** llama and mistral fixtures (transformers 4.34) within 1e-4 of Hugging Face's logits. */
class LlamaFamilyParityTest {
    static final float TOLERANCE = 1e-4f;

    @TempDir
    Path temp;

    @Test
    void llama() throws Exception {
        try (AttentionSinkModel model = FixtureParity.load("llama", temp)) {
            FixtureParity.all(model, "llama", TOLERANCE);
            FixtureVariants.denseDiffs(model, "llama");
        }
    }

    @Test
    void mistral() throws Exception {
        try (AttentionSinkModel model = FixtureParity.load("mistral", temp)) {
            FixtureParity.all(model, "mistral", TOLERANCE);
            FixtureVariants.denseDiffs(model, "mistral");
        }
    }
}
