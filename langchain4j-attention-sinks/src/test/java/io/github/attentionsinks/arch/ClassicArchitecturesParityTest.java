package io.github.attentionsinks.arch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.attentionsinks.AttentionSinkModel;
import io.github.attentionsinks.Session;
import io.github.attentionsinks.Shared;
import io.github.attentionsinks.cache.CacheConfig;
import io.github.attentionsinks.config.Json;
import io.github.attentionsinks.config.ModelFormatException;
import io.github.attentionsinks.nn.RotaryEmbedding;
import io.github.attentionsinks.runtime.DjlRuntime;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * gpt_neox, falcon (both decoder layouts), gptj, mpt (ALiBi) and gpt2 against the transformers 4.34 fixtures in
 * ../shared/fixtures, within 1e-4 of Hugging Face's logits.
 */
class ClassicArchitecturesParityTest {
    static final float TOLERANCE = 1e-4f;

    @TempDir
    Path temp;

    /** One-shot, incremental and greedy, in dense mode and in sinks/windowed caches that do not evict yet. */
    @ParameterizedTest
    @ValueSource(strings = {"gpt_neox", "falcon", "falcon_new_decoder", "gptj", "mpt"})
    void matchesHuggingFaceInEveryMode(String fixture) throws Exception {
        try (AttentionSinkModel model = FixtureParity.load(fixture, temp)) {
            FixtureParity.all(model, fixture, TOLERANCE);
            FixtureVariants.denseDiffs(model, fixture);
        }
    }

    @Test
    void gpt2MatchesHuggingFaceInDenseMode() throws Exception {
        try (AttentionSinkModel model = FixtureParity.load("gpt2", temp)) {
            FixtureParity.oneShot(model, "gpt2", TOLERANCE);
            FixtureParity.incremental(model, "gpt2", CacheConfig.dense(), TOLERANCE);
            FixtureParity.greedy(model, "gpt2", CacheConfig.dense(), TOLERANCE);
            FixtureVariants.denseDiffs(model, "gpt2");
        }
    }

