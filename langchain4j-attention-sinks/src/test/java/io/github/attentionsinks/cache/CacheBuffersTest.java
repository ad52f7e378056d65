package io.github.attentionsinks.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.github.attentionsinks.runtime.DjlRuntime;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Cache buffers kept for the next cache of the same shape: reuse, expiry, closing, caches giving them back, and spares
 * made for buffers handed out fresh.
 */
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
            NDArray first = buffers.take(SHAPE, DataType.FLOAT32, false);
            buffers.giveBack(first);
            assertEquals(SHAPE.size() * Float.BYTES, buffers.keptBytes());

            NDArray otherShape = buffers.take(new Shape(2, 1, 16, 4), DataType.FLOAT32, false);
            NDArray otherType = buffers.take(SHAPE, DataType.FLOAT16, false);
            assertNotSame(first, otherShape);
            assertNotSame(first, otherType);
            assertEquals(SHAPE.size() * Float.BYTES, buffers.keptBytes(), "still kept for its own shape and type");

            assertSame(first, buffers.take(SHAPE, DataType.FLOAT32, false));
            assertEquals(0, buffers.keptBytes());
            assertNotSame(first, buffers.take(SHAPE, DataType.FLOAT32, false), "a buffer is handed out once");
        }
    }

    @Test
    void theMostRecentlyGivenBackIsTakenFirst() {
        try (CacheBuffers buffers = new CacheBuffers(manager)) {
            NDArray older = buffers.take(SHAPE, DataType.FLOAT32, false);
            NDArray newer = buffers.take(SHAPE, DataType.FLOAT32, false);
            buffers.giveBack(older);
            buffers.giveBack(newer);
            assertSame(newer, buffers.take(SHAPE, DataType.FLOAT32, false));
            assertSame(older, buffers.take(SHAPE, DataType.FLOAT32, false));
        }
    }

    @Test
    void keptBuffersAreFreedOnceTheirTimeIsUpWithNothingElseHappening() throws InterruptedException {
        try (CacheBuffers buffers = new CacheBuffers(manager)) {
            buffers.keepNanos(TimeUnit.MILLISECONDS.toNanos(100));
            NDArray first = buffers.take(SHAPE, DataType.FLOAT32, false);
            NDArray second = buffers.take(SHAPE, DataType.FLOAT16, false);
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

    /**
     * The reserve: of the buffers new caches start with, two per reserved cache (the most recently given back) outlive
     * their time; older ones of that shape, and buffers of shapes no cache started with, still expire.
     */
    @Test
    void theReserveKeepsABatchOfStartingBuffersPastTheirTime() throws InterruptedException {
        try (CacheBuffers buffers = new CacheBuffers(manager)) {
            buffers.keepNanos(TimeUnit.MILLISECONDS.toNanos(100));
            buffers.reserve(1);
            buffers.reserve(0);
            assertEquals(1, buffers.reservedCaches(), "the largest reserve asked for counts");
            NDArray oldest = buffers.take(SHAPE, DataType.FLOAT32, true);
            NDArray keys = buffers.take(SHAPE, DataType.FLOAT32, true);
            NDArray values = buffers.take(SHAPE, DataType.FLOAT32, true);
            Shape grownInto = new Shape(2, 1, 16, 4);
            NDArray grown = buffers.take(grownInto, DataType.FLOAT32, false);
            buffers.giveBack(oldest);
            buffers.giveBack(keys);
            buffers.giveBack(values);
            buffers.giveBack(grown);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (!(oldest.isReleased() && grown.isReleased()) && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            assertTrue(oldest.isReleased(), "a starting buffer beyond the reserve expires");
            assertTrue(grown.isReleased(), "a buffer of a shape no cache started with expires");
            Thread.sleep(400); // four times the keep time: the timer had its rounds
            assertFalse(keys.isReleased());
            assertFalse(values.isReleased());
            assertEquals(2 * SHAPE.size() * Float.BYTES, buffers.keptBytes(), "one cache's keys and values");
            assertSame(values, buffers.take(SHAPE, DataType.FLOAT32, true));
            assertSame(keys, buffers.take(SHAPE, DataType.FLOAT32, true));
        }
    }

    @Test
    void withoutAReserveStartingBuffersExpireAsOthersDo() throws InterruptedException {
        try (CacheBuffers buffers = new CacheBuffers(manager)) {
            buffers.keepNanos(TimeUnit.MILLISECONDS.toNanos(100));
            NDArray first = buffers.take(SHAPE, DataType.FLOAT32, true);
            buffers.giveBack(first);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (!first.isReleased() && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            assertTrue(first.isReleased());
            assertEquals(0, buffers.keptBytes());
        }
    }

    @Test
    void closingFreesEveryBufferInUseOrKeptAndLaterOnesAsTheyComeBack() {
        CacheBuffers buffers = new CacheBuffers(manager);
        NDArray inUse = buffers.take(SHAPE, DataType.FLOAT32, false);
        NDArray kept = buffers.take(SHAPE, DataType.FLOAT32, false);
        buffers.giveBack(kept);
        buffers.close();
        assertTrue(inUse.isReleased());
        assertTrue(kept.isReleased());
        assertEquals(0, buffers.keptBytes());
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> buffers.take(SHAPE, DataType.FLOAT32, false));
        assertTrue(e.getMessage().contains("closed"), e.getMessage());
    }

    @Test
    void aBufferHandedOutFreshIsMadeOnceMoreAsASpareForTheNextTake() {
        try (CacheBuffers buffers = new CacheBuffers(manager)) {
            assertFalse(buffers.sparesWanted(), "nothing handed out yet");
            NDArray first = buffers.take(SHAPE, DataType.FLOAT32, false);
            assertTrue(buffers.sparesWanted());
            assertFalse(buffers.prepareSpare(() -> false), "one spare for one fresh buffer, and no more wanted");
            assertFalse(buffers.sparesWanted());
            assertEquals(SHAPE.size() * Float.BYTES, buffers.keptBytes(), "the spare is kept");

            NDArray second = buffers.take(SHAPE, DataType.FLOAT32, false);
            assertNotSame(first, second);
            assertEquals(0, buffers.keptBytes(), "the next take got the spare");
            assertTrue(buffers.sparesWanted(), "a spare taken is growth too: the next is made");
            assertFalse(buffers.prepareSpare(() -> false));
            assertEquals(SHAPE.size() * Float.BYTES, buffers.keptBytes());

            buffers.giveBack(second);
            buffers.giveBack(first);
            assertEquals(2 * SHAPE.size() * Float.BYTES, buffers.keptBytes(), "the spare freed for the second back");
            buffers.take(SHAPE, DataType.FLOAT32, false);
            assertFalse(buffers.sparesWanted(), "a buffer given back and taken again is no growth");
        }
    }

    @Test
    void aBufferGivenBackBalancesOneHandedOutFresh() {
        try (CacheBuffers buffers = new CacheBuffers(manager)) {
            NDArray first = buffers.take(SHAPE, DataType.FLOAT32, false);
            buffers.take(SHAPE, DataType.FLOAT32, false);
            buffers.take(SHAPE, DataType.FLOAT16, false);
            buffers.giveBack(first);
            int made = 0;
            while (buffers.sparesWanted()) {
                buffers.prepareSpare(() -> false);
                made++;
            }
            assertEquals(2, made, "one float32 buffer and one float16, not two float32");
            assertEquals(SHAPE.size() * (2 * Float.BYTES + 2), buffers.keptBytes(),
                    "the one given back, a float32 spare and a float16 spare");
        }
    }

    @Test
    void atMostMaxSparesOfAShapeAreMadeBetweenTwoBusyPeriods() {
        try (CacheBuffers buffers = new CacheBuffers(manager)) {
            for (int i = 0; i < CacheBuffers.MAX_SPARES + 3; i++) {
                buffers.take(SHAPE, DataType.FLOAT32, false);
            }
            int made = 0;
            while (buffers.sparesWanted()) {
                buffers.prepareSpare(() -> false);
                made++;
            }
            assertEquals(CacheBuffers.MAX_SPARES, made);
            assertEquals(CacheBuffers.MAX_SPARES * SHAPE.size() * Float.BYTES, buffers.keptBytes());
        }
    }

    /** Sessions that took fresh buffers, had spares made and then closed leave what they held, not the spares too. */
    @Test
    void aBufferGivenBackPastTheGrowthCountedFreesASpareOfItsShape() {
        try (CacheBuffers buffers = new CacheBuffers(manager)) {
            NDArray first = buffers.take(SHAPE, DataType.FLOAT32, false);
            NDArray second = buffers.take(SHAPE, DataType.FLOAT32, false);
            while (buffers.sparesWanted()) {
                buffers.prepareSpare(() -> false);
            }
            assertEquals(2 * SHAPE.size() * Float.BYTES, buffers.keptBytes(), "two spares");
            buffers.giveBack(first);
            buffers.giveBack(second);
            assertEquals(2 * SHAPE.size() * Float.BYTES, buffers.keptBytes(),
                    "the two given back, in the spares' place");
            assertSame(second, buffers.take(SHAPE, DataType.FLOAT32, false));
            assertSame(first, buffers.take(SHAPE, DataType.FLOAT32, false));
            assertEquals(0, buffers.keptBytes());
        }
    }

    @Test
    void sparesAreMadeOnlyWhileAllKeptBuffersStayWithinTheBudget() {
        long bytes = SHAPE.size() * Float.BYTES;
        try (CacheBuffers buffers = new CacheBuffers(manager)) {
            buffers.spareBytes(3 * bytes);
            NDArray given = buffers.take(SHAPE, DataType.FLOAT32, false);
            for (int i = 0; i < 3; i++) {
                buffers.take(SHAPE, DataType.FLOAT32, false);
            }
            buffers.giveBack(given);
            while (buffers.sparesWanted()) {
                buffers.prepareSpare(() -> false);
            }
            assertEquals(3 * bytes, buffers.keptBytes(), "the one given back and two spares, not three");
        }
    }

    /** A spare's pages are written 2 MiB at a time; work coming in stops it after the slice in hand, and frees it. */
    @Test
    void aSpareAsksForWorkBetweenSlicesAndIsDroppedWhenWorkCame() {
        Shape sixMiB = new Shape(3, 1, 1024, 512);
        try (CacheBuffers buffers = new CacheBuffers(manager)) {
            buffers.take(sixMiB, DataType.FLOAT32, false);
            buffers.take(sixMiB, DataType.FLOAT32, false);
            AtomicInteger asked = new AtomicInteger();
            buffers.prepareSpare(() -> {
                asked.incrementAndGet();
                return false;
            });
            assertEquals(3, asked.get(), "asked before each of the three 2 MiB slices");

            asked.set(0);
            assertFalse(buffers.prepareSpare(() -> asked.incrementAndGet() > 0), "none wanted after the second");
            assertEquals(1, asked.get(), "work came before the first slice: stopped there");
            assertEquals(sixMiB.size() * Float.BYTES, buffers.keptBytes(), "the whole spare kept, the other freed");
        }
    }

    /** Closing frees the spare's memory: it waits for the slice being written, which then stops. */
    @Test
    void closingWaitsForTheSpareBeingMadeWhichStopsAtTheNextSlice() throws Exception {
        CacheBuffers buffers = new CacheBuffers(manager);
        buffers.take(SHAPE, DataType.FLOAT32, false);
        CountDownLatch asking = new CountDownLatch(1);
        CountDownLatch answer = new CountDownLatch(1);
        AtomicBoolean wanted = new AtomicBoolean(true);
        Thread maker = new Thread(() -> wanted.set(buffers.prepareSpare(() -> {
            asking.countDown();
            try {
                answer.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return false;
        })));
        maker.start();
        assertTrue(asking.await(10, TimeUnit.SECONDS));
        Thread closer = new Thread(buffers::close);
        closer.start();
        closer.join(300);
        assertTrue(closer.isAlive(), "close waits while a spare is being written");
        answer.countDown();
        maker.join(10_000);
        closer.join(10_000);
        assertFalse(closer.isAlive());
        assertFalse(wanted.get(), "a closed pool wants no spares");
        assertEquals(0, buffers.keptBytes());
        assertFalse(buffers.sparesWanted());
    }

    /** Tasks one after another on this thread, counting them. */
    private static CacheBuffers.Tasks counted(AtomicInteger count) {
        return (n, task) -> {
            for (int i = 0; i < n; i++) {
                count.incrementAndGet();
                task.accept(i);
            }
        };
    }

    /**
     * A buffer made ahead of a growth is faulted in as many slices (2 MiB) as asked; once whole it is kept
     * like one given back, and the next take of its kind gets it rather than fresh memory.
     */
    @Test
    void aBufferMadeAheadIsFaultedInSlicesAndKeptOnceWhole() {
        Shape sixMiB = new Shape(3, 1, 1024, 512);
        CacheBuffers.Kind kind = new CacheBuffers.Kind(sixMiB, DataType.FLOAT32);
        AtomicInteger tasks = new AtomicInteger();
        try (CacheBuffers buffers = new CacheBuffers(manager)) {
            assertEquals(6, buffers.slicesAhead(kind, 2), "three slices each for two buffers");
            assertEquals(2, buffers.prepareAhead(kind, 2, 2, counted(tasks)));
            assertEquals(4, tasks.get(), "a task a half slice, so that one slice goes on two threads");
            assertEquals(4, buffers.slicesAhead(kind, 2));
            assertEquals(sixMiB.size() * Float.BYTES, buffers.keptBytes(), "the unfinished buffer is held");
            assertEquals(1, buffers.prepareAhead(kind, 2, 2, counted(tasks)), "one slice was left of the first");
            assertEquals(3, buffers.slicesAhead(kind, 2), "the first is ready, the second not begun");

            long fresh = buffers.freshTakes();
            buffers.take(sixMiB, DataType.FLOAT32, false);
            assertEquals(fresh, buffers.freshTakes(), "taken from what was made ahead");
            assertEquals(6, buffers.slicesAhead(kind, 2));
            buffers.take(sixMiB, DataType.FLOAT32, false);
            assertEquals(fresh + 1, buffers.freshTakes(), "nothing else was ready");
        }
    }

    /** Nothing is made ahead while as many buffers of the kind as asked are kept already, given back or made so. */
    @Test
    void nothingIsMadeAheadWhileAsManyAreKept() {
        CacheBuffers.Kind kind = new CacheBuffers.Kind(SHAPE, DataType.FLOAT32);
        AtomicInteger tasks = new AtomicInteger();
        try (CacheBuffers buffers = new CacheBuffers(manager)) {
            buffers.giveBack(buffers.take(SHAPE, DataType.FLOAT32, false));
            assertEquals(0, buffers.slicesAhead(kind, 1));
            assertEquals(0, buffers.prepareAhead(kind, 1, 4, counted(tasks)));
            assertEquals(1, buffers.slicesAhead(kind, 2), "a buffer under 2 MiB is one slice");
            assertEquals(1, buffers.prepareAhead(kind, 2, 4, counted(tasks)), "the slices of one buffer at most");
            assertEquals(0, buffers.prepareAhead(kind, 2, 4, counted(tasks)));
            assertEquals(1, tasks.get(), "half a slice's bytes and less: one task");
            assertEquals(2 * SHAPE.size() * Float.BYTES, buffers.keptBytes());
        }
    }

    /**
     * A buffer not finished when its growth comes goes, as it is, only to the thread that was faulting it in (which is
     * not writing into it then); another thread's take gets fresh memory.
     */
    @Test
    void anUnfinishedBufferGoesOnlyToTheThreadMakingIt() throws Exception {
        Shape sixMiB = new Shape(3, 1, 1024, 512);
        CacheBuffers.Kind kind = new CacheBuffers.Kind(sixMiB, DataType.FLOAT32);
        try (CacheBuffers buffers = new CacheBuffers(manager)) {
            assertEquals(1, buffers.prepareAhead(kind, 1, 1, counted(new AtomicInteger())));
            NDArray[] elsewhere = new NDArray[1];
            Thread other = new Thread(() -> elsewhere[0] = buffers.take(sixMiB, DataType.FLOAT32, false));
            other.start();
            other.join(10_000);
            assertEquals(1, buffers.freshTakes(), "another thread got a fresh one");
            assertEquals(sixMiB.size() * Float.BYTES, buffers.keptBytes(), "the unfinished one still held");

            NDArray unfinished = buffers.take(sixMiB, DataType.FLOAT32, false);
            assertNotSame(elsewhere[0], unfinished);
            assertEquals(1, buffers.freshTakes(), "the maker took the unfinished one");
            assertEquals(0, buffers.keptBytes());
            assertEquals(3, buffers.slicesAhead(kind, 1), "begun again from nothing");
        }
    }

    /**
     * Closing the pool waits for the slices being faulted in ahead (their memory is the pool's), after which nothing
     * is kept or made.
     */
    @Test
    void closingWaitsForTheSlicesBeingMadeAheadAndKeepsNothing() throws Exception {
        CacheBuffers.Kind kind = new CacheBuffers.Kind(SHAPE, DataType.FLOAT32);
        CacheBuffers buffers = new CacheBuffers(manager);
        CountDownLatch faulting = new CountDownLatch(1);
        CountDownLatch goOn = new CountDownLatch(1);
        CacheBuffers.Tasks held = (n, task) -> {
            faulting.countDown();
            try {
                goOn.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            task.accept(0);
        };
        Thread maker = new Thread(() -> buffers.prepareAhead(kind, 1, 1, held));
        maker.start();
        assertTrue(faulting.await(10, TimeUnit.SECONDS));
        Thread closer = new Thread(buffers::close);
        closer.start();
        closer.join(300);
        assertTrue(closer.isAlive(), "close waits while slices are being faulted in");
        goOn.countDown();
        maker.join(10_000);
        closer.join(10_000);
        assertFalse(closer.isAlive());
        assertEquals(0, buffers.keptBytes());
        assertEquals(0, buffers.slicesAhead(kind, 1));
        assertEquals(0, buffers.prepareAhead(kind, 1, 1, counted(new AtomicInteger())));
    }

    /**
     * What a cache says of its next buffers is what it then does: after as many entries as it said, it takes two
     * buffers of the shape it said, larger ones as it grows and, after a long step made it the largest, the smaller
     * ones again; a bounded cache whose window moves back within its buffers says none are coming, nor does one
     * without buffers.
     */
    @Test
    void aCacheSaysWhenAndIntoWhatBuffersItMovesNext() {
        int before = SinkCache.initialCapacity;
        SinkCache.initialCapacity = 4;
        try (CacheBuffers buffers = new CacheBuffers(manager)) {
            SinkCache cache = cache(CacheConfig.sinks(2, 16), buffers);
            assertNull(cache.nextBuffers(), "no buffers yet");
            feed(cache, 1);
            long capacity = 4;
            int growths = 0;
            for (SinkCache.NextBuffers next = cache.nextBuffers(); next != null; next = cache.nextBuffers()) {
                assertEquals(DataType.FLOAT32, next.type());
                long bytes = cache.allocatedBytes();
                feed(cache, next.entriesLeft());
                assertEquals(bytes, cache.allocatedBytes(), "no growth within the entries left");
                feed(cache, 1);
                long grown = next.shape().get(2);
                assertEquals(new Shape(1, 1, grown, 4), next.shape());
                assertEquals(2 * (grown - capacity) * 4 * Float.BYTES, cache.allocatedBytes() - bytes,
                        "grew into keys and values of the shape said");
                capacity = grown;
                growths++;
            }
            assertEquals(3, growths, "4 -> 8 -> 16 -> 35 entries (S + W + 1 + slack)");
            feed(cache, 100);
            assertNull(cache.nextBuffers(), "with room past its window the window moves back instead");
            assertEquals(2 * 35 * 4 * Float.BYTES + 2 * 2 * 4 * Float.BYTES, cache.allocatedBytes());

            // A step of 16 at a full window needs S + W + 16 entries and more room than 35 leaves: the largest size,
            // S + W + a chunk of 16 + slack = 50. The cache says it goes back to 35 when its window next moves.
            SinkCache pasted = new SinkCache(CacheConfig.sinks(2, 16), 1, 1, 4, DataType.FLOAT32, Device.cpu(),
                    KeyShifter.IDENTITY, 16, manager, 0, buffers);
            feed(pasted, 40);
            try (NDManager step = manager.newSubManager()) {
                SinkCache.Step open = pasted.begin(step, 16);
                NDArray k = step.zeros(new Shape(1, 16, 4));
                open.append(0, k, k);
                pasted.commit(open);
            }
            long largest = pasted.allocatedBytes();
            assertEquals(2 * 50 * 4 * Float.BYTES + 2 * 2 * 4 * Float.BYTES, largest);
            SinkCache.NextBuffers back = pasted.nextBuffers();
            assertEquals(new Shape(1, 1, 35, 4), back.shape());
            feed(pasted, back.entriesLeft());
            assertEquals(largest, pasted.allocatedBytes(), "no move within the entries left");
            long keptBefore = buffers.keptBytes();
            feed(pasted, 1);
            assertEquals(2 * 35 * 4 * Float.BYTES + 2 * 2 * 4 * Float.BYTES, pasted.allocatedBytes(),
                    "went back into keys and values of the shape said");
            assertNull(pasted.nextBuffers());
            assertTrue(buffers.keptBytes() <= keptBefore, "the larger buffers were freed, not kept: "
                    + buffers.keptBytes() + " bytes kept, " + keptBefore + " before");
            pasted.close();
        } finally {
            SinkCache.initialCapacity = before;
        }
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

    /**
     * A cache's first buffers are the ones the reserve keeps (keys, values and sinks); those it grows into expire, and
     * so do the first buffers of a cache made larger for a long first step.
     */
    @Test
    void theReserveKeepsWhatCachesStartWithNotWhatTheyGrowInto() throws InterruptedException {
        int before = SinkCache.initialCapacity;
        SinkCache.initialCapacity = 4;
        try (CacheBuffers buffers = new CacheBuffers(manager)) {
            buffers.keepNanos(TimeUnit.MILLISECONDS.toNanos(100));
            buffers.reserve(1);
            CacheConfig config = CacheConfig.sinks(2, 16);
            long entryBytes = 4 * Float.BYTES; // one layer, one head, four values
            long sinks = 2 * 2 * entryBytes;
            SinkCache grew = cache(config, buffers);
            feed(grew, 5); // two sinks, then 4 entries of the window, then 8
            grew.close();
            assertEquals(2 * 4 * entryBytes + 2 * 8 * entryBytes + sinks, buffers.keptBytes());
            awaitKept(buffers, 2 * 4 * entryBytes + sinks, "the 8-entry buffers it grew into expired");

            SinkCache large = new SinkCache(config, 1, 1, 4, DataType.FLOAT32, Device.cpu(), KeyShifter.IDENTITY, 8,
                    manager, 0, buffers);
            try (NDManager step = manager.newSubManager()) {
                SinkCache.Step open = large.begin(step, 6);
                NDArray k = step.zeros(new Shape(1, 6, 4));
                open.append(0, k, k);
                large.commit(open);
            }
            large.close();
            awaitKept(buffers, 2 * 4 * entryBytes + sinks,
                    "the first buffers of a cache made larger for its first step expired too");
            Thread.sleep(300);
            assertEquals(2 * 4 * entryBytes + sinks, buffers.keptBytes(), "the reserve stays");
        } finally {
            SinkCache.initialCapacity = before;
        }
    }

    private static void awaitKept(CacheBuffers buffers, long bytes, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (buffers.keptBytes() != bytes && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertEquals(bytes, buffers.keptBytes(), what);
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
