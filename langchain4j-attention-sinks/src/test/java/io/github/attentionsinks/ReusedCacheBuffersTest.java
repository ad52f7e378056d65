package io.github.attentionsinks;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.attentionsinks.cache.CacheConfig;
import io.github.attentionsinks.generate.Sampler;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A new session takes the cache buffers a closed one gave back, with that session's entries still in them: its logits
 * must be those it gets in fresh buffers, so that nothing of one conversation reaches another. stories260K on the
 * CPU, in every cache mode. Tolerance 1e-4, not bit for bit: a JVM's first forward passes on the Java kernels run
 * code the JIT has not compiled yet, which can round differently (of 300 identical prompts in one JVM, the first 7
 * gave 4.981188 for one logit and the rest 4.9811883); an entry of the other conversation read by mistake would move
 * them by far more (about 4).
 */
class ReusedCacheBuffersTest {
    static List<CacheConfig> caches() {
        return List.of(CacheConfig.sinks(4, 40), CacheConfig.windowed(44), CacheConfig.dense());
    }

    @ParameterizedTest
    @MethodSource("caches")
    void aSessionInBuffersAnotherSessionFilledGetsTheLogitsOfFreshBuffers(CacheConfig cache) {
        try (AttentionSinkModel model = AttentionSinkModel.builder().modelPath(Shared.stories()).device("cpu")
                .kernels(Shared.kernels()).load()) {
            int[] question = model.tokenizer().encode("Once upon a time, there was a little girl named Lily.", true);
            int[] other = model.tokenizer().encode("The dog ran to the big tree in the park and barked at a bird. "
                    .repeat(6), true);
            assertTrue(other.length > question.length + 50, "the other conversation fills entries past the question's");

            float[][] fresh = logitsOf(model, cache, question);
            long kept = model.keptCacheBytes();
            assertTrue(kept > 0, "the closed session's buffers are kept");

            try (Session filler = model.newSession(cache)) {
                assertTrue(model.keptCacheBytes() >= kept, "nothing taken before the first step");
                filler.append(other);
                assertEquals(0, model.keptCacheBytes(), "the filler took the kept buffers");
            }
            float[][] reused = logitsOf(model, cache, question);
            assertEquals(kept, model.keptCacheBytes(),
                    "the second session took the filler's buffers and gave them back");
            for (int t = 0; t < fresh.length; t++) {
                assertArrayEquals(fresh[t], reused[t], 1e-4f, "logits after token " + t);
            }
        }
    }

    /** The logits after the question, then after each of 20 greedy tokens fed one at a time. */
    private static float[][] logitsOf(AttentionSinkModel model, CacheConfig cache, int[] question) {
        float[][] logits = new float[21][];
        try (Session session = model.newSession(cache)) {
            logits[0] = session.append(question);
            for (int t = 1; t < logits.length; t++) {
                logits[t] = session.append(Sampler.argmax(logits[t - 1]));
            }
        }
        return logits;
    }
}
