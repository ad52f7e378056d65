package io.github.attentionsinks.cache;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.github.attentionsinks.kernels.Float16Bits;
import io.github.attentionsinks.nn.TensorMemory;
import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.nio.ShortBuffer;

/**
 * The attention-sink KV cache of one stream: the first S tokens (sinks) plus the W most recent (window),
 * for every layer. Semantics follow the reference implementation exactly (see the README, "Cache
 * semantics"); the storage is laid out so that a step's cost does not depend on how long the stream is, and so
 * that the keys a step attends to are one view of the cache, never a copy.
 *
 * <h2>Layout</h2>
 * One buffer {@code [layers, kvHeads, capacity, headDim]} for keys and one for values. The attended keys sit
 * contiguously from {@code base}: the sinks, then the window oldest to newest, then the step's new tokens. When the
 * window slides, {@code base} moves forward by the number of evicted tokens and the sinks are written again just
 * before the window; when the region reaches the end of the buffer it is moved back to the start (every W/8 steps
 * or more, an amortised copy). Capacity follows the stream ({@code ensureRoom}): buffers grow while the window fills,
 * to S + W + 1 + W/4 entries, and to room for a whole chunk past the window only while steps need it. A step writes
 * only past the committed region, so a failed step leaves the cache as it was. The sinks as first computed are also
 * kept apart ({@code [layers, kvHeads, S, headDim]}).
 *
 * <h2>Positions</h2>
 * Window keys keep the rotation of their stream position and new queries are rotated at their stream
 * position, so window-to-query distances are true distances, as in the reference once positions are
 * re-assigned inside the cache. Only the sink keys must move: each step they are shifted by
 * {@code streamLength - cacheLength} positions so that a sink at cache index j sits at distance
 * (query cache index − j) from every query, exactly what re-assigning positions gives. This is O(S) per step
 * instead of re-rotating the whole cache.
 *
 * <p>Keys returned by {@link Step#append} are in cache order: sinks, window oldest to newest, new tokens.
 * New query i sits at cache index {@code cacheLengthBefore + i}.
 *
 * <h2>Element type</h2>
 * Entries are float32, or float16 ({@code cache-dtype float16}): half the memory, and half the bytes a decode step's
 * attention reads. Keys and values are computed in float32 and rounded to nearest even as they are stored; readers
 * get float32. A key or value beyond float16's range (±65504) fails the step ({@link ValueOutOfRangeException})
 * instead of being stored as an infinity. Sink keys are kept as first rounded and moved from there, so each placement
 * rounds once: no error builds up over a long stream. Java-side reads and writes of either type go through
 * {@link CacheMemory}.
 *
 * <h2>Keys in blocks</h2>
 * A cache read by a decoder on the Java heap may keep its keys in blocks of {@code b} entries (the Java kernels' float
 * vector width), {@code [layers, kvHeads, capacity / b, headDim, b]}: one vector then holds one value of {@code b}
 * keys, so a query's scores against them are multiply-adds with no sum across lanes, which bound the scores from rows:
 * twice as fast as from rows of float16 keys, and of float32 keys on an Intel Xeon, where each sum across lanes costs
 * more than on AMD's Zen cores (docs/bench/BlockedScoresBench.java; 8 sessions at a full window 7% faster a step there,
 * docs/benchmarks.md, "An Intel Xeon machine: chat shapes, long windows and the prefill chunk"). Entries keep their
 * places and the buffer's capacity is a whole number of blocks; only the order of the values inside a block differs.
 * Such keys are read and written only from Java ({@link Step#put}, {@link Step#readKeys}, {@link Step#readKeyBlocks},
 * moves and sink placement through {@link CacheMemory}); {@link Step#append} refuses them.
 */
public final class SinkCache implements AutoCloseable {
    /**
     * Entries a new cache's buffers hold by default ({@link #initialCapacity}): a chat turn or two (a system prompt,
     * a question and a reply of a few hundred tokens). Starting at 256, every conversation of the 8-user chat
     * benchmark (SmolLM-135M shape) grew to 512 in its third turn, and each growth took 14–50 ms here, most of it
     * faulting in the new buffers' fresh memory: 109–404 ms of a 6 s round.
     */
    static final int INITIAL_CAPACITY = 512;

    /**
     * Entries a new cache's buffers hold, unless its first step needs more (or a bounded one's bound is less). Tests
     * lower it so that short streams cross several growths.
     */
    static volatile int initialCapacity = INITIAL_CAPACITY;

    private final CacheConfig config;
    private final int layers;
    private final int kvHeads;
    private final int headDim;
    private final DataType dataType;
    /** Whether entries are float16 (else float32). */
    private final boolean halves;
    /** Entries per block of keys ("Keys in blocks"), or 0 for keys in rows. */
    private final int keyBlock;
    private final KeyShifter shifter;
    private final int maxChunk;
    private final NDManager manager;
    /** Where CPU buffers come from and go back to; null: made by {@link #manager} and freed with it. */
    private final CacheBuffers buffers;

    private NDArray keys;
    private NDArray values;
    private NDArray sinkKeys;
    private NDArray sinkValues;
    private int capacity;
    /**
     * The buffers' memory seen from Java, for decoders that compute on the heap and for moving the sinks; made on first
     * use and again after the buffers are replaced.
     */
    private CacheMemory memory;
    /** Every layer's and head's sinks while {@link #placeSinksOnHeap} moves them, kept from step to step. */
    private float[] sinkScratch = new float[0];

    /** Buffer index of the first attended entry (sink 0, or the oldest window entry without sinks). */
    private int base;
    private int sinkCount;
    private int windowCount;
    private long streamLength;
    /** The shift the sinks at [base, base + sinkCount) were written with; null when they must be written again. */
    private Long placedShift = 0L;
    private Step open;

