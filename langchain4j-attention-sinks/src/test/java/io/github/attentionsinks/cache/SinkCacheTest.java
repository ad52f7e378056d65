package io.github.attentionsinks.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.github.attentionsinks.kernels.Float16Bits;
import io.github.attentionsinks.nn.Attention;
import io.github.attentionsinks.nn.RotaryEmbedding;
import io.github.attentionsinks.runtime.DjlRuntime;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

/**
 * The sink cache on its own, against a plain double-precision implementation of the specification
 * (../shared/docs/sink-cache-semantics.md) written here: the cache holds un-rotated keys in cache order, every step
 * rotates each cached key at its cache index and each new token at L + i, attends causally, then keeps the first S
 * and last W entries. The production cache stores rotated keys in a ring and only shifts the sinks; both must give
 * the same attention outputs.
 */
class SinkCacheTest {
    static final int LAYERS = 2;
    static final int KV_HEADS = 2;
    static final int HEADS = 4;
    static final int DIM = 8;
    static final double THETA = 10000;
    static NDManager manager;
    /** Buffers given back by the caches of {@link #cache}, for the next ones. */
    static CacheBuffers givenBack;

    /**
     * Caches here start filled with NaN (their buffers are left uninitialized otherwise): an entry read before it is
     * written, even one weighted zero by a mask, turns the results compared below into NaN.
     */
    @BeforeAll
    static void start() {
        DjlRuntime.engine();
        manager = NDManager.newBaseManager(Device.cpu());
        SinkCache.fillNewBuffersWithNaN = true;
        SinkCache.initialCapacity = 3; // every stream below crosses several growths of its buffers
        givenBack = new CacheBuffers(manager);
    }

    @AfterAll
    static void stop() {
        SinkCache.fillNewBuffersWithNaN = false;
        SinkCache.initialCapacity = SinkCache.INITIAL_CAPACITY;
        givenBack.close();
        manager.close();
    }

    static List<CacheConfig> configs() {
        return List.of(CacheConfig.sinks(4, 16), CacheConfig.sinks(1, 5), CacheConfig.windowed(12), CacheConfig.dense());
    }

    @ParameterizedTest
    @MethodSource("configs")
    void attentionMatchesTheSpecificationOverALongStream(CacheConfig config) throws Exception {
        streamAgainstTheSpecification(config, false);
    }

    /**
     * Room made ahead of a step ({@link SinkCache#reserve}, what a batched step does for several caches at once on
     * the kernel threads), here from another thread before every step that needs it: the stream still attends as the
     * specification says through every growth and move of the window, and the step then finds its room.
     */
    @ParameterizedTest
    @MethodSource("configs")
    void roomReservedAheadOnAnotherThreadChangesNothing(CacheConfig config) throws Exception {
        java.util.concurrent.ExecutorService other = java.util.concurrent.Executors.newSingleThreadExecutor();
        try {
            reserveAhead = other;
            streamAgainstTheSpecification(config, false);
            assertTrue(reserved > 3, "the stream must have grown or moved its buffers ahead: " + reserved);
        } finally {
            reserveAhead = null;
            reserved = 0;
            other.shutdown();
        }
    }

    /** When set, {@link #streamAgainstTheSpecification} makes each step's room on this thread first. */
    private static java.util.concurrent.ExecutorService reserveAhead;
    private static int reserved;

    /** Dropping the newest entries (a chat turn's rewind) and feeding on gives what the specification gives. */
    @ParameterizedTest
    @MethodSource("configs")
    void rewindsMatchTheSpecification(CacheConfig config) throws Exception {
        streamAgainstTheSpecification(config, true);
    }

    /**
     * A chunk fed as parts committed without eviction, the last with, attends exactly as the chunk fed in one step:
     * what lets a scheduler split long prompts without changing their result.
     */
    @ParameterizedTest
    @MethodSource("configs")
    void aChunkFedInPartsWithEvictionDeferredEqualsOneStep(CacheConfig config) {
        RotaryEmbedding rope = rope();
        Random random = new Random(7);
        try (SinkCache whole = cache(config, rope);
             SinkCache parts = cache(config, rope)) {
            for (int chunk = 0; chunk < 12; chunk++) {
                int n = whole.maxChunk();
                double[][][][] q = randomTensor(random, LAYERS, n, HEADS);
                double[][][][] k = randomTensor(random, LAYERS, n, KV_HEADS);
                double[][][][] v = randomTensor(random, LAYERS, n, KV_HEADS);
                float[][] expected = new float[LAYERS][];
                try (NDManager step = manager.newSubManager()) {
                    SinkCache.Step open = whole.begin(step, n);
                    for (int l = 0; l < LAYERS; l++) {
                        expected[l] = attendStep(step, rope, open, l, q[l], k[l], v[l]);
                    }
                    whole.commit(open);
                }
                int[] split = {3, 1, n - 4};
                int from = 0;
                for (int p = 0; p < split.length; p++) {
                    int m = split[p];
                    try (NDManager step = manager.newSubManager()) {
                        SinkCache.Step open = parts.begin(step, m);
                        for (int l = 0; l < LAYERS; l++) {
                            float[] out = attendStep(step, rope, open, l, java.util.Arrays.copyOfRange(q[l], from,
                                    from + m), java.util.Arrays.copyOfRange(k[l], from, from + m),
                                    java.util.Arrays.copyOfRange(v[l], from, from + m));
                            for (int i = 0; i < out.length; i++) {
                                float e = expected[l][from * HEADS * DIM + i];
                                assertTrue(Math.abs(e - out[i]) <= 1e-5, config + " chunk " + chunk + " part " + p
                                        + " layer " + l + " element " + i + ": " + e + " vs " + out[i]);
                            }
                        }
                        parts.commit(open, p == split.length - 1);
                    }
                    from += m;
                }
                assertEquals(whole.length(), parts.length());
                assertEquals(whole.streamLength(), parts.streamLength());
            }
        }
    }

    /** One layer of one step: rotate, append, attend causally; returns {@code [n, heads, dim]} flattened. */
    private static float[] attendStep(NDManager step, RotaryEmbedding rope, SinkCache.Step open, int layer,
            double[][][] q, double[][][] k, double[][][] v) {
        int n = q.length;
        NDArray[] tables = rope.tables(step, open.streamPosition(), n);
        NDArray mask = n == 1 ? null : Attention.causalMask(step, n, open.cacheLengthBefore(), 0);
        NDArray qa = rope.apply(toArray(step, q), tables);
        NDArray ka = rope.apply(toArray(step, k), tables).transpose(1, 0, 2);
        NDArray va = toArray(step, v).transpose(1, 0, 2);
        NDArray[] kv = open.append(layer, ka, va);
        return Attention.attend(qa, kv[0], kv[1], (float) (1 / Math.sqrt(DIM)), mask, 0f).toFloatArray();
    }

