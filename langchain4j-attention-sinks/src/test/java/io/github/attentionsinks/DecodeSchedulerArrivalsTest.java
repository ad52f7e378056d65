package io.github.attentionsinks;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.attentionsinks.cache.CacheConfig;
import io.github.attentionsinks.generate.GenerationParams;
import io.github.attentionsinks.generate.GenerationResult;
import io.github.attentionsinks.generate.TokenListener;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A step with room waits for generations on their way ({@link DecodeScheduler.Arrival}), and only as long as they
 * prepare: not while paused, not once submitted or closed, not past the deadline (and then never again), not when
 * the batch is full (stories260K, greedy). A stories260K step takes well under a millisecond, so a decode loop that
 * did not wait would run hundreds of steps in the 300 ms these tests watch it.
 */
class DecodeSchedulerArrivalsTest {
    static AttentionSinkModel model;
    static final CacheConfig CACHE = CacheConfig.sinks(4, 64);
    static final long MINUTE = TimeUnit.MINUTES.toNanos(1);

    @BeforeAll
    static void load() {
        model = Shared.loadStories();
    }

    @AfterAll
    static void close() {
        model.close();
    }

    /** A generation that decodes until stopped, so that the decode loop always has a step to run. */
    static final class Endless implements AutoCloseable {
        final Session session = model.newSession(CACHE);
        volatile boolean stop;
        final CompletableFuture<GenerationResult> result;

        Endless(DecodeScheduler scheduler) {
            result = scheduler.submit(session, model.tokenizer().encode("Once upon a time", true),
                    GenerationParams.builder().maxNewTokens(Integer.MAX_VALUE).ignoreEos(true).build(),
                    new TokenListener() {
                        @Override
                        public void onToken(int tokenId, String piece) {}

                        @Override
                        public boolean isCancelled() {
                            return stop;
                        }
                    });
        }

        @Override
        public void close() throws Exception {
            stop = true;
            result.get(60, TimeUnit.SECONDS);
            session.close();
        }
    }

    /** Waits until the decode loop has run {@code more} steps; fails after 20 s. */
    static void awaitSteps(DecodeScheduler scheduler, int more) throws InterruptedException {
        long target = scheduler.steps() + more;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (scheduler.steps() < target) {
            assertTrue(System.nanoTime() < deadline, "the decode loop stopped at step " + scheduler.steps());
            Thread.sleep(1);
        }
    }

    /** At most the step in flight runs in 300 ms. */
    static void assertNoSteps(DecodeScheduler scheduler, String why) throws InterruptedException {
        long before = scheduler.steps();
        Thread.sleep(300);
        long ran = scheduler.steps() - before;
        assertTrue(ran <= 1, why + ": " + ran + " steps ran");
    }

    static GenerationParams fiveTokens() {
        return GenerationParams.builder().maxNewTokens(5).build();
    }

    static int[] ids(String text) {
        return model.tokenizer().encode(text, true);
    }

    @Test
    void aStepWithRoomWaitsUntilTheArrivingGenerationIsSubmittedAndItJoins() throws Exception {
        GenerationResult expected;
        try (Session alone = model.newSession(CACHE)) {
            expected = alone.generate(ids("The cat sat"), fiveTokens(), null);
        }
        try (DecodeScheduler scheduler = new DecodeScheduler(model, 4, 4, 16);
             Endless running = new Endless(scheduler); Session session = model.newSession(CACHE)) {
            scheduler.gatherNanos = MINUTE;
            awaitSteps(scheduler, 5);
            DecodeScheduler.Arrival arrival = scheduler.arrival();
            assertNoSteps(scheduler, "a generation is on its way");
            GenerationResult joined = CompletableFuture.supplyAsync(
                    () -> scheduler.generate(session, ids("The cat sat"), fiveTokens(), null, arrival))
                    .get(60, TimeUnit.SECONDS);
            assertArrayEquals(expected.tokenIds(), joined.tokenIds(), "what it gives alone");
            awaitSteps(scheduler, 10);
            arrival.close();
            assertEquals(0, scheduler.arrivalsLate());
        }
    }

    /**
     * Arrivals that come in one by one, each within the deadline of the one before, are all waited for (here 3, one
     * every 300 ms against a deadline of 1 s), up to four deadlines in all: with arrivals every 200 ms against a
     * deadline of 600 ms a step runs once 2.4 s have passed, while they still come.
     */
    @Test
    void arrivalsComingInOneByOneAreWaitedForUpToFourDeadlines() throws Exception {
        try (DecodeScheduler scheduler = new DecodeScheduler(model, 16, 16, 16); Endless running = new Endless(scheduler)) {
            scheduler.gatherNanos = TimeUnit.SECONDS.toNanos(1);
            awaitSteps(scheduler, 5);
            long waited = arriveOneByOne(scheduler, 3, 300).stepsWhileArriving;
            assertTrue(waited <= 1, "at most the step in flight ran before the last came in: " + waited);
            assertEquals(0, scheduler.arrivalsLate());
            awaitSteps(scheduler, 5);
            scheduler.gatherNanos = TimeUnit.MILLISECONDS.toNanos(600);
            long capped = arriveOneByOne(scheduler, 16, 200).stepsWhileArriving;
            // the cap came after about 12 of the 16 (2.4 s): those still on their way were late, and steps ran on
            assertTrue(capped > 10, "steps ran after four deadlines: " + capped);
            long late = scheduler.arrivalsLate();
            assertTrue(late >= 2 && late <= 8, "about 4 of 16 late: " + late);
        }
    }