    /**
     * @param config the policy
     * @param layers number of transformer layers
     * @param kvHeads key/value heads per layer (GQA/MQA caches hold only these)
     * @param headDim key/value head dimension
     * @param dataType the entries' type: float32, or float16 (half the memory; see "Element type")
     * @param device where the cache lives
     * @param shifter how keys move by a position delta (RoPE rotation, or identity)
     * @param maxChunk the most tokens one step may feed; bounded caches reserve room for this many new tokens
     */
    public SinkCache(CacheConfig config, int layers, int kvHeads, int headDim, DataType dataType, Device device,
            KeyShifter shifter, int maxChunk, NDManager parent) {
        this(config, layers, kvHeads, headDim, dataType, device, shifter, maxChunk, parent, 0);
    }

    /**
     * A cache whose keys are kept in blocks of {@code keyBlock} entries ("Keys in blocks"), or in rows when it is 0.
     *
     * @throws IllegalArgumentException for blocks in a cache that cannot hold them: not on the CPU, or a shifter with
     *     no heap form
     */
    public SinkCache(CacheConfig config, int layers, int kvHeads, int headDim, DataType dataType, Device device,
            KeyShifter shifter, int maxChunk, NDManager parent, int keyBlock) {
        this(config, layers, kvHeads, headDim, dataType, device, shifter, maxChunk, parent, keyBlock, null);
    }

    /**
     * A cache whose CPU buffers come from, and go back to, {@code buffers} (null: its own, freed when it closes or
     * outgrows them).
     *
     * @throws IllegalArgumentException as {@link #SinkCache(CacheConfig, int, int, int, DataType, Device, KeyShifter,
     *     int, NDManager, int)}
     */
    public SinkCache(CacheConfig config, int layers, int kvHeads, int headDim, DataType dataType, Device device,
            KeyShifter shifter, int maxChunk, NDManager parent, int keyBlock, CacheBuffers buffers) {
        if (maxChunk < 1) {
            throw new IllegalArgumentException("maxChunk must be >= 1, got " + maxChunk);
        }
        this.config = config;
        this.layers = layers;
        this.kvHeads = kvHeads;
        this.headDim = headDim;
        if (dataType != DataType.FLOAT32 && dataType != DataType.FLOAT16) {
            throw new IllegalArgumentException("a cache holds float32 or float16 entries, not " + dataType);
        }
        this.dataType = dataType;
        this.halves = dataType == DataType.FLOAT16;
        // A shift of no keys tells whether the shifter has a heap form, without which sinks would be placed by
        // libtorch, which sees keys in rows only.
        if (keyBlock < 0 || keyBlock > 0 && (!device.equals(Device.cpu())
                || !shifter.shiftInPlace(new float[0], 0, 0, 1))) {
            throw new IllegalArgumentException("keys in blocks of " + keyBlock + " need a cache on the CPU whose keys "
                    + "move on the heap; this one is " + dataType + " on " + device);
        }
        this.keyBlock = keyBlock;
        this.shifter = shifter;
        this.maxChunk = config.bounded() ? Math.min(maxChunk, config.windowSize()) : maxChunk;
        this.manager = parent.newSubManager(device);
        this.buffers = device.equals(Device.cpu()) ? buffers : null;
    }

    public CacheConfig config() {
        return config;
    }

    /** The most tokens one {@link #begin} may take. */
    public int maxChunk() {
        return maxChunk;
    }

    /** Tokens currently held (sinks + window), at most S + W for bounded modes. */
    public int length() {
        return sinkCount + windowCount;
    }

    /** Tokens fed since the stream began (evicted ones included). */
    public long streamLength() {
        return streamLength;
    }

    public int sinkCount() {
        return sinkCount;
    }

    /** Native bytes held by this cache's buffers (allocated, not only used). */
    public long allocatedBytes() {
        long elements = 0;
        if (keys != null) {
            elements += 2L * layers * kvHeads * (long) capacity * headDim;
        }
        if (sinkKeys != null) {
            elements += 2 * sinkKeys.size();
        }
        return elements * dataType.getNumOfBytes();
    }

    /** Whether {@link #begin begin(n)} would first allocate, grow or move the buffers ({@link #reserve} does it). */
    public boolean needsRoom(int n) {
        return keys == null || base + length() + n > capacity;
    }

    /**
     * Makes room for a step of {@code n} tokens now, as {@link #begin} would first (allocating, growing or moving the
     * window back), so that several caches can do it at once on different threads before a batched step; the entries
     * and what they attend are unchanged.
     *
     * @throws IllegalStateException while a step is open
     */
    public void reserve(int n) {
        if (open != null) {
            throw new IllegalStateException("reserve while a step is open: commit or abandon it first");
        }
        if (n < 1 || n > maxChunk) {
            throw new IllegalArgumentException("a step feeds 1.." + maxChunk + " tokens, got " + n);
        }
        ensureRoom(length() + n);
    }

    /**
     * Opens a step that feeds {@code n} tokens. The caller runs the forward pass, calling
     * {@link Step#append} once per layer, then {@link #commit}. If the forward pass fails, simply do not
     * commit: the cache is unchanged.
     *
     * @param stepManager the step's scoped manager; views and shifted sink keys are attached there
     */
    public Step begin(NDManager stepManager, int n) {
        if (n < 1 || n > maxChunk) {
            throw new IllegalArgumentException("a step feeds 1.." + maxChunk + " tokens, got " + n);
        }
        int toSinks = (int) Math.max(0, Math.min(n, config.attentionSinkSize() - streamLength));
        ensureRoom(length() + n);
        long shift = streamLength - length();
        if (sinkCount > 0 && (placedShift == null || placedShift != shift)) {
            placeSinks(stepManager, shift);
        }
        open = new Step(stepManager, n, toSinks);
        return open;
    }

