package io.github.attentionsinks.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.github.attentionsinks.runtime.DjlRuntime;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Cache buffers kept for the next cache of the same shape: reuse, expiry, closing, and caches giving them back. */
class CacheBuffersTest {
    private static final Shape SHAPE = new Shape(2, 1, 8, 4);
    private static NDManager manager;

    @BeforeAll
    static void start() {
        DjlRuntime.engine();
        manager = NDManager.newBaseManager(Device.cpu());
    }

    @AfterAll
    static void stop() {
        manager.close();
    }

    @Test
    void aBufferGivenBackGoesToTheNextTakeOfItsShapeAndTypeOnly() {
        try (CacheBuffers buffers = new CacheBuffers(manager)) {
            NDArray first = buffers.take(SHAPE, DataType.FLOAT32);
            buffers.giveBack(first);
            assertEquals(SHAPE.size() * Float.BYTES, buffers.keptBytes());

            NDArray otherShape = buffers.take(new Shape(2, 1, 16, 4), DataType.FLOAT32);
            NDArray otherType = buffers.take(SHAPE, DataType.FLOAT16);
            assertNotSame(first, otherShape);
            assertNotSame(first, otherType);
            assertEquals(SHAPE.size() * Float.BYTES, buffers.keptBytes(), "still kept for its own shape and type");

            assertSame(first, buffers.take(SHAPE, DataType.FLOAT32));
            assertEquals(0, buffers.keptBytes());
            assertNotSame(first, buffers.take(SHAPE, DataType.FLOAT32), "a buffer is handed out once");
        }
    }

    @Test
    void theMostRecentlyGivenBackIsTakenFirst() {
        try (CacheBuffers buffers = new CacheBuffers(manager)) {
            NDArray older = buffers.take(SHAPE, DataType.FLOAT32);
            NDArray newer = buffers.take(SHAPE, DataType.FLOAT32);
            buffers.giveBack(older);
            buffers.giveBack(newer);
            assertSame(newer, buffers.take(SHAPE, DataType.FLOAT32));
            assertSame(older, buffers.take(SHAPE, DataType.FLOAT32));
        }
    }

    @Test
    void keptBuffersAreFreedOnceTheirTimeIsUpWithNothingElseHappening() throws InterruptedException {
        try (CacheBuffers buffers = new CacheBuffers(manager)) {
            buffers.keepNanos(TimeUnit.MILLISECONDS.toNanos(100));
            NDArray first = buffers.take(SHAPE, DataType.FLOAT32);
            NDArray second = buffers.take(SHAPE, DataType.FLOAT16);
            buffers.giveBack(first);
            Thread.sleep(60);
            buffers.giveBack(second);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (!first.isReleased() && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            assertTrue(first.isReleased(), "the first buffer was freed by the timer");
            assertEquals(SHAPE.size() * 2, buffers.keptBytes(), "the one given back later is still kept");
            while (!second.isReleased() && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            assertTrue(second.isReleased(), "the second was freed by the next round of the timer");
            assertEquals(0, buffers.keptBytes());
        }
    }

    @Test
    void closingFreesEveryBufferInUseOrKeptAndLaterOnesAsTheyComeBack() {
        CacheBuffers buffers = new CacheBuffers(manager);
        NDArray inUse = buffers.take(SHAPE, DataType.FLOAT32);
        NDArray kept = buffers.take(SHAPE, DataType.FLOAT32);
        buffers.giveBack(kept);
        buffers.close();
        assertTrue(inUse.isReleased());
        assertTrue(kept.isReleased());
        assertEquals(0, buffers.keptBytes());
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> buffers.take(SHAPE, DataType.FLOAT32));
        assertTrue(e.getMessage().contains("closed"), e.getMessage());
    }

    /**
     * A cache gives back the buffers it outgrows and, when closed, all of its own; a new cache of the same shape takes
     * them instead of new ones.
     */
    @Test
    void cachesGiveBackWhatTheyOutgrowAndWhatTheyHeldAndTheNextCacheTakesIt() {
        int before = SinkCache.initialCapacity;
        SinkCache.initialCapacity = 4;
        try (CacheBuffers buffers = new CacheBuffers(manager)) {
            CacheConfig config = CacheConfig.sinks(2, 16);
            long entryBytes = 4 * Float.BYTES; // one layer, one head, four values
            SinkCache first = cache(config, buffers);
            feed(first, 4);
            assertEquals(0, buffers.keptBytes(), "nothing outgrown yet");
            feed(first, 1);
            assertEquals(2 * 4 * entryBytes, buffers.keptBytes(), "the 4-entry keys and values, outgrown");
            long held = first.allocatedBytes();
            first.close();
            assertEquals(2 * 4 * entryBytes + held, buffers.keptBytes(), "and all the closed cache held");

            SinkCache second = cache(config, buffers);
            feed(second, 1);
            assertEquals(2 * 8 * entryBytes, buffers.keptBytes(),
                    "the new cache took the 4-entry buffers and the sinks' buffers; the 8-entry ones stay kept");
            second.close();
        } finally {
            SinkCache.initialCapacity = before;
        }
    }

    private static SinkCache cache(CacheConfig config, CacheBuffers buffers) {
        return new SinkCache(config, 1, 1, 4, DataType.FLOAT32, Device.cpu(), KeyShifter.IDENTITY, 4, manager, 0,
                buffers);
    }

    private static void feed(SinkCache cache, int tokens) {
        for (int t = 0; t < tokens; t++) {
            try (NDManager step = manager.newSubManager()) {
                SinkCache.Step open = cache.begin(step, 1);
                NDArray k = step.full(new Shape(1, 1, 4), t);
                open.append(0, k, k);
                cache.commit(open);
            }
        }
    }
}
