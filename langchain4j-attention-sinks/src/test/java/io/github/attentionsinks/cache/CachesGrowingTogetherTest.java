package io.github.attentionsinks.cache;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.attentionsinks.AttentionSinkModel;
import io.github.attentionsinks.Session;
import io.github.attentionsinks.Shared;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Sessions of one batched step whose caches must grow in that step grow together on the kernel threads
 * ({@code Session.appendBatch} through {@link SinkCache#reserve}): on stories260K with buffers starting at 3 entries
 * and filled with NaN, four sessions fed in lockstep (so they grow in the same steps) give the logits four sessions
 * fed alone give, within 1e-4, across several growths and the move of a full window; some steps grew at least two
 * caches at once.
 */
class CachesGrowingTogetherTest {
    @BeforeAll
    static void smallBuffers() {
        SinkCache.initialCapacity = 3;
        SinkCache.fillNewBuffersWithNaN = true;
    }

    @AfterAll
    static void restore() {
        SinkCache.initialCapacity = SinkCache.INITIAL_CAPACITY;
        SinkCache.fillNewBuffersWithNaN = false;
    }

    @Test
    void batchedSessionsThatGrowInOneStepAttendAsAlone() {
        CacheConfig cache = CacheConfig.sinks(4, 60);
        int sessions = 4;
        List<Session> together = new ArrayList<>();
        List<Session> alone = new ArrayList<>();
        try (AttentionSinkModel model = AttentionSinkModel.builder().modelPath(Shared.stories())
                .device(Shared.device()).kernels("java").load()) {
            assertTrue(model.kernels().startsWith("java"), model.kernels());
            for (int s = 0; s < sessions; s++) {
                together.add(model.newSession(cache));
                alone.add(model.newSession(cache));
            }
            int stepsGrowingSeveral = 0;
            for (int step = 0; step < 150; step++) {
                List<int[]> feeds = new ArrayList<>();
                for (int s = 0; s < sessions; s++) {
                    int n = step == 0 ? 5 : 1;
                    int[] ids = new int[n];
                    for (int i = 0; i < n; i++) {
                        ids[i] = 1 + (step * 37 + s * 101 + i * 13) % 500;
                    }
                    feeds.add(ids);
                }
                long[] before = new long[sessions];
                for (int s = 0; s < sessions; s++) {
                    before[s] = together.get(s).cacheBytes();
                }
                float[][] batched = model.appendBatch(together, feeds);
                int grew = 0;
                for (int s = 0; s < sessions; s++) {
                    grew += together.get(s).cacheBytes() != before[s] ? 1 : 0;
                    float diff = Shared.maxAbsDiff(alone.get(s).append(feeds.get(s)), batched[s]);
                    assertTrue(diff <= 1e-4f, "session " + s + " step " + step + " differs by " + diff);
                }
                stepsGrowingSeveral += grew >= 2 ? 1 : 0;
            }
            assertTrue(stepsGrowingSeveral >= 3, "steps that grew several caches: " + stepsGrowingSeveral);
        } finally {
            together.forEach(Session::close);
            alone.forEach(Session::close);
        }
    }
}