    @Test
    void gpt2RefusesSinksAndWindowedWithTheReason() throws Exception {
        try (AttentionSinkModel model = FixtureParity.load("gpt2", temp)) {
            for (CacheConfig cache : new CacheConfig[] {CacheConfig.defaults(), CacheConfig.windowed(64)}) {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> model.newSession(cache));
                String message = e.getMessage();
                assertTrue(message.contains("gpt2") && message.contains("learned absolute position")
                        && message.contains("dense"), message);
            }
            // The refusal leaves the model usable in dense mode.
            try (Session s = model.newSession(CacheConfig.dense())) {
                s.append(5, 6, 7);
            }
        }
    }

    @Test
    void gpt2StopsClearlyAtNPositions() throws Exception {
        try (AttentionSinkModel model = FixtureParity.load("gpt2", temp);
                Session s = model.newSession(CacheConfig.dense())) {
            int[] ids = new int[Shared.json(Shared.fixture("gpt2").resolve("config.json")).get("n_positions").intValue()];
            java.util.Arrays.fill(ids, 7);
            s.append(ids);
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> s.append(8));
            assertTrue(e.getMessage().contains("n_positions"), e.getMessage());
            assertTrue(s.streamLength() == ids.length, "the failed step left the stream as it was");
            s.rewind(1); // and left no open step behind to block a rewind
            assertEquals(ids.length - 1, s.streamLength());
            s.append(8);
        }
    }

    /** ALiBi with a tiny sink cache: evicts from the first window on and stays within S + W. */
    @Test
    void mptStreamsThroughATinySinkCache() throws Exception {
        int[] ids = Shared.ints(Shared.json(Shared.fixture("mpt").resolve("dense.json")).get("input_ids"));
        try (AttentionSinkModel model = FixtureParity.load("mpt", temp)) {
            try (Session s = model.newSession(CacheConfig.sinks(2, 8))) {
                for (int id : ids) {
                    float[] logits = s.append(id);
                    assertTrue(s.cacheLength() <= 10, "cache length " + s.cacheLength());
                    for (float v : logits) {
                        assertTrue(Float.isFinite(v), "non-finite logit at stream length " + s.streamLength());
                    }
                }
                assertTrue(s.streamLength() == ids.length);
            }
            // The same stream fed as one prompt, in chunks of at most the window size.
            try (Session s = model.newSession(CacheConfig.sinks(2, 8))) {
                float[][] rows = s.appendAll(ids);
                assertTrue(rows.length == ids.length && s.cacheLength() <= 10, "cache length " + s.cacheLength());
            }
        }
    }

    @Test
    void falconWithAlibiIsRefusedByName() throws Exception {
        Path dir = editedFixture("falcon", config -> config.put("alibi", true));
        ModelFormatException e = assertThrows(ModelFormatException.class,
                () -> AttentionSinkModel.builder().modelPath(dir).device("cpu").load());
        assertTrue(e.getMessage().contains("config.json") && e.getMessage().contains("'alibi': true"), e.getMessage());
    }

    @Test
    void mptWithQkLayerNormIsRefusedByName() throws Exception {
        Path dir = editedFixture("mpt", config -> ((ObjectNode) config.get("attn_config")).put("qk_ln", true));
        ModelFormatException e = assertThrows(ModelFormatException.class,
                () -> AttentionSinkModel.builder().modelPath(dir).device("cpu").load());
        assertTrue(e.getMessage().contains("config.json") && e.getMessage().contains("attn_config.qk_ln"),
                e.getMessage());
    }

    /**
     * The sink cache moves cached keys with {@link RotaryEmbedding#shift}; for GPT-NeoX's partial rotate-half and
     * GPT-J's partial interleaved rotary, shifting a key rotated at p by d must equal rotating it at p + d.
     */
    @Test
    void partialRotaryShiftEqualsRotatingAtTheNewPosition() {
        DjlRuntime.engine();
        try (NDManager m = NDManager.newBaseManager()) {
            Object[][] cases = {{RotaryEmbedding.Style.ROTATE_HALF, 4}, {RotaryEmbedding.Style.INTERLEAVED, 8}};
            for (Object[] c : cases) {
                int rotaryDim = (Integer) c[1];
                RotaryEmbedding rope = new RotaryEmbedding(16, rotaryDim,
                        RotaryEmbedding.defaultInverseFrequencies(10000, rotaryDim), (RotaryEmbedding.Style) c[0], m,
                        DataType.FLOAT32);
                NDArray keys = m.randomNormal(new Shape(2, 3, 16));
                long p = 5;
                long d = 1234;
                NDArray shifted = rope.shift(rope.apply(keys, rope.tables(m, p, 1)), d);
                NDArray direct = rope.apply(keys, rope.tables(m, p + d, 1));
                float diff = shifted.sub(direct).abs().max().getFloat();
                assertTrue(diff < 1e-5f, c[0] + ": shift differs by " + diff);
                // the pass-through dims really pass through
                NDArray tail = shifted.get(":, :, " + rotaryDim + ":").sub(keys.get(":, :, " + rotaryDim + ":"));
                assertTrue(tail.abs().max().getFloat() == 0f, c[0] + ": dims past rotary_dim were changed");
            }
        }
    }

    /** A copy of a fixture (with a borrowed tokenizer) whose config.json has been edited. */
    private Path editedFixture(String fixture, Consumer<ObjectNode> edit) throws Exception {
        Path src = Shared.fixture(fixture);
        Path dir = Files.createDirectories(temp.resolve(fixture + "-edited"));
        Files.copy(src.resolve("model.safetensors"), dir.resolve("model.safetensors"),
                StandardCopyOption.REPLACE_EXISTING);
        Files.copy(Shared.stories().resolve("tokenizer.json"), dir.resolve("tokenizer.json"),
                StandardCopyOption.REPLACE_EXISTING);
        ObjectNode config = (ObjectNode) Json.readTree(src.resolve("config.json"));
        edit.accept(config);
        Json.MAPPER.writeValue(dir.resolve("config.json").toFile(), config);
        return dir;
    }
}
