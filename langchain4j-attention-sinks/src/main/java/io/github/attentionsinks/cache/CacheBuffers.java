package io.github.attentionsinks.cache;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * A model's CPU cache buffers: those of closed caches, and those a cache outgrew, are kept for a while and handed to
 * the next cache that needs a buffer of the same shape and type, instead of being freed and allocated again.
 *
 * <p>Why: a new buffer is fresh memory that the kernel zeroes page by page as it is first written. A new session's
 * first token writes every layer's rows, so its whole buffer (2 × 11.8 MiB at 512 entries on the SmolLM-135M shape)
 * is faulted in at once: 33–44 ms a session here, inside the step that carries that token (so every session in it
 * waits) or inside the copy of a shared prompt beginning, against 0.5 ms into reused memory (docs/benchmarks.md,
 * "Cache buffers kept for the next conversation": eight new conversations' first tokens came about 0.1 s sooner).
 * Serving engines keep their caches' memory the same way (llama.cpp's server and vLLM allocate it once, up front).
 *
 * <p>What it holds: a buffer is kept for {@link #KEEP_SECONDS} seconds after it is given back, then freed by a timer
 * (so an idle process gives the memory back too). Buffers are reused before any is allocated, so the memory held
 * never exceeds what that model's caches of each shape held at once in that time. A reused buffer keeps what an
 * earlier cache wrote there; caches read only entries they wrote ({@link SinkCache}), so nothing of one conversation
 * reaches another. Every buffer handed out belongs to this pool's manager: closing the pool (with its model) frees
 * them all, in use or kept.
 *
 * <p>Thread-safe: sessions on several threads take and give back buffers at once.
 */
public final class CacheBuffers implements AutoCloseable {
    /** How long a buffer given back is kept for reuse. */
    public static final int KEEP_SECONDS = 30;

    private final NDManager manager;
    private final Map<Key, ArrayDeque<Kept>> kept = new HashMap<>();
    /** Nanoseconds a buffer is kept; tests shorten it. */
    private volatile long keepNanos = TimeUnit.SECONDS.toNanos(KEEP_SECONDS);
    private boolean trimScheduled;
    private boolean closed;

    private record Key(Shape shape, DataType type) {}

    private record Kept(NDArray buffer, long givenBackAt) {}

    /** A pool whose buffers belong to a CPU manager under {@code parent}. */
    public CacheBuffers(NDManager parent) {
        this.manager = parent.newSubManager(Device.cpu());
    }

    /**
     * A buffer of {@code shape} and {@code type}: the one given back most recently, if any is kept, else a new one left
     * uninitialized (and advised to huge pages, {@link HugePages}).
     *
     * @throws IllegalStateException when the pool is closed
     */
    NDArray take(Shape shape, DataType type) {
        synchronized (this) {
            if (closed) {
                throw new IllegalStateException("the model's cache buffers are closed (the model was closed)");
            }
            ArrayDeque<Kept> same = kept.get(new Key(shape, type));
            Kept reused = same == null ? null : same.pollLast();
            if (reused != null) {
                return reused.buffer();
            }
        }
        NDArray buffer = manager.create(shape, type);
        HugePages.advise(buffer.toByteBuffer(true));
        return buffer;
    }

    /** Keeps {@code buffer} (one {@link #take} handed out) for the next cache that needs its shape and type. */
    void giveBack(NDArray buffer) {
        long delay;
        synchronized (this) {
            if (closed) {
                buffer.close();
                return;
            }
            kept.computeIfAbsent(new Key(buffer.getShape(), buffer.getDataType()), k -> new ArrayDeque<>())
                    .addLast(new Kept(buffer, System.nanoTime()));
            if (trimScheduled) {
                return;
            }
            trimScheduled = true;
            delay = keepNanos;
        }
        scheduleTrim(delay);
    }

    /** Frees, after {@code delayNanos}, the buffers kept their time by then, and comes back for the next to expire. */
    private void scheduleTrim(long delayNanos) {
        CompletableFuture.delayedExecutor(delayNanos, TimeUnit.NANOSECONDS).execute(() -> {
            long next;
            synchronized (this) {
                next = closed ? -1 : trim(System.nanoTime());
                trimScheduled = next >= 0;
            }
            if (next >= 0) {
                scheduleTrim(next);
            }
        });
    }

    /** Frees the buffers kept their time by {@code now}; nanoseconds until the next expires, or -1 if none is kept. */
    private long trim(long now) {
        long next = Long.MAX_VALUE;
        for (Iterator<ArrayDeque<Kept>> queues = kept.values().iterator(); queues.hasNext(); ) {
            ArrayDeque<Kept> queue = queues.next();
            // Oldest first: each queue is in the order its buffers came back.
            while (!queue.isEmpty() && now - queue.peekFirst().givenBackAt() >= keepNanos) {
                queue.pollFirst().buffer().close();
            }
            if (queue.isEmpty()) {
                queues.remove();
            } else {
                next = Math.min(next, queue.peekFirst().givenBackAt() + keepNanos - now);
            }
        }
        return next == Long.MAX_VALUE ? -1 : next;
    }

    /** Bytes of the buffers kept for reuse now. */
    public synchronized long keptBytes() {
        long bytes = 0;
        for (ArrayDeque<Kept> queue : kept.values()) {
            for (Kept k : queue) {
                bytes += k.buffer().getShape().size() * k.buffer().getDataType().getNumOfBytes();
            }
        }
        return bytes;
    }

    /** Tests only: how long a buffer given back is kept. */
    void keepNanos(long nanos) {
        keepNanos = nanos;
    }

    /** Frees every buffer this pool handed out, in use or kept. */
    @Override
    public void close() {
        synchronized (this) {
            closed = true;
            kept.clear();
        }
        manager.close();
    }
}