    /** Makes a step's tokens part of the cache and evicts what falls out of the window. */
    public void commit(Step step) {
        commit(step, true);
    }

    /**
     * Makes a step's tokens part of the cache; with {@code evict} false, what falls out of the window stays until a
     * later commit evicts. Feeding a chunk as several steps committed without eviction, the last one with, gives
     * exactly what feeding it in one step gives (each token attends to the cache before the chunk and the chunk's
     * earlier tokens): a scheduler can split a long prompt's chunk to interleave it with other work. The steps
     * together must not feed more than {@link #maxChunk()} tokens.
     */
    public void commit(Step step, boolean evict) {
        if (step != open) {
            throw new IllegalStateException("commit of a step that is not the open one");
        }
        open = null;
        sinkCount += step.toSinks;
        windowCount += step.tokens - step.toSinks;
        if (evict && config.bounded() && windowCount > config.windowSize()) {
            int drop = windowCount - config.windowSize();
            base += drop;
            windowCount = config.windowSize();
            if (sinkCount > 0) {
                placedShift = null; // the sinks now belong just before the new window start
            }
        }
        streamLength += step.tokens;
    }

    /**
     * Gives up a step that will not be committed (its forward pass failed, or it gave way to other work): the cache is
     * as it was before {@link #begin}, and a {@link #rewind} may follow. Does nothing for a step that is not the open
     * one.
     */
    public void abandon(Step step) {
        if (step == open) {
            open = null;
        }
    }

    /**
     * How many of the newest entries {@link #rewind} can drop: the whole cache while nothing was evicted yet,
     * afterwards the window only (the sinks then stand for tokens whose successors are gone for good).
     */
    public int rewindable() {
        return streamLength == length() ? length() : windowCount;
    }

    /**
     * Drops the {@code count} newest entries, as if they had never been fed: the stream continues from the entry
     * before them, at the positions they had. Entries already evicted cannot come back, so only the
     * {@link #rewindable()} newest can be dropped.
     *
     * @throws IllegalArgumentException if {@code count} is negative or more than {@link #rewindable()}
     */
    public void rewind(int count) {
        if (count < 0 || count > rewindable()) {
            throw new IllegalArgumentException("can rewind 0.." + rewindable() + " entries, got " + count);
        }
        if (open != null) {
            throw new IllegalStateException("rewind while a step is open");
        }
        int fromWindow = Math.min(count, windowCount);
        windowCount -= fromWindow;
        sinkCount -= count - fromWindow;
        streamLength -= count;
        // The sink shift (streamLength - length) is unchanged, so sinks placed for it stay valid.
    }

    /**
     * Makes this empty cache hold the first {@code count} entries of {@code source}, exactly as if it had been fed
     * the same first {@code count} tokens itself: an entry depends only on the tokens up to it, so a prompt's shared
     * beginning (a system prompt) is encoded once and copied into each new stream. Only what {@code source} fed
     * before any eviction can be copied: afterwards its first entries are sinks that no longer stand before their
     * successors.
     *
     * @param room entries the buffers are made for at least when this cache has none yet: a stream that goes on
     *     wants more than {@code count}, since a buffer of exactly the copy's length grows, and is copied again, at the
     *     next token (on the SmolLM-135M shape, the rest of a first turn after copying 769 entries took 150–280 ms
     *     so, 40 ms with room for as many again)
     * @throws IllegalStateException if this cache is not empty or has a step open
     * @throws IllegalArgumentException if {@code source} has another shape or policy, has evicted, or holds fewer
     *     than {@code count} entries
     */
    public void startFrom(SinkCache source, int count, int room) {
        if (open != null || streamLength != 0) {
            throw new IllegalStateException("startFrom needs an empty cache; this one holds " + streamLength
                    + " tokens");
        }
        if (!config.equals(source.config) || layers != source.layers || kvHeads != source.kvHeads
                || headDim != source.headDim || dataType != source.dataType || keyBlock != source.keyBlock) {
            throw new IllegalArgumentException("startFrom needs a cache of the same shape and policy: " + config + " "
                    + layers + "x" + kvHeads + "x" + headDim + " " + dataType + " keys in blocks of " + keyBlock
                    + " against " + source.config + " " + source.layers + "x" + source.kvHeads + "x"
                    + source.headDim + " " + source.dataType + " keys in blocks of " + source.keyBlock);
        }
        if (count < 1 || count > source.length() || source.streamLength != source.length()) {
            throw new IllegalArgumentException("can copy 1.." + (source.streamLength == source.length()
                    ? source.length() : 0) + " first entries of a cache that holds " + source.length() + " of "
                    + source.streamLength + " tokens, not " + count);
        }
        allocate(Math.max(count, room));
        ensureRoom(count);
        int sinks = (int) Math.min(count, config.attentionSinkSize());
        if (keyBlock == 0) {
            copyRange(source.keys, source.base, keys, 0, count);
        } else {
            copyKeyBlocks(source.memory(), source.capacity, source.base, memory(), capacity, 0, count);
        }
        copyRange(source.values, source.base, values, 0, count);
        if (sinks > 0) {
            copyRange(source.sinkKeys, 0, sinkKeys, 0, sinks);
            copyRange(source.sinkValues, 0, sinkValues, 0, sinks);
        }
        // Nothing evicted: the sinks in the buffer are as computed (shift 0).
        base = 0;
        sinkCount = sinks;
        windowCount = count - sinks;
        streamLength = count;
        placedShift = 0L;
    }

    /** Forgets everything (buffers are kept for reuse). */
    public void clear() {
        open = null;
        base = 0;
        sinkCount = 0;
        windowCount = 0;
        streamLength = 0;
        placedShift = 0L;
    }

