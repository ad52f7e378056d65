package io.github.attentionsinks.langchain4j;

import io.github.attentionsinks.CapacityExceededException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiFunction;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Conversations by memory id, each with a state of its own (created on first use, closed when evicted). Requests of
 * one id run one after another in arrival order; different ids run in parallel on a shared worker pool, fairly (an
 * id goes to the back after each request). Bounded three ways: by count (beyond {@code maxSessions} the least
 * recently used idle states are closed), by idle time, and by queued requests (beyond {@code maxQueued} a request is
 * refused at once with {@link CapacityExceededException}).
 *
 * <p>Knows nothing of models or chat: the engine hands it states and requests.
 */
final class SessionRegistry<S extends SessionRegistry.State> implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(SessionRegistry.class);
    private static final AtomicInteger POOLS = new AtomicInteger();

    /** What the registry keeps per id; closed when the id is evicted. */
    interface State {
        void close();
    }

    /** A request queued for one id. */
    interface Request<S> {
        /**
         * Runs on a worker thread with the id's state; returns the final callback, delivered once the id is marked
         * idle (so a caller that got its reply finds the conversation free), or null.
         */
        Runnable run(S state, Object key);

        /** The request will never run: the registry was closed before its turn. */
        void refuse(Throwable error);
    }

    /** Limits and threads. */
    record Limits(int workerThreads, int maxSessions, Duration idleTimeout, int maxQueued) {}

    private final Limits limits;
    private final Supplier<S> newState;
    private final ExecutorService workers;
    private final ScheduledExecutorService sweeper;
    private final Object lock = new Object();
    /** Access-ordered: iteration starts at the least recently used slot. Guarded by {@link #lock}. */
    private final LinkedHashMap<Object, Slot> slots = new LinkedHashMap<>(16, 0.75f, true);
    private final AtomicLong anonymousIds = new AtomicLong();
    /** Requests queued or running, all ids together. Guarded by {@link #lock}. */
    private int queued;
    private boolean closed;

    SessionRegistry(Limits limits, Supplier<S> newState) {
        this.limits = limits;
        this.newState = newState;
        int pool = POOLS.incrementAndGet();
        AtomicInteger n = new AtomicInteger();
        this.workers = Executors.newFixedThreadPool(limits.workerThreads(), r -> {
            Thread t = new Thread(r, "attention-sink-chat-" + pool + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        this.sweeper = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "attention-sink-chat-" + pool + "-sweeper");
            t.setDaemon(true);
            return t;
        });
        long period = Math.max(100, Math.min(60_000, limits.idleTimeout().toMillis() / 4));
        sweeper.scheduleWithFixedDelay(this::evictIdle, period, period, TimeUnit.MILLISECONDS);
    }

    /** An entry of a slot's queue: a request, or an eviction queued behind running work. */
    private record Entry<S>(Request<S> request) {
        boolean eviction() {
            return request == null;
        }
    }

    /** One id: its queue and its state. Queue and flags are guarded by the registry's lock. */
    private final class Slot {
        final Object key;
        final boolean anonymous;
        final ArrayDeque<Entry<S>> queue = new ArrayDeque<>();
        /** Set by an eviction queued behind running work: drop the slot once nothing else is queued. */
        boolean removeWhenIdle;
        /** A drain task is queued or running on the pool. */
        boolean scheduled;
        boolean running;
        long lastUsedNanos = System.nanoTime();
        /** Touched only by the request that runs, or under the lock when idle. */
        volatile S state = newState.get();

        Slot(Object key, boolean anonymous) {
            this.key = key;
            this.anonymous = anonymous;
        }

        boolean idle() {
            return !scheduled && !running && queue.isEmpty();
        }
    }

    /**
     * Queues a request behind the earlier ones of its id and returns at once.
     *
     * @param memoryId the conversation, or null to match by content: an anonymous conversation whose state
     *     {@code continues} accepts is reused, otherwise a new one ({@code anonymous-N}) is opened
     * @return whether a worker takes the request up now; false when it waits behind earlier ones of its id, or for
     *     a worker
     * @throws CapacityExceededException when {@code maxQueued} requests are already queued or running
     * @throws IllegalStateException when the registry is closed
     */
    boolean submit(Object memoryId, Predicate<S> continues, Request<S> request) {
        synchronized (lock) {
            if (closed) {
                throw new IllegalStateException("this chat model is closed");
            }
            if (queued >= limits.maxQueued()) {
                throw new CapacityExceededException("this chat model already has " + queued + " requests queued or "
                        + "running (maxQueuedRequests); retry later, or raise maxQueuedRequests or maxBatchSize");
            }
            queued++;
            Slot slot = memoryId != null ? namedSlot(memoryId) : anonymousSlot(continues);
            slot.queue.addLast(new Entry<>(request));
            boolean first = !slot.scheduled;
            boolean workerFree = scheduledSlots() < limits.workerThreads();
            if (first) {
                slot.scheduled = true;
                schedule(slot);
            }
            evictOverflow();
            return first && workerFree;
        }
    }

    /** Caller holds {@link #lock}. */
    private Slot namedSlot(Object memoryId) {
        Slot slot = slots.get(memoryId);
        if (slot == null) {
            slot = new Slot(memoryId, false);
            slots.put(memoryId, slot);
        }
        return slot;
    }

    /** Caller holds {@link #lock}. */
    private Slot anonymousSlot(Predicate<S> continues) {
        for (Slot slot : slots.values()) {
            if (slot.anonymous && continues.test(slot.state)) {
                slots.get(slot.key); // touch: most recently used
                return slot;
            }
        }
        Object key = "anonymous-" + anonymousIds.incrementAndGet();
        Slot slot = new Slot(key, true);
        slots.put(key, slot);
        return slot;
    }

    private void schedule(Slot slot) {
        try {
            workers.execute(() -> drainOne(slot));
        } catch (RejectedExecutionException e) {
            refuseQueued(slot, new IllegalStateException("this chat model is closed"));
        }
    }

    /**
     * Runs the slot's next entry, marks the slot free, delivers the request's final callback, then re-queues the
     * slot behind other ids' work (fair between ids; an id's callbacks stay in request order).
     */
    private void drainOne(Slot slot) {
        Entry<S> entry;
        synchronized (lock) {
            entry = slot.queue.pollFirst();
            if (entry == null) {
                slot.scheduled = false;
                return;
            }
            slot.running = true;
        }
        Runnable deliver = null;
        boolean more;
        try {
            if (entry.eviction()) {
                slot.state.close();
                slot.state = newState.get();
                slot.removeWhenIdle = true;
            } else {
                slot.removeWhenIdle = false;
                deliver = entry.request().run(slot.state, slot.key);
            }
        } catch (Throwable t) {
            log.error("Unexpected failure in a chat turn of session {}", slot.key, t);
        } finally {
            synchronized (lock) {
                if (!entry.eviction()) {
                    queued--;
                }
                slot.running = false;
                slot.lastUsedNanos = System.nanoTime();
                more = !slot.queue.isEmpty();
                if (!more) {
                    slot.scheduled = false;
                    if (closed || slot.removeWhenIdle) {
                        if (slots.get(slot.key) == slot && !closed) {
                            slots.remove(slot.key);
                        }
                        slot.state.close();
                    }
                }
            }
        }
        if (deliver != null) {
            try {
                deliver.run();
            } catch (Throwable t) {
                log.warn("A response handler threw; ignored", t);
            }
        }
        if (more) {
            synchronized (lock) {
                schedule(slot);
            }
        }
    }

    /**
     * Caller holds {@link #lock}: the pool's tasks, queued or running, one per {@link Slot#scheduled} slot (only idle
     * slots leave the map).
     */
    private int scheduledSlots() {
        int n = 0;
        for (Slot s : slots.values()) {
            if (s.scheduled) {
                n++;
            }
        }
        return n;
    }

    private void refuseQueued(Slot slot, Throwable error) {
        List<Entry<S>> entries;
        synchronized (lock) {
            entries = new ArrayList<>(slot.queue);
            slot.queue.clear();
            slot.scheduled = false;
            queued -= (int) entries.stream().filter(e -> !e.eviction()).count();
        }
        for (Entry<S> e : entries) {
            if (!e.eviction()) {
                e.request().refuse(error);
            }
        }
    }

    /** Closes least recently used idle states while there are more than maxSessions. Caller holds the lock. */
    private void evictOverflow() {
        int excess = slots.size() - limits.maxSessions();
        if (excess <= 0) {
            return;
        }
        Iterator<Slot> it = slots.values().iterator();
        while (excess > 0 && it.hasNext()) {
            Slot s = it.next();
            if (s.idle()) {
                it.remove();
                s.state.close();
                excess--;
                log.debug("Evicted session {} (more than {} sessions)", s.key, limits.maxSessions());
            }
        }
    }

    private void evictIdle() {
        long now = System.nanoTime();
        long limit = limits.idleTimeout().toNanos();
        synchronized (lock) {
            Iterator<Slot> it = slots.values().iterator();
            while (it.hasNext()) {
                Slot s = it.next();
                if (s.idle() && now - s.lastUsedNanos >= limit) {
                    it.remove();
                    s.state.close();
                    log.debug("Evicted session {} (idle for {})", s.key, limits.idleTimeout());
                }
            }
        }
    }

    /**
     * Forgets a conversation and closes its state. A busy one is evicted after the requests already queued for it
     * (requests that arrive later start afresh).
     *
     * @return true when the id had a state
     */
    boolean evict(Object memoryId) {
        synchronized (lock) {
            Slot slot = slots.get(memoryId);
            if (slot == null) {
                return false;
            }
            if (slot.idle()) {
                slots.remove(memoryId);
                slot.state.close();
            } else {
                slot.queue.addLast(new Entry<>(null));
            }
            log.debug("Evicted session {} on request", memoryId);
            return true;
        }
    }

    void evictAll() {
        List<Object> keys;
        synchronized (lock) {
            keys = new ArrayList<>(slots.keySet());
        }
        for (Object k : keys) {
            evict(k);
        }
    }

    Set<Object> ids() {
        synchronized (lock) {
            return Set.copyOf(slots.keySet());
        }
    }

    /** Applies {@code view} to an id's state under the lock, without making it the most recently used. */
    <T> Optional<T> inspect(Object memoryId, BiFunction<Object, S, T> view) {
        synchronized (lock) {
            Slot slot = slots.entrySet().stream().filter(e -> Objects.equals(e.getKey(), memoryId))
                    .map(Map.Entry::getValue).findFirst().orElse(null);
            return slot == null ? Optional.empty() : Optional.ofNullable(view.apply(slot.key, slot.state));
        }
    }

    /**
     * Refuses what is queued, waits up to 30 s for the running requests, then closes every state. Idempotent.
     */
    @Override
    public void close() {
        List<Slot> all;
        synchronized (lock) {
            if (closed) {
                return;
            }
            closed = true;
            all = new ArrayList<>(slots.values());
        }
        sweeper.shutdownNow();
        for (Slot s : all) {
            refuseQueued(s, new IllegalStateException("the chat model was closed before this request ran"));
        }
        workers.shutdown();
        try {
            if (!workers.awaitTermination(30, TimeUnit.SECONDS)) {
                log.warn("Chat turns still running 30 s after close(); their sessions are not freed");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        synchronized (lock) {
            for (Slot s : slots.values()) {
                if (!s.running) {
                    s.state.close();
                }
            }
            slots.clear();
        }
    }
}
