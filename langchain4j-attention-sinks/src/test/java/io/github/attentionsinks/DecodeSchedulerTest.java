package io.github.attentionsinks;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.attentionsinks.arch.CausalLm;
import io.github.attentionsinks.cache.CacheConfig;
import io.github.attentionsinks.generate.FinishReason;
import io.github.attentionsinks.generate.GenerationParams;
import io.github.attentionsinks.generate.GenerationResult;
import io.github.attentionsinks.generate.TokenListener;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Generations of several sessions on one decode loop (stories260K, greedy): each gives what it gives run alone with
 * {@link Session#generate}, while they advance together in batched steps, long prompts in chunks; a full scheduler
 * refuses; a failing or cancelled generation leaves the others untouched.
 */
class DecodeSchedulerTest {
    static AttentionSinkModel model;
    static final CacheConfig CACHE = CacheConfig.sinks(4, 64);

    @BeforeAll
    static void load() {
        model = Shared.loadStories();
    }

    @AfterAll
    static void close() {
        model.close();
    }

    /**
     * Prompts of different lengths (the long one is fed in chunks, past eviction), different limits, and seeded
     * sampling.
     */
    record Case(String prompt, GenerationParams params) {}

    static List<Case> cases() {
        String longPrompt = "Once upon a time, there was a little girl named Lily. She loved to play outside. ".repeat(5);
        return List.of(
                new Case("Once upon a time", GenerationParams.builder().maxNewTokens(40).build()),
                new Case("The cat sat", GenerationParams.builder().maxNewTokens(25).build()),
                new Case(longPrompt, GenerationParams.builder().maxNewTokens(30).build()),
                new Case("Tom had a red ball", GenerationParams.builder().maxNewTokens(64)
                        .stopStrings(List.of(" the")).build()),
                // Sampled rows draw their tokens on the kernel threads, each with its own seeded sampler.
                new Case("One day", GenerationParams.builder().maxNewTokens(30).temperature(0.9).seed(11L).build()),
                new Case("The dog", GenerationParams.builder().maxNewTokens(30).temperature(1.2).topK(20).topP(0.9)
                        .seed(12L).build()));
    }

    static GenerationResult alone(Case c, TokenListener listener) {
        try (Session s = model.newSession(CACHE)) {
            return s.generate(c.prompt, c.params, listener);
        }
    }

    /** What {@code prompt}'s ids give in a session of their own. */
    static GenerationResult alone(int[] prompt, GenerationParams params) {
        return alone(prompt, params, CACHE);
    }

    /** What {@code prompt}'s ids give in a session of their own with {@code cache}. */
    static GenerationResult alone(int[] prompt, GenerationParams params, CacheConfig cache) {
        try (Session s = model.newSession(cache)) {
            return s.generate(prompt, params, null);
        }
    }

    static int[] ids(String prompt) {
        return model.tokenizer().encode(prompt, true);
    }

    /** A long prompt: the first {@code tokens} ids of a story's first sentence said over and over. */
    static int[] storyIds(int tokens) {
        int[] ids = ids("Once upon a time, there was a little girl named Lily. ".repeat(tokens / 4));
        assertTrue(ids.length >= tokens, "the sentence said " + tokens / 4 + " times is " + ids.length + " tokens");
        return java.util.Arrays.copyOf(ids, tokens);
    }

    @Test
    void generationsRunTogetherGiveWhatEachGivesAlone() throws Exception {
        List<Case> cases = cases();
        try (DecodeScheduler scheduler = new DecodeScheduler(model, 8, 8, 16)) {
            List<Session> sessions = new ArrayList<>();
            List<CompletableFuture<GenerationResult>> results = new ArrayList<>();
            List<StringBuilder> streamed = new ArrayList<>();
            for (Case c : cases) {
                Session s = model.newSession(CACHE);
                sessions.add(s);
                StringBuilder text = new StringBuilder();
                streamed.add(text);
                results.add(scheduler.submit(s, ids(c.prompt), c.params, (id, piece) -> text.append(piece)));
            }
            int separateSteps = 0;
            for (int i = 0; i < cases.size(); i++) {
                GenerationResult together = results.get(i).get(60, TimeUnit.SECONDS);
                GenerationResult expected = alone(cases.get(i), null);
                assertArrayEquals(expected.tokenIds(), together.tokenIds(), "case " + i);
                assertEquals(expected.text(), together.text(), "case " + i);
                assertEquals(expected.finishReason(), together.finishReason(), "case " + i);
                assertEquals(expected.inputTokens(), together.inputTokens(), "case " + i);
                assertEquals(together.text(), streamed.get(i).toString(), "case " + i + ": streamed pieces");
                assertEquals(expected.inputTokens() + expected.tokenIds().length - 1,
                        sessions.get(i).streamLength() - 1, "case " + i + ": what the session consumed");
                separateSteps += expected.tokenIds().length + (expected.inputTokens() + 15) / 16;
            }
            assertEquals(FinishReason.STOP_STRING, results.get(3).get().finishReason());
            assertTrue(scheduler.steps() < separateSteps * 2 / 3, "generations advanced together: "
                    + scheduler.steps() + " steps for work that takes " + separateSteps + " one at a time");
            // the sessions continue where the scheduler left them, as after Session.generate
            for (Session s : sessions) {
                s.close();
            }
        }
    }

    /**
     * A long prompt gives way to short turns' first tokens, but at most every other step: while two threads keep
     * submitting one-token turns, a 320-token prompt read in chunks of 16 (20 steps alone) sits some steps out and
     * still finishes within twice its steps, with the token it gives alone.
     */
    @Test
    void shortTurnsGoFirstAndALongPromptStillReadsAtHalfSpeed() throws Exception {
        int[] longIds = storyIds(320);
        GenerationParams oneToken = GenerationParams.builder().maxNewTokens(1).build();
        GenerationResult expected = alone(longIds, oneToken);
        // Chunks of 16 throughout: a long prompt's steps of its own feed no more (see aLongPromptAlone... below).
        try (DecodeScheduler scheduler = new DecodeScheduler(model, 8, 8, 16, 16);
             Session longSession = model.newSession(CACHE)) {
            // stories260K's steps take well under a millisecond: on 2 busy cores the turns' threads once got only 7
            // turns in during the long prompt's steps. A millisecond before each step leaves them time to submit, as
            // a real model's steps do (25 ms on the SmolLM-135M shape); the policy under test counts steps, not time.
            scheduler.stepStarting = () -> java.util.concurrent.locks.LockSupport.parkNanos(1_000_000);
            long[] finishedAt = new long[1];
            CompletableFuture<GenerationResult> longOne = scheduler.submit(longSession, longIds, oneToken, null);
            long submittedAt = scheduler.steps();
            longOne.whenComplete((r, e) -> finishedAt[0] = scheduler.steps());
            List<Thread> turns = new ArrayList<>();
            java.util.concurrent.atomic.AtomicInteger shortTurns = new java.util.concurrent.atomic.AtomicInteger();
            for (int t = 0; t < 2; t++) {
                Thread thread = new Thread(() -> {
                    try (Session s = model.newSession(CACHE)) {
                        while (!longOne.isDone()) {
                            scheduler.submit(s, ids("Once"), oneToken, null).get(60, TimeUnit.SECONDS);
                            shortTurns.incrementAndGet();
                        }
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                });
                thread.start();
                turns.add(thread);
            }
            GenerationResult together = longOne.get(60, TimeUnit.SECONDS);
            for (Thread thread : turns) {
                thread.join(60_000);
            }
            assertArrayEquals(expected.tokenIds(), together.tokenIds());
            long steps = finishedAt[0] - submittedAt;
            assertTrue(shortTurns.get() >= 10, "short turns ran beside the long prompt: " + shortTurns.get());
            // Whether a turn arrives during a long prompt's step here is a race (the steps take well under 1 ms);
            // aLongPromptsStepGivesWayToATurnQueuedDuringIt arranges it.
            if (!model.network().decodesOnHeap()) {
                assertEquals(0, scheduler.stepsGivenWay(), "libtorch layers run their steps whole");
            }
            assertTrue(steps >= 23, "the long prompt gave way to short turns: done in " + steps + " steps");
            assertTrue(steps <= 43, "the long prompt read at no less than half speed: " + steps + " steps for 20");
        }
    }

    /**
     * On the heap decoder a step that only reads a long prompt stops before its next layer when a short turn is
     * queued during it, and the short turn's step runs next; the long prompt's following step runs whole even if
     * another turn is queued during it (no starvation). Both give the tokens they give alone.
     */
    @Test
    void aLongPromptsStepGivesWayToATurnQueuedDuringIt() throws Exception {
        int[] longIds = storyIds(160);
        GenerationParams oneToken = GenerationParams.builder().maxNewTokens(1).build();
        GenerationResult longAlone = alone(longIds, oneToken);
        GenerationResult turnAlone = alone(ids("Once"), oneToken);
        try (DecodeScheduler scheduler = new DecodeScheduler(model, 8, 8, 16, 16);
             Session longSession = model.newSession(CACHE); Session first = model.newSession(CACHE);
             Session second = model.newSession(CACHE)) {
            List<CompletableFuture<GenerationResult>> turns = new ArrayList<>();
            List<Long> givenWayAtStart = new ArrayList<>();
            // Steps as they start: 1 the long prompt's (a turn queued now), 2 the turn's if the first gave way,
            // 3 the long prompt's again (a second turn queued now), then the second turn's.
            scheduler.stepStarting = () -> {
                givenWayAtStart.add(scheduler.stepsGivenWay());
                int started = givenWayAtStart.size();
                if (started == 1) {
                    turns.add(scheduler.submit(first, ids("Once"), oneToken, null));
                } else if (started == 3) {
                    turns.add(scheduler.submit(second, ids("Once"), oneToken, null));
                }
            };
            GenerationResult longTogether = scheduler.submit(longSession, longIds, oneToken, null)
                    .get(60, TimeUnit.SECONDS);
            assertArrayEquals(longAlone.tokenIds(), longTogether.tokenIds(), "the long prompt's token");
            assertEquals(2, turns.size());
            for (CompletableFuture<GenerationResult> turn : turns) {
                assertArrayEquals(turnAlone.tokenIds(), turn.get(60, TimeUnit.SECONDS).tokenIds(), "a turn's token");
            }
            long expectedGivenWay = model.network().decodesOnHeap() ? 1 : 0;
            assertEquals(expectedGivenWay, scheduler.stepsGivenWay(),
                    "only the first long step gave way (the next ran whole); libtorch layers never give way");
            assertEquals(expectedGivenWay, givenWayAtStart.get(1), "the step after the first started once it gave way");
            // 160 tokens take 10 steps alone; each turn adds one step, in which the long prompt sits out
            assertEquals(12, scheduler.steps(), "steps run whole: " + givenWayAtStart);
        }
    }

    /**
     * Two conversations each queue a short turn as every step starts, whenever their last is done: a long prompt
     * sits out each short turn's step and gives way when a turn arrives during its own. It still reads at half speed:
     * a long prompt that sat out the last step runs the next whole. Before that rule it could sit out, give way and sit
     * out again, three steps a chunk (50 steps for 20 chunks in the test above, once, on JDK 25).
     */
    @Test
    void aLongPromptUnderATurnAtEveryStepStillReadsAtHalfSpeed() throws Exception {
        int[] longIds = storyIds(160);
        GenerationParams oneToken = GenerationParams.builder().maxNewTokens(1).build();
        GenerationResult longAlone = alone(longIds, oneToken);
        try (DecodeScheduler scheduler = new DecodeScheduler(model, 8, 8, 16, 16);
             Session longSession = model.newSession(CACHE); Session first = model.newSession(CACHE);
             Session second = model.newSession(CACHE)) {
            List<CompletableFuture<GenerationResult>> turns = new ArrayList<>();
            List<Session> turnSessions = List.of(first, second);
            CompletableFuture<?>[] running = new CompletableFuture<?>[2];
            scheduler.stepStarting = () -> {
                for (int t = 0; t < 2; t++) {
                    if (running[t] == null || running[t].isDone()) {
                        CompletableFuture<GenerationResult> turn = scheduler.submit(turnSessions.get(t), ids("Once"),
                                oneToken, null);
                        running[t] = turn;
                        turns.add(turn);
                    }
                }
            };
            CompletableFuture<GenerationResult> longOne = scheduler.submit(longSession, longIds, oneToken, null);
            long[] finishedAt = new long[1];
            longOne.whenComplete((r, e) -> finishedAt[0] = scheduler.steps());
            assertArrayEquals(longAlone.tokenIds(), longOne.get(60, TimeUnit.SECONDS).tokenIds());
            scheduler.stepStarting = null;
            for (CompletableFuture<GenerationResult> turn : turns) {
                turn.get(60, TimeUnit.SECONDS);
            }
            System.out.printf("long prompt of 10 chunks under a turn at every step: %d steps, %d given way, %d turns%n",
                    finishedAt[0], scheduler.stepsGivenWay(), turns.size());
            assertTrue(turns.size() >= 9, "a turn beside each chunk: " + turns.size());
            // 160 tokens are 10 steps alone: at half speed, at most 20 with the turns' steps between them (16 here;
            // sitting out, giving way and sitting out again took 21, 6 of them given way)
            assertTrue(finishedAt[0] <= 20, "the long prompt took " + finishedAt[0] + " steps for 10 ("
                    + scheduler.stepsGivenWay() + " given way)");
        }
    }

    /** A cache whose chunks (its window, 252) hold a few of the long steps below. */
    static final CacheConfig WIDE = CacheConfig.sinks(4, 252);

    /**
     * What each step fed a session reading a prompt of {@code promptLength} tokens into an empty cache, from its stream
     * length at each step's start, up to the step that completed the prompt (a finished generation's token, left
     * pending, counts in the stream length after it).
     */
    static List<Integer> feeds(List<Long> lengthsAtStart, int promptLength) {
        List<Integer> feeds = new ArrayList<>();
        for (int i = 0; i < lengthsAtStart.size() && lengthsAtStart.get(i) < promptLength; i++) {
            long next = i + 1 < lengthsAtStart.size() ? Math.min(promptLength, lengthsAtStart.get(i + 1)) : promptLength;
            feeds.add((int) (next - lengthsAtStart.get(i)));
        }
        return feeds;
    }

    /**
     * A long prompt alone feeds twice as much each step, from the prefill chunk (16) up to the long-prompt chunk (128),
     * within the cache's chunks of 252 (and a chunk's tail of up to half the step's size), and gives the token it
     * gives alone. Decoders that cannot give way (libtorch) keep to chunks of 16.
     */
    @Test
    void aLongPromptAloneIsReadInGrowingChunks() throws Exception {
        int[] longIds = storyIds(500);
        GenerationParams oneToken = GenerationParams.builder().maxNewTokens(1).build();
        GenerationResult expected = alone(longIds, oneToken, WIDE);
        try (DecodeScheduler scheduler = new DecodeScheduler(model, 8, 8, 16, 128);
             Session longSession = model.newSession(WIDE)) {
            List<Long> atStart = new ArrayList<>();
            scheduler.stepStarting = () -> atStart.add(longSession.streamLength());
            GenerationResult result = scheduler.submit(longSession, longIds, oneToken, null).get(60, TimeUnit.SECONDS);
            assertArrayEquals(expected.tokenIds(), result.tokenIds());
            List<Integer> feeds = feeds(atStart, longIds.length);
            if (model.network().decodesOnHeap()) {
                // 16, 32, 64; then 128 would leave 12 of the cache's first chunk, so they go with it (140); 128, and
                // the last 120 (under 128 plus its half)
                assertEquals(List.of(16, 32, 64, 140, 128, 120), feeds);
            } else {
                assertTrue(feeds.stream().allMatch(n -> n <= 16 + 8), "chunks of 16 and their tails: " + feeds);
                assertEquals(31, feeds.size(), "252 tokens in 16 steps (the last 12 with the 15th), 248 in 15: "
                        + feeds);
            }
        }
    }

    /**
     * The long steps start over from the prefill chunk after a step that gave way to a short turn; the step after
     * the turn's runs whole with a chunk of 16, as before, and the prompt still gives the token it gives alone.
     */
    @Test
    void aLongPromptsChunkStartsOverAfterGivingWay() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(model.network().decodesOnHeap(),
                "only decoders on the Java heap give way");
        int[] longIds = storyIds(500);
        GenerationParams oneToken = GenerationParams.builder().maxNewTokens(1).build();
        GenerationResult expected = alone(longIds, oneToken, WIDE);
        try (DecodeScheduler scheduler = new DecodeScheduler(model, 8, 8, 16, 128);
             Session longSession = model.newSession(WIDE); Session turnSession = model.newSession(CACHE)) {
            List<Long> atStart = new ArrayList<>();
            List<CompletableFuture<GenerationResult>> turn = new ArrayList<>();
            scheduler.stepStarting = () -> {
                atStart.add(longSession.streamLength());
                if (atStart.size() == 3) {
                    turn.add(scheduler.submit(turnSession, ids("Once"), oneToken, null));
                }
            };
            GenerationResult result = scheduler.submit(longSession, longIds, oneToken, null).get(60, TimeUnit.SECONDS);
            assertArrayEquals(expected.tokenIds(), result.tokenIds());
            turn.get(0).get(60, TimeUnit.SECONDS);
            assertEquals(1, scheduler.stepsGivenWay());
            // 16, 32; the third step (64) gave way and fed nothing, the turn's step neither (the prompt sat it out);
            // then 16 (the step after sitting out runs whole), 16 again, 32, 64, the 76 left of the first chunk,
            // 128, and the last 120
            assertEquals(List.of(16, 32, 0, 0, 16, 16, 32, 64, 76, 128, 120),
                    feeds(atStart, longIds.length));
        }
    }

    /**
     * Beside a generation that is decoding, a long prompt feeds chunks of 16 (and their tails): a larger step would
     * hold up the other's tokens.
     */
    @Test
    void aLongPromptBesideADecodingGenerationKeepsToItsChunk() throws Exception {
        int[] longIds = storyIds(500);
        GenerationParams oneToken = GenerationParams.builder().maxNewTokens(1).build();
        GenerationParams reply = GenerationParams.builder().maxNewTokens(40).ignoreEos(true).build();
        try (DecodeScheduler scheduler = new DecodeScheduler(model, 8, 8, 16, 128);
             Session longSession = model.newSession(WIDE); Session other = model.newSession(CACHE)) {
            List<Long> atStart = new ArrayList<>();
            List<Boolean> otherActive = new ArrayList<>();
            List<CompletableFuture<GenerationResult>> decoding = new ArrayList<>();
            java.util.concurrent.CountDownLatch bothSubmitted = new java.util.concurrent.CountDownLatch(1);
            scheduler.stepStarting = () -> {
                // The other's first step waits for the long prompt's submission: its 40 steps could otherwise all run
                // (well under a millisecond each) before the long prompt came.
                try {
                    assertTrue(bothSubmitted.await(60, TimeUnit.SECONDS));
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
                atStart.add(longSession.streamLength());
                otherActive.add(!decoding.get(0).isDone());
            };
            decoding.add(scheduler.submit(other, ids("Once upon a time"), reply, null));
            CompletableFuture<GenerationResult> longOne = scheduler.submit(longSession, longIds, oneToken, null);
            bothSubmitted.countDown();
            longOne.get(60, TimeUnit.SECONDS);
            decoding.get(0).get(60, TimeUnit.SECONDS);
            List<Integer> feeds = feeds(atStart, longIds.length);
            int beside = 0;
            for (int i = 0; i < feeds.size(); i++) {
                if (otherActive.get(i)) {
                    beside++;
                    assertTrue(feeds.get(i) <= 16 + 8, "step " + i + " fed " + feeds.get(i) + " beside the other: "
                            + feeds);
                }
            }
            assertTrue(beside >= 20, "the other decoded beside most of the prompt: " + beside + " steps of " + feeds);
        }
    }

    /**
     * A step that gives way leaves the sessions as they were: the logits of the same feed afterwards are those of a
     * session that never tried, and the generation feeds the same prompt part again.
     */
    @Test
    void aStepThatGivesWayLeavesItsSessionsAsTheyWere() {
        int[] prompt = storyIds(40);
        try (Session tried = model.newSession(CACHE); Session plain = model.newSession(CACHE)) {
            Generation generation = new Generation(tried, prompt, GenerationParams.builder().maxNewTokens(4).build(),
                    null);
            int[] first = generation.nextFeed(16);
            Session.appendBatch(model, List.of(tried), List.of(first), new boolean[] {true});
            plain.append(first);
            int[] second = generation.nextFeed(16);
            if (model.network().decodesOnHeap()) {
                assertThrows(io.github.attentionsinks.arch.StepGaveWayException.class, () -> Session.appendBatch(model,
                        List.of(tried), List.of(second), new boolean[] {true}, () -> true, null));
                assertEquals(16, tried.streamLength(), "nothing of the step that gave way was kept");
                generation.takeBackPromptFeed();
                assertThrows(IllegalStateException.class, generation::takeBackPromptFeed);
                assertArrayEquals(second, generation.nextFeed(16), "the same part of the prompt is fed again");
                tried.rewind(1); // an abandoned step does not block a rewind
                tried.append(first[15]);
            }
            float[] again = Session.appendBatch(model, List.of(tried), List.of(second), new boolean[] {true})[0];
            assertArrayEquals(plain.append(second), again, 1e-5f);
        }
    }

    /**
     * A decoder on the heap asks whether to give way before every layer but the first and before every layer's MLP,
     * so that a turn queued during a long prompt's step waits for at most about half a layer of it.
     */
    @Test
    void aStepAsksWhetherToGiveWayBetweenLayersAndBeforeEachMlp() {
        org.junit.jupiter.api.Assumptions.assumeTrue(model.network().decodesOnHeap(),
                "only decoders on the Java heap give way");
        int layers = Shared.json(Shared.stories().resolve("config.json")).get("num_hidden_layers").asInt();
        int[] asked = {0};
        try (Session s = model.newSession(CACHE)) {
            Session.appendBatch(model, List.of(s), List.of(storyIds(16)), new boolean[] {true}, () -> {
                asked[0]++;
                return false;
            }, null);
        }
        assertEquals(2 * layers - 1, asked[0], layers + " layers");
    }

    /**
     * The decode loop keeps the arrays its steps' logit rows go into: a decoder on the heap writes row r into slot r
     * (allocating it the first time) instead of a new array per row and step, and the rows hold what rows computed
     * without slots hold.
     */
    @Test
    void logitRowsGoIntoTheSlotsACallerKeeps() {
        CacheConfig config = CacheConfig.sinks(4, 64);
        try (Session a = model.newSession(config); Session b = model.newSession(config);
                Session freshA = model.newSession(config); Session freshB = model.newSession(config)) {
            float[][] slots = new float[3][];
            float[][] kept = null;
            for (int step = 0; step < 3; step++) {
                List<int[]> feeds = List.of(new int[] {1 + step, 40, 7}, new int[] {300 + step});
                float[][] rows = Session.appendBatch(model, List.of(a, b), feeds, new boolean[] {true, true},
                        CausalLm.NEVER_GIVE_WAY, slots);
                float[][] fresh = Session.appendBatch(model, List.of(freshA, freshB), feeds,
                        new boolean[] {true, true}, CausalLm.NEVER_GIVE_WAY, null);
                for (int r = 0; r < 2; r++) {
                    assertTrue(Shared.maxAbsDiff(fresh[r], rows[r]) <= 1e-6f, "step " + step + " row " + r);
                    if (model.network().decodesOnHeap()) {
                        assertSame(slots[r], rows[r], "row " + r + " goes into its slot");
                        if (kept != null) {
                            assertSame(kept[r], rows[r], "the slot's array is used again");
                        }
                    }
                }
                kept = rows.clone();
            }
            assertNull(slots[2], "no third row, no third array");
        }
    }

    @Test
    void aFullSchedulerRefusesAndASessionRunsOneGenerationAtATime() throws Exception {
        try (DecodeScheduler scheduler = new DecodeScheduler(model, 1, 1, 16);
             Session a = model.newSession(CACHE); Session b = model.newSession(CACHE);
             Session c = model.newSession(CACHE)) {
            // Generations that cannot end before the checks below (an end-of-sequence token ended them within the
            // 26 ms the checks once took, and the third was accepted), stopped once they are done.
            GenerationParams params = GenerationParams.builder().maxNewTokens(100_000).ignoreEos(true).build();
            java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
            TokenListener untilStopped = new TokenListener() {
                @Override
                public void onToken(int tokenId, String text) {}

                @Override
                public boolean isCancelled() {
                    return stop.get();
                }
            };
            CompletableFuture<GenerationResult> first = scheduler.submit(a, ids("Once"), params, untilStopped);
            CompletableFuture<GenerationResult> second = scheduler.submit(b, ids("Once"), params, untilStopped);
            assertThrows(IllegalArgumentException.class, () -> scheduler.submit(a, ids("Once"), params, null));
            CapacityExceededException full = assertThrows(CapacityExceededException.class,
                    () -> scheduler.submit(c, ids("Once"), params, null));
            assertTrue(full.getMessage().contains("retry later"), full.getMessage());
            stop.set(true);
            first.get(60, TimeUnit.SECONDS);
            second.get(60, TimeUnit.SECONDS);
            assertEquals(0, scheduler.load());
            scheduler.submit(c, ids("Once"), GenerationParams.builder().maxNewTokens(20).build(), null)
                    .get(60, TimeUnit.SECONDS);
        }
    }

    @Test
    void aFailingOrCancelledGenerationLeavesTheOthersUntouched() throws Exception {
        Case healthy = cases().get(0);
        try (DecodeScheduler scheduler = new DecodeScheduler(model, 8, 8, 16);
             Session good = model.newSession(CACHE); Session bad = model.newSession(CACHE);
             Session cancelled = model.newSession(CACHE)) {
            CompletableFuture<GenerationResult> ok = scheduler.submit(good, ids(healthy.prompt), healthy.params, null);
            CompletableFuture<GenerationResult> failing = scheduler.submit(bad, ids(healthy.prompt), healthy.params,
                    (id, piece) -> {
                        throw new IllegalStateException("listener failure");
                    });
            CancelAfter canceller = new CancelAfter(3);
            CompletableFuture<GenerationResult> stopped = scheduler.submit(cancelled, ids(healthy.prompt),
                    healthy.params, canceller);
            ExecutionException e = assertThrows(ExecutionException.class, () -> failing.get(60, TimeUnit.SECONDS));
            assertEquals("listener failure", e.getCause().getMessage());
            GenerationResult expected = alone(healthy, null);
            assertArrayEquals(expected.tokenIds(), ok.get(60, TimeUnit.SECONDS).tokenIds());
            GenerationResult cancelledAlone = alone(healthy, new CancelAfter(3));
            GenerationResult cancelledTogether = stopped.get(60, TimeUnit.SECONDS);
            assertEquals(FinishReason.CANCELLED, cancelledTogether.finishReason());
            assertArrayEquals(cancelledAlone.tokenIds(), cancelledTogether.tokenIds(), "stopped within one step");
            // a bad id fails that generation only
            CompletableFuture<GenerationResult> badIds = scheduler.submit(bad, new int[] {1, 1_000_000},
                    healthy.params, null);
            CompletableFuture<GenerationResult> again = scheduler.submit(good, ids(" Then"), healthy.params, null);
            assertThrows(ExecutionException.class, () -> badIds.get(60, TimeUnit.SECONDS));
            assertEquals(FinishReason.LENGTH, again.get(60, TimeUnit.SECONDS).finishReason());
        }
    }

    /**
     * A listener much slower than the decode loop (50 ms a token, against about a millisecond a step here) that
     * cancels at its third token: through {@link DecodeScheduler#generate} the generation stays at most three tokens
     * ahead of it, so it stops within three tokens of the cancel instead of running to its limit; a fast listener's
     * generation beside it is not held back.
     */
    @Test
    void aSlowListenerHoldsBackOnlyItsOwnGenerationAndCancelsWithinThreeTokens() throws Exception {
        Case healthy = cases().get(0);
        try (DecodeScheduler scheduler = new DecodeScheduler(model, 8, 8, 16);
             Session slow = model.newSession(CACHE); Session fast = model.newSession(CACHE)) {
            CompletableFuture<GenerationResult> beside = scheduler.submit(fast, ids(healthy.prompt), healthy.params,
                    null);
            java.util.concurrent.atomic.AtomicInteger delivered = new java.util.concurrent.atomic.AtomicInteger();
            GenerationResult result = scheduler.generate(slow, ids(healthy.prompt), healthy.params,
                    new TokenListener() {
                        @Override
                        public void onToken(int tokenId, String piece) {
                            delivered.incrementAndGet();
                            try {
                                Thread.sleep(50);
                            } catch (InterruptedException e) {
                                Thread.currentThread().interrupt();
                            }
                        }

                        @Override
                        public boolean isCancelled() {
                            return delivered.get() >= 3;
                        }
                    });
            assertEquals(FinishReason.CANCELLED, result.finishReason());
            assertTrue(result.tokenIds().length <= 3 + 3, "generated " + result.tokenIds().length
                    + " tokens for a listener that cancelled at its third (limit " + healthy.params.maxNewTokens()
                    + ")");
            assertArrayEquals(alone(healthy, null).tokenIds(), beside.get(60, TimeUnit.SECONDS).tokenIds());
        }
    }

    /** Cancels after {@code n} tokens. */
    static final class CancelAfter implements TokenListener {
        private final int n;
        private int seen;

        CancelAfter(int n) {
            this.n = n;
        }

        @Override
        public void onToken(int tokenId, String piece) {
            seen++;
        }

        @Override
        public boolean isCancelled() {
            return seen >= n;
        }
    }
}