    /**
     * Makes room for {@code needed} entries from {@code base}: slide the region back to 0, or copy it into other buffers
     * ({@link #capacityFor}). Buffers start at {@link #initialCapacity} entries, 512 (or what the first step needs) and
     * double as the stream needs, bounded ones up to {@link #windowedCapacity()} while the stream keeps few entries past
     * its window, and to {@link #boundedCapacity()} once a step must hold more, until the window next moves back: a
     * session's memory follows its length and its turns, not its bound. Full-size buffers from the first token cost
     * every new session 2 × 50.5 MiB on the SmolLM-135M shape, resident at once with huge pages, and the first step of
     * eight new conversations in a fresh process 1.2–1.6 s.
     */
    private void ensureRoom(int needed) {
        allocate(needed);
        if (base + needed <= capacity) {
            return;
        }
        int next = capacityFor(needed);
        if (next == capacity) {
            // Move the window back to just after the sink slots; the sinks are placed again before use.
            moveWithinBuffers(base + sinkCount, sinkCount, windowCount);
            base = 0;
            placedShift = null;
            return;
        }
        // Copy into other buffers: the attended region [base, base + used), placed sinks included, moves to 0.
        int used = length();
        Shape shape = new Shape(layers, kvHeads, next, headDim);
        NDArray nextKeys = newBuffer(shape, false);
        NDArray nextValues = newBuffer(shape, false);
        if (keyBlock == 0) {
            copyRange(keys, base, nextKeys, 0, used);
        } else {
            copyKeyBlocks(memory(), capacity, base, CacheMemory.of(dataType, nextKeys, nextValues, sinkKeys,
                    sinkValues), next, 0, used);
        }
        copyRange(values, base, nextValues, 0, used);
        // Buffers outgrown are kept for the next cache that grows; larger ones gone back from are freed at once, since
        // kept they held both sizes' memory for a while: eight conversations going back after a paste each held
        // 2 × 50.6 MiB for 30 s beside their new 2 × 28.1 (docs/benchmarks.md, "Caches back to their windowed size
        // after a paste").
        boolean back = next < capacity;
        free(keys, back);
        free(values, back);
        keys = nextKeys;
        values = nextValues;
        memory = null;
        capacity = next;
        base = 0;
    }

    /**
     * The capacity of the buffers that make room for {@code needed} entries from {@code base} once the region reaches
     * their end: the same capacity where the window moves back within them, else that of the buffers it moves into.
     *
     * <ul>
     *   <li>An unbounded cache doubles.
     *   <li>A bounded cache at its largest size ({@link #boundedCapacity()}, a step once needed room for a chunk) goes
     *       back to {@link #windowedCapacity()} when the step needs no more and nothing waits for eviction (no chunk is
     *       being fed in several steps); a conversation that had one long paste otherwise kept 2 × 50.6 MiB on the
     *       SmolLM-135M shape for good where its short turns need 2 × 28.1. Otherwise its window moves back.
     *   <li>Below that, a bounded cache's window moves back where {@link #movingRoom()} is left past the needed
     *       entries, so that two moves back are at least that many entries apart; otherwise it doubles, up to
     *       {@link #windowedCapacity()} while the needed entries leave it that room, else to its largest size.
     * </ul>
     */
    private int capacityFor(int needed) {
        int doubled = wholeBlocks(Math.max(needed, capacity * 2));
        if (!config.bounded()) {
            return doubled;
        }
        boolean roomToMove = needed + movingRoom() <= windowedCapacity();
        if (capacity == boundedCapacity()) {
            return roomToMove && length() <= config.capacity() ? windowedCapacity() : capacity;
        }
        if (capacity >= needed + movingRoom()) {
            return capacity;
        }
        int bound = capacity < windowedCapacity() && roomToMove ? windowedCapacity() : boundedCapacity();
        // Not a last doubling of a few entries, copying the whole window again soon after.
        return (long) doubled * 4 >= 3L * bound ? bound : doubled;
    }

    /** Entries a bounded cache's window moves ahead in its buffers between two moves back, at the least. */
    private int movingRoom() {
        return slack() / 2;
    }

    /**
     * The buffers this cache moves into next as its stream goes on a few tokens a step (larger ones, or after a long
     * step the windowed size again, {@code capacityFor}), and how many more entries it takes before it must: what the
     * decode loop faults in ahead ({@link CacheBuffers#prepareAhead}), so that the move finds its memory ready. Null
     * where no buffers of pool memory are coming: no buffers yet, a cache off the CPU or without a pool, or a bounded
     * cache whose window will move back within its buffers.
     */
    public NextBuffers nextBuffers() {
        if (keys == null || buffers == null) {
            return null;
        }
        // When its buffers run out: while the window fills, at its length then; once full, at the window.
        int neededThen = Math.max(length(), Math.min(capacity - base, config.capacity())) + 1;
        int next = capacityFor(neededThen);
        if (next == capacity) {
            return null;
        }
        return new NextBuffers(capacity - base - length(), new Shape(layers, kvHeads, next, headDim), dataType);
    }

    /**
     * The buffers a cache moves into next ({@link #nextBuffers}): after {@code entriesLeft} more entries it takes two
     * buffers (keys and values) of {@code shape} and {@code type}.
     */
    public record NextBuffers(int entriesLeft, Shape shape, DataType type) {}

    /**
     * Allocates the buffers if there are none yet: {@link #initialCapacity} entries, or {@code entries} if more, up to
     * a bounded cache's {@link #boundedCapacity()}.
     */
    private void allocate(int entries) {
        if (keys != null) {
            return;
        }
        int first = wholeBlocks(Math.max(initialCapacity, entries));
        capacity = config.bounded() ? Math.min(boundedCapacity(), first) : first;
        Shape shape = new Shape(layers, kvHeads, capacity, headDim);
        // A cache made larger for a long first step does not start the way new caches do: its buffers are no reserve.
        boolean usualStart = entries <= initialCapacity;
        keys = newBuffer(shape, usualStart);
        values = newBuffer(shape, usualStart);
        memory = null;
        if (config.attentionSinkSize() > 0) {
            Shape sinks = new Shape(layers, kvHeads, config.attentionSinkSize(), headDim);
            sinkKeys = newBuffer(sinks, true);
            sinkValues = newBuffer(sinks, true);
        }
    }

