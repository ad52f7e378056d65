package io.github.attentionsinks;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.github.attentionsinks.arch.CausalLm;
import io.github.attentionsinks.cache.CacheConfig;
import io.github.attentionsinks.cache.SinkCache;
import io.github.attentionsinks.generate.GenerationParams;
import io.github.attentionsinks.generate.GenerationResult;
import io.github.attentionsinks.generate.TokenListener;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One endless token stream over a loaded model, with its own attention-sink cache. Feed tokens with
 * {@link #append}, or generate with {@link #generate}; each call encodes only what is new, so a
 * conversation's turns cost their own tokens only.
 *
 * <p>Not thread-safe: use one session per conversation (different sessions may run concurrently).
 * A call that fails leaves the session as it was before that call's failing step.
 */
public final class Session implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Session.class);

    private final AttentionSinkModel model;
    private final CausalLm network;
    private final SinkCache cache;
    private final NDManager manager;
    /** A sampled token not yet fed (generation stops before feeding its last token); fed first next time. */
    private int pendingToken = -1;
    private boolean warnedPastContext;

    Session(AttentionSinkModel model, CacheConfig config) {
        this.model = model;
        this.network = model.network();
        this.manager = model.manager().newSubManager();
        CausalLm.CacheShape shape = network.cacheShape();
        int chunk = config.bounded() ? config.windowSize() : 512;
        DataType cacheType = model.cacheDtype().dataType();
        this.cache = new SinkCache(config, shape.layers(), shape.kvHeads(), shape.headDim(), cacheType,
                model.device(), network.keyShifter(), chunk, manager, network.keyBlock(cacheType),
                model.cacheBuffers());
    }

    public AttentionSinkModel model() {
        return model;
    }

    public CacheConfig cacheConfig() {
        return cache.config();
    }

    /** Tokens consumed since the session began, evicted ones included. */
    public long streamLength() {
        return cache.streamLength() + (pendingToken >= 0 ? 1 : 0);
    }

    /** Tokens currently in the cache (at most S + W in bounded modes). */
    public int cacheLength() {
        return cache.length();
    }

    /** Native bytes held by this session's KV cache. */
    public long cacheBytes() {
        return cache.allocatedBytes();
    }

    /** Forgets the stream: the next token is position 0 again. */
    public void reset() {
        cache.clear();
        pendingToken = -1;
        warnedPastContext = false;
    }

    /**
     * Makes this new (or {@link #reset}) session continue from the first {@code tokens} tokens {@code source} fed, as
     * if it had fed them itself, by copying their cache entries instead of computing them: the next token fed takes
     * position {@code tokens}. A server starting many conversations with the same system prompt encodes it once.
     * {@code source} must not be used by another thread meanwhile, and must not have evicted anything yet. A session
     * without cache buffers yet gets them for twice {@code tokens} at least, since the stream goes on from there.
     *
     * @throws IllegalStateException if this session has fed anything since it began or was reset
     * @throws IllegalArgumentException if {@code source} belongs to another model, has another cache policy, has
     *     evicted, or fed fewer than {@code tokens} tokens into its cache
     */
    public void startFrom(Session source, int tokens) {
        startFrom(source, tokens, 2 * tokens);
    }

    /**
     * A new session of the same model and cache policy holding just the first {@code tokens} tokens this session fed,
     * in buffers of that size: a copy kept to {@link #startFrom} others with. This session must not have evicted
     * anything yet.
     *
     * @throws IllegalArgumentException if this session has evicted, or fed fewer than {@code tokens} tokens into its
     *     cache
     */
    public Session copyFirst(int tokens) {
        Session copy = model.newSession(cache.config());
        try {
            copy.startFrom(this, tokens, tokens);
            return copy;
        } catch (RuntimeException e) {
            copy.close();
            throw e;
        }
    }

    private void startFrom(Session source, int tokens, int room) {
        if (source.model != model) {
            throw new IllegalArgumentException("startFrom needs a session of the same model");
        }
        if (pendingToken >= 0) {
            throw new IllegalStateException("startFrom needs an empty session; this one holds a sampled token");
        }
        cache.startFrom(source.cache, tokens, room);
    }

    /**
     * How many of the newest fed tokens {@link #rewind} can drop: all of them while nothing was evicted, afterwards
     * those in the window (evicted tokens cannot come back).
     */
    public int rewindable() {
        return cache.rewindable();
    }

    /**
     * Drops the {@code tokens} newest fed tokens from the stream, as if they had never been fed (a sampled token
     * not fed yet is dropped too): the next token takes the position of the first one dropped. A chat session uses
     * this when the conversation's newest part is rendered differently from what the cache holds.
     *
     * @throws IllegalArgumentException if {@code tokens} is negative or more than {@link #rewindable()}
     */
    public void rewind(int tokens) {
        if (tokens < 0 || tokens > cache.rewindable()) {
            throw new IllegalArgumentException("cannot rewind " + tokens + " tokens: only the " + cache.rewindable()
                    + " newest tokens are still in the window");
        }
        cache.rewind(tokens);
        pendingToken = -1;
    }

    /** Drops the last sampled token if it was not fed yet (e.g. an EOS a chat template will replace). */
    public void discardPendingToken() {
        pendingToken = -1;
    }

    /**
     * Feeds tokens and returns the logits for the token that follows them. Long inputs are fed in chunks.
     *
     * @throws IllegalArgumentException for an empty array or an id outside the vocabulary
     */
    public float[] append(int... tokenIds) {
        boolean pending = pendingToken >= 0;
        return feed(withPending(tokenIds), false, pending)[0];
    }

    /** Feeds tokens and returns the logits after each of them ({@code [tokenIds.length][vocab]}). */
    public float[][] appendAll(int... tokenIds) {
        if (pendingToken >= 0) {
            feed(new int[] {pendingToken}, false, true);
        }
        return feed(tokenIds, true, false);
    }

    /**
     * Encodes {@code prompt} and generates a continuation. Special tokens (BOS) are added only when the session
     * is empty, so a prompt continues an existing stream as plain text.
     */
    public GenerationResult generate(String prompt, GenerationParams params, TokenListener listener) {
        if (prompt == null || prompt.isEmpty()) {
            throw new IllegalArgumentException("prompt is empty: give some text to continue");
        }
        int[] ids = model.tokenizer().encode(prompt, streamLength() == 0);
        return generate(ids, params, listener);
    }

    /**
     * Feeds {@code promptIds} as-is and generates a continuation, streaming tokens to {@code listener}. On a model
     * loaded without a tokenizer ({@link AttentionSinkModel.Builder#tokenizerOptional}) the listener gets ids with
     * empty text and the result's text is empty.
     *
     * @throws io.github.attentionsinks.config.ModelFormatException when stop strings are set on a model without a
     *     tokenizer (matching them needs text)
     */
    public GenerationResult generate(int[] promptIds, GenerationParams params, TokenListener listener) {
        Generation generation = new Generation(this, promptIds, params, listener);
        while (!generation.done()) {
            generation.accept(append(generation.nextFeed(Integer.MAX_VALUE)));
        }
        return generation.result();
    }

    /** The buffers the cache moves into next, or null if none are coming ({@link SinkCache#nextBuffers}). */
    SinkCache.NextBuffers nextCacheBuffers() {
        return cache.nextBuffers();
    }

    /** The most tokens one step feeds: a longer input is fed in chunks of this many, with eviction between them. */
    int maxChunk() {
        return cache.maxChunk();
    }

    boolean hasPendingToken() {
        return pendingToken >= 0;
    }

    /** A sampled token that ends a generation: not fed now, fed first by the next call. */
    void leavePending(int token) {
        pendingToken = token;
    }

    private int[] withPending(int[] tokenIds) {
        if (pendingToken < 0) {
            return tokenIds;
        }
        int[] all = new int[tokenIds.length + 1];
        all[0] = pendingToken;
        System.arraycopy(tokenIds, 0, all, 1, tokenIds.length);
        return all;
    }

    /** Feeds in chunks; {@code startsWithPending}: the first id is the pending token, cleared once fed. */
    private float[][] feed(int[] tokenIds, boolean allRows, boolean startsWithPending) {
        if (tokenIds.length == 0) {
            throw new IllegalArgumentException("no tokens to feed");
        }
        checkIds(tokenIds);
        float[][] rows = new float[allRows ? tokenIds.length : 1][];
        int chunk = cache.maxChunk();
        for (int start = 0; start < tokenIds.length; start += chunk) {
            int end = Math.min(tokenIds.length, start + chunk);
            boolean last = end == tokenIds.length;
            float[][] out = step(Arrays.copyOfRange(tokenIds, start, end), allRows);
            if (allRows) {
                System.arraycopy(out, 0, rows, start, out.length);
            } else if (last) {
                rows[0] = out[0];
            }
            if (start == 0 && startsWithPending) {
                pendingToken = -1;
            }
        }
        return rows;
    }

    /** See {@link AttentionSinkModel#appendBatch}. */
    static float[][] appendBatch(AttentionSinkModel model, List<Session> sessions, List<int[]> tokenIds) {
        boolean[] evict = new boolean[sessions.size()];
        Arrays.fill(evict, true);
        return appendBatch(model, sessions, tokenIds, evict);
    }

    /**
     * As {@link AttentionSinkModel#appendBatch}; a session whose {@code evict} is false keeps what falls out of its
     * window until a later step evicts (a chunk fed in parts; see {@link SinkCache#commit(SinkCache.Step, boolean)}).
     */
    static float[][] appendBatch(AttentionSinkModel model, List<Session> sessions, List<int[]> tokenIds,
            boolean[] evict) {
        return appendBatch(model, sessions, tokenIds, evict, CausalLm.NEVER_GIVE_WAY, null);
    }

    /**
     * As {@link #appendBatch(AttentionSinkModel, List, List, boolean[])}, stopping between layers (or before a layer's
     * MLP) with {@link io.github.attentionsinks.arch.StepGaveWayException} once {@code giveWay} answers true (decoders
     * that compute on the Java heap ask it); the sessions are then as before the call. {@code reuse}: null, or slots
     * the logit rows may be written into (see {@link CausalLm#logitRows}), for a caller done with them before its next
     * call.
     */
    static float[][] appendBatch(AttentionSinkModel model, List<Session> sessions, List<int[]> tokenIds,
            boolean[] evict, BooleanSupplier giveWay, float[][] reuse) {
        if (sessions.size() != tokenIds.size()) {
            throw new IllegalArgumentException(sessions.size() + " sessions but " + tokenIds.size() + " token lists");
        }
        int count = sessions.size();
        int[][] feeds = new int[count][];
        Set<Session> seen = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
        for (int i = 0; i < count; i++) {
            Session session = sessions.get(i);
            if (session.model != model) {
                throw new IllegalArgumentException("session " + i + " belongs to another model");
            }
            if (!seen.add(session)) {
                throw new IllegalArgumentException("session " + i + " appears twice: feed its tokens in one list");
            }
            int[] ids = tokenIds.get(i);
            if (ids == null || ids.length == 0) {
                throw new IllegalArgumentException("session " + i + " has no tokens to feed");
            }
            feeds[i] = session.withPending(ids);
            if (feeds[i].length > session.cache.maxChunk()) {
                throw new IllegalArgumentException("session " + i + " feeds " + feeds[i].length + " tokens, more "
                        + "than its chunk size " + session.cache.maxChunk() + ": feed long inputs in chunks");
            }
            session.checkIds(feeds[i]);
        }
        reserveTogether(model, sessions, feeds);
        CausalLm network = model.network();
        SinkCache.Step[] steps = new SinkCache.Step[count];
        try (NDManager scope = model.manager().newSubManager()) {
            for (int i = 0; i < count; i++) {
                sessions.get(i).warnIfPastContext(feeds[i].length);
                steps[i] = sessions.get(i).cache.begin(scope, feeds[i].length);
            }
            float[][] rows = network.logitRows(scope, feeds, steps, false, giveWay, reuse);
            for (int i = 0; i < count; i++) {
                sessions.get(i).cache.commit(steps[i], evict[i]);
                sessions.get(i).pendingToken = -1;
            }
            return rows;
        } finally {
            for (int i = 0; i < count; i++) {
                if (steps[i] != null) {
                    sessions.get(i).cache.abandon(steps[i]); // nothing once committed
                }
            }
        }
    }

    /**
     * Caches that must grow (or move their window back) before this step do it together, on the kernel threads: a
     * growth is mostly new memory being faulted in (27–80 ms for 256 → 512 entries on the SmolLM-135M shape in this
     * project's VM, where two threads fault fresh memory 1.9× as fast as one), and the conversations of a batch tend
     * to grow in the same step. One alone grows in {@link SinkCache#begin}, as before.
     */
    private static void reserveTogether(AttentionSinkModel model, List<Session> sessions, int[][] feeds) {
        int[] growing = new int[feeds.length];
        int count = 0;
        for (int i = 0; i < feeds.length; i++) {
            if (sessions.get(i).cache.needsRoom(feeds[i].length)) {
                growing[count++] = i;
            }
        }
        if (count >= 2) {
            try {
                model.forEachOnKernelThreads(count,
                        k -> sessions.get(growing[k]).cache.reserve(feeds[growing[k]].length));
            } catch (RuntimeException e) {
                // The kernel threads report a failure wrapped; begin() grows what is still short on this thread and
                // throws the error itself, with its own type.
                log.debug("Growing {} caches together failed; each grows in its own begin: {}", count, e.toString());
            }
        }
    }

    private void checkIds(int[] tokenIds) {
        int vocab = network.vocabSize();
        for (int id : tokenIds) {
            if (id < 0 || id >= vocab) {
                throw new IllegalArgumentException("token id " + id + " is outside the vocabulary [0, " + vocab + ")");
            }
        }
    }

    /**
     * One forward pass in a scoped manager: all of its temporaries are freed when it returns. A pass that fails
     * leaves the cache as it was.
     */
    private float[][] step(int[] tokens, boolean allRows) {
        warnIfPastContext(tokens.length);
        try (NDManager scope = manager.newSubManager()) {
            SinkCache.Step open = cache.begin(scope, tokens.length);
            try {
                float[][] rows = network.logitRows(scope, new int[][] {tokens}, new SinkCache.Step[] {open}, allRows,
                        CausalLm.NEVER_GIVE_WAY, null);
                cache.commit(open);
                return rows;
            } finally {
                cache.abandon(open); // nothing once committed
            }
        }
    }

    private void warnIfPastContext(int n) {
        int max = network.maxPositionEmbeddings();
        if (!warnedPastContext && !cache.config().bounded() && max > 0 && cache.streamLength() + n > max) {
            warnedPastContext = true;
            log.warn("Dense cache passes max_position_embeddings = {}: quality is expected to collapse from here "
                    + "(use sinks mode for endless streams)", max);
        }
    }

    @Override
    public void close() {
        cache.close();
        manager.close();
    }
}
