package io.github.attentionsinks.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link TileThreads}: every tile computed once, for tile counts and claim sizes that do and do not divide; a task's
 * exception rethrown as it is, whichever thread ran it; and the threads ready for the next product after a failure.
 */
class TileThreadsTest {
    @Test
    void everyTileIsComputedOnce() {
        try (TileThreads threads = new TileThreads(2)) {
            for (int tiles : new int[] {1, 2, 3, 9, 15, 24, 768}) {
                for (int chunk : new int[] {1, 2, 3, 8}) {
                    AtomicIntegerArray seen = new AtomicIntegerArray(tiles);
                    threads.run(tiles, chunk, (from, to) -> {
                        for (int t = from; t < to; t++) {
                            seen.incrementAndGet(t);
                        }
                    });
                    for (int t = 0; t < tiles; t++) {
                        assertEquals(1, seen.get(t), "tile " + t + " of " + tiles + " in claims of " + chunk);
                    }
                }
            }
        }
    }

    /** A failed claim's tiles must count as done too, or the caller would wait for them forever: hence the timeout. */
    @Test
    @Timeout(value = 30, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void aTasksExceptionComesBackAsItIsAndTheThreadsWorkOn() {
        try (TileThreads threads = new TileThreads(2)) {
            for (int failing : new int[] {0, 5, 23}) {
                IllegalStateException thrown = new IllegalStateException("tile " + failing);
                IllegalStateException caught = assertThrows(IllegalStateException.class,
                        () -> threads.run(24, 1, (from, to) -> {
                            sleepMicros(50); // both threads take claims
                            if (from <= failing && failing < to) {
                                throw thrown;
                            }
                        }));
                assertSame(thrown, caught);
                AtomicIntegerArray seen = new AtomicIntegerArray(24);
                threads.run(24, 1, (from, to) -> seen.incrementAndGet(from));
                for (int t = 0; t < 24; t++) {
                    assertEquals(1, seen.get(t), "tile " + t + " of the product after a failure");
                }
            }
        }
    }

    private static void sleepMicros(long micros) {
        long end = System.nanoTime() + micros * 1000;
        while (System.nanoTime() < end) {
            Thread.onSpinWait();
        }
    }
}