    /**
     * The most entries a bounded cache's buffers hold: S + W + one chunk (a step's entries are evicted after it, so a
     * long prompt's chunk of W attends the whole window), plus {@link #slack()} so the region moves back rarely.
     */
    private int boundedCapacity() {
        return wholeBlocks(config.capacity() + maxChunk + slack());
    }

    /**
     * What a bounded cache's buffers hold while its steps add few entries at a time: S + W + 1 plus {@link #slack()}.
     * A conversation of short turns and decoded tokens never needs more; at the largest size, room for a whole chunk,
     * each one held 2,304 entries on the SmolLM-135M shape (2 × 50.6 MiB) where this holds 1,280 (2 × 28.1 MiB).
     */
    private int windowedCapacity() {
        return Math.min(boundedCapacity(), wholeBlocks(config.capacity() + 1 + slack()));
    }

    /** A quarter window (at least 16 entries) past what a bounded cache's buffers must hold. */
    private int slack() {
        return Math.max(16, config.windowSize() / 4);
    }

    /** {@code entries} rounded up to whole blocks of keys (itself for keys in rows). */
    private int wholeBlocks(int entries) {
        return keyBlock == 0 ? entries : (entries + keyBlock - 1) / keyBlock * keyBlock;
    }

    /**
     * A buffer left uninitialized: only entries written are ever read (the attended region {@code [base, base +
     * length)} and the stored sinks), and zeroing one touched every page up front. On the SmolLM-135M shape a full
     * bounded buffer is 2 × 50.5 MiB (S + W + a chunk + slack: 2,299 entries), and zeroing it cost 2.5 s in the first
     * step of eight new conversations, the step every other conversation waited for. On the CPU the buffer is backed
     * by huge pages ({@link HugePages}): a 4 KiB page faulted in as the window reached it cost 17 µs here, 2.5–4 ms
     * of an 8-session step while the windows filled. The first token makes a huge-page buffer resident, which is why
     * buffers start small ({@link #ensureRoom}). {@code startsCache}: one of the buffers new caches usually start
     * with, which the pool keeps a batch of however long it waits ({@link CacheBuffers#reserve}).
     */
    private NDArray newBuffer(Shape shape, boolean startsCache) {
        if (buffers != null) {
            NDArray buffer = buffers.take(shape, dataType, startsCache);
            if (fillNewBuffersWithNaN) {
                fillWithNaN(buffer);
            }
            return buffer;
        }
        NDArray buffer = fillNewBuffersWithNaN ? manager.full(shape, Float.NaN, dataType)
                : manager.create(shape, dataType);
        if (!buffer.getDevice().isGpu()) {
            HugePages.advise(buffer.toByteBuffer(true));
        }
        return buffer;
    }

    /** Tests only: NaN in every entry of a CPU buffer, written through its memory (it may be a reused one). */
    private void fillWithNaN(NDArray buffer) {
        ByteBuffer bytes = TensorMemory.bytes(buffer);
        if (halves) {
            ShortBuffer bits = bytes.asShortBuffer();
            while (bits.hasRemaining()) {
                bits.put((short) 0x7e00);
            }
        } else {
            FloatBuffer floats = bytes.asFloatBuffer();
            while (floats.hasRemaining()) {
                floats.put(Float.NaN);
            }
        }
    }

    /** Gives a buffer back to {@link #buffers}, or frees it. */
    private void free(NDArray buffer) {
        free(buffer, false);
    }

    /** Gives a buffer back to {@link #buffers} to be kept, or frees it ({@code now}: through the pool if there is one). */
    private void free(NDArray buffer, boolean now) {
        if (buffer == null) {
            return;
        }
        if (buffers == null) {
            buffer.close();
        } else if (now) {
            buffers.release(buffer);
        } else {
            buffers.giveBack(buffer);
        }
    }

    /** Tests only: new buffers are filled with NaN, so that a read of an entry never written shows in the results. */
    static volatile boolean fillNewBuffersWithNaN;

    /**
     * Moves {@code count} entries of every layer and head back from entry {@code from} to entry {@code to}
     * ({@code to < from}) within the buffers. A CPU cache's move in place, in pieces that do not overlap: through
     * libtorch each buffer's entries were first copied out to fresh memory, and a decode step that moved the window
     * back took 88–131 ms where the others took 25, in place 29–34 (SmolLM-135M shape; docs/benchmarks.md, "Caches
     * sized for their turns").
     */
    private void moveWithinBuffers(int from, int to, int count) {
        if (count == 0 || from == to) {
            return;
        }
        if (!keys.getDevice().equals(Device.cpu())) {
            copyRange(keys, from, keys, to, count);
            copyRange(values, from, values, to, count);
            return;
        }
        CacheMemory m = memory();
        if (keyBlock != 0) {
            copyKeyBlocks(m, capacity, from, m, capacity, to, count);
        }
        int piece = from - to;
        for (int lh = 0; lh < layers * kvHeads; lh++) {
            for (int i = 0; i < count; i += piece) {
                int n = Math.min(piece, count - i) * headDim;
                int source = (lh * capacity + from + i) * headDim;
                int target = (lh * capacity + to + i) * headDim;
                if (keyBlock == 0) {
                    m.copy(CacheMemory.KEYS, source, CacheMemory.KEYS, target, n);
                }
                m.copy(CacheMemory.VALUES, source, CacheMemory.VALUES, target, n);
            }
        }
    }

