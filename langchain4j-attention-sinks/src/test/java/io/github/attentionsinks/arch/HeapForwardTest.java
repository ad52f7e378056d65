package io.github.attentionsinks.arch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.ndarray.types.DataType;
import io.github.attentionsinks.AttentionSinkModel;
import io.github.attentionsinks.Session;
import io.github.attentionsinks.Shared;
import io.github.attentionsinks.cache.CacheConfig;
import io.github.attentionsinks.kernels.CacheReads;
import io.github.attentionsinks.kernels.VectorMath;
import io.github.attentionsinks.testmodels.RandomCheckpoints;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The decoder on the Java heap ({@link HeapForward}, what {@code kernels java} runs for these architectures) against
 * the libtorch decoder ({@code kernels libtorch}) on the same fixture weights, over streams longer than the parity
 * fixtures: a 200-token prompt in one chunk (query rows split into blocks across threads), then single tokens past
 * 256 cached keys (where one stream's keys are split into parts, merged afterwards) and past eviction in
 * sinks(4, 300). Tolerance 1e-4 on every logit of every step (2e-4 for Gemma, as in the parity tests).
 */
class HeapForwardTest {
    @TempDir
    static Path temp;

    @ParameterizedTest
    @ValueSource(strings = {"llama", "mistral", "qwen2", "qwen3", "gemma", "phi3", "llama_rope_dynamic"})
    void heapDecoderMatchesLibtorchOverALongStream(String fixture) throws Exception {
        float tolerance = fixture.startsWith("gemma") ? 2e-4f : 1e-4f;
        int[] ids = FixtureVariants.inputIds(fixture);
        // llama_rope_dynamic's trained context is 32: dynamic NTK scaling is in force through the whole stream.
        Path dir = FixtureVariants.write(fixture, temp, fixture, c -> {});
        CacheConfig sinks = CacheConfig.sinks(4, 300);
        try (AttentionSinkModel heap = load(dir, "java");
                AttentionSinkModel libtorch = load(dir, "libtorch");
                Session onHeap = heap.newSession(sinks);
                Session onLibtorch = libtorch.newSession(sinks)) {
            // Else this would compare libtorch layers with themselves.
            assertTrue(heap.kernels().startsWith("java") && heap.kernels().endsWith("decoder on the Java heap"),
                    heap.kernels());
            assertTrue(heap.javaKernels() && !libtorch.javaKernels());
            int[] prompt = new int[200];
            for (int i = 0; i < prompt.length; i++) {
                prompt[i] = ids[(i * 7) % ids.length];
            }
            float[][] expected = onLibtorch.appendAll(prompt);
            float[][] actual = onHeap.appendAll(prompt);
            float worst = 0;
            for (int r = 0; r < prompt.length; r++) {
                float diff = Shared.maxAbsDiff(expected[r], actual[r]);
                worst = Math.max(worst, diff);
                assertTrue(diff <= tolerance, fixture + " prompt row " + r + " differs by " + diff);
            }
            for (int t = 0; t < 160; t++) {
                int token = ids[(t * 5 + 3) % ids.length];
                float diff = Shared.maxAbsDiff(onLibtorch.append(token), onHeap.append(token));
                worst = Math.max(worst, diff);
                assertTrue(diff <= tolerance, fixture + " step " + t + " differs by " + diff);
            }
            assertEquals(sinks.capacity(), onHeap.cacheLength(), "the stream must have evicted");
            System.out.printf("heap vs libtorch %s: max diff %.2e%n", fixture, worst);
        }
    }

    /**
     * Decoding queries read cache rows in place ({@link CacheReads}) where a head is whole vectors: the logits equal
     * those computed from copied rows within 1e-6 (the same operations in the same order; but the Vector API sums a
     * vector's lanes in another order before C2 has compiled a loop than after, so where the two runs reach C2 at
     * different steps a logit may move by an ulp or two), and both match libtorch within 1e-4, over a 200-token prompt and 160 single tokens past 256 keys and eviction in sinks(4, 300). Heads
     * of one and two vectors take the general loops, of four vectors (64 dims on AVX-512) the kernels' own form.
     */
    @ParameterizedTest
    @ValueSource(ints = {1, 2, 4})
    void decodingReadsTheCacheInPlace(int vectors) throws Exception {
        assumeTrue(CacheReads.AVAILABLE, "in-place cache reads need vector loads from buffers (JDK 17, 18) or segments (19+)");
        int headDim = vectors * VectorMath.lanes();
        assertTrue(CacheReads.supports(headDim));
        Path dir = RandomCheckpoints.write(temp.resolve("qwen3-head" + headDim), "qwen3",
                RandomCheckpoints.smollm2Tokenizer(), 11, null, headDim);
        CacheConfig sinks = CacheConfig.sinks(4, 300);
        int[] prompt = new int[200];
        for (int i = 0; i < prompt.length; i++) {
            prompt[i] = 10 + (i * 7919) % 49000;
        }
        int[] tokens = new int[160];
        for (int t = 0; t < tokens.length; t++) {
            tokens[t] = 10 + (t * 104729 + 3) % 49000;
        }
        try (AttentionSinkModel heap = load(dir, "java"); AttentionSinkModel libtorch = load(dir, "libtorch")) {
            assertTrue(heap.kernels().endsWith("decoder on the Java heap"), heap.kernels());
            float[][] expected = stream(libtorch, sinks, prompt, tokens);
            float[][] inPlace = stream(heap, sinks, prompt, tokens);
            boolean before = HeapAttention.readCacheInPlace;
            float[][] copied;
            try {
                HeapAttention.readCacheInPlace = false;
                copied = stream(heap, sinks, prompt, tokens);
            } finally {
                HeapAttention.readCacheInPlace = before;
            }
            for (int t = 0; t < tokens.length; t++) {
                float apart = Shared.maxAbsDiff(copied[t], inPlace[t]);
                assertTrue(apart <= 1e-6f, "head of " + headDim + ", step " + t + ": in place and copied differ by "
                        + apart);
                float diff = Shared.maxAbsDiff(expected[t], inPlace[t]);
                assertTrue(diff <= 1e-4f, "head of " + headDim + ", step " + t + " differs from libtorch by " + diff);
            }
        }
    }

    /**
     * A cache read by the heap decoder keeps its keys in blocks (SinkCache, "Keys in blocks"), float16 or float32: the
     * logits equal those of the same cache with keys in rows within 2e-5 (each score is the same products summed in
     * another order), over a 200-token prompt (its chunk's many queries score copied blocks), single tokens past
     * growth, eviction and the window's moves back (scored in place, and from copies with in-place reads off), and a
     * session started from another's first 120 tokens. Heads of one, two and four vectors.
     */
    @ParameterizedTest
    @CsvSource({"float16,1", "float16,2", "float16,4", "float32,1", "float32,2", "float32,4"})
    void keysInBlocksGiveWhatKeysInRowsGive(String cacheDtype, int vectors) throws Exception {
        assumeTrue(CacheReads.AVAILABLE, "keys in blocks are read in place, which needs vector loads from buffers or segments");
        int headDim = vectors * VectorMath.lanes();
        Path dir = RandomCheckpoints.write(temp.resolve("qwen3-blocks" + headDim), "qwen3",
                RandomCheckpoints.smollm2Tokenizer(), 12, null, headDim);
        CacheConfig sinks = CacheConfig.sinks(4, 300);
        int[] prompt = new int[200];
        for (int i = 0; i < prompt.length; i++) {
            prompt[i] = 10 + (i * 7919) % 49000;
        }
        int[] tokens = new int[700];
        for (int t = 0; t < tokens.length; t++) {
            tokens[t] = 10 + (t * 104729 + 3) % 49000;
        }
        try (AttentionSinkModel heap = AttentionSinkModel.builder().modelPath(dir).device(Shared.device())
                .kernels("java").cacheDtype(cacheDtype).load()) {
            assertTrue(heap.kernels().endsWith("decoder on the Java heap"), heap.kernels());
            assertEquals(CacheReads.keyBlock(), Shared.keyBlock(heap,
                    cacheDtype.equals("float16") ? DataType.FLOAT16 : DataType.FLOAT32), "keys in blocks by default");
            float[][] blocks = stream(heap, sinks, prompt, tokens);
            float[][] started = startedFrom(heap, sinks, prompt, tokens, 120);
            float[][] rows;
            float[][] copied;
            boolean inPlaceBefore = HeapAttention.readCacheInPlace;
            try {
                HeapAttention.readCacheInPlace = false;
                copied = stream(heap, sinks, prompt, tokens);
                HeapAttention.keysInBlocks = false;
                HeapAttention.readCacheInPlace = inPlaceBefore;
                rows = stream(heap, sinks, prompt, tokens);
            } finally {
                HeapAttention.keysInBlocks = true;
                HeapAttention.readCacheInPlace = inPlaceBefore;
            }
            float worst = 0;
            for (int t = 0; t < tokens.length; t++) {
                for (float[] other : new float[][] {blocks[t], copied[t], started[t]}) {
                    float diff = Shared.maxAbsDiff(rows[t], other);
                    worst = Math.max(worst, diff);
                    assertTrue(diff <= 2e-5f, "head of " + headDim + ", step " + t + ": keys in blocks and in rows "
                            + "differ by " + diff);
                }
            }
            System.out.printf("%s keys in blocks vs rows, head of %d: max diff %.2e%n", cacheDtype, headDim, worst);
        }
    }

    /** {@link #stream}, in a session started from the first {@code shared} prompt tokens of another. */
    private static float[][] startedFrom(AttentionSinkModel model, CacheConfig cache, int[] prompt, int[] tokens,
            int shared) {
        try (Session first = model.newSession(cache); Session second = model.newSession(cache)) {
            first.appendAll(java.util.Arrays.copyOf(prompt, shared));
            second.startFrom(first, shared);
            second.appendAll(java.util.Arrays.copyOfRange(prompt, shared, prompt.length));
            float[][] logits = new float[tokens.length][];
            for (int t = 0; t < tokens.length; t++) {
                logits[t] = second.append(tokens[t]);
            }
            return logits;
        }
    }

    /** The logits of each single token fed after {@code prompt}, in a new session of {@code cache}. */
    private static float[][] stream(AttentionSinkModel model, CacheConfig cache, int[] prompt, int[] tokens) {
        try (Session session = model.newSession(cache)) {
            session.appendAll(prompt);
            float[][] logits = new float[tokens.length][];
            for (int t = 0; t < tokens.length; t++) {
                logits[t] = session.append(tokens[t]);
            }
            assertEquals(cache.capacity(), session.cacheLength(), "the stream must have evicted");
            return logits;
        }
    }

    /** Architectures outside the heap decoder's reach keep their libtorch layers around the Java products. */
    @ParameterizedTest
    @ValueSource(strings = {"gpt_neox", "gemma2", "mpt", "starcoder2"})
    void otherArchitecturesKeepTheirLibtorchLayers(String fixture) throws Exception {
        Path dir = FixtureVariants.write(fixture, temp, fixture + "-classic", c -> {});
        try (AttentionSinkModel model = load(dir, "java")) {
            assertTrue(model.kernels().startsWith("java") && !model.kernels().contains("heap"), model.kernels());
        }
    }

    private static AttentionSinkModel load(Path dir, String kernels) {
        return AttentionSinkModel.builder().modelPath(dir).device(Shared.device()).kernels(kernels).load();
    }
}
