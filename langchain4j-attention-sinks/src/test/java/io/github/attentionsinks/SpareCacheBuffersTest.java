package io.github.attentionsinks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.github.attentionsinks.cache.CacheConfig;
import io.github.attentionsinks.generate.GenerationParams;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Spare cache buffers, made by the decode loop while it has nothing to run: a session that took fresh buffers is
 * followed by as many spares, the next new session takes those instead of fresh memory (and is followed by spares in
 * turn), and a session closed gives back buffers that take the spares' place; and the reserve a decode loop asks
 * for. stories260K on the CPU (a GPU's caches are not pooled).
 */
class SpareCacheBuffersTest {
    private static final CacheConfig CACHE = CacheConfig.sinks(4, 64);
    private static final GenerationParams PARAMS = GenerationParams.builder().maxNewTokens(12).build();

    @Test
    void anIdleDecodeLoopKeepsSparesOneNewSessionAhead() throws Exception {
        assumeTrue(Shared.device().equals("cpu"), "caches are pooled on the CPU only");
        try (AttentionSinkModel model = Shared.loadStories();
                DecodeScheduler scheduler = new DecodeScheduler(model, 2, 2, 16)) {
            assertEquals(0, model.keptCacheBytes(), "a model just loaded keeps no buffers");
            int[] prompt = model.tokenizer().encode("Once upon a time", true);
            try (Session first = model.newSession(CACHE)) {
                scheduler.generate(first, prompt, PARAMS, null);
                long held = first.cacheBytes();
                awaitKept(model, held, "spares of every buffer the first session took fresh");

                try (Session second = model.newSession(CACHE)) {
                    scheduler.generate(second, prompt, PARAMS, null);
                    assertEquals(held, second.cacheBytes());
                    // Had it taken fresh buffers, the first's spares would stay and as many more be made.
                    awaitKept(model, held, "the second session took the spares, and as many were made again");
                    Thread.sleep(300);
                    assertEquals(held, model.keptCacheBytes(), "no more than that");
                }
                assertEquals(held, model.keptCacheBytes(),
                        "the second session's buffers, given back in the spares' place");
            }
        }
    }

    /** A decode loop has the model keep the buffers a batch of new caches starts with, the largest batch asked for. */
    @Test
    void aDecodeLoopReservesTheStartingBuffersOfItsBatch() {
        assumeTrue(Shared.device().equals("cpu"), "caches are pooled on the CPU only");
        try (AttentionSinkModel model = Shared.loadStories()) {
            assertEquals(0, model.cacheBuffers().reservedCaches(), "a model without a decode loop reserves none");
            try (DecodeScheduler eight = new DecodeScheduler(model, 8, 2, 16);
                    DecodeScheduler two = new DecodeScheduler(model, 2, 2, 16)) {
                assertEquals(8, model.cacheBuffers().reservedCaches());
            }
        }
    }

    private static void awaitKept(AttentionSinkModel model, long bytes, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (model.keptCacheBytes() != bytes && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertEquals(bytes, model.keptCacheBytes(), what);
    }
}