    /**
     * Copies {@code count} entries' keys in blocks, for every layer and head, from entry {@code from} of {@code in}
     * (buffers of {@code inCapacity} entries) to entry {@code to} of {@code out}. Whole blocks go at once where the two
     * places line up, in pieces that do not overlap when both are the same buffer (moving back: {@code to < from});
     * the rest key by key, each key's values a block's width apart.
     */
    private void copyKeyBlocks(CacheMemory in, int inCapacity, int from, CacheMemory out, int outCapacity, int to,
            int count) {
        int b = keyBlock;
        for (int lh = 0; lh < layers * kvHeads; lh++) {
            int i = 0;
            if ((from - to) % b == 0) {
                for (; i < count && (to + i) % b != 0; i++) {
                    in.copyKeysTo(out, keyValue(inCapacity, lh, from + i), keyValue(outCapacity, lh, to + i), b,
                            headDim);
                }
                int whole = (count - i) / b * b;
                int piece = in == out ? Math.max(b, Math.abs(from - to) / b * b) : whole;
                for (int end = i + whole; i < end; ) {
                    int n = Math.min(piece, end - i);
                    in.copyKeysTo(out, keyValue(inCapacity, lh, from + i), keyValue(outCapacity, lh, to + i), 1,
                            n * headDim);
                    i += n;
                }
            }
            for (; i < count; i++) {
                in.copyKeysTo(out, keyValue(inCapacity, lh, from + i), keyValue(outCapacity, lh, to + i), b, headDim);
            }
        }
    }

    /**
     * Where the first value of entry {@code entry}'s key of layer-and-head {@code lh} lies in a keys' buffer of
     * {@code capacity} entries.
     */
    private int keyValue(int capacity, int lh, int entry) {
        if (keyBlock == 0) {
            return (lh * capacity + entry) * headDim;
        }
        return (lh * capacity + entry - entry % keyBlock) * headDim + entry % keyBlock;
    }

    /** Copies {@code count} entries along the token axis, for every layer; source and target may overlap. */
    private void copyRange(NDArray source, int from, NDArray target, int to, int count) {
        if (count == 0) {
            return;
        }
        try (NDManager scratch = manager.newSubManager()) {
            NDArray slice = source.get(range(from, from + count));
            slice.attach(scratch);
            if (source == target) {
                // The ranges may overlap: copy out first. Into another buffer the view is copied directly: a copy out
                // first was a fresh allocation as large as the cache, faulted in page by page (the growths of an
                // 8-user chat round took 257 ms with it, 109 ms without).
                slice = slice.duplicate();
                slice.attach(scratch);
            }
            target.set(range(to, to + count), slice);
        }
    }

    /** Writes the sinks, shifted by {@code shift} positions, just before the window. */
    private void placeSinks(NDManager stepManager, long shift) {
        if (keys.getDevice().equals(Device.cpu()) && placeSinksOnHeap(shift)) {
            placedShift = shift;
            return;
        }
        if (keyBlock != 0) {
            throw new IllegalStateException("keys in blocks are moved on the heap only"); // the constructor checked
        }
        NDIndex stored = range(0, sinkCount);
        NDArray sinkK = sinkKeys.get(stored);
        sinkK.attach(stepManager);
        NDArray sinkV = sinkValues.get(stored);
        sinkV.attach(stepManager);
        NDIndex slots = range(base, base + sinkCount);
        // Shifted in float32 (the rotation's tables are), stored in the cache's type.
        keys.set(slots, shift == 0 ? sinkK : shifter.shift(sinkK.toType(DataType.FLOAT32, false), shift)
                .toType(dataType, false));
        values.set(slots, sinkV);
        placedShift = shift;
    }

    /**
     * {@link #placeSinks} through the buffers' memory: each step of a full window moves the sinks by one more
     * position, and placing eight sessions' sinks took 1.8–2.0 ms of an 8-session step in libtorch calls, 0.6–0.75 ms
     * this way (SmolLM-135M shape); false when the shifter has no heap form.
     */
    private boolean placeSinksOnHeap(long shift) {
        CacheMemory m = memory();
        int width = sinkCount * headDim;
        int stored = config.attentionSinkSize() * headDim;
        int heads = layers * kvHeads;
        // Every layer's and head's sink keys in one array, so that the rotation table is made once. A float16 cache's
        // are widened from their rounded first form and rounded once more as they are placed.
        if (sinkScratch.length < heads * width) {
            sinkScratch = new float[heads * width];
        }
        float[] sinks = sinkScratch;
        for (int h = 0; h < heads; h++) {
            m.get(CacheMemory.SINK_KEYS, h * stored, sinks, h * width, width);
        }
        if (shift != 0 && !shifter.shiftInPlace(sinks, 0, heads * sinkCount, shift)) {
            return false; // nothing written: the libtorch path places them
        }
        for (int h = 0; h < heads; h++) {
            if (keyBlock == 0) {
                m.put(CacheMemory.KEYS, (h * capacity + base) * headDim, sinks, h * width, width, h / kvHeads);
                continue;
            }
            for (int j = 0; j < sinkCount; j++) {
                m.putStrided(CacheMemory.KEYS, keyValue(capacity, h, base + j), keyBlock, sinks,
                        h * width + j * headDim, headDim, h / kvHeads);
            }
        }
        for (int h = 0; h < heads; h++) {
            m.copy(CacheMemory.SINK_VALUES, h * stored, CacheMemory.VALUES, (h * capacity + base) * headDim, width);
        }
        return true;
    }