    /**
     * What a decoder on the Java heap writes with {@link SinkCache.Step#put} and reads with {@code readKeys} /
     * {@code readValues} is the cache itself: a cache fed that way holds, entry for entry, what a cache fed the same
     * stream through {@link SinkCache.Step#append} attends to (sinks shifted, window slid, region moved back), and a
     * step that is not committed changes nothing. The first cache moves its sinks with libtorch, the second on the
     * heap ({@link KeyShifter#rotary}, as the decoders give it): bit for bit the same keys.
     */
    @ParameterizedTest
    @MethodSource("configs")
    void heapWritesAndReadsAreTheCacheItself(CacheConfig config) {
        RotaryEmbedding rope = rope();
        Random random = new Random(11);
        try (SinkCache viaArrays = cache(config, rope);
             SinkCache viaHeap = new SinkCache(config, LAYERS, KV_HEADS, DIM, DataType.FLOAT32, Device.cpu(),
                     KeyShifter.rotary(rope), 8, manager)) {
            for (int chunk = 0; chunk < 60; chunk++) {
                int n = Math.min(viaArrays.maxChunk(), chunk % 7 == 0 ? 8 : 1 + chunk % 3);
                float[] keys = new float[LAYERS * n * KV_HEADS * DIM];
                float[] values = new float[keys.length];
                for (int i = 0; i < keys.length; i++) {
                    keys[i] = (float) random.nextGaussian();
                    values[i] = (float) random.nextGaussian();
                }
                if (chunk % 10 == 5) {
                    // A step that fails after writing: not committed, so the next one sees the cache as it was.
                    try (NDManager step = manager.newSubManager()) {
                        SinkCache.Step open = viaHeap.begin(step, n);
                        float[] junk = new float[DIM];
                        java.util.Arrays.fill(junk, 99f);
                        for (int i = 0; i < n; i++) {
                            open.put(0, 0, i, junk, 0, junk, 0);
                        }
                    }
                }
                try (NDManager step = manager.newSubManager()) {
                    SinkCache.Step a = viaArrays.begin(step, n);
                    SinkCache.Step b = viaHeap.begin(step, n);
                    for (int l = 0; l < LAYERS; l++) {
                        int layerAt = l * n * KV_HEADS * DIM;
                        // [n, kvHeads, dim] as the layer computes them; append takes [kvHeads, n, dim].
                        NDArray k = step.create(java.util.Arrays.copyOfRange(keys, layerAt, layerAt + n * KV_HEADS * DIM),
                                new Shape(n, KV_HEADS, DIM)).transpose(1, 0, 2);
                        NDArray v = step.create(java.util.Arrays.copyOfRange(values, layerAt,
                                layerAt + n * KV_HEADS * DIM), new Shape(n, KV_HEADS, DIM)).transpose(1, 0, 2);
                        NDArray[] expected = a.append(l, k, v);
                        for (int i = 0; i < n; i++) {
                            for (int h = 0; h < KV_HEADS; h++) {
                                int at = layerAt + (i * KV_HEADS + h) * DIM;
                                b.put(l, h, i, keys, at, values, at);
                            }
                        }
                        int count = a.keyCount();
                        float[] expectedKeys = expected[0].toFloatArray();
                        float[] expectedValues = expected[1].toFloatArray();
                        for (int h = 0; h < KV_HEADS; h++) {
                            float[] readKeys = new float[count * DIM];
                            float[] readValues = new float[count * DIM];
                            b.readKeys(l, h, 0, count, readKeys);
                            b.readValues(l, h, 0, count, readValues);
                            for (int i = 0; i < count * DIM; i++) {
                                assertEquals(expectedKeys[h * count * DIM + i], readKeys[i], 0f, config + " chunk "
                                        + chunk + " layer " + l + " head " + h + " key element " + i);
                                assertEquals(expectedValues[h * count * DIM + i], readValues[i], 0f, config
                                        + " chunk " + chunk + " layer " + l + " head " + h + " value element " + i);
                            }
                        }
                    }
                    viaArrays.commit(a);
                    viaHeap.commit(b);
                }
                assertEquals(viaArrays.length(), viaHeap.length());
            }
            if (config.bounded()) {
                assertEquals(config.capacity(), viaHeap.length(), "the stream must have evicted");
            }
        }
    }

    @Test
    void rewindIsLimitedToWhatWasNotEvicted() {
        try (SinkCache cache = new SinkCache(CacheConfig.sinks(2, 4), 1, 1, 2, DataType.FLOAT32, Device.cpu(),
                KeyShifter.IDENTITY, 4, manager)) {
            for (int t = 0; t < 5; t++) {
                feedOne(cache, 2);
            }
            assertEquals(5, cache.rewindable(), "nothing evicted yet: everything, sinks included");
            cache.rewind(4);
            assertEquals(1, cache.length());
            assertEquals(1, cache.streamLength());
            assertEquals(1, cache.sinkCount());
            for (int t = 0; t < 9; t++) {
                feedOne(cache, 2);
            }
            assertEquals(6, cache.length());
            assertEquals(4, cache.rewindable(), "after eviction: the window only");
            assertThrows(IllegalArgumentException.class, () -> cache.rewind(5));
            cache.rewind(4);
            assertEquals(2, cache.length());
            assertEquals(6, cache.streamLength());
            assertEquals(0, cache.rewindable());
        }
    }

