package io.github.attentionsinks.cache;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.github.attentionsinks.nn.Slices;

/**
 * The attention-sink KV cache of one stream: the first S tokens (sinks) plus the W most recent (window),
 * for every layer. Semantics follow the reference implementation exactly (see the README, "Cache
 * semantics"); the storage is laid out so that a step's cost does not depend on how long the stream is.
 *
 * <h2>Layout</h2>
 * <ul>
 *   <li>Sinks: one tensor {@code [layers, kvHeads, S, headDim]} for keys and one for values. Keys are stored as
 *       rotated at their own positions 0..S-1.</li>
 *   <li>Window: per layer a ring buffer {@code [kvHeads, W + chunk, headDim]}. A step writes its new keys into
 *       free slots, so committed entries are never overwritten before {@link #commit(Step)}: a failed step
 *       leaves the cache as it was.</li>
 * </ul>
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
 */
public final class SinkCache implements AutoCloseable {
    private static final int DENSE_INITIAL_CAPACITY = 256;

    private final CacheConfig config;
    private final int layers;
    private final int kvHeads;
    private final int headDim;
    private final DataType dataType;
    private final KeyShifter shifter;
    private final int maxChunk;
    private final NDManager manager;

    private NDArray sinkKeys;
    private NDArray sinkValues;
    private final NDArray[] ringKeys;
    private final NDArray[] ringValues;
    private int ringCapacity;

    private int sinkCount;
    private int ringHead;
    private int ringCount;
    private long streamLength;
    private Step open;

    /**
     * @param config the policy
     * @param layers number of transformer layers
     * @param kvHeads key/value heads per layer (GQA/MQA caches hold only these)
     * @param headDim key/value head dimension
     * @param dataType the compute dtype
     * @param device where the cache lives
     * @param shifter how keys move by a position delta (RoPE rotation, or identity)
     * @param maxChunk the most tokens one step may feed; bounded caches reserve this many extra window slots
     */
    public SinkCache(CacheConfig config, int layers, int kvHeads, int headDim, DataType dataType, Device device,
            KeyShifter shifter, int maxChunk, NDManager parent) {
        if (maxChunk < 1) {
            throw new IllegalArgumentException("maxChunk must be >= 1, got " + maxChunk);
        }
        this.config = config;
        this.layers = layers;
        this.kvHeads = kvHeads;
        this.headDim = headDim;
        this.dataType = dataType;
        this.shifter = shifter;
        this.maxChunk = config.bounded() ? Math.min(maxChunk, config.windowSize()) : maxChunk;
        this.manager = parent.newSubManager(device);
        this.ringKeys = new NDArray[layers];
        this.ringValues = new NDArray[layers];
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
        return sinkCount + ringCount;
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
        if (sinkKeys != null) {
            elements += 2 * sinkKeys.size();
        }
        if (ringKeys[0] != null) {
            elements += 2L * layers * kvHeads * (long) ringCapacity * headDim;
        }
        return elements * dataType.getNumOfBytes();
    }

    /**
     * Opens a step that feeds {@code n} tokens. The caller runs the forward pass, calling
     * {@link Step#append} once per layer, then {@link #commit}. If the forward pass fails, simply do not
     * commit: the cache is unchanged.
     *
     * @param stepManager the step's scoped manager; shifted sink keys are created there
     */
    public Step begin(NDManager stepManager, int n) {
        if (n < 1 || n > maxChunk) {
            throw new IllegalArgumentException("a step feeds 1.." + maxChunk + " tokens, got " + n);
        }
        int toSinks = (int) Math.max(0, Math.min(n, config.attentionSinkSize() - streamLength));
        int toRing = n - toSinks;
        ensureStorage(ringCount + toRing);
        NDArray shiftedSinks = null;
        long shift = streamLength - length();
        if (sinkCount > 0 && shift != 0) {
            // Views of long-lived buffers are attached to the step, so every op on them lands there too.
            NDArray stored = view(sinkKeys, new NDIndex().addAllDim().addAllDim().addSliceDim(0, sinkCount).addAllDim(), stepManager);
            shiftedSinks = shifter.shift(stored, shift);
        }
        open = new Step(stepManager, n, toSinks, toRing, shiftedSinks);
        return open;
    }

    /** Makes a step's tokens part of the cache and evicts what falls out of the window. */
    public void commit(Step step) {
        if (step != open) {
            throw new IllegalStateException("commit of a step that is not the open one");
        }
        open = null;
        sinkCount += step.toSinks;
        ringCount += step.toRing;
        if (config.bounded() && ringCount > config.windowSize()) {
            int drop = ringCount - config.windowSize();
            ringHead = (ringHead + drop) % ringCapacity;
            ringCount = config.windowSize();
        }
        streamLength += step.tokens;
    }

    /** Forgets everything (buffers are kept for reuse). */
    public void clear() {
        open = null;
        sinkCount = 0;
        ringHead = 0;
        ringCount = 0;
        streamLength = 0;
    }

