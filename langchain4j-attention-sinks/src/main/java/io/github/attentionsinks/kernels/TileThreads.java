package io.github.attentionsinks.kernels;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Runs a product's tiles on the calling thread and {@code threads − 1} helpers. Tiles are claimed in chunks from a
 * shared counter, so a helper that wakes late (or is descheduled) only does less of the work instead of making the
 * caller wait for its half. Helpers spin briefly between products (a decode step runs a few hundred of them,
 * microseconds apart, and waking a parked thread costs tens of microseconds) and park when idle, so an idle model
 * burns no CPU. One product at a time uses the helpers; a caller that finds them busy (another session's step on
 * the non-batched path) computes its product alone.
 */
final class TileThreads implements AutoCloseable {
    /** How long an idle helper spins before it parks: {@code -Dattentionsinks.kernelSpinMicros}, default 200. */
    private static final long SPIN_NANOS = Long.getLong("attentionsinks.kernelSpinMicros", 200) * 1_000;

    /** A range of tiles {@code [from, to)} to compute. */
    interface TileRange {
        void run(int from, int to);
    }

    /** One product: its tiles, handed out {@code chunk} at a time. */
    private static final class Job {
        final TileRange range;
        final int tiles;
        final int chunk;
        final AtomicInteger next = new AtomicInteger();
        final AtomicInteger done = new AtomicInteger();
        volatile Throwable failure;

        Job(TileRange range, int tiles, int chunk) {
            this.range = range;
            this.tiles = tiles;
            this.chunk = chunk;
        }

        /**
         * Claims and computes chunks until none is left, then counts them done all at once: one write to the shared
         * count per thread rather than per claim, since each write moves its cache line between the cores (a decode
         * step of the SmolLM-135M shape makes 2,000–3,200 claims; docs/benchmarks.md, "Serial work of a batched
         * step"). After a failure, on any thread, the chunks left are still claimed and counted but not computed: the
         * product has failed, and the caller's wait ends only once every tile is counted, whether or not another
         * thread takes part.
         */
        void work() {
            int from;
            int computed = 0;
            while ((from = next.getAndAdd(chunk)) < tiles) {
                int to = Math.min(tiles, from + chunk);
                computed += to - from;
                if (failure == null) {
                    try {
                        range.run(from, to);
                    } catch (Throwable e) {
                        failure = e;
                    }
                }
            }
            done.addAndGet(computed);
        }
    }

    private final Thread[] helpers;
    /** 1 while helper h parks or is about to; volatile, so that run() and the helper see each other's writes. */
    private final AtomicIntegerArray parked;
    private final ReentrantLock lock = new ReentrantLock();
    private volatile Job current;
    private volatile boolean closed;

    TileThreads(int threads) {
        helpers = new Thread[Math.max(0, threads - 1)];
        parked = new AtomicIntegerArray(helpers.length);
        for (int h = 0; h < helpers.length; h++) {
            int index = h;
            helpers[h] = new Thread(() -> helperLoop(index), "attention-sinks-kernel-" + (h + 1));
            helpers[h].setDaemon(true);
            helpers[h].start();
        }
    }

    int threads() {
        return helpers.length + 1;
    }

    /**
     * Runs {@code range} over {@code [0, tiles)} on the threads, {@code chunk} tiles per claim (a claim is one atomic
     * add; the last claim is what the others wait for); returns when all of it is done.
     */
    void run(int tiles, int chunk, TileRange range) {
        int threads = helpers.length + 1;
        if (threads == 1 || tiles < threads || !lock.tryLock()) {
            range.run(0, tiles);
            return;
        }
        try {
            Job job = new Job(range, tiles, chunk);
            current = job;
            for (int h = 0; h < helpers.length; h++) {
                if (parked.get(h) == 1) {
                    LockSupport.unpark(helpers[h]);
                }
            }
            job.work();
            while (job.done.get() < tiles) {
                Thread.onSpinWait();
            }
            current = null;
            // A task's own exception as it is, whichever thread ran the task: callers tell failures apart by type
            // (a float16 cache's ValueOutOfRangeException), as they do when a product runs on the caller alone.
            Throwable failed = job.failure;
            if (failed instanceof RuntimeException e) {
                throw e;
            }
            if (failed instanceof Error e) {
                throw e;
            }
            if (failed != null) {
                throw new IllegalStateException("a kernel thread failed: " + failed, failed);
            }
        } finally {
            lock.unlock();
        }
    }

    private void helperLoop(int index) {
        Job seen = null;
        while (true) {
            Job job;
            long spinStart = System.nanoTime();
            while (((job = current) == null || job == seen) && !closed) {
                if (System.nanoTime() - spinStart < SPIN_NANOS) {
                    Thread.onSpinWait();
                    continue;
                }
                // Dekker-style with run(): it publishes the job then reads parked; we set parked then re-read it.
                parked.set(index, 1);
                Job again = current;
                if ((again == null || again == seen) && !closed) {
                    LockSupport.park(this);
                }
                parked.set(index, 0);
                spinStart = System.nanoTime();
            }
            if (closed) {
                return;
            }
            seen = job;
            job.work();
        }
    }

    @Override
    public void close() {
        closed = true;
        for (Thread helper : helpers) {
            LockSupport.unpark(helper);
        }
    }
}