    private void streamAgainstTheSpecification(CacheConfig config, boolean rewinds) throws Exception {
        RotaryEmbedding rope = rope();
        NaiveSinkCache naive = new NaiveSinkCache(config);
        Random random = new Random(42);
        int[] chunks = {3, 1, 1, 7, 1, 2, 5, 1, 1, 1, 4, 1};
        try (SinkCache cache = cache(config, rope)) {
            int fed = 0;
            for (int c = 0; fed < 150; c++) {
                int n = Math.min(chunks[c % chunks.length], cache.maxChunk());
                double[][][][] q = randomTensor(random, LAYERS, n, HEADS);
                double[][][][] k = randomTensor(random, LAYERS, n, KV_HEADS);
                double[][][][] v = randomTensor(random, LAYERS, n, KV_HEADS);
                int naiveLengthBefore = naive.length();
                double[][][][] expected = naive.step(q, k, v);
                if (reserveAhead != null && cache.needsRoom(n)) {
                    int size = n;
                    reserveAhead.submit(() -> cache.reserve(size)).get();
                    assertTrue(!cache.needsRoom(n), "room reserved for " + n);
                    reserved++;
                }
                try (NDManager step = manager.newSubManager()) {
                    SinkCache.Step open = cache.begin(step, n);
                    assertEquals(naiveLengthBefore, open.cacheLengthBefore());
                    NDArray[] tables = rope.tables(step, open.streamPosition(), n);
                    NDArray mask = n == 1 ? null : Attention.causalMask(step, n, open.cacheLengthBefore(), 0);
                    for (int l = 0; l < LAYERS; l++) {
                        NDArray qa = rope.apply(toArray(step, q[l]), tables);
                        NDArray ka = rope.apply(toArray(step, k[l]), tables).transpose(1, 0, 2);
                        NDArray va = toArray(step, v[l]).transpose(1, 0, 2);
                        NDArray[] kv = open.append(l, ka, va);
                        assertEquals(open.keyCount(), kv[0].getShape().get(1));
                        float[] out = Attention.attend(qa, kv[0], kv[1], (float) (1 / Math.sqrt(DIM)), mask, 0f)
                                .toFloatArray();
                        assertClose(expected[l], out, config + " token " + fed + " layer " + l);
                    }
                    cache.commit(open);
                }
                fed += n;
                naive.commit();
                if (rewinds && c % 3 == 2) {
                    int expectedRewindable = fed == naive.length() ? naive.length()
                            : naive.length() - config.attentionSinkSize();
                    assertEquals(expectedRewindable, cache.rewindable(), "rewindable entries");
                    int back = random.nextInt(Math.min(6, cache.rewindable()) + 1);
                    cache.rewind(back);
                    naive.rewind(back);
                    fed -= back;
                }
                assertEquals(naive.length(), cache.length(), "cache length");
                assertEquals(fed, cache.streamLength());
                assertTrue(cache.length() <= config.capacity());
                if (config.bounded() && fed > config.capacity()) {
                    assertEquals(Math.min(config.attentionSinkSize(), fed), cache.sinkCount());
                }
            }
        }
    }

    /**
     * A cache started from the first entries of another ({@link SinkCache#startFrom}) attends, from then on and across
     * eviction, as the specification fed those first tokens itself; the source keeps its own entries, including those
     * past the copied ones. The copy's buffers start NaN-filled and small, so an entry it missed would show.
     */
    @ParameterizedTest
    @MethodSource("configs")
    void aCacheStartedFromAnotherAttendsAsTheSpecificationFedItsBeginning(CacheConfig config) {
        RotaryEmbedding rope = rope();
        Random random = new Random(11);
        NaiveSinkCache naive = new NaiveSinkCache(config);
        NaiveSinkCache naiveSource = new NaiveSinkCache(config);
        int count = Math.min(config.capacity(), 9) - 2;
        try (SinkCache source = cache(config, rope);
             SinkCache copy = cache(config, rope)) {
            for (int fed = 0; fed < count; fed++) {
                double[][][][][] qkv = {randomTensor(random, LAYERS, 1, HEADS), randomTensor(random, LAYERS, 1,
                        KV_HEADS), randomTensor(random, LAYERS, 1, KV_HEADS)};
                naive.step(qkv[0], qkv[1], qkv[2]);
                naive.commit();
                stepAgainst(source, naiveSource, rope, qkv, config + " source token " + fed);
            }
            for (int extra = 0; extra < 2; extra++) { // the source goes on past what is copied
                stepAgainst(source, naiveSource, rope, new double[][][][][] {randomTensor(random, LAYERS, 1, HEADS),
                    randomTensor(random, LAYERS, 1, KV_HEADS), randomTensor(random, LAYERS, 1, KV_HEADS)},
                        config + " source extra token " + extra);
            }
            copy.startFrom(source, count, 0);
            assertEquals(count, copy.length());
            assertEquals(count, copy.streamLength());
            assertEquals(count, copy.rewindable());
            for (int fed = count; fed < 60; fed++) {
                double[][][][][] qkv = {randomTensor(random, LAYERS, 1, HEADS), randomTensor(random, LAYERS, 1,
                        KV_HEADS), randomTensor(random, LAYERS, 1, KV_HEADS)};
                stepAgainst(copy, naive, rope, qkv, config + " copy token " + fed);
                if (fed % 7 == 0) { // the source is untouched by the copy and its continuation
                    stepAgainst(source, naiveSource, rope, new double[][][][][] {randomTensor(random, LAYERS, 1,
                        HEADS), randomTensor(random, LAYERS, 1, KV_HEADS), randomTensor(random, LAYERS, 1, KV_HEADS)},
                            config + " source token after the copy " + fed);
                }
            }
            assertEquals(naive.length(), copy.length());
        }
    }

