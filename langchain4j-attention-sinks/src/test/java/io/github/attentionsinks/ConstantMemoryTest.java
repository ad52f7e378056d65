package io.github.attentionsinks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.BaseNDManager;
import ai.djl.ndarray.NDArray;
import io.github.attentionsinks.cache.CacheConfig;
import io.github.attentionsinks.generate.GenerationParams;
import io.github.attentionsinks.generate.GenerationResult;
import org.junit.jupiter.api.Test;

/**
 * A stream far longer than the cache keeps the same native tensors: no array leaks from a step, the cache
 * stops growing once full, and generation keeps going past the trained context.
 */
class ConstantMemoryTest {
    private static long liveBytes(AttentionSinkModel model) {
        long bytes = 0;
        for (NDArray a : ((BaseNDManager) model.manager()).getManagedArrays()) {
            bytes += a.size() * a.getDataType().getNumOfBytes();
        }
        return bytes;
    }

    private static int liveArrays(AttentionSinkModel model) {
        return ((BaseNDManager) model.manager()).getManagedArrays().size();
    }

    @Test
    void longStreamKeepsNativeMemoryFlat() {
        try (AttentionSinkModel model = AttentionSinkModel.builder().modelPath(Shared.stories()).device("cpu").load();
                Session session = model.newSession(CacheConfig.sinks(4, 60))) {
            GenerationParams params = GenerationParams.builder().maxNewTokens(200).temperature(0.9).topP(0.95)
                    .seed(7L).build();
            session.generate("Once upon a time", params, null);
            int arrays = liveArrays(model);
            long bytes = liveBytes(model);
            long cacheBytes = session.cacheBytes();
            for (int round = 0; round < 10; round++) {
                GenerationResult r = session.generate(" The end.", params, null);
                assertEquals(200, r.tokenIds().length);
                assertEquals(arrays, liveArrays(model), "live arrays after round " + round);
                assertEquals(bytes, liveBytes(model), "live tensor bytes after round " + round);
                assertEquals(cacheBytes, session.cacheBytes());
                assertEquals(64, session.cacheLength());
            }
            assertTrue(session.streamLength() > 2000, "the stream went far past the cache and the trained context");
        }
    }

    @Test
    void denseGrowsWithTheStream() {
        try (AttentionSinkModel model = AttentionSinkModel.builder().modelPath(Shared.stories()).device("cpu").load();
                Session session = model.newSession(CacheConfig.dense())) {
            GenerationParams params = GenerationParams.builder().maxNewTokens(300).build();
            session.generate("Once upon a time", params, null);
            long before = liveBytes(model);
            session.generate(" Then", params, null);
            session.generate(" Then", params, null);
            assertTrue(liveBytes(model) > before, "dense cache grew");
            assertTrue(session.cacheLength() > 900);
        }
    }

    @Test
    void aPromptFarLongerThanTheCacheIsFedInChunksInBoundedMemory() {
        try (AttentionSinkModel model = AttentionSinkModel.builder().modelPath(Shared.stories()).device("cpu").load();
                Session small = model.newSession(CacheConfig.sinks(4, 200));
                Session huge = model.newSession(CacheConfig.sinks(4, 200))) {
            int arraysBefore = liveArrays(model);
            small.append(1, 403, 407);
            int cacheArrays = liveArrays(model) - arraysBefore;
            int[] prompt = model.tokenizer().encode("Once upon a time, there was a little girl named Lily. ".repeat(300),
                    true);
            assertTrue(prompt.length > 4000);
            float[] logits = huge.append(prompt);
            assertEquals(512, logits.length);
            assertEquals(204, huge.cacheLength());
            assertEquals(prompt.length, huge.streamLength());
            long full = huge.cacheBytes();
            assertTrue(small.cacheBytes() <= full, "a short stream holds no more than a full window");
            huge.append(prompt);
            assertEquals(full, huge.cacheBytes(), "the same buffers whatever the prompt length");
            assertEquals(arraysBefore + 2 * cacheArrays, liveArrays(model), "nothing but two caches' buffers stays alive");
        }
    }
}
