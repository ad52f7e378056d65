package io.github.attentionsinks.cache;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.IntConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A model's CPU cache buffers: those of closed caches, and those a cache outgrew, are kept for a while and handed to
 * the next cache that needs a buffer of the same shape and type, instead of being freed and allocated again.
 *
 * <p>Why: a new buffer is fresh memory that the kernel zeroes page by page as it is first written. A new session's
 * first token writes every layer's rows, so its whole buffer is faulted in at once (with huge pages): 33–44 ms a
 * session here for 2 × 11.25 MiB (512 entries of the SmolLM-135M shape), inside the step that carries that token (so
 * every session in it waits) or inside the copy of a shared prompt beginning, against 0.5 ms into reused memory
 * (docs/benchmarks.md, "Cache buffers kept for the next conversation": eight new conversations' first tokens came
 * about 0.1 s sooner). Serving engines keep their caches' memory the same way (llama.cpp's server and vLLM allocate
 * it once, up front).
 *
 * <p>What it holds: a buffer is kept for {@link #KEEP_SECONDS} seconds after it is given back, then freed by a timer
 * (so an idle process gives the memory back too, but for the reserve below); the larger buffers a cache goes back from
 * after a long step are freed at once ({@link #release}). Buffers are reused before any is
 * allocated, so the memory held never exceeds what that model's caches of each shape held at once in that time (or, for
 * the reserve, at any time), and the spares below. A reused buffer keeps what an earlier cache wrote there; caches read
 * only entries they wrote ({@link SinkCache}), so nothing of one conversation reaches another. Every buffer handed out
 * belongs to this pool's manager: closing the pool (with its model) frees them all, in use or kept.
 *
 * <p>Spares, made while the model is idle ({@link #prepareSpare}): a buffer handed out fresh because none was kept, or
 * a spare handed out, and not given back since, says that the caches in use grew; the decode loop ({@code
 * DecodeScheduler}), with nothing to run 100 ms after its last step, makes one more such buffer for each (at most
 * {@link #MAX_SPARES} of a shape and type) and writes a byte into each of its pages, so that the next new conversation
 * finds its memory ready instead of faulting it in on its first token. Spares are kept, and expire, like buffers given
 * back; they are made only while all kept buffers come to no more than {@link #SPARE_BYTES} (with a spare's own); a
 * buffer given back beyond the growth still counted takes the place of a spare of its shape, which is freed (the caches
 * shrank back, as after the warm-up's sessions). Sessions run without a decode loop get none. With every kept buffer
 * held by open conversations and new ones 200 ms apart, a new conversation's first token came 22.7–35.9 ms after its
 * request on the SmolLM-135M shape (one 55.2), against 55–65 without spares; with pauses under 100 ms nothing changes
 * (docs/benchmarks.md, "Spare cache buffers made while idle").
 *
 * <p>The reserve ({@link #reserve}): the buffers new caches start with are not freed below as many as {@code caches}
 * new caches take, the decode loop's batch (max batch size), however long the model stays idle. Why: a server sits idle
 * between bursts, and a burst of new conversations after more than {@link #KEEP_SECONDS} seconds found nothing kept and
 * faulted all of its caches in inside its first steps: eight new conversations 35 s after the model was built made
 * 167–182 tokens/s, most of their first tokens after 431–532 ms, against 203–207 tokens/s and 234–266 ms with the
 * reserve (SmolLM-135M shape, docs/benchmarks.md, "Cache memory for a batch kept while idle"). The reserve holds only
 * buffers that caches gave back, never more than a batch of new caches held at once; buffers of other shapes (those
 * caches grow into, or a cache made larger for a long first step) still expire. llama.cpp's server and vLLM hold their
 * whole cache for as long as they run.
 *
 * <p>Buffers made ahead of a growth ({@link #prepareAhead}): a cache that outgrows its buffers copies itself into
 * bigger ones inside a step, and when those are fresh memory every session in that step waits while they are faulted
 * in: on the SmolLM-135M shape a conversation growing from 512 to 1,024 entries stalled a step for 185 ms, and from
 * 1,024 to its largest size (2,304, after a long paste) for 340–360 ms (docs/benchmarks.md, "Cache growth faulted in
 * ahead"). The decode loop, which knows how far each cache is from growing, has the buffers it will grow into made a
 * slice at a time between its steps; they are kept like buffers given back, so the growth takes them. A buffer not
 * finished by then goes, as it is, only to the thread that was faulting it (which is not faulting while it takes it);
 * its rest faults in as it is written.
 *
 * <p>Thread-safe: sessions on several threads take and give back buffers at once.
 */
public final class CacheBuffers implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(CacheBuffers.class);
    /** How long a buffer given back is kept for reuse. */
    public static final int KEEP_SECONDS = 30;
    /** Growth counted at most for one shape and type, so spares made at most before the caches take some. */
    static final int MAX_SPARES = 8;
    /** Spares are made only while the buffers kept, the spare's own included, come to no more than this. */
    static final long SPARE_BYTES = 256L << 20;
    /** Pages are written one in this many bytes: the smallest page size, so every page is faulted in. */
    private static final int PAGE = 4096;
    /** A spare's pages are written this many bytes at a time between two looks for work: one 2 MiB huge page. */
    private static final int SLICE = 2 << 20;

    private final NDManager manager;
    private final Map<Kind, ArrayDeque<Kept>> kept = new HashMap<>();
    /**
     * Buffers handed out fresh, or spares handed out, and not balanced by one given back since: the caches' growth,
     * which {@link #prepareSpare} makes as many spares for.
     */
    private final Map<Kind, Integer> grown = new HashMap<>();
    /** Nanoseconds a buffer is kept; tests shorten it. */
    private volatile long keepNanos = TimeUnit.SECONDS.toNanos(KEEP_SECONDS);
    /** {@link #SPARE_BYTES}; tests lower it. */
    private volatile long spareBytes = SPARE_BYTES;
    private boolean trimScheduled;
    /** New caches whose starting buffers are kept past {@link #KEEP_SECONDS} ({@link #reserve}). */
    private int reservedCaches;
    /** Shapes and types new caches start with: those {@link #take} handed out with {@code startsCache}. */
    private final Set<Kind> starting = new HashSet<>();
    /** Guarded by the lock: buffers {@link #take} handed out fresh. */
    private long freshTakes;
    /** Buffers being made ahead of a growth ({@link #prepareAhead}), one of each shape and type at most. */
    private final Map<Kind, Ahead> ahead = new HashMap<>();
    /** Written under the lock; read without it between two slices of a spare ({@link #prepareSpare}). */
    private volatile boolean closed;
    /** Guarded by the lock: a spare is being made, and {@link #close} waits for it. */
    private boolean preparing;

    /** A buffer's shape and entry type: buffers of the same kind stand in for each other. */
    public record Kind(Shape shape, DataType type) {}

    /** A buffer kept since {@code givenBackAt}: one given back, or a {@code spare} (a buffer given back frees one). */
    private record Kept(NDArray buffer, long givenBackAt, boolean spare) {}

    /** A buffer {@code maker} is faulting in ahead of a growth, its first {@code faulted} bytes done. */
    private static final class Ahead {
        final NDArray buffer;
        final Thread maker;
        long faulted;

        Ahead(NDArray buffer, Thread maker) {
            this.buffer = buffer;
            this.maker = maker;
        }
    }

    /** A pool whose buffers belong to a CPU manager under {@code parent}. */
    public CacheBuffers(NDManager parent) {
        this.manager = parent.newSubManager(Device.cpu());
    }

    /**
     * Keeps the starting buffers of at least {@code caches} new caches past {@link #KEEP_SECONDS}, for as long as the
     * pool lives (see the class comment); the largest number asked for counts.
     */
    public synchronized void reserve(int caches) {
        reservedCaches = Math.max(reservedCaches, caches);
    }

    /** New caches whose starting buffers are kept however long they wait ({@link #reserve}). */
    public synchronized int reservedCaches() {
        return reservedCaches;
    }

    /**
     * A buffer of {@code shape} and {@code type}: the one given back most recently, if any is kept, else a new one left
     * uninitialized (and advised to huge pages, {@link HugePages}).
     *
     * @param startsCache whether a new cache starts with it (its shape and type then fall under {@link #reserve}), not
     *     grows into it
     * @throws IllegalStateException when the pool is closed
     */
    NDArray take(Shape shape, DataType type, boolean startsCache) {
        Kind key = new Kind(shape, type);
        synchronized (this) {
            if (closed) {
                throw new IllegalStateException("the model's cache buffers are closed (the model was closed)");
            }
            if (startsCache) {
                starting.add(key);
            }
            ArrayDeque<Kept> same = kept.get(key);
            Kept reused = same == null ? null : same.pollLast();
            if (reused != null) {
                if (reused.spare()) {
                    grow(key); // still growing: one more
                }
                return reused.buffer();
            }
            Ahead unfinished = ahead.get(key);
            if (unfinished != null && unfinished.maker == Thread.currentThread()) {
                ahead.remove(key); // not being written now: this thread is here, not faulting it
                return unfinished.buffer;
            }
            grow(key);
            freshTakes++;
        }
        return allocate(key);
    }

    private NDArray allocate(Kind key) {
        NDArray buffer = manager.create(key.shape(), key.type());
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
            Kind key = new Kind(buffer.getShape(), buffer.getDataType());
            if (!shrink(key)) {
                freeOneSpare(key); // the caches shrank back: this buffer stands in for a spare made for them
            }
            delay = keep(key, buffer, false);
        }
        if (delay >= 0) {
            scheduleTrim(delay);
        }
    }

    /**
     * Frees {@code buffer} (one {@link #take} handed out) at once instead of keeping it: a cache that went back to
     * smaller buffers ({@link SinkCache}) would otherwise hold both sizes for {@link #KEEP_SECONDS} seconds.
     */
    void release(NDArray buffer) {
        synchronized (this) {
            if (!closed) {
                shrink(new Kind(buffer.getShape(), buffer.getDataType()));
            }
        }
        buffer.close();
    }

    /** Caller holds the lock: counts one more buffer of {@code key} the caches grew by, up to {@link #MAX_SPARES}. */
    private void grow(Kind key) {
        grown.merge(key, 1, (had, one) -> Math.min(MAX_SPARES, had + one));
    }

    /** Caller holds the lock: counts one buffer of {@code key} less; whether any was counted. */
    private boolean shrink(Kind key) {
        Integer count = grown.get(key);
        if (count == null) {
            return false;
        }
        if (count > 1) {
            grown.put(key, count - 1);
        } else {
            grown.remove(key);
        }
        return true;
    }

    /** Caller holds the lock: frees a kept spare of {@code key}, if there is one. */
    private void freeOneSpare(Kind key) {
        ArrayDeque<Kept> same = kept.get(key);
        if (same == null) {
            return;
        }
        for (Iterator<Kept> it = same.iterator(); it.hasNext(); ) {
            Kept k = it.next();
            if (k.spare()) {
                it.remove();
                k.buffer().close();
                return;
            }
        }
    }

    /** Caller holds the lock: keeps {@code buffer}; the delay of the trim to schedule, or -1 if one is. */
    private long keep(Kind key, NDArray buffer, boolean spare) {
        kept.computeIfAbsent(key, k -> new ArrayDeque<>()).addLast(new Kept(buffer, System.nanoTime(), spare));
        if (trimScheduled) {
            return -1;
        }
        trimScheduled = true;
        return keepNanos;
    }

    /** Whether {@link #prepareSpare} has a spare to make: the caches grew since it last ran. */
    public synchronized boolean sparesWanted() {
        return !closed && !grown.isEmpty();
    }

    /**
     * Makes one spare buffer, of a shape and type the caches grew by since the last spares were made (see the class
     * comment), and keeps it for the next cache that needs one; meant for a thread that has nothing else to do (the
     * decode loop when idle). Its pages are faulted in {@link #SLICE} bytes at a time, and {@code workWaiting} is asked
     * between two: once it says yes, the buffer is freed and not made again (a cache that took it half faulted in
     * would fault the rest in its first step, beside the work that came), and the call returns within one slice's
     * faults (3.5 ms here) of the work coming in.
     *
     * @return whether another spare is wanted ({@link #sparesWanted})
     */
    public boolean prepareSpare(BooleanSupplier workWaiting) {
        Kind key;
        synchronized (this) {
            if (closed || grown.isEmpty()) {
                return false;
            }
            key = grown.keySet().iterator().next();
            shrink(key);
            if (keptBytesLocked() + bytes(key.shape(), key.type()) > spareBytes) {
                return !grown.isEmpty(); // over the budget: this one is not made
            }
            preparing = true;
        }
        long started = System.nanoTime();
        NDArray buffer = null;
        try {
            buffer = allocate(key);
            if (!faultIn(buffer.toByteBuffer(true), () -> closed || workWaiting.getAsBoolean())) {
                // Cut short: a cache that took it would fault the rest in its first step, beside the work that came.
                // Not tried again until caches grow again, or every short pause between steps would fault a slice.
                buffer.close();
                buffer = null;
            }
        } catch (RuntimeException e) {
            log.warn("Could not make a spare cache buffer of {} {} ({}); none is made until caches grow again",
                    key.shape(), key.type(), e.toString());
            if (buffer != null) {
                buffer.close();
                buffer = null;
            }
            synchronized (this) {
                grown.clear();
            }
        }
        long delay = -1;
        synchronized (this) {
            preparing = false;
            notifyAll(); // a close waiting for this call
            if (buffer != null) {
                if (closed) {
                    buffer.close();
                    return false;
                }
                delay = keep(key, buffer, true);
            }
        }
        if (delay >= 0) {
            scheduleTrim(delay);
        }
        if (buffer != null && log.isDebugEnabled()) {
            log.debug("Made a spare cache buffer of {} {} in {} ms", key.shape(), key.type(),
                    (System.nanoTime() - started) / 1_000_000);
        }
        return sparesWanted();
    }

    /**
     * Slices ({@link #SLICE} bytes each) still to fault in before {@code count} buffers of {@code kind} are kept
     * ready: 0 when as many are kept already (given back, spares, or made ahead).
     */
    public synchronized int slicesAhead(Kind kind, int count) {
        ArrayDeque<Kept> same = kept.get(kind);
        int missing = count - (same == null ? 0 : same.size());
        if (closed || missing <= 0) {
            return 0;
        }
        long perBuffer = slices(bytes(kind.shape(), kind.type()));
        Ahead unfinished = ahead.get(kind);
        long done = unfinished == null ? 0 : unfinished.faulted / SLICE;
        return (int) Math.min(Integer.MAX_VALUE, missing * perBuffer - done);
    }

    /**
     * Faults in up to {@code slices} slices of one buffer of {@code kind}, as {@code tasks} runs them
     * (on several threads), unless {@code count} such buffers are kept ready already; meant for the decode loop between
     * two steps (see the class comment). A buffer finished is kept like one given back; one unfinished waits for the
     * next call, or goes to this thread's next {@link #take} of its kind.
     *
     * @return the slices faulted in: 0 when {@code count} are ready, or the pool is closed
     */
    public int prepareAhead(Kind kind, int count, int slices, Tasks tasks) {
        long size = bytes(kind.shape(), kind.type());
        Ahead making;
        synchronized (this) {
            ArrayDeque<Kept> same = kept.get(kind);
            if (closed || slices < 1 || (same == null ? 0 : same.size()) >= count) {
                return 0;
            }
            making = ahead.get(kind);
            if (making == null) {
                making = new Ahead(allocate(kind), Thread.currentThread());
                ahead.put(kind, making);
            }
            preparing = true;
        }
        ByteBuffer memory = making.buffer.toByteBuffer(true);
        long from = making.faulted;
        long end = Math.min(size, from + (long) slices * SLICE);
        int done = (int) slices(end - from);
        long delay = -1;
        try {
            // Half slices, so that even one slice goes on two threads (they fault fresh memory 1.9x as fast as one).
            int half = SLICE / 2;
            tasks.forEach((int) ((end - from + half - 1) / half), k -> faultIn(memory, (int) (from + (long) k * half),
                    (int) Math.min(end, from + (long) (k + 1) * half)));
        } finally {
            synchronized (this) {
                preparing = false;
                notifyAll(); // a close waiting for this call
                if (!closed) { // else closing freed the pool's memory, this buffer's too
                    making.faulted = end;
                    if (end == size) {
                        ahead.remove(kind);
                        delay = keep(kind, making.buffer, false);
                    }
                }
            }
        }
        if (delay >= 0) {
            scheduleTrim(delay);
        }
        return done;
    }

    /** The kinds of buffer new caches start with (those {@link #take} handed out for one). */
    public synchronized List<Kind> startingKinds() {
        return List.copyOf(starting);
    }

    /** Runs tasks {@code 0} to {@code count - 1}, on as many threads as it has, and returns once all are done. */
    @FunctionalInterface
    public interface Tasks {
        void forEach(int count, IntConsumer task);
    }

    private static long slices(long bytes) {
        return (bytes + SLICE - 1) / SLICE;
    }

    /** Writes a zero into each page of {@code direct} from {@code from} to {@code to}, which must start a page. */
    private static void faultIn(ByteBuffer direct, int from, int to) {
        for (int page = from; page < to; page += PAGE) {
            direct.put(page, (byte) 0);
        }
    }

    /** Writes a zero into each page of {@code direct} unless {@code stop} says so between two slices; whether done. */
    private static boolean faultIn(ByteBuffer direct, BooleanSupplier stop) {
        for (int slice = 0; slice < direct.capacity(); slice += SLICE) {
            if (stop.getAsBoolean()) {
                return false;
            }
            faultIn(direct, slice, (int) Math.min(direct.capacity(), (long) slice + SLICE));
        }
        return true;
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

    /**
     * Frees the buffers kept their time by {@code now}, but the reserve ({@link #reserve}); nanoseconds until the next
     * expires, or -1 if none will.
     */
    private long trim(long now) {
        long next = Long.MAX_VALUE;
        for (Iterator<Map.Entry<Kind, ArrayDeque<Kept>>> queues = kept.entrySet().iterator(); queues.hasNext(); ) {
            Map.Entry<Kind, ArrayDeque<Kept>> same = queues.next();
            ArrayDeque<Kept> queue = same.getValue();
            // A new cache takes two buffers of each shape it starts with: keys and values, or sink keys and values.
            int reserved = starting.contains(same.getKey()) ? 2 * reservedCaches : 0;
            // Oldest first: each queue is in the order its buffers came back, and the newest are taken first.
            while (queue.size() > reserved && now - queue.peekFirst().givenBackAt() >= keepNanos) {
                queue.pollFirst().buffer().close();
            }
            if (queue.isEmpty()) {
                queues.remove();
            } else if (queue.size() > reserved) {
                next = Math.min(next, queue.peekFirst().givenBackAt() + keepNanos - now);
            }
        }
        return next == Long.MAX_VALUE ? -1 : next;
    }

    /**
     * Buffers handed out fresh so far, none being kept: each one a cache that waited while its memory was faulted in
     * (in a step, or before a first token).
     */
    public synchronized long freshTakes() {
        return freshTakes;
    }

    /** Bytes of the buffers kept for reuse now, those being made ahead of a growth included. */
    public synchronized long keptBytes() {
        return keptBytesLocked();
    }

    private long keptBytesLocked() {
        long bytes = 0;
        for (Map.Entry<Kind, ArrayDeque<Kept>> same : kept.entrySet()) {
            bytes += same.getValue().size() * bytes(same.getKey().shape(), same.getKey().type());
        }
        for (Kind key : ahead.keySet()) {
            bytes += bytes(key.shape(), key.type());
        }
        return bytes;
    }

    private static long bytes(Shape shape, DataType type) {
        return shape.size() * type.getNumOfBytes();
    }

    /** Tests only: the most bytes kept with spares made ({@link #SPARE_BYTES}). */
    void spareBytes(long bytes) {
        spareBytes = bytes;
    }

    /** Tests only: how long a buffer given back is kept. */
    void keepNanos(long nanos) {
        keepNanos = nanos;
    }

    /** Frees every buffer this pool handed out, in use or kept. */
    @Override
    public void close() {
        boolean interrupted = false;
        synchronized (this) {
            closed = true;
            kept.clear();
            grown.clear();
            ahead.clear();
            while (preparing) { // writing into a spare's memory, which closing the manager frees: one slice at most
                try {
                    wait();
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        }
        manager.close();
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
