package io.github.attentionsinks;

import io.github.attentionsinks.cache.CacheBuffers;
import io.github.attentionsinks.cache.SinkCache;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;

/**
 * Which cache memory the decode loop faults in between two steps ({@link CacheBuffers#prepareAhead}), so that its
 * generations' caches, and the next new conversation's, find their buffers ready rather than stall a step, or a first
 * token, while fresh memory is faulted in.
 *
 * <p>Growth, just in time: the buffers a cache grows into are made starting when the slices left come to the steps left
 * before the first of the caches that want that kind grows, less {@link #MARGIN_STEPS}, at one slice a step or more. A
 * generation reading its prompt is counted at {@code prefillChunk} and a half tokens a step, one decoding at one. A
 * cache whose generation ends before it would grow, or that grows more than {@link #HORIZON_STEPS} steps away, is not
 * counted (the buffers would wait long, and kept ones expire after {@link CacheBuffers#KEEP_SECONDS} seconds). A cache
 * going back to smaller buffers after a long step ({@link SinkCache#nextBuffers}) counts as a growth into them.
 *
 * <p>New conversations: after a step that read a long prompt, the buffers of one new cache are made if none are kept,
 * so that a short turn arriving during a long paste does not fault its cache in before its first token (78 ms for the
 * 512-entry buffers of the SmolLM-135M shape beside a paste, docs/benchmarks.md "Cache growth faulted in ahead"). Such a
 * step costs about two decoding steps already; other times, the spares made while idle ({@link
 * CacheBuffers#prepareSpare}) do this.
 *
 * <p>At most {@link #MAX_SLICES_PER_STEP} slices go between two steps, on the kernel threads, and none once a short
 * turn is waiting, so that what the loop adds to a step stays bounded; what is not ready by a growth faults in inside
 * its step, as without this. The price is paid by the steps the slices go before: on the SmolLM-135M shape, a
 * conversation streaming a long reply beside a long paste waited at most 74–122 ms between two tokens instead of
 * 311–379, but its 99th percentile rose from 57–64 ms to 70–79, and the paste's first token came 5–12% later.
 */
final class CacheGrowthAhead {
    /**
     * Buffers are to be ready this many steps before the growth that takes them. Small, since prompts are counted at
     * a chunk and a half a step already, and every slice more a step is a few ms more on it for everyone in it.
     */
    static final int MARGIN_STEPS = 2;
    /** Growths further away than this many steps are not prepared for yet. */
    static final int HORIZON_STEPS = 256;
    /** Slices (2 MiB) faulted in at most between two steps: about 3 ms each on two threads in this project's VM. */
    static final int MAX_SLICES_PER_STEP = 4;

    private final int prefillChunk;

    CacheGrowthAhead(int prefillChunk) {
        this.prefillChunk = prefillChunk;
    }

    /** {@code count} buffers of {@code kind} that caches grow into, the first of them in {@code stepsLeft} steps. */
    record Demand(CacheBuffers.Kind kind, int count, int stepsLeft) {}

    /**
     * Faults in, between two steps and on {@code tasks}' threads, what the caches of {@code generations} will grow
     * into and, after a step that read a long prompt, a new cache's buffers (see the class comment), a slice at a
     * time until {@code stop} says so.
     */
    void prepare(List<Generation> generations, boolean longPromptRead, CacheBuffers buffers, CacheBuffers.Tasks tasks,
            BooleanSupplier stop) {
        int budget = MAX_SLICES_PER_STEP;
        for (Demand demand : demands(generations)) {
            int slices = slicesNow(buffers.slicesAhead(demand.kind(), demand.count()), demand.stepsLeft());
            budget -= fault(buffers, demand.kind(), demand.count(), Math.min(budget, slices), tasks, stop);
        }
        if (longPromptRead) {
            for (CacheBuffers.Kind kind : buffers.startingKinds()) {
                budget -= fault(buffers, kind, 2, budget, tasks, stop);
            }
        }
    }

    private static int fault(CacheBuffers buffers, CacheBuffers.Kind kind, int count, int slices,
            CacheBuffers.Tasks tasks, BooleanSupplier stop) {
        int done = 0;
        while (done < slices && !stop.getAsBoolean()) {
            int now = buffers.prepareAhead(kind, count, 1, tasks);
            if (now == 0) {
                break;
            }
            done += now;
        }
        return done;
    }

    /** The buffers the caches of {@code generations} grow into within {@link #HORIZON_STEPS} steps, by kind. */
    List<Demand> demands(List<Generation> generations) {
        Map<CacheBuffers.Kind, Demand> byKind = new LinkedHashMap<>();
        for (Generation generation : generations) {
            if (generation.done()) {
                continue;
            }
            SinkCache.NextBuffers next = generation.session().nextCacheBuffers();
            if (next == null || generation.tokensLeftToFeed() <= next.entriesLeft()) {
                continue; // no growth coming, or this generation ends first
            }
            int perStep = generation.prefilling()
                    ? Math.max(1, Math.min(generation.promptLeft(), prefillChunk + prefillChunk / 2)) : 1;
            int stepsLeft = next.entriesLeft() / perStep;
            if (stepsLeft > HORIZON_STEPS) {
                continue;
            }
            CacheBuffers.Kind kind = new CacheBuffers.Kind(next.shape(), next.type());
            Demand had = byKind.get(kind);
            byKind.put(kind, had == null ? new Demand(kind, 2, stepsLeft)
                    : new Demand(kind, had.count() + 2, Math.min(had.stepsLeft(), stepsLeft)));
        }
        return List.copyOf(byKind.values());
    }

    /**
     * Slices to fault in before the next step, with {@code slicesLeft} to go and the first growth {@code stepsLeft}
     * steps away: none while there is time enough at one a step, then as many as finish {@link #MARGIN_STEPS} steps
     * early, at most {@link #MAX_SLICES_PER_STEP}.
     */
    static int slicesNow(int slicesLeft, int stepsLeft) {
        int spread = Math.max(1, stepsLeft - MARGIN_STEPS);
        if (slicesLeft < spread) {
            return 0;
        }
        return Math.min(MAX_SLICES_PER_STEP, (slicesLeft + spread - 1) / spread);
    }
}
