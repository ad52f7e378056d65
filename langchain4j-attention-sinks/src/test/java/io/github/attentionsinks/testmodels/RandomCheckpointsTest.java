package io.github.attentionsinks.testmodels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.attentionsinks.AttentionSinkModel;
import io.github.attentionsinks.Session;
import io.github.attentionsinks.cache.CacheConfig;
import io.github.attentionsinks.generate.GenerationParams;
import io.github.attentionsinks.generate.GenerationResult;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Every family written by {@link RandomCheckpoints} loads in both real vocabularies, generates and round-trips text. */
class RandomCheckpointsTest {
    static final Path ROOT = Path.of("target", "test-models", "random-checkpoints-test");

    static Stream<Arguments> familiesAndTokenizers() {
        // Row counts: Qwen3 has 151,669 ids (151,643 BPE + 26 added) -> 151,680 rounded to 128; SmolLM2 49,152.
        return RandomCheckpoints.FAMILIES.stream().flatMap(f -> Stream.of(
                Arguments.of(f, "qwen3", 151_680), Arguments.of(f, "smollm2-instruct", 49_152)));
    }

    @ParameterizedTest(name = "{0} in the {1} vocabulary")
    @MethodSource("familiesAndTokenizers")
    void loadsGeneratesAndRoundTrips(String family, String tokenizer, int expectedVocab) {
        Path dir = RandomCheckpoints.write(ROOT.resolve(family + "-" + tokenizer), family,
                tokenizer.equals("qwen3") ? RandomCheckpoints.qwen3Tokenizer() : RandomCheckpoints.smollm2Tokenizer(),
                42);
        try (AttentionSinkModel model = AttentionSinkModel.builder().modelPath(dir).device("cpu").load();
             Session session = model.newSession(CacheConfig.defaults())) {
            assertEquals(family, model.config().modelType());
            assertEquals(expectedVocab, model.vocabSize());
            String text = "Hello, wörld! 世界 🙂";
            int[] ids = model.tokenizer().encode(text, false);
            assertEquals(text, model.tokenizer().decode(ids, true));

            float[] logits = session.append(ids);
            assertEquals(expectedVocab, logits.length);
            for (float l : logits) {
                // Small init: logits near zero, so softmax over 150k ids is neither one-hot nor overflowing.
                assertTrue(Float.isFinite(l) && Math.abs(l) < 5, family + ": logit " + l);
            }
            session.reset();
            GenerationResult r = session.generate(ids,
                    model.generationDefaults().maxNewTokens(6).ignoreEos(true).build(), null);
            assertEquals(6, r.tokenIds().length);
            for (int id : r.tokenIds()) {
                assertTrue(id >= 0 && id < expectedVocab, "id " + id);
            }
        }
    }

    @Test
    void sameSeedWritesSameBytesOtherSeedDiffers() throws IOException {
        Path a = RandomCheckpoints.write(ROOT.resolve("seed-a"), "llama", RandomCheckpoints.smollm2Tokenizer(), 1);
        Path b = RandomCheckpoints.write(ROOT.resolve("seed-b"), "llama", RandomCheckpoints.smollm2Tokenizer(), 1);
        Path c = RandomCheckpoints.write(ROOT.resolve("seed-c"), "llama", RandomCheckpoints.smollm2Tokenizer(), 2);
        byte[] weightsA = Files.readAllBytes(a.resolve("model.safetensors"));
        assertArrayEquals(weightsA, Files.readAllBytes(b.resolve("model.safetensors")));
        assertFalse(Arrays.equals(weightsA, Files.readAllBytes(c.resolve("model.safetensors"))));
    }

    @Test
    void chatTemplateOverrideReplacesTheTokenizersTemplate() throws IOException {
        Path template = RandomCheckpoints.template("google-gemma-2-2b-it.jinja");
        Path dir = RandomCheckpoints.write(ROOT.resolve("template"), "gemma2", RandomCheckpoints.qwen3Tokenizer(), 3,
                template);
        String written = io.github.attentionsinks.config.Json.readTree(dir.resolve("tokenizer_config.json"))
                .get("chat_template").asText();
        assertEquals(Files.readString(template), written);
    }

    @Test
    void generationConfigListsBothQwenEndTokens() {
        Path dir = RandomCheckpoints.write(ROOT.resolve("eos"), "qwen3", RandomCheckpoints.qwen3Tokenizer(), 4);
        try (AttentionSinkModel model = AttentionSinkModel.builder().modelPath(dir).device("cpu").load()) {
            // <|im_end|> = 151645 ends a chat turn, <|endoftext|> = 151643 a document (Qwen3's own generation_config).
            assertEquals(java.util.Set.of(151645, 151643), model.generationDefaults().build().eosTokenIds());
        }
    }

    @Test
    void eosListInConfigJsonWhenThereIsNoGenerationConfig() throws IOException {
        Path dir = RandomCheckpoints.write(ROOT.resolve("eos-config"), "llama", RandomCheckpoints.smollm2Tokenizer(), 4);
        Files.delete(dir.resolve("generation_config.json"));
        com.fasterxml.jackson.databind.node.ObjectNode config = (com.fasterxml.jackson.databind.node.ObjectNode)
                io.github.attentionsinks.config.Json.readTree(dir.resolve("config.json"));
        config.putArray("eos_token_id").add(2).add(0);
        Files.writeString(dir.resolve("config.json"), config.toString());
        try (AttentionSinkModel model = AttentionSinkModel.builder().modelPath(dir).device("cpu").load()) {
            assertEquals(java.util.Set.of(2, 0), model.generationDefaults().build().eosTokenIds());
        }
    }
}