    /** What {@link #arriveOneByOne} saw: steps run from the first arrival to the last one's submission. */
    record Arrivals(long stepsWhileArriving) {}

    /**
     * Announces {@code count} generations at once and submits them one by one, {@code everyMillis} apart, each a
     * one-token generation of a session of its own; counts the steps run from the first announcement until the last
     * is submitted.
     */
    static Arrivals arriveOneByOne(DecodeScheduler scheduler, int count, long everyMillis) throws Exception {
        java.util.List<DecodeScheduler.Arrival> arrivals = new java.util.ArrayList<>();
        java.util.List<Session> sessions = new java.util.ArrayList<>();
        java.util.List<CompletableFuture<GenerationResult>> results = new java.util.ArrayList<>();
        for (int i = 0; i < count; i++) {
            arrivals.add(scheduler.arrival());
            sessions.add(model.newSession(CACHE));
        }
        // generate() blocks until its generation is done: each from a thread of its own
        java.util.concurrent.ExecutorService submitters = java.util.concurrent.Executors.newCachedThreadPool();
        long before = scheduler.steps();
        long ran = 0;
        for (int i = 0; i < count; i++) {
            Thread.sleep(everyMillis);
            int at = i;
            if (at == count - 1) {
                ran = scheduler.steps() - before; // the last one's submission lets the waiting step go
            }
            results.add(CompletableFuture.supplyAsync(() -> scheduler.generate(sessions.get(at), ids("The cat"),
                    GenerationParams.builder().maxNewTokens(1).build(), null, arrivals.get(at)), submitters));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            // the endless one and those submitted so far are queued, running or done
            while (scheduler.load() + results.stream().filter(CompletableFuture::isDone).count() < 2 + at) {
                assertTrue(System.nanoTime() < deadline, "generation " + at + " was not submitted");
                Thread.sleep(1);
            }
        }
        for (int i = 0; i < count; i++) {
            results.get(i).get(60, TimeUnit.SECONDS);
            arrivals.get(i).close();
            sessions.get(i).close();
        }
        submitters.shutdown();
        return new Arrivals(ran);
    }

    @Test
    void anArrivalNotInByTheDeadlineIsNotWaitedForAgain() throws Exception {
        try (DecodeScheduler scheduler = new DecodeScheduler(model, 4, 4, 16); Endless running = new Endless(scheduler)) {
            scheduler.gatherNanos = TimeUnit.MILLISECONDS.toNanos(200);
            awaitSteps(scheduler, 5);
            long start = System.nanoTime();
            try (DecodeScheduler.Arrival never = scheduler.arrival()) {
                awaitSteps(scheduler, 20);
                long waited = System.nanoTime() - start;
                assertTrue(waited >= TimeUnit.MILLISECONDS.toNanos(190), "20 steps after " + waited / 1e6 + " ms");
                assertEquals(1, scheduler.arrivalsLate());
                never.pause();
                never.resume(); // still late: not waited for again
                awaitSteps(scheduler, 20);
                assertEquals(1, scheduler.arrivalsLate(), "waited for again, it would be late twice");
            }
        }
    }

    @Test
    void pausedSubmittedAndClosedArrivalsAreNotWaitedFor() throws Exception {
        try (DecodeScheduler scheduler = new DecodeScheduler(model, 4, 4, 16);
             Endless running = new Endless(scheduler); Session session = model.newSession(CACHE)) {
            scheduler.gatherNanos = MINUTE;
            awaitSteps(scheduler, 5);
            DecodeScheduler.Arrival arrival = scheduler.arrival();
            arrival.pause(); // waiting for another turn's steps, say
            awaitSteps(scheduler, 20);
            arrival.resume();
            assertNoSteps(scheduler, "resumed");
            scheduler.generate(session, ids("The dog"), fiveTokens(), null, arrival);
            awaitSteps(scheduler, 20); // submitted: no longer on its way
            arrival.resume();
            awaitSteps(scheduler, 20); // resume() after submitting does not count it again
            arrival.preparingAgain();
            assertNoSteps(scheduler, "preparing its next generation");
            arrival.close();
            awaitSteps(scheduler, 20);
            arrival.close();
            arrival.preparingAgain();
            awaitSteps(scheduler, 20); // closed for good
            assertEquals(0, scheduler.arrivalsLate());
        }
    }

    @Test
    void aFullBatchDoesNotWait() throws Exception {
        try (DecodeScheduler scheduler = new DecodeScheduler(model, 1, 4, 16); Endless running = new Endless(scheduler);
             DecodeScheduler.Arrival arrival = scheduler.arrival()) {
            scheduler.gatherNanos = MINUTE;
            awaitSteps(scheduler, 20);
            assertEquals(0, scheduler.arrivalsLate());
        }
    }

    @Test
    void anotherSchedulersArrivalIsRefused() throws Exception {
        try (DecodeScheduler scheduler = new DecodeScheduler(model, 4, 4, 16);
             DecodeScheduler other = new DecodeScheduler(model, 4, 4, 16);
             DecodeScheduler.Arrival arrival = other.arrival(); Session session = model.newSession(CACHE)) {
            assertThrows(IllegalArgumentException.class,
                    () -> scheduler.generate(session, ids("The dog"), fiveTokens(), null, arrival));
        }
    }
}