    private void ensureStorage(int ringNeeded) {
        if (sinkKeys == null && config.attentionSinkSize() > 0) {
            Shape s = new Shape(layers, kvHeads, config.attentionSinkSize(), headDim);
            sinkKeys = manager.zeros(s, dataType);
            sinkValues = manager.zeros(s, dataType);
        }
        if (ringKeys[0] == null) {
            ringCapacity = config.bounded() ? config.windowSize() + maxChunk
                    : Math.max(DENSE_INITIAL_CAPACITY, ringNeeded);
            for (int l = 0; l < layers; l++) {
                ringKeys[l] = manager.zeros(new Shape(kvHeads, ringCapacity, headDim), dataType);
                ringValues[l] = manager.zeros(new Shape(kvHeads, ringCapacity, headDim), dataType);
            }
        } else if (ringNeeded > ringCapacity) {
            // Only dense mode grows (bounded capacity covers W + one chunk); it never wraps, so copy the prefix.
            int grown = Math.max(ringNeeded, ringCapacity * 2);
            for (int l = 0; l < layers; l++) {
                ringKeys[l] = grow(ringKeys[l], grown);
                ringValues[l] = grow(ringValues[l], grown);
            }
            ringCapacity = grown;
        }
    }

    /** A view (or slice) of a cache buffer owned by the step's manager, so it is freed with the step. */
    private static NDArray view(NDArray array, NDIndex index, NDManager stepManager) {
        NDArray v = array.get(index);
        v.attach(stepManager);
        return v;
    }

    private NDArray grow(NDArray old, int capacity) {
        NDArray bigger = manager.zeros(new Shape(kvHeads, capacity, headDim), dataType);
        if (ringCount > 0) {
            try (NDArray used = old.get(Slices.middle(0, ringCount))) {
                bigger.set(Slices.middle(0, ringCount), used);
            }
        }
        old.close();
        return bigger;
    }

    @Override
    public void close() {
        manager.close();
    }

    /** One forward pass over {@code tokens} new tokens. */
    public final class Step {
        private final NDManager stepManager;
        private final int tokens;
        private final int toSinks;
        private final int toRing;
        private final NDArray shiftedSinks;
        private final int cacheLengthBefore;
        private final long streamPositionBefore;

        private Step(NDManager stepManager, int tokens, int toSinks, int toRing, NDArray shiftedSinks) {
            this.stepManager = stepManager;
            this.tokens = tokens;
            this.toSinks = toSinks;
            this.toRing = toRing;
            this.shiftedSinks = shiftedSinks;
            this.cacheLengthBefore = length();
            this.streamPositionBefore = streamLength;
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
         * @param keys new keys {@code [kvHeads, tokens, headDim]}, rotated at their stream positions
         * @param values new values, same shape
         * @return {@code {keys, values}}, each {@code [kvHeads, keyCount, headDim]}; may be views of the cache
         */
        public NDArray[] append(int layer, NDArray keys, NDArray values) {
            if (step() != this) {
                throw new IllegalStateException("append on a step that is not open");
            }
            if (toSinks > 0) {
                NDIndex slot = new NDIndex(layer).addAllDim().addSliceDim(sinkCount, sinkCount + toSinks).addAllDim();
                NDIndex part = Slices.middle(0, toSinks);
                sinkKeys.set(slot, keys.get(part));
                sinkValues.set(slot, values.get(part));
            }
            if (toRing > 0) {
                writeRing(layer, keys, values);
            }
            NDList keyParts = new NDList(3);
            NDList valueParts = new NDList(3);
            int sinksNow = sinkCount + toSinks;
            if (sinksNow > 0) {
                NDIndex sinkRange = new NDIndex(layer).addAllDim().addSliceDim(0, sinksNow).addAllDim();
                keyParts.add(shiftedSinks == null ? view(sinkKeys, sinkRange, stepManager)
                        : view(shiftedSinks, new NDIndex(layer), stepManager));
                valueParts.add(view(sinkValues, sinkRange, stepManager));
            }
            addRingSegments(ringKeys[layer], ringCount + toRing, keyParts);
            addRingSegments(ringValues[layer], ringCount + toRing, valueParts);
            return new NDArray[] {join(keyParts), join(valueParts)};
        }

        private void writeRing(int layer, NDArray keys, NDArray values) {
            int start = (ringHead + ringCount) % ringCapacity;
            int first = Math.min(toRing, ringCapacity - start);
            NDIndex dst1 = Slices.middle(start, start + first);
            if (first == tokens) {
                ringKeys[layer].set(dst1, keys);
                ringValues[layer].set(dst1, values);
                return;
            }
            NDIndex src1 = Slices.middle(toSinks, toSinks + first);
            ringKeys[layer].set(dst1, keys.get(src1));
            ringValues[layer].set(dst1, values.get(src1));
            if (first < toRing) {
                NDIndex src2 = Slices.middle(toSinks + first, toSinks + toRing);
                NDIndex dst2 = Slices.middle(0, toRing - first);
                ringKeys[layer].set(dst2, keys.get(src2));
                ringValues[layer].set(dst2, values.get(src2));
            }
        }

        private void addRingSegments(NDArray ring, int count, NDList parts) {
            if (count == 0) {
                return;
            }
            int first = Math.min(count, ringCapacity - ringHead);
            parts.add(view(ring, Slices.middle(ringHead, ringHead + first), stepManager));
            if (first < count) {
                parts.add(view(ring, Slices.middle(0, count - first), stepManager));
            }
        }

        private NDArray join(NDList parts) {
            return parts.size() == 1 ? parts.get(0) : NDArrays.concat(parts, 1);
        }
    }

    private Step step() {
        return open;
    }
}
