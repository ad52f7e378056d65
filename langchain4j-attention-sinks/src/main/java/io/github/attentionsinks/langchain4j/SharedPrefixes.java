package io.github.attentionsinks.langchain4j;

import io.github.attentionsinks.DecodeScheduler;
import io.github.attentionsinks.Session;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Prompt beginnings that new conversations share (the template's system turn, a system prompt, tool definitions),
 * each encoded once and kept in a session of its own; a new conversation whose prompt starts with one copies its
 * cache entries ({@link Session#startFrom}) and feeds only the rest. A cache entry depends only on the tokens up to
 * it, so the copy is what feeding those tokens would give. A turn that finds no kept beginning encodes it first,
 * alone, and keeps it; turns that start meanwhile with the same beginning wait for that and copy it. At most
 * {@link #CAPACITY} beginnings are kept, the least recently used given up first; each holds a cache of its own length
 * (a new cache's 256 entries at least). Thread-safe.
 */
final class SharedPrefixes implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(SharedPrefixes.class);

    /** Beginnings kept at most: one per system prompt and tool set a server uses. */
    static final int CAPACITY = 4;
    /** Shorter beginnings are not kept: copying saves too little to hold a cache for. */
    static final int MIN_TOKENS = 8;

    /** Token ids as a map key. */
    private record Tokens(int[] ids) {
        @Override
        public boolean equals(Object o) {
            return o instanceof Tokens t && Arrays.equals(ids, t.ids);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(ids);
        }
    }

    /**
     * A kept beginning's session, and how many turns copy from it now: copies run outside this store's lock, side by
     * side, so one given up meanwhile is closed by the last copy done with it.
     */
    private static final class Kept {
        final Session session;
        final int length;
        /** Guarded by the store's lock. */
        int copying;
        boolean dropped;

        Kept(Session session, int length) {
            this.session = session;
            this.length = length;
        }
    }

    /** Beginnings by their tokens, least recently used first. */
    private final LinkedHashMap<Tokens, Kept> kept = new LinkedHashMap<>(8, 0.75f, true);
    /** Beginnings a turn is encoding now; completed when it has kept it or given up. */
    private final Map<Tokens, CompletableFuture<Void>> encoding = new HashMap<>();
    private boolean closed;

    /**
     * How a rebuilt turn begins: {@code copied} tokens came from a kept beginning; when {@code beginning} is not
     * null, this turn encodes that beginning for the others ({@link #keep} when it has, then {@link #release} in any
     * case).
     */
    record Start(int copied, Tokens beginning) {
        boolean encodes() {
            return beginning != null;
        }
    }

    /**
     * Starts the empty {@code session} for a prompt whose first {@code shareable} tokens are a shareable beginning:
     * from the longest kept beginning of {@code ids}; and when none covers the shareable one, either waits for the
     * turn that is encoding it (conversations that start together encode it once) or becomes that turn.
     *
     * @param arrival the turn's announcement to the decode loop, paused while it waits for another turn; or null
     */
    Start start(Session session, int[] ids, int shareable, DecodeScheduler.Arrival arrival) {
        while (true) {
            CompletableFuture<Void> other = null;
            Kept from;
            Start start = null;
            synchronized (this) {
                from = longestKept(ids);
                int held = from == null ? 0 : from.length;
                // A prompt that is all beginning leaves nothing to feed after encoding it: not shared.
                if (closed || shareable < MIN_TOKENS || shareable >= ids.length || held >= shareable) {
                    start = new Start(held, null);
                } else {
                    Tokens beginning = new Tokens(Arrays.copyOf(ids, shareable));
                    other = encoding.get(beginning);
                    if (other == null) {
                        encoding.put(beginning, new CompletableFuture<>());
                        start = new Start(held, beginning);
                    }
                }
                if (start != null && from != null) {
                    from.copying++;
                }
            }
            if (start != null) {
                try {
                    copy(from, session);
                } catch (RuntimeException | Error e) {
                    release(start); // the turns waiting for this one's beginning go on
                    throw e;
                }
                return start;
            }
            if (arrival != null) {
                // The scheduler must not wait for this turn while it waits for that one's steps; it is preparing
                // again as soon as the beginning is kept (resumed in release, before the encoding turn goes on).
                arrival.pause();
                other.whenComplete((done, error) -> arrival.resume());
            }
            other.join(); // always completes: see release
        }
    }

    /**
     * The encoding turn has fed its beginning into {@code fed}: keep it. Its {@link #release} then lets the waiting
     * turns copy it.
     */
    void keep(Start start, Session fed) {
        offer(fed, start.beginning.ids, start.beginning.ids.length);
    }

    /** The encoding turn is done with its beginning, kept or not (a failed turn): the waiting ones go on. */
    synchronized void release(Start start) {
        if (start.encodes()) {
            CompletableFuture<Void> done = encoding.remove(start.beginning);
            if (done != null) {
                done.complete(null);
            }
        }
    }

    /**
     * Starts the empty {@code session} from the longest kept beginning of {@code ids} that leaves at least one token
     * to feed.
     *
     * @return the number of tokens copied, 0 when none is kept
     */
    int startFrom(Session session, int[] ids) {
        return start(session, ids, ids.length, null).copied(); // a whole prompt is not a beginning to encode
    }

    /** Caller holds the lock: the longest kept beginning of {@code ids} that leaves a token to feed, marked used. */
    private Kept longestKept(int[] ids) {
        Tokens best = null;
        for (Tokens t : kept.keySet()) {
            if (t.ids.length < ids.length && (best == null || t.ids.length > best.ids.length)
                    && Arrays.equals(t.ids, 0, t.ids.length, ids, 0, t.ids.length)) {
                best = t;
            }
        }
        return best == null ? null : kept.get(best); // get() also marks it used
    }

    /**
     * Copies {@code from} (null: nothing) into {@code session}, outside the lock: conversations that start together
     * copy side by side, where one at a time under the lock eight took 20–130 ms while the decode loop waited for
     * them (each copy faults in a new cache's memory). {@code from.copying} was counted under the lock.
     */
    private void copy(Kept from, Session session) {
        if (from == null) {
            return;
        }
        try {
            session.startFrom(from.session, from.length);
        } finally {
            synchronized (this) {
                if (--from.copying == 0 && from.dropped) {
                    from.session.close();
                }
            }
        }
    }

    /** Caller holds the lock: gives up a kept beginning, closed now or by the last copy still using it. */
    private void drop(Kept gone) {
        gone.dropped = true;
        if (gone.copying == 0) {
            gone.session.close();
        }
    }

    /**
     * Keeps the first {@code length} of {@code ids} that {@code fed} fed from empty, unless kept already or too short
     * ({@link Session#copyFirst} refuses a cache that evicted). {@code fed} must not be in use by another thread.
     */
    synchronized void offer(Session fed, int[] ids, int length) {
        Tokens key = new Tokens(Arrays.copyOf(ids, length));
        if (closed || length < MIN_TOKENS || kept.containsKey(key)) {
            return;
        }
        Session copy;
        try {
            copy = fed.copyFirst(length);
        } catch (RuntimeException e) {
            // the turn that offers it is done: a beginning not kept only costs later conversations its encoding
            log.warn("Could not keep a prompt beginning of {} tokens for new conversations", length, e);
            return;
        }
        kept.put(key, new Kept(copy, length));
        log.debug("Keeping a prompt beginning of {} tokens for new conversations", length);
        if (kept.size() > CAPACITY) {
            Iterator<Map.Entry<Tokens, Kept>> eldest = kept.entrySet().iterator();
            drop(eldest.next().getValue());
            eldest.remove();
        }
    }

    /** How many first tokens all of {@code a}, {@code b} and {@code c} have in common. */
    static int commonLength(int[] a, int[] b, int[] c) {
        return Math.min(commonLength(a, b), commonLength(a, c));
    }

    private static int commonLength(int[] a, int[] b) {
        int at = Arrays.mismatch(a, b);
        return at < 0 ? a.length : at;
    }

    /** Beginnings kept now. */
    synchronized int size() {
        return kept.size();
    }

    /** Frees every kept beginning; later ones are kept again. */
    synchronized void clear() {
        kept.values().forEach(this::drop);
        kept.clear();
    }

    @Override
    public synchronized void close() {
        closed = true;
        clear();
        encoding.values().forEach(f -> f.complete(null));
        encoding.clear();
    }
}