    /** The buffers' memory seen from Java (a CPU cache's only). */
    private CacheMemory memory() {
        if (memory == null) {
            if (!keys.getDevice().equals(Device.cpu())) {
                throw new IllegalStateException("Java-side cache access needs a cache on the CPU; this one is on "
                        + keys.getDevice());
            }
            memory = CacheMemory.of(dataType, keys, values, sinkKeys, sinkValues);
        }
        return memory;
    }

    /** {@code [:, :, from:to, :]}: a token range of every layer. */
    private static NDIndex range(long from, long to) {
        return new NDIndex().addAllDim().addAllDim().addSliceDim(from, to).addAllDim();
    }

    /** {@code [layer, :, from:to, :]}: a token range of one layer. */
    private static NDIndex layerRange(int layer, long from, long to) {
        return new NDIndex(layer).addAllDim().addSliceDim(from, to).addAllDim();
    }

    /**
     * A key or value beyond float16's range (±65504, or not a number) met a float16 cache: the step fails and the
     * cache stays as it was.
     */
    public static final class ValueOutOfRangeException extends IllegalStateException {
        ValueOutOfRangeException(int layer, String what, float value) {
            super("a " + what + " of layer " + layer + " is " + value + ", beyond float16's range (±65504): this "
                    + "model's " + what + "s do not fit a float16 KV cache; use cache-dtype float32");
        }
    }

    @Override
    public void close() {
        NDArray[] held = {keys, values, sinkKeys, sinkValues};
        keys = values = sinkKeys = sinkValues = null;
        memory = null;
        for (NDArray buffer : held) {
            free(buffer);
        }
        manager.close();
    }

    /** One forward pass over {@code tokens} new tokens. */
    public final class Step {
        private final NDManager stepManager;
        private final int tokens;
        private final int toSinks;
        private final int cacheLengthBefore;
        private final long streamPositionBefore;
        private final int writeAt;

        private Step(NDManager stepManager, int tokens, int toSinks) {
            this.stepManager = stepManager;
            this.tokens = tokens;
            this.toSinks = toSinks;
            this.cacheLengthBefore = length();
            this.streamPositionBefore = streamLength;
            this.writeAt = base + cacheLengthBefore;
        }

        /** Tokens fed in this step. */
        public int tokens() {
            return tokens;
        }

        /** Cache index of the step's first token: the position it is given (before eviction). */
        public int cacheLengthBefore() {
            return cacheLengthBefore;
        }

        /** Stream index of the step's first token, the position at which new queries and keys are rotated. */
        public long streamPosition() {
            return streamPositionBefore;
        }

        /** Number of keys attended in this step: cached plus new. */
        public int keyCount() {
            return cacheLengthBefore + tokens;
        }

        /**
         * Stores a layer's new keys and values and returns all keys and values to attend, in cache order.
         *
         * @param newKeys new keys {@code [kvHeads, tokens, headDim]}, rotated at their stream positions
         * @param newValues new values, same shape
         * @return {@code {keys, values}}, each {@code [kvHeads, keyCount, headDim]}: views of the cache
         */
        public NDArray[] append(int layer, NDArray newKeys, NDArray newValues) {
            if (open != this) {
                throw new IllegalStateException("append on a step that is not open");
            }
            if (keyBlock != 0) {
                throw new IllegalStateException("a cache with keys in blocks is read and written from Java only");
            }
            if (halves) {
                newKeys = toHalves(layer, "key", newKeys);
                newValues = toHalves(layer, "value", newValues);
            }
            NDIndex target = layerRange(layer, writeAt, writeAt + tokens);
            keys.set(target, newKeys);
            values.set(target, newValues);
            if (toSinks > 0) {
                // The stream's first tokens: keep them apart too, as rotated at their own positions.
                NDIndex first = new NDIndex().addAllDim().addSliceDim(0, toSinks).addAllDim();
                NDIndex slots = layerRange(layer, sinkCount, sinkCount + toSinks);
                sinkKeys.set(slots, newKeys.get(first));
                sinkValues.set(slots, newValues.get(first));
            }
            NDIndex region = layerRange(layer, base, writeAt + tokens);
            NDArray[] attended = {view(keys, region), view(values, region)};
            if (halves) {
                // The layers compute in float32: widened copies, freed with the step.
                for (int i = 0; i < 2; i++) {
                    attended[i] = attended[i].toType(DataType.FLOAT32, true);
                    attended[i].attach(stepManager);
                }
            }
            return attended;
        }

        /**
         * Stores one new token's key and value for one KV head of one layer, from the Java heap: what
         * {@link #append} does for a whole layer, for decoders that compute on the heap (CPU caches; a float16 one
         * rounds them, and refuses values beyond its range with {@link ValueOutOfRangeException}). Writes only past
         * the committed region, so a step that is not committed changes nothing. Puts of different layers or heads
         * may run on several threads at once once the cache's views exist ({@link #keyBytes} makes them) and the
         * threads were handed the work after that.
         *
         * @param token the token's index in this step, {@code 0 ≤ token < tokens()}
         * @param key {@code headDim} values from {@code keyOffset}, rotated at the token's stream position
         * @param value {@code headDim} values from {@code valueOffset}
         */
        public void put(int layer, int head, int token, float[] key, int keyOffset, float[] value, int valueOffset) {
            if (open != this) {
                throw new IllegalStateException("put on a step that is not open");
            }
            if (token < 0 || token >= tokens) {
                throw new IndexOutOfBoundsException("token " + token + " of a step of " + tokens);
            }
            CacheMemory m = memory();
            int lh = layer * kvHeads + head;
            int at = (lh * capacity + writeAt + token) * headDim;
            if (keyBlock == 0) {
                m.put(CacheMemory.KEYS, at, key, keyOffset, headDim, layer);
            } else {
                m.putStrided(CacheMemory.KEYS, keyValue(capacity, lh, writeAt + token), keyBlock, key, keyOffset,
                        headDim, layer);
            }
            m.put(CacheMemory.VALUES, at, value, valueOffset, headDim, layer);
            if (token < toSinks) {
                // The stream's first tokens: keep them apart too, as rotated at their own positions.
                int sinkAt = ((layer * kvHeads + head) * config.attentionSinkSize() + sinkCount + token) * headDim;
                m.put(CacheMemory.SINK_KEYS, sinkAt, key, keyOffset, headDim, layer);
                m.put(CacheMemory.SINK_VALUES, sinkAt, value, valueOffset, headDim, layer);
            }
        }

