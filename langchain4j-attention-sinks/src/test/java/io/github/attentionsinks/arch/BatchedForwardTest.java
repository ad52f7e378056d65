package io.github.attentionsinks.arch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import ai.djl.ndarray.types.DataType;
import io.github.attentionsinks.AttentionSinkModel;
import io.github.attentionsinks.Session;
import io.github.attentionsinks.Shared;
import io.github.attentionsinks.cache.CacheConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Several sessions stepped in one batched forward pass ({@link AttentionSinkModel#appendBatch}) give the logits each
 * would get stepped alone, on every fixture: three sessions at different stream positions, mixed one- and
 * several-token steps, in dense, sinks(4, 8) and windowed(8) modes, far past eviction. Tolerance 1e-4 (2e-4 for
 * Gemma, as in the parity tests); a session never sees another's tokens (they differ per session here, so a leak
 * would show as a difference).
 */
class BatchedForwardTest {
    /** Tokens each session has been fed before the compared steps. */
    private static final int[] STARTS = {0, 5, 11, 3, 8};

    @TempDir
    static Path temp;

    @ParameterizedTest
    @ValueSource(strings = {"llama", "mistral", "qwen2", "qwen3", "llama3_rope", "llama_rope_linear",
        "llama_rope_dynamic", "phi", "phi3", "gemma", "gemma2", "stablelm", "starcoder2", "olmo", "gpt_neox",
        "falcon", "falcon_new_decoder", "gptj", "mpt", "gpt2"})
    void batchedStepsEqualSeparateSteps(String fixture) throws Exception {
        float tolerance = fixture.startsWith("gemma") ? 2e-4f : 1e-4f;
        List<CacheConfig> modes = fixture.equals("gpt2") ? List.of(CacheConfig.dense())
                : List.of(CacheConfig.dense(), CacheConfig.sinks(4, 8), CacheConfig.windowed(8));
        int[] ids = FixtureVariants.inputIds(fixture);
        try (AttentionSinkModel model = FixtureParity.load(fixture, temp)) {
            for (CacheConfig mode : modes) {
                float worst = compare(model, mode, ids, tolerance, fixture, 3, 5);
                System.out.printf("batched %s %s: max diff %.2e%n", fixture, mode, worst);
            }
        }
    }

    /**
     * The same with float16 and int8 weights on the Java kernels. A batched step's rows take the kernels for several
     * rows (passes of eight, four, two and one over a tile half; int8's whole-tile kernels for one and two rows) where
     * a session alone takes the single-row one: five sessions, each feeding a chunk of two or three tokens every other
     * step, so steps of 5 to 15 rows. In the build's second run, with libtorch multiplying, float16 only, within
     * 0.2% of the row's largest |logit|: libtorch rounds each float16 product to float16, logits included, and on a
     * CPU with AVX-512 FP16 (an Intel Xeon) its kernels for one row and for several sum in other orders, so a logit
     * lands one or two float16 steps away (2^-10 of it each): up to 1.04e-3 of the largest there, where the Java
     * kernels, which sum in float32 and round nothing, stay within 1e-4.
     */
    @ParameterizedTest
    @CsvSource({"llama, float16", "llama, int8", "qwen3, float16", "qwen3, int8", "gpt_neox, float16",
        "gpt_neox, int8"})
    void batchedStepsEqualSeparateStepsWithFloat16AndInt8Weights(String fixture, String dtype) throws Exception {
        assumeFalse(dtype.equals("int8") && Shared.kernels().equals("libtorch"),
                "int8 weights need the Java kernels; this run multiplies with libtorch");
        int[] ids = FixtureVariants.inputIds(fixture);
        try (AttentionSinkModel model = FixtureParity.load(fixture, temp, dtype)) {
            assertEquals(dtype.equals("int8") ? DataType.INT8 : DataType.FLOAT16, model.weightType());
            float tolerance = Shared.kernels().equals("libtorch") ? -2e-3f : 1e-4f;
            for (CacheConfig mode : List.of(CacheConfig.dense(), CacheConfig.sinks(4, 8))) {
                float worst = compare(model, mode, ids, tolerance, fixture + " " + dtype, 5, 2);
                System.out.printf("batched %s %s %s: max diff %.2e%n", fixture, dtype, mode, worst);
            }
        }
    }

    /**
     * The same with a float16 KV cache. On the heap decoder a decoding row reads the entries in place, a chunk's rows
     * through widened copies. Tolerance 0.05% of the row's largest |logit|: a key or value that batched and separate
     * steps compute a float32 rounding apart (their products sum in another order) can round to neighbouring float16
     * values, 2^-11 apart relative, and such flips moved these logits by up to 6.4e-4, Gemma's (larger) by 4.5e-3. A float16 cache moves them by 0.04–0.45% from float32's, and a session seeing another's tokens by far
     * more.
     */
    @ParameterizedTest
    @ValueSource(strings = {"llama", "qwen3", "gemma", "phi3", "gpt_neox", "falcon"})
    void batchedStepsEqualSeparateStepsWithAFloat16Cache(String fixture) throws Exception {
        int[] ids = FixtureVariants.inputIds(fixture);
        try (AttentionSinkModel model = FixtureParity.load(fixture, temp, "float32", "float16")) {
            assertEquals(io.github.attentionsinks.CacheDtype.FLOAT16, model.cacheDtype());
            for (CacheConfig mode : List.of(CacheConfig.dense(), CacheConfig.sinks(4, 8))) {
                float worst = compare(model, mode, ids, -5e-4f, fixture + " float16 cache", 5, 2);
                System.out.printf("batched %s float16 cache %s: max diff %.2e%n", fixture, mode, worst);
            }
        }
    }

    /**
     * {@code sessions} sessions at different stream positions, fed together and alone; session {@code s} feeds a
     * chunk of 2 or 3 tokens in the steps where {@code (step + s) % chunkEvery == 0}, one token otherwise. A negative
     * {@code tolerance} is relative: {@code −tolerance} times the row's largest |logit|.
     */
    private static float compare(AttentionSinkModel model, CacheConfig mode, int[] ids, float tolerance,
            String fixture, int sessions, int chunkEvery) {
        List<Session> alone = new ArrayList<>();
        List<Session> batched = new ArrayList<>();
        float worst = 0;
        try {
            for (int s = 0; s < sessions; s++) {
                alone.add(model.newSession(mode));
                batched.add(model.newSession(mode));
                // different stream positions: 0, 5, 11, 3 and 8 tokens already fed
                int[] prefix = Arrays.copyOfRange(ids, 0, STARTS[s]);
                if (prefix.length > 0) {
                    alone.get(s).append(prefix);
                    batched.get(s).append(prefix);
                }
            }
            int[] cursor = Arrays.copyOf(STARTS, sessions);
            for (int step = 0; step < 24; step++) {
                List<int[]> feeds = new ArrayList<>();
                for (int s = 0; s < sessions; s++) {
                    // mostly one token; now and then a chunk of 2-3 (a prompt being fed beside decoding sessions)
                    int n = (step + s) % chunkEvery == 0 ? 2 + s % 2 : 1;
                    int[] feed = new int[n];
                    for (int i = 0; i < n; i++) {
                        feed[i] = ids[(cursor[s] + i + 7 * s) % ids.length];
                    }
                    cursor[s] += n;
                    feeds.add(feed);
                }
                float[][] together = model.appendBatch(batched, feeds);
                for (int s = 0; s < sessions; s++) {
                    float[] separate = alone.get(s).append(feeds.get(s));
                    float diff = Shared.maxAbsDiff(separate, together[s]);
                    worst = Math.max(worst, diff);
                    float bound = tolerance;
                    if (tolerance < 0) {
                        bound = 0;
                        for (float v : separate) {
                            bound = Math.max(bound, -tolerance * Math.abs(v));
                        }
                    }
                    assertTrue(diff <= bound, fixture + " " + mode + " session " + s + " step " + step
                            + " differs by " + diff);
                    assertEquals(alone.get(s).streamLength(), batched.get(s).streamLength());
                    assertEquals(alone.get(s).cacheLength(), batched.get(s).cacheLength());
                }
            }
            if (mode.bounded()) {
                assertEquals(mode.capacity(), batched.get(0).cacheLength(), "the caches must have evicted");
            }
            assertThrows(IllegalArgumentException.class,
                    () -> model.appendBatch(List.of(batched.get(0), batched.get(0)), List.of(ids, ids)));
            return worst;
        } finally {
            alone.forEach(Session::close);
            batched.forEach(Session::close);
        }
    }
}
