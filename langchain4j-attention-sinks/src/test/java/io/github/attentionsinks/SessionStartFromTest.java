package io.github.attentionsinks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.attentionsinks.cache.CacheConfig;
import io.github.attentionsinks.generate.Sampler;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A session started from another's first tokens ({@link Session#startFrom}, {@link Session#copyFirst}) on stories260K
 * gives the logits of a session that fed those tokens itself, on and past eviction. Tolerance 1e-4 (float32): the
 * copied entries were computed in another chunk than the reference's, so sums run in another order.
 */
class SessionStartFromTest {
    static AttentionSinkModel model;

    @BeforeAll
    static void load() {
        model = Shared.loadStories();
    }

    @AfterAll
    static void close() {
        model.close();
    }

    static List<CacheConfig> caches() {
        return List.of(CacheConfig.sinks(4, 40), CacheConfig.windowed(44), CacheConfig.dense());
    }

    @ParameterizedTest
    @MethodSource("caches")
    void aSessionStartedFromACopyGoesOnAsOneThatFedTheTokensItself(CacheConfig cache) {
        int[] prompt = model.tokenizer().encode("Once upon a time, there was a little girl named Lily. She loved to "
                + "play with her red ball in the park.", true);
        int shared = 12;
        try (Session reference = model.newSession(cache);
             Session source = model.newSession(cache)) {
            // The source fed the shared beginning in a chunk with other tokens after it, as a first turn does.
            source.append(Arrays.copyOf(prompt, shared + 5));
            try (Session kept = source.copyFirst(shared);
                 Session started = model.newSession(cache)) {
                assertEquals(shared, kept.cacheLength());
                started.startFrom(kept, shared);
                assertEquals(shared, started.streamLength());
                float[] expected = reference.append(prompt);
                float[] actual = started.append(Arrays.copyOfRange(prompt, shared, prompt.length));
                assertClose(expected, actual, cache + " after the prompt");
                // On greedily, past the window's end (eviction) in the bounded modes.
                for (int t = 0; t < 60; t++) {
                    int next = Sampler.argmax(expected);
                    expected = reference.append(next);
                    actual = started.append(next);
                    assertClose(expected, actual, cache + " token " + t);
                }
                assertEquals(reference.cacheLength(), started.cacheLength());
                assertEquals(reference.streamLength(), started.streamLength());
            }
        }
    }

    @Test
    void refusesAnotherModelsSessionASessionThatFedAndOneThatEvicted() {
        CacheConfig cache = CacheConfig.sinks(4, 8);
        int[] ids = model.tokenizer().encode("Once upon a time, there was a little girl named Lily.", true);
        try (AttentionSinkModel other = AttentionSinkModel.builder().modelPath(Shared.stories()).device("cpu")
                .kernels("libtorch").load();
             Session source = model.newSession(cache);
             Session target = model.newSession(cache);
             Session foreign = other.newSession(cache)) {
            source.append(Arrays.copyOf(ids, 6));
            assertThrows(IllegalArgumentException.class, () -> foreign.startFrom(source, 4));
            target.append(ids[0]);
            assertThrows(IllegalStateException.class, () -> target.startFrom(source, 4));
            target.reset();
            target.startFrom(source, 4); // after a reset it may
            assertEquals(4, target.cacheLength());
            source.append(Arrays.copyOfRange(ids, 6, ids.length)); // past S + W: evicted
            assertTrue(source.streamLength() > source.cacheLength());
            assertThrows(IllegalArgumentException.class, () -> source.copyFirst(4));
        }
    }

    private static void assertClose(float[] expected, float[] actual, String what) {
        double worst = 0;
        for (int i = 0; i < expected.length; i++) {
            worst = Math.max(worst, Math.abs(expected[i] - actual[i]));
        }
        assertTrue(worst <= 1e-4, what + ": logits differ by " + worst);
    }
}
