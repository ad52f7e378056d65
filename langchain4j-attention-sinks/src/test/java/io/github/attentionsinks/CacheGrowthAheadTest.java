package io.github.attentionsinks;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.github.attentionsinks.cache.CacheConfig;
import io.github.attentionsinks.generate.GenerationParams;
import io.github.attentionsinks.generate.GenerationResult;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * Cache memory the decode loop faults in between steps ({@link CacheGrowthAhead}): a cache grows into buffers made
 * ahead instead of fresh memory, and gives the same tokens; a step that read a long prompt leaves a new cache's
 * buffers ready; and how many slices go before a step. stories260K on the CPU (a GPU's caches are not pooled).
 */
class CacheGrowthAheadTest {
    /** Grows from its first 512 entries to 1,024 past token 512. */
    private static final CacheConfig CACHE = CacheConfig.sinks(4, 1020);
    private static final GenerationParams PAST_512 = GenerationParams.builder().maxNewTokens(600).ignoreEos(true)
            .build();

    @Test
    void aCacheGrowsIntoBuffersMadeAheadAndGivesTheSameTokens() throws Exception {
        assumeTrue(Shared.device().equals("cpu"), "caches are pooled on the CPU only");
        GenerationResult alone;
        try (AttentionSinkModel model = Shared.loadStories(); Session session = model.newSession(CACHE)) {
            alone = session.generate(ids(model), PAST_512, null);
            assertEquals(6, model.cacheBuffers().freshTakes(),
                    "alone: keys, values and the sinks' two, then the growth's keys and values, all fresh");
        }
        try (AttentionSinkModel model = Shared.loadStories();
                DecodeScheduler scheduler = new DecodeScheduler(model, 2, 2, 16);
                Session session = model.newSession(CACHE)) {
            AtomicLong freshAtFirstToken = new AtomicLong(-1);
            // Listeners of submit run on the decode thread, between its steps: the growth comes ~500 steps later.
            GenerationResult batched = scheduler.submit(session, ids(model), PAST_512,
                    (id, text) -> freshAtFirstToken.compareAndSet(-1, model.cacheBuffers().freshTakes()))
                    .get(60, TimeUnit.SECONDS);
            assertArrayEquals(alone.tokenIds(), batched.tokenIds());
            assertEquals(4, freshAtFirstToken.get(), "the first step's buffers");
            assertEquals(4, model.cacheBuffers().freshTakes(), "the growth took buffers made ahead");
        }
    }

    private static int[] ids(AttentionSinkModel model) {
        return model.tokenizer().encode("Once upon a time", true);
    }

    /**
     * Between the steps of a long prompt the loop makes the buffers a new cache starts with, when none are kept: a
     * model that has given none back holds them by the time the prompt's first token comes.
     */
    @Test
    void aLongPromptLeavesANewCachesBuffersReady() throws Exception {
        assumeTrue(Shared.device().equals("cpu"), "caches are pooled on the CPU only");
        try (AttentionSinkModel model = Shared.loadStories();
                DecodeScheduler scheduler = new DecodeScheduler(model, 2, 2, 16)) {
            int[] prompt = model.tokenizer().encode(
                    "Once upon a time, there was a little girl named Lily. She loved to play outside. ".repeat(8), true);
            assertTrue(prompt.length > 4 * 16 + 64, "read in several steps as a long prompt");
            AtomicLong keptAtFirstToken = new AtomicLong(-1);
            try (Session session = model.newSession(CACHE)) {
                assertEquals(0, model.keptCacheBytes());
                // On the decode thread, between its steps: no idle moment (spares are made then) has come yet.
                scheduler.submit(session, prompt, GenerationParams.builder().maxNewTokens(4).build(),
                        (id, text) -> keptAtFirstToken.compareAndSet(-1, model.keptCacheBytes()))
                        .get(60, TimeUnit.SECONDS);
                assertEquals(session.cacheBytes(), keptAtFirstToken.get(),
                        "the buffers of a cache like this one's, made while it read its prompt");
                long fresh = model.cacheBuffers().freshTakes();
                try (Session next = model.newSession(CACHE)) {
                    next.generate("Tom", GenerationParams.builder().maxNewTokens(2).build(), null);
                }
                assertEquals(fresh, model.cacheBuffers().freshTakes(), "the next cache took them");
            }
        }
    }

    /** Slices before a step: none while one a step would finish in time, then enough to end the margin early. */
    @Test
    void slicesGoJustInTime() {
        int margin = CacheGrowthAhead.MARGIN_STEPS;
        assertEquals(0, CacheGrowthAhead.slicesNow(0, 5));
        assertEquals(0, CacheGrowthAhead.slicesNow(10, margin + 11), "eleven steps to spare for ten slices");
        assertEquals(1, CacheGrowthAhead.slicesNow(10, margin + 10));
        assertEquals(2, CacheGrowthAhead.slicesNow(10, margin + 5));
        assertEquals(4, CacheGrowthAhead.slicesNow(10, margin + 3), "ceil(10 / 3)");
        assertEquals(CacheGrowthAhead.MAX_SLICES_PER_STEP, CacheGrowthAhead.slicesNow(50, 0), "at most this many");
        assertEquals(3, CacheGrowthAhead.slicesNow(3, 2), "growing within the margin: all that is left");
    }
}
