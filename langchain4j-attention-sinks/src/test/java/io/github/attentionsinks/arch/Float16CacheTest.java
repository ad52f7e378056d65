package io.github.attentionsinks.arch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.attentionsinks.AttentionSinkModel;
import io.github.attentionsinks.CacheDtype;
import io.github.attentionsinks.InvalidSettingException;
import io.github.attentionsinks.Session;
import io.github.attentionsinks.Shared;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.attentionsinks.cache.CacheConfig;
import io.github.attentionsinks.cache.SinkCache;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code cache-dtype float16} (keys and values rounded to float16 as they are stored) on every architecture: the
 * logits stay close to Hugging Face's float32 ones, and past eviction close to a float32 cache's. Rounding a key or
 * value changes it by up to 2^-11 relative; through these fixtures' large random weights that moved the logits by
 * 0.035–0.39% of the largest logit (0.45% for gemma past eviction). The bound, 1% of the row's largest |logit|, still
 * catches real faults: widening the float16 entries on the Java heap with the wrong scale (2^111 for 2^112) moved the
 * logits of every architecture decoded there by 126–168% of the largest one (the others widen in libtorch).
 */
class Float16CacheTest {
    static final float RELATIVE_TOLERANCE = 0.01f;

    @TempDir
    Path temp;

    @ParameterizedTest
    @MethodSource("io.github.attentionsinks.arch.FixtureParity#architectures")
    void logitsStayCloseToFloat32(String fixture) throws Exception {
        FixtureParity.Delta delta = FixtureParity.deltaFromFloat32(fixture, temp, "float32", "float16", model -> {
            assertEquals(CacheDtype.FLOAT16, model.cacheDtype());
        });
        System.out.printf("float16 cache %s: max abs diff %.2e, %.3f%% of the largest logit%n", fixture,
                delta.absolute(), 100 * delta.relative());
        assertTrue(delta.relative() <= RELATIVE_TOLERANCE, fixture + ": a float16 cache moved the logits by "
                + delta.absolute() + " (" + 100 * delta.relative() + "% of the largest logit)");
        assertTrue(delta.absolute() > 0, fixture + ": the float16 cache was not used");
    }

    /** Past eviction (sinks 4 + window 8 over 48 tokens, one at a time): close to the same stream on a float32 cache. */
    @ParameterizedTest
    @ValueSource(strings = {"llama", "qwen3", "gemma", "gpt_neox", "falcon", "mpt"})
    void evictingStreamsStayCloseToAFloat32Cache(String fixture) throws Exception {
        int[] ids = FixtureVariants.inputIds(fixture);
        CacheConfig sinks = CacheConfig.sinks(4, 8);
        try (AttentionSinkModel exact = FixtureParity.load(fixture, temp.resolve("exact"), "float32", "float32");
                AttentionSinkModel halves = FixtureParity.load(fixture, temp.resolve("halves"), "float32", "float16");
                Session a = exact.newSession(sinks);
                Session b = halves.newSession(sinks)) {
            float worst = 0;
            for (int t = 0; t < ids.length; t++) {
                float[] expected = a.append(ids[t]);
                float[] actual = b.append(ids[t]);
                float scale = 0;
                for (float v : expected) {
                    scale = Math.max(scale, Math.abs(v));
                }
                float relative = Shared.maxAbsDiff(expected, actual) / scale;
                worst = Math.max(worst, relative);
                assertTrue(relative <= RELATIVE_TOLERANCE, fixture + " token " + t + ": " + 100 * relative + "%");
            }
            assertEquals(sinks.capacity(), b.cacheLength(), "the stream must have evicted");
            System.out.printf("float16 cache %s sinks(4+8): %.3f%% of the largest logit%n", fixture, 100 * worst);
        }
    }