        /**
         * Copies the keys of attended entries {@code [from, from + count)} (cache order, this step's new tokens from
         * {@link #cacheLengthBefore()} on, once {@link #put}) of one KV head of one layer into {@code target},
         * {@code [count, headDim]} from index 0. Safe to call from several threads at once.
         */
        public void readKeys(int layer, int head, int from, int count, float[] target) {
            read(CacheMemory.KEYS, layer, head, from, count, target);
        }

        /** As {@link #readKeys}, for the values. */
        public void readValues(int layer, int head, int from, int count, float[] target) {
            read(CacheMemory.VALUES, layer, head, from, count, target);
        }

        /**
         * The keys' memory, native byte order, for reading them in place from several threads at once: the keys of
         * attended entry {@code i} of one KV head of one layer are {@code headDim} floats (float16 values in a
         * {@link #float16} cache) from byte {@link #byteOffset byteOffset(layer, head, i)}, consecutive entries
         * {@code headDim} values apart. Valid while the step is open; the first call (or {@link #put}) makes the
         * cache's views, and other threads may use them once they are handed the work after that.
         */
        public ByteBuffer keyBytes() {
            return memory().keyBytes;
        }

        /** As {@link #keyBytes}, for the values. */
        public ByteBuffer valueBytes() {
            return memory().valueBytes;
        }

        /** Whether {@link #keyBytes} hold float16 values (else float32). */
        public boolean float16() {
            return halves;
        }

        /** Entries per block of keys ("Keys in blocks"), or 0 when the keys are in rows. */
        public int keyBlock() {
            return keyBlock;
        }

        /**
         * With keys in blocks: the attended index at which the block holding attended entry {@code from} starts, at
         * most {@code from} and possibly negative (the block then starts before the attended region; its entries
         * there are not this step's to read, but lie inside the buffer).
         */
        public int keyBlockStart(int from) {
            return from - Math.floorMod(base + from, keyBlock);
        }

        /**
         * With keys in blocks: where the block starting at attended index {@code start} ({@link #keyBlockStart}) of one
         * KV head of one layer starts in {@link #keyBytes}; blocks follow each other, each {@code headDim} rows of
         * {@link #keyBlock} values (float16 in a {@link #float16} cache), row {@code d} holding value {@code d} of each
         * of the block's keys.
         */
        public int keyBlockByteOffset(int layer, int head, int start) {
            if (Math.floorMod(base + start, keyBlock) != 0 || base + start < 0 || start > keyCount()) {
                throw new IndexOutOfBoundsException("no block of keys starts at entry " + start);
            }
            return keyValue(capacity, layer * kvHeads + head, base + start) * dataType.getNumOfBytes();
        }

        /**
         * With keys in blocks: {@code blocks} blocks from attended index {@code start} ({@link #keyBlockStart}) of one
         * KV head of one layer, widened to float32 into {@code target} from index 0 in their own layout
         * ({@link #keyBlockByteOffset}). Safe to call from several threads at once.
         */
        public void readKeyBlocks(int layer, int head, int start, int blocks, float[] target) {
            int at = keyBlockByteOffset(layer, head, start) / dataType.getNumOfBytes();
            if (start + blocks * keyBlock > capacity - base) {
                throw new IndexOutOfBoundsException(blocks + " blocks from entry " + start + " run past the buffer");
            }
            memory().get(CacheMemory.KEYS, at, target, 0, blocks * keyBlock * headDim);
        }

        /** Where attended entry {@code from} of one KV head of one layer starts in {@link #keyBytes} and its like. */
        public int byteOffset(int layer, int head, int from) {
            if (from < 0 || from > keyCount()) {
                throw new IndexOutOfBoundsException("entry " + from + " of " + keyCount());
            }
            return ((layer * kvHeads + head) * capacity + base + from) * headDim * dataType.getNumOfBytes();
        }

        /** A layer's new keys or values in float16, refused as {@link #put} refuses one beyond float16's range. */
        private NDArray toHalves(int layer, String what, NDArray floats) {
            float largest = floats.abs().max().getFloat();
            if ((Float16Bits.fromFloat(largest) & 0x7c00) == 0x7c00) {
                throw new ValueOutOfRangeException(layer, what, largest);
            }
            NDArray halved = floats.toType(DataType.FLOAT16, false);
            halved.attach(stepManager);
            return halved;
        }

        private void read(int buffer, int layer, int head, int from, int count, float[] target) {
            if (from < 0 || count < 0 || from + count > keyCount()) {
                throw new IndexOutOfBoundsException("entries " + from + ".." + (from + count) + " of " + keyCount());
            }
            int lh = layer * kvHeads + head;
            if (buffer == CacheMemory.KEYS && keyBlock != 0) {
                for (int i = 0; i < count; i++) {
                    memory().getStrided(buffer, keyValue(capacity, lh, base + from + i), keyBlock, target,
                            i * headDim, headDim);
                }
                return;
            }
            int at = (lh * capacity + base + from) * headDim;
            memory().get(buffer, at, target, 0, count * headDim);
        }

        /** A view of a buffer owned by the step, so everything computed from it is freed with the step. */
        private NDArray view(NDArray buffer, NDIndex index) {
            NDArray v = buffer.get(index);
            v.attach(stepManager);
            return v;
        }
    }
}