    /** Copying is refused into a cache that holds anything, from one that evicted, and past what the source holds. */
    @Test
    void startFromRefusesWhatItCannotCopyExactly() {
        CacheConfig config = CacheConfig.sinks(2, 4);
        try (SinkCache source = new SinkCache(config, 1, 1, 4, DataType.FLOAT32, Device.cpu(), KeyShifter.IDENTITY,
                4, manager);
             SinkCache target = new SinkCache(config, 1, 1, 4, DataType.FLOAT32, Device.cpu(), KeyShifter.IDENTITY,
                4, manager);
             SinkCache other = new SinkCache(CacheConfig.sinks(2, 5), 1, 1, 4, DataType.FLOAT32, Device.cpu(),
                KeyShifter.IDENTITY, 4, manager)) {
            for (int i = 0; i < 3; i++) {
                feedOne(source, 4);
            }
            assertThrows(IllegalArgumentException.class, () -> target.startFrom(source, 4, 0));
            assertThrows(IllegalArgumentException.class, () -> target.startFrom(source, 0, 0));
            assertThrows(IllegalArgumentException.class, () -> other.startFrom(source, 2, 0));
            feedOne(target, 4);
            assertThrows(IllegalStateException.class, () -> target.startFrom(source, 2, 0));
            for (int i = 0; i < 4; i++) {
                feedOne(source, 4); // 7 fed, 6 held: evicted
            }
            target.clear();
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> target.startFrom(source, 2, 0));
            assertTrue(e.getMessage().contains("6 of 7"), e.getMessage());
            assertEquals(0, target.length());
        }
    }

    /** One step of one token on {@code cache}, checked against {@code naive} fed the same. */
    private static void stepAgainst(SinkCache cache, NaiveSinkCache naive, RotaryEmbedding rope, double[][][][][] qkv,
            String what) {
        double[][][][] expected = naive.step(qkv[0], qkv[1], qkv[2]);
        try (NDManager step = manager.newSubManager()) {
            SinkCache.Step open = cache.begin(step, 1);
            for (int l = 0; l < LAYERS; l++) {
                assertClose(expected[l], attendStep(step, rope, open, l, qkv[0][l], qkv[1][l], qkv[2][l]),
                        what + " layer " + l);
            }
            cache.commit(open);
        }
        naive.commit();
    }

    @Test
    void boundedCacheStopsGrowingAndDenseGrows() {
        CacheConfig config = CacheConfig.sinks(4, 16);
        try (SinkCache bounded = new SinkCache(config, 1, 1, 4, DataType.FLOAT32, Device.cpu(), KeyShifter.IDENTITY, 4,
                manager);
                SinkCache dense = new SinkCache(CacheConfig.dense(), 1, 1, 4, DataType.FLOAT32, Device.cpu(),
                        KeyShifter.IDENTITY, 4, manager)) {
            long boundedBytes = -1;
            for (int t = 0; t < 1000; t++) {
                feedOne(bounded, 4);
                feedOne(dense, 4);
                if (t == 100) {
                    boundedBytes = bounded.allocatedBytes();
                }
                if (t > 100) {
                    assertEquals(boundedBytes, bounded.allocatedBytes(), "bounded cache bytes at token " + t);
                    assertEquals(20, bounded.length());
                }
            }
            assertEquals(1000, dense.length());
            assertTrue(dense.allocatedBytes() >= 1000L * 2 * 4 * 4, "dense keeps every key and value");
            assertTrue(dense.allocatedBytes() > 10 * boundedBytes);
        }
    }

    /**
     * A bounded cache's buffers follow its stream until the window is full, then stay: a short conversation holds
     * memory for what it has, not for its bound (with huge pages the first token made a whole buffer resident).
     */
    @Test
    void aBoundedCacheGrowsWithItsStreamUpToItsBound() {
        CacheConfig config = CacheConfig.sinks(4, 600);
        int dim = 4;
        long entryBytes = 2L * dim * Float.BYTES; // a key and a value of one layer and head
        try (SinkCache cache = new SinkCache(config, 1, 1, dim, DataType.FLOAT32, Device.cpu(), KeyShifter.IDENTITY,
                16, manager)) {
            long last = 0;
            long full = -1;
            for (int t = 1; t <= 3000; t++) {
                feedOne(cache, dim);
                long bytes = cache.allocatedBytes();
                assertTrue(bytes >= last, "buffers shrank at token " + t);
                assertTrue(bytes >= t * entryBytes || t > config.capacity(), "too small at token " + t);
                if (t == 10) {
                    assertTrue(bytes <= config.capacity() / 2 * entryBytes + 2L * 4 * dim * Float.BYTES,
                            "10 tokens hold " + bytes + " bytes, as much as half a full window or more");
                }
                if (t == 1500) {
                    full = bytes;
                }
                if (t > 1500) {
                    assertEquals(full, bytes, "bytes at token " + t);
                }
                last = bytes;
            }
            assertTrue(full <= 3 * config.capacity() * entryBytes, "bounded: " + full + " bytes");
            assertEquals(config.capacity(), cache.length());
        }
    }

    /**
     * A bounded cache fed a token at a time holds S + W + 1 and a quarter window (the room its window moves back in),
     * not room for a whole chunk past its window: 755 entries here where 1,354 would hold a chunk of 600 (768 and 1,360
     * in whole blocks of 16 keys). A step longer than that room grows it to the largest size, and it goes back to the
     * smaller one when its window next reaches the buffers' end, within the largest size − 604 tokens. Every layer and
     * head reads back the entries it was fed throughout, across the window's moves back within the buffers and into
     * others. Keys in rows are written and read through {@link SinkCache.Step#append}, keys in blocks through {@link
     * SinkCache.Step#put} and {@link SinkCache.Step#readKeys}, as the decoder on the Java heap does.
     */
    @ParameterizedTest
    @MethodSource("cacheLayouts")
    void aBoundedCacheHoldsRoomForAWholeChunkOnlyOnceAStepNeedsIt(DataType type, int keyBlock) {
        Fed fed = new Fed(type, keyBlock);
        int windowed = fed.windowedEntries();
        int largest = fed.largestEntries();
        try (SinkCache cache = fed.newCache()) {
            fed.tokens(cache, 3000);
            assertEquals(fed.bytes(windowed), cache.allocatedBytes(), "S + W + 1 + W / 4 entries");
            fed.assertHoldsSinksAndLast600(cache);
            fed.step(cache, 200, true);
            assertEquals(fed.bytes(largest), cache.allocatedBytes(), "S + W + a chunk of 600 + W / 4");
            fed.assertHoldsSinksAndLast600(cache);
            fed.tokens(cache, largest - 604);
            assertEquals(fed.bytes(windowed), cache.allocatedBytes(), "back to S + W + 1 + W / 4");
            fed.assertHoldsSinksAndLast600(cache);
            fed.tokens(cache, 2000);
            assertEquals(fed.bytes(windowed), cache.allocatedBytes(), "stays there");
            fed.assertHoldsSinksAndLast600(cache);
        }
    }

    /**
     * A chunk fed in several steps, committed without eviction until its last ({@link SinkCache#commit(SinkCache.Step,
     * boolean)}), never sees the buffers go back to the smaller size while it waits for eviction: those would not hold
     * it, and going back mid-chunk would copy the window twice for nothing. Chunks of 200 in steps of 10, at offsets
     * that vary where in a chunk the window's moves fall; after each, every layer and head holds the sinks and the last
     * W tokens as fed, and a stream of single tokens afterwards goes back to the smaller size.
     */
    @ParameterizedTest
    @MethodSource("cacheLayouts")
    void aChunkFedInStepsKeepsItsBuffersUntilItsEnd(DataType type, int keyBlock) {
        Fed fed = new Fed(type, keyBlock);
        try (SinkCache cache = fed.newCache()) {
            fed.tokens(cache, 1000);
            for (int chunk = 0; chunk < 40; chunk++) {
                long atLeast = 0;
                for (int step = 0; step < 20; step++) {
                    fed.step(cache, 10, step == 19);
                    long bytes = cache.allocatedBytes();
                    assertTrue(bytes >= atLeast, "chunk " + chunk + ", step " + step + ": " + bytes + " bytes after "
                            + atLeast);
                    atLeast = bytes;
                }
                assertEquals(fed.bytes(fed.largestEntries()), cache.allocatedBytes(), "chunk " + chunk);
                fed.assertHoldsSinksAndLast600(cache);
                fed.tokens(cache, 37 * chunk % 700);
                fed.assertHoldsSinksAndLast600(cache);
            }
            fed.tokens(cache, fed.largestEntries());
            assertEquals(fed.bytes(fed.windowedEntries()), cache.allocatedBytes());
            fed.assertHoldsSinksAndLast600(cache);
        }
    }

    /** Float32 and float16, keys in rows and in blocks of 16. */
    static List<org.junit.jupiter.params.provider.Arguments> cacheLayouts() {
        List<org.junit.jupiter.params.provider.Arguments> layouts = new ArrayList<>();
        for (DataType type : List.of(DataType.FLOAT32, DataType.FLOAT16)) {
            for (int keyBlock : new int[] {0, 16}) {
                layouts.add(org.junit.jupiter.params.provider.Arguments.of(type, keyBlock));
            }
        }
        return layouts;
    }

    /**
     * A stream fed to a cache of 4 sinks and a window of 600, 2 layers × 3 KV heads × 4 values, token {@code t} storing
     * {@link #fedValue} in every value of its key and its value: through {@link SinkCache.Step#append} for keys in
     * rows, {@link SinkCache.Step#put} for keys in blocks ({@code keyBlock > 0}), which {@code append} refuses.
     */
    private static final class Fed {
        final int layers = 2;
        final int heads = 3;
        final int dim = 4;
        final DataType type;
        final int keyBlock;
        /** Tokens fed so far. */
        int count;

        Fed(DataType type, int keyBlock) {
            this.type = type;
            this.keyBlock = keyBlock;
        }

        SinkCache newCache() {
            return new SinkCache(CacheConfig.sinks(4, 600), layers, heads, dim, type, Device.cpu(),
                    KeyShifter.IDENTITY, 600, manager, keyBlock);
        }

        /** S + W + 1 + W/4 entries, in whole blocks of keys. */
        int windowedEntries() {
            return keyBlock == 0 ? 755 : 768;
        }

        /** S + 2W + W/4 entries (room for a chunk of W past the window), in whole blocks of keys. */
        int largestEntries() {
            return keyBlock == 0 ? 1354 : 1360;
        }

        /** The bytes a cache holding buffers of {@code entries} entries allocates, its stored sinks included. */
        long bytes(int entries) {
            return (entries + 4L) * 2 * layers * heads * dim * type.getNumOfBytes();
        }

        /** The next {@code n} tokens, one step each. */
        void tokens(SinkCache cache, int n) {
            for (int i = 0; i < n; i++) {
                step(cache, 1, true);
            }
        }

        /** The next {@code n} tokens in one step, committed with eviction or without. */
        void step(SinkCache cache, int n, boolean evict) {
            try (NDManager step = manager.newSubManager()) {
                SinkCache.Step open = cache.begin(step, n);
                for (int l = 0; l < layers; l++) {
                    float[] data = new float[heads * n * dim];
                    for (int h = 0; h < heads; h++) {
                        for (int i = 0; i < n; i++) {
                            java.util.Arrays.fill(data, (h * n + i) * dim, (h * n + i + 1) * dim,
                                    fedValue(count + i, l, h));
                        }
                    }
                    if (keyBlock == 0) {
                        NDArray k = step.create(data, new Shape(heads, n, dim));
                        open.append(l, k, k);
                        continue;
                    }
                    for (int h = 0; h < heads; h++) {
                        for (int i = 0; i < n; i++) {
                            open.put(l, h, i, data, (h * n + i) * dim, data, (h * n + i) * dim);
                        }
                    }
                }
                cache.commit(open, evict);
            }
            count += n;
        }

        /**
         * Every layer and head of the cache attends the 4 tokens fed first and the last 600, in order, read through a
         * step that is then abandoned.
         */
        void assertHoldsSinksAndLast600(SinkCache cache) {
            assertEquals(604, cache.length());
            try (NDManager step = manager.newSubManager()) {
                SinkCache.Step open = cache.begin(step, 1);
                for (int l = 0; l < layers; l++) {
                    float[] keys = new float[heads * 605 * dim];
                    float[] values = new float[keys.length];
                    if (keyBlock == 0) {
                        NDArray probe = step.full(new Shape(heads, 1, dim), -1f);
                        NDArray[] attended = open.append(l, probe, probe);
                        keys = attended[0].toFloatArray();
                        values = attended[1].toFloatArray();
                    } else {
                        float[] row = new float[604 * dim];
                        for (int h = 0; h < heads; h++) {
                            open.readKeys(l, h, 0, 604, row);
                            System.arraycopy(row, 0, keys, h * 605 * dim, row.length);
                            open.readValues(l, h, 0, 604, row);
                            System.arraycopy(row, 0, values, h * 605 * dim, row.length);
                        }
                    }
                    for (int h = 0; h < heads; h++) {
                        for (int e = 0; e < 604; e++) {
                            float expected = fedValue(e < 4 ? e : count - 604 + e, l, h);
                            int at = (h * 605 + e) * dim;
                            for (int d = 0; d < dim; d++) {
                                assertEquals(expected, keys[at + d], "key of layer " + l + ", head " + h + ", entry "
                                        + e);
                                assertEquals(expected, values[at + d], "value of layer " + l + ", head " + h
                                        + ", entry " + e);
                            }
                        }
                    }
                }
                cache.abandon(open);
            }
        }
    }

    /**
     * What token {@code t} stores in every value of its key and its value, in layer {@code l} and head {@code h}: whole
     * numbers below 2,048, which float16 holds exactly.
     */
    private static float fedValue(int t, int l, int h) {
        return t % 256 + 256 * l + 512 * h;
    }

    @Test
    void aFailedStepLeavesTheCacheAsItWas() {
        CacheConfig config = CacheConfig.sinks(2, 4);
        try (SinkCache cache = new SinkCache(config, 1, 1, 2, DataType.FLOAT32, Device.cpu(), KeyShifter.IDENTITY, 4,
                manager)) {
            float[] before = null;
            for (int t = 0; t < 10; t++) {
                feedOne(cache, 2);
            }
            try (NDManager step = manager.newSubManager()) {
                SinkCache.Step open = cache.begin(step, 1);
                before = open.append(0, step.ones(new Shape(1, 1, 2)).mul(7), step.ones(new Shape(1, 1, 2)))[0]
                        .toFloatArray();
                // the forward pass "fails": no commit
            }
            assertEquals(6, cache.length());
            assertEquals(10, cache.streamLength());
            try (NDManager step = manager.newSubManager()) {
                SinkCache.Step open = cache.begin(step, 1);
                float[] keys = open.append(0, step.ones(new Shape(1, 1, 2)).mul(-1), step.ones(new Shape(1, 1, 2)))[0]
                        .toFloatArray();
                // Same six cached keys as before the failed step, then the new one.
                for (int i = 0; i < 12; i++) {
                    assertEquals(before[i], keys[i], "cached key element " + i);
                }
                assertEquals(-1f, keys[12]);
                cache.commit(open);
            }
        }
    }

    /** A step given up (its forward pass failed, or gave way to other work) does not block a rewind after it. */
    @Test
    void anAbandonedStepDoesNotBlockARewind() {
        try (SinkCache cache = new SinkCache(CacheConfig.sinks(2, 4), 1, 1, 2, DataType.FLOAT32, Device.cpu(),
                KeyShifter.IDENTITY, 4, manager)) {
            for (int t = 0; t < 3; t++) {
                feedOne(cache, 2);
            }
            try (NDManager step = manager.newSubManager()) {
                SinkCache.Step open = cache.begin(step, 1);
                cache.abandon(open);
            }
            cache.rewind(1);
            assertEquals(2, cache.length());
            assertEquals(2, cache.streamLength());
            try (NDManager step = manager.newSubManager()) {
                SinkCache.Step open = cache.begin(step, 1);
                cache.abandon(open);
                assertThrows(IllegalStateException.class, () -> cache.commit(open), "an abandoned step is not committed");
            }
            assertEquals(2, cache.streamLength());
        }
    }

    @Test
    void rejectsBadSizes() {
        assertThrows(IllegalArgumentException.class, () -> CacheConfig.sinks(-1, 10));
        assertThrows(IllegalArgumentException.class, () -> CacheConfig.sinks(4, 0));
        assertThrows(IllegalArgumentException.class, () -> CacheConfig.windowed(0));
        assertEquals(0, CacheConfig.windowed(8).attentionSinkSize());
        try (SinkCache cache = new SinkCache(CacheConfig.sinks(1, 4), 1, 1, 2, DataType.FLOAT32, Device.cpu(),
                KeyShifter.IDENTITY, 100, manager); NDManager step = manager.newSubManager()) {
            assertEquals(4, cache.maxChunk(), "a chunk never exceeds the window");
            assertThrows(IllegalArgumentException.class, () -> cache.begin(step, 5));
            assertThrows(IllegalArgumentException.class, () -> cache.reserve(5));
            assertThrows(IllegalArgumentException.class, () -> cache.reserve(0));
            SinkCache.Step open = cache.begin(step, 2);
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> cache.reserve(1));
            assertTrue(e.getMessage().contains("step is open"), e.getMessage());
            cache.abandon(open);
        }
    }

    /** The rotary embedding of the test's heads. */
    /**
     * A float16 cache holds the float32 cache's entries rounded to float16: values exactly, window keys exactly, sink
     * keys within a rounding or two of the float32 cache's (they are moved from their rounded first form and rounded
     * again), and the same whether fed through {@link SinkCache.Step#put} (sinks moved on the heap) or
     * {@link SinkCache.Step#append} (sinks moved in libtorch), or kept in blocks of 3 keys (read back through
     * {@link SinkCache.Step#readKeys} and, in their own layout, {@link SinkCache.Step#readKeyBlocks}); and a float32
     * cache with keys in blocks of 3 holds exactly the float32 cache's entries. Over 60 steps with growths, eviction
     * and moves back.
     */
    @ParameterizedTest
    @MethodSource("configs")
    void float16CacheHoldsTheRoundedEntries(CacheConfig config) {
        RotaryEmbedding rope = rope();
        Random random = new Random(12);
        try (SinkCache exact = new SinkCache(config, LAYERS, KV_HEADS, DIM, DataType.FLOAT32, Device.cpu(),
                     KeyShifter.rotary(rope), 8, manager);
             SinkCache viaHeap = new SinkCache(config, LAYERS, KV_HEADS, DIM, DataType.FLOAT16, Device.cpu(),
                     KeyShifter.rotary(rope), 8, manager);
             SinkCache viaArrays = new SinkCache(config, LAYERS, KV_HEADS, DIM, DataType.FLOAT16, Device.cpu(),
                     rope::shift, 8, manager);
             SinkCache inBlocks = new SinkCache(config, LAYERS, KV_HEADS, DIM, DataType.FLOAT16, Device.cpu(),
                     KeyShifter.rotary(rope), 8, manager, 3);
             SinkCache exactInBlocks = new SinkCache(config, LAYERS, KV_HEADS, DIM, DataType.FLOAT32, Device.cpu(),
                     KeyShifter.rotary(rope), 8, manager, 3)) {
            for (int chunk = 0; chunk < 60; chunk++) {
                int n = Math.min(exact.maxChunk(), chunk % 7 == 0 ? 8 : 1 + chunk % 3);
                float[] keys = new float[LAYERS * n * KV_HEADS * DIM];
                float[] values = new float[keys.length];
                for (int i = 0; i < keys.length; i++) {
                    keys[i] = (float) (random.nextGaussian() * 4);
                    values[i] = (float) (random.nextGaussian() * 4);
                }
                try (NDManager step = manager.newSubManager()) {
                    SinkCache.Step e = exact.begin(step, n);
                    SinkCache.Step h = viaHeap.begin(step, n);
                    SinkCache.Step a = viaArrays.begin(step, n);
                    SinkCache.Step b = inBlocks.begin(step, n);
                    SinkCache.Step eb = exactInBlocks.begin(step, n);
                    for (int l = 0; l < LAYERS; l++) {
                        int layerAt = l * n * KV_HEADS * DIM;
                        for (int i = 0; i < n; i++) {
                            for (int g = 0; g < KV_HEADS; g++) {
                                int at = layerAt + (i * KV_HEADS + g) * DIM;
                                e.put(l, g, i, keys, at, values, at);
                                h.put(l, g, i, keys, at, values, at);
                                b.put(l, g, i, keys, at, values, at);
                                eb.put(l, g, i, keys, at, values, at);
                            }
                        }
                        NDArray k = step.create(java.util.Arrays.copyOfRange(keys, layerAt, layerAt + n * KV_HEADS * DIM),
                                new Shape(n, KV_HEADS, DIM)).transpose(1, 0, 2);
                        NDArray v = step.create(java.util.Arrays.copyOfRange(values, layerAt,
                                layerAt + n * KV_HEADS * DIM), new Shape(n, KV_HEADS, DIM)).transpose(1, 0, 2);
                        NDArray[] attended = a.append(l, k, v);
                        assertEquals(DataType.FLOAT32, attended[0].getDataType(), "append hands out float32");
                        int count = e.keyCount();
                        int sinks = (int) Math.min(exact.sinkCount() + 0L, count);
                        float[] arrayKeys = attended[0].toFloatArray();
                        float[] arrayValues = attended[1].toFloatArray();
                        for (int g = 0; g < KV_HEADS; g++) {
                            float[] exactKeys = new float[count * DIM];
                            float[] exactValues = new float[count * DIM];
                            float[] halfKeys = new float[count * DIM];
                            float[] halfValues = new float[count * DIM];
                            e.readKeys(l, g, 0, count, exactKeys);
                            e.readValues(l, g, 0, count, exactValues);
                            h.readKeys(l, g, 0, count, halfKeys);
                            h.readValues(l, g, 0, count, halfValues);
                            float[] blockKeys = new float[count * DIM];
                            float[] blockValues = new float[count * DIM];
                            b.readKeys(l, g, 0, count, blockKeys);
                            b.readValues(l, g, 0, count, blockValues);
                            int start = b.keyBlockStart(0);
                            int blocks = (count - start + 2) / 3;
                            float[] turned = new float[blocks * 3 * DIM];
                            b.readKeyBlocks(l, g, start, blocks, turned);
                            float[] exactBlockKeys = new float[count * DIM];
                            float[] exactBlockValues = new float[count * DIM];
                            eb.readKeys(l, g, 0, count, exactBlockKeys);
                            eb.readValues(l, g, 0, count, exactBlockValues);
                            assertEquals(start, eb.keyBlockStart(0), "both caches' blocks start alike");
                            float[] exactTurned = new float[blocks * 3 * DIM];
                            eb.readKeyBlocks(l, g, start, blocks, exactTurned);
                            for (int i = 0; i < count * DIM; i++) {
                                String where = config + " chunk " + chunk + " layer " + l + " head " + g + " entry "
                                        + i / DIM + " element " + i % DIM;
                                float rounded = Float16Bits.toFloat(Float16Bits.fromFloat(exactValues[i]));
                                assertEquals(rounded, halfValues[i], 0f, where + ": value");
                                if (i / DIM >= sinks) {
                                    rounded = Float16Bits.toFloat(Float16Bits.fromFloat(exactKeys[i]));
                                    assertEquals(rounded, halfKeys[i], 0f, where + ": window key");
                                } else {
                                    assertEquals(exactKeys[i], halfKeys[i], 2e-3f * Math.max(4f, Math.abs(exactKeys[i])),
                                            where + ": sink key");
                                }
                                assertEquals(halfKeys[i], arrayKeys[g * count * DIM + i], 0f, where + ": key via append");
                                assertEquals(halfKeys[i], blockKeys[i], 0f, where + ": key in blocks");
                                assertEquals(halfValues[i], blockValues[i], 0f, where + ": value beside keys in blocks");
                                int key = i / DIM - start;
                                assertEquals(halfKeys[i], turned[(key / 3 * DIM + i % DIM) * 3 + key % 3], 0f,
                                        where + ": key in its block");
                                assertEquals(exactKeys[i], exactBlockKeys[i], 0f, where + ": float32 key in blocks");
                                assertEquals(exactValues[i], exactBlockValues[i], 0f,
                                        where + ": float32 value beside keys in blocks");
                                assertEquals(exactKeys[i], exactTurned[(key / 3 * DIM + i % DIM) * 3 + key % 3], 0f,
                                        where + ": float32 key in its block");
                                assertEquals(halfValues[i], arrayValues[g * count * DIM + i], 0f,
                                        where + ": value via append");
                            }
                        }
                    }
                    exact.commit(e);
                    viaHeap.commit(h);
                    viaArrays.commit(a);
                    inBlocks.commit(b);
                    exactInBlocks.commit(eb);
                }
                assertEquals(exact.length(), viaHeap.length());
            }
            if (config.bounded()) {
                assertEquals(config.capacity(), viaHeap.length(), "the stream must have evicted");
            }
            assertEquals(exact.allocatedBytes(), 2 * viaHeap.allocatedBytes(), "float16 entries take half the bytes");
        }
    }

    /**
     * A key or value beyond float16's range fails its step (put and append alike) with an error that names the layer
     * and the fix, and the cache, its step abandoned, goes on as before.
     */
    @Test
    void float16CacheRefusesValuesBeyondItsRange() {
        RotaryEmbedding rope = rope();
        try (SinkCache cache = new SinkCache(CacheConfig.sinks(2, 4), LAYERS, KV_HEADS, DIM, DataType.FLOAT16,
                Device.cpu(), KeyShifter.rotary(rope), 8, manager)) {
            float[] fine = new float[DIM];
            java.util.Arrays.fill(fine, 0.5f);
            float[] huge = fine.clone();
            huge[3] = 70000f;
            for (int t = 0; t < 3; t++) {
                try (NDManager step = manager.newSubManager()) {
                    SinkCache.Step open = cache.begin(step, 1);
                    for (int l = 0; l < LAYERS; l++) {
                        for (int g = 0; g < KV_HEADS; g++) {
                            open.put(l, g, 0, fine, 0, fine, 0);
                        }
                    }
                    cache.commit(open);
                }
            }
            try (NDManager step = manager.newSubManager()) {
                SinkCache.Step open = cache.begin(step, 1);
                SinkCache.ValueOutOfRangeException e = assertThrows(SinkCache.ValueOutOfRangeException.class,
                        () -> open.put(1, 0, 0, fine, 0, huge, 0));
                assertTrue(e.getMessage().contains("value of layer 1 is 70000.0")
                        && e.getMessage().contains("cache-dtype float32"), e.getMessage());
                NDArray k = step.create(huge, new Shape(1, 1, DIM)).repeat(0, KV_HEADS);
                e = assertThrows(SinkCache.ValueOutOfRangeException.class, () -> open.append(0, k, k));
                assertTrue(e.getMessage().contains("key of layer 0"), e.getMessage());
                cache.abandon(open);
            }
            assertEquals(3, cache.length());
            try (NDManager step = manager.newSubManager()) {
                SinkCache.Step open = cache.begin(step, 1);
                float[] read = new float[open.keyCount() * DIM];
                open.readValues(1, 0, 0, 3, read);
                for (int i = 0; i < 3 * DIM; i++) {
                    assertEquals(0.5f, read[i], 0f, "entry " + i / DIM + " is as stored");
                }
            }
        }
    }

    private static RotaryEmbedding rope() {
        return new RotaryEmbedding(DIM, DIM, RotaryEmbedding.defaultInverseFrequencies(THETA, DIM),
                RotaryEmbedding.Style.ROTATE_HALF, manager, DataType.FLOAT32);
    }

    /**
     * A float32 CPU cache of the test's shape whose sinks move by {@code rope} (in libtorch: the shifter has no heap
     * form), taking chunks of up to 8 tokens. Its buffers come from {@link #givenBack}, so the caches of these tests
     * take buffers that earlier caches gave back (filled with NaN again as they are taken).
     */
    private static SinkCache cache(CacheConfig config, RotaryEmbedding rope) {
        return new SinkCache(config, LAYERS, KV_HEADS, DIM, DataType.FLOAT32, Device.cpu(), rope::shift, 8, manager,
                0, givenBack);
    }

    private static int counter;

    private static void feedOne(SinkCache cache, int headDim) {
        try (NDManager step = manager.newSubManager()) {
            SinkCache.Step open = cache.begin(step, 1);
            NDArray k = step.full(new Shape(1, 1, headDim), counter++);
            open.append(0, k, k);
            cache.commit(open);
        }
    }

    private static double[][][][] randomTensor(Random random, int layers, int n, int heads) {
        double[][][][] t = new double[layers][n][heads][DIM];
        for (double[][][] a : t) {
            for (double[][] b : a) {
                for (double[] c : b) {
                    for (int i = 0; i < DIM; i++) {
                        c[i] = random.nextGaussian();
                    }
                }
            }
        }
        return t;
    }

    private static NDArray toArray(NDManager m, double[][][] x) {
        int n = x.length;
        int h = x[0].length;
        float[] flat = new float[n * h * DIM];
        for (int a = 0; a < n; a++) {
            for (int b = 0; b < h; b++) {
                for (int c = 0; c < DIM; c++) {
                    flat[(a * h + b) * DIM + c] = (float) x[a][b][c];
                }
            }
        }
        return m.create(flat, new Shape(n, h, DIM));
    }

    private static void assertClose(double[][][] expected, float[] actual, String what) {
        int i = 0;
        for (double[][] token : expected) {
            for (double[] head : token) {
                for (double e : head) {
                    double diff = Math.abs(e - actual[i++]);
                    if (!(diff <= 1e-4)) { // NaN too: an entry read before it was written

                        throw new AssertionError(what + ": element " + (i - 1) + " differs by " + diff);
                    }
                }
            }
        }
    }

    /** The specification, literally: un-rotated keys in cache order, re-rotated at cache indices every step. */
    static final class NaiveSinkCache {
        final CacheConfig config;
        final List<List<double[][]>> keys = new ArrayList<>();
        final List<List<double[][]>> values = new ArrayList<>();
        final double[] invFreq = new double[DIM / 2];
        List<List<double[][]>> pendingK;
        List<List<double[][]>> pendingV;

        NaiveSinkCache(CacheConfig config) {
            this.config = config;
            for (int l = 0; l < LAYERS; l++) {
                keys.add(new ArrayList<>());
                values.add(new ArrayList<>());
            }
            for (int i = 0; i < invFreq.length; i++) {
                invFreq[i] = (float) (1.0 / Math.pow(THETA, 2.0 * i / DIM));
            }
        }

        int length() {
            return keys.get(0).size();
        }

        double[] rotate(double[] x, int position) {
            double[] out = new double[DIM];
            int half = DIM / 2;
            for (int i = 0; i < half; i++) {
                double a = position * invFreq[i];
                out[i] = x[i] * Math.cos(a) - x[i + half] * Math.sin(a);
                out[i + half] = x[i + half] * Math.cos(a) + x[i] * Math.sin(a);
            }
            return out;
        }

        /** Outputs [layer][token][head][dim]. */
        double[][][][] step(double[][][][] q, double[][][][] k, double[][][][] v) {
            int n = q[0].length;
            int cached = length();
            double[][][][] out = new double[LAYERS][n][HEADS][DIM];
            for (int l = 0; l < LAYERS; l++) {
                List<double[][]> allK = new ArrayList<>(keys.get(l));
                List<double[][]> allV = new ArrayList<>(values.get(l));
                for (int i = 0; i < n; i++) {
                    allK.add(k[l][i]);
                    allV.add(v[l][i]);
                }
                for (int i = 0; i < n; i++) {
                    int qPos = cached + i;
                    for (int h = 0; h < HEADS; h++) {
                        int g = h / (HEADS / KV_HEADS);
                        double[] qr = rotate(q[l][i][h], qPos);
                        double[] scores = new double[qPos + 1];
                        double max = Double.NEGATIVE_INFINITY;
                        for (int j = 0; j <= qPos; j++) {
                            double[] kr = rotate(allK.get(j)[g], j);
                            double s = 0;
                            for (int d = 0; d < DIM; d++) {
                                s += qr[d] * kr[d];
                            }
                            scores[j] = s / Math.sqrt(DIM);
                            max = Math.max(max, scores[j]);
                        }
                        double sum = 0;
                        for (int j = 0; j <= qPos; j++) {
                            scores[j] = Math.exp(scores[j] - max);
                            sum += scores[j];
                        }
                        for (int j = 0; j <= qPos; j++) {
                            for (int d = 0; d < DIM; d++) {
                                out[l][i][h][d] += scores[j] / sum * allV.get(j)[g][d];
                            }
                        }
                    }
                }
                keys.set(l, allK);
                values.set(l, allV);
            }
            return out;
        }

        /** The specification of a rewind: the newest entries are gone, nothing else moves. */
        void rewind(int count) {
            for (int l = 0; l < LAYERS; l++) {
                List<double[][]> k = keys.get(l);
                List<double[][]> v = values.get(l);
                keys.set(l, new ArrayList<>(k.subList(0, k.size() - count)));
                values.set(l, new ArrayList<>(v.subList(0, v.size() - count)));
            }
        }

        void commit() {
            if (!config.bounded()) {
                return;
            }
            int s = config.attentionSinkSize();
            int w = config.windowSize();
            for (int l = 0; l < LAYERS; l++) {
                keys.set(l, evict(keys.get(l), s, w));
                values.set(l, evict(values.get(l), s, w));
            }
        }

        static List<double[][]> evict(List<double[][]> list, int s, int w) {
            if (list.size() <= s + w) {
                return list;
            }
            List<double[][]> kept = new ArrayList<>(list.subList(0, s));
            kept.addAll(list.subList(list.size() - w, list.size()));
            return kept;
        }
    }
}