    /**
     * A model whose keys exceed float16's range (the first layer's input norm gains scaled by 10^6): with a float16
     * cache a step fails with {@link SinkCache.ValueOutOfRangeException} itself, whichever thread wrote the key (on the
     * heap decoder a kernel thread may), and leaves the session as it was; with a float32 cache the same model runs.
     */
    @ParameterizedTest
    @ValueSource(strings = {"llama", "gpt_neox"})
    void keysBeyondFloat16FailTheStepByTypeAndLeaveTheSession(String fixture) throws Exception {
        Path dir = temp.resolve(fixture + "-loud");
        Files.createDirectories(dir);
        Files.copy(Shared.fixture(fixture).resolve("config.json"), dir.resolve("config.json"));
        Files.copy(Shared.stories().resolve("tokenizer.json"), dir.resolve("tokenizer.json"));
        scaleTensors(Shared.fixture(fixture).resolve("model.safetensors"), dir.resolve("model.safetensors"),
                name -> name.contains("layers.0.") && name.endsWith("input_layernorm.weight"), 1e6f);
        int[] ids = FixtureVariants.inputIds(fixture);
        try (AttentionSinkModel exact = AttentionSinkModel.builder().modelPath(dir).device(Shared.device())
                .kernels(Shared.kernels()).load();
                Session session = exact.newSession(CacheConfig.sinks(4, 8))) {
            session.append(java.util.Arrays.copyOf(ids, 6));
            assertEquals(6, session.cacheLength(), "float32 entries hold these keys");
        }
        try (AttentionSinkModel halves = AttentionSinkModel.builder().modelPath(dir).device(Shared.device())
                .kernels(Shared.kernels()).cacheDtype("float16").load();
                Session session = halves.newSession(CacheConfig.sinks(4, 8))) {
            // One token: on the heap decoder its keys are written in the attention tasks, on the kernel threads; six:
            // before attention, on the calling thread.
            for (int tokens : new int[] {1, 6, 1}) {
                SinkCache.ValueOutOfRangeException e = assertThrows(SinkCache.ValueOutOfRangeException.class,
                        () -> session.append(java.util.Arrays.copyOf(ids, tokens)), tokens + " token(s)");
                assertTrue(e.getMessage().contains("of layer 0") && e.getMessage().contains("cache-dtype float32"),
                        e.getMessage());
                assertEquals(0, session.cacheLength(), "nothing was committed");
                assertEquals(0, session.streamLength());
            }
        }
    }

    /** Copies a safetensors file of float32 tensors with the tensors {@code chosen} names multiplied by {@code factor}. */
    private static void scaleTensors(Path from, Path to, java.util.function.Predicate<String> chosen, float factor)
            throws Exception {
        byte[] bytes = Files.readAllBytes(from);
        ByteBuffer file = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        int headerLength = (int) file.getLong(0);
        JsonNode header = new ObjectMapper().readTree(new String(bytes, 8, headerLength, StandardCharsets.UTF_8));
        int scaled = 0;
        for (Iterator<Map.Entry<String, JsonNode>> it = header.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> tensor = it.next();
            if (!chosen.test(tensor.getKey())) {
                continue;
            }
            assertEquals("F32", tensor.getValue().get("dtype").asText(), tensor.getKey());
            long begin = 8 + headerLength + tensor.getValue().get("data_offsets").get(0).asLong();
            long end = 8 + headerLength + tensor.getValue().get("data_offsets").get(1).asLong();
            for (long at = begin; at < end; at += 4) {
                file.putFloat((int) at, file.getFloat((int) at) * factor);
            }
            scaled++;
        }
        assertEquals(1, scaled, "one tensor scaled");
        Files.write(to, bytes);
    }

    @Test
    void int8IsRefusedAsACacheDtypeNamingTheSetting() {
        InvalidSettingException e = assertThrows(InvalidSettingException.class,
                () -> CacheDtype.parse("int8"));
        assertEquals("cache-dtype", e.setting());
        assertTrue(e.getMessage().contains("use float32") && e.getMessage().contains("weights (dtype) only"),
                e.getMessage());
        assertEquals(CacheDtype.FLOAT16, CacheDtype.parse(" FP16 "));
        assertEquals(CacheDtype.FLOAT32, CacheDtype.parse(null));
    }
}
