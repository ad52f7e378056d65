package io.github.attentionsinks;

import io.github.attentionsinks.arch.CausalLm;
import io.github.attentionsinks.arch.StepGaveWayException;
import io.github.attentionsinks.cache.CacheBuffers;
import io.github.attentionsinks.generate.GenerationParams;
import io.github.attentionsinks.generate.GenerationResult;
import io.github.attentionsinks.generate.TokenListener;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the generations of many sessions of one model together, as serving engines do: one thread owns the decode loop,
 * and each step feeds every active generation in one batched forward pass ({@link AttentionSinkModel#appendBatch}): one
 * token for a generation that is decoding, a chunk of {@code prefillChunk} tokens for one still reading its prompt
 * (chunked prefill; the prompt's last chunk takes a tail of up to half a chunk more, {@link Generation#nextFeed}), so a
 * long prompt never stalls the others. Generations join and leave between steps. First tokens come first. A short turn
 * is a prompt of at most {@value StepPlanner#SHORT_TURN_CHUNKS} chunks (a chat turn's new message in its template,
 * say); in a step where one reads its prompt, generations with longer prompts still to read sit that step out, but
 * never two steps running; decoding generations advance every step. And a step that only reads long prompts gives way,
 * between two layers or before a layer's MLP, to a short turn submitted during it (its work is dropped and redone;
 * never two such steps running): a short turn's first token waits for about half a layer and its own steps, not for the
 * long prompt's chunk, and a long prompt is read at no less than half its speed. (Giving way needs a decoder that
 * computes on the Java heap; on libtorch the short turn waits for the step in flight.) Steps that only read long
 * prompts and may give way feed more than a chunk, doubling from {@code prefillChunk} up to {@code longPromptChunk}
 * tokens in all (shared among the long prompts, at least a chunk each) as such steps follow one another ({@link
 * #DEFAULT_LONG_PROMPT_CHUNK}): nobody's token waits for them, and a long paste alone is read faster in large steps. A
 * prompt's parts are committed to the cache without eviction until they complete one of the chunks {@link
 * Session#append} would feed, so the result depends on neither chunk.
 *
 * <p>Each generation keeps its own sampling parameters, stop strings, end-of-sequence ids, listener and
 * cancellation (checked every step), and gives exactly what {@link Session#generate} gives (the same
 * {@code Generation} steps; logits equal within float tolerance, see {@code BatchedForwardTest}). With
 * {@link #generate} listeners run on the waiting thread; with {@link #submit} on the decode thread (keep them quick).
 * A failure of one generation (a listener that throws, a bad token id) ends that generation with its error and
 * leaves the others untouched.
 *
 * <p>A caller can announce a generation it is preparing ({@link #arrival()}): a step with room waits for it, a
 * bounded time, so that generations that start together take their steps together.
 *
 * <p>At most {@code maxActive} generations advance together; up to {@code maxWaiting} more wait for a place; beyond
 * that {@link #submit} refuses with {@link CapacityExceededException} rather than growing a backlog.
 *
 * <p>With nothing to run {@link #SPARES_AFTER_NANOS} after its last step, the decode loop faults in spare cache
 * buffers for the sessions to come, as many as the caches grew by since it last did
 * ({@link CacheBuffers#prepareSpare}), and stops within one 2 MiB slice when a generation is submitted or announced.
 * The model keeps the buffers a batch of {@code maxActive} new caches starts with however long it stays idle
 * ({@link CacheBuffers#reserve}), so the first burst after a pause does not fault its caches in. Between steps it
 * faults in, a few slices at a time, the buffers its generations' caches will grow into, and during a long prompt a
 * new conversation's ({@link CacheGrowthAhead}), so that neither a growth nor a new conversation's first token waits
 * while fresh memory is faulted in.
 */
public final class DecodeScheduler implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(DecodeScheduler.class);
    private static final AtomicInteger THREADS = new AtomicInteger();
    /**
     * The prompt tokens a generation still reading its prompt feeds per step unless told otherwise (the chat models,
     * the Spring starter and the CLI's {@code bench} all start from it). A step of prompt rows costs more than a
     * decoding step, and a short turn arriving during it waits for it: on the SmolLM-135M shape (float32, 2 vCPUs of
     * an Intel Xeon, JDK 17) a one-token turn beside a 2,000-token prefill got its first token after 26–49 ms with
     * chunks of 16 (24–29 ms alone) and 51–73 ms with chunks of 32, while the prompt was read at 263 tokens/s against
     * 322 (docs/benchmarks.md, "An Intel Xeon machine: chat shapes, long windows and the prefill chunk").
     */
    public static final int DEFAULT_PREFILL_CHUNK = 16;
    /**
     * The most prompt tokens long prompts feed in all per step, unless told otherwise, in steps that only read long
     * prompts and may give way to a short turn: nobody's token waits for such a step, and a turn queued during it waits
     * for about half a layer of it. The chunk starts at {@code prefillChunk} and doubles with each such step that runs
     * whole, back to {@code prefillChunk} after any other step, so a step given up never drops much work unless no turn
     * came for several steps. A 2,000-token prompt alone on the SmolLM-135M shape (two AMD EPYC vCPUs, JDK 17, float32)
     * was read at 333–367 tokens/s in steps of 16 throughout, 361–500 growing to 128, 483–504 to 256, 473–502 to 512; a
     * one-token turn beside it got its first token after 18–27 ms against 20–21 with steps of 16
     * (docs/bench/PrefillAlone.java, docs/benchmarks.md "A long prompt alone read in growing chunks").
     */
    public static final int DEFAULT_LONG_PROMPT_CHUNK = 256;

    /** The long-prompt chunk a scheduler takes unless told otherwise: the default, or {@code prefillChunk} if larger. */
    public static int defaultLongPromptChunk(int prefillChunk) {
        return Math.max(prefillChunk, DEFAULT_LONG_PROMPT_CHUNK);
    }

    private final AttentionSinkModel model;
    private final int maxActive;
    private final int maxWaiting;
    /** Touched by the decode thread only, but for {@link StepPlanner#shortTurn} (stateless). */
    private final StepPlanner<Job> planner;
    private final Object lock = new Object();
    /** Guarded by {@link #lock}. */
    private final ArrayDeque<Job> waiting = new ArrayDeque<>();
    /** Guarded by {@link #lock}: sessions with a generation waiting or active. */
    private final Set<Session> busy = Collections.newSetFromMap(new IdentityHashMap<>());
    /** Touched by the decode thread only. */
    private final List<Job> active = new ArrayList<>();
    /** Used by the decode thread only, between steps. */
    private final CacheGrowthAhead growthAhead;
    /** Touched by the decode thread only. */
    private boolean warnedGrowthAhead;
    /** Touched by the decode thread only: the last step ran, and read a long prompt. */
    private boolean lastStepReadLongPrompt;
    /**
     * Touched by the decode thread only: the arrays each step's logit rows are written into, since a step's logits
     * are done with (sampled, or dropped mid-prompt) before the next step.
     */
    private final float[][] logitSlots;
    private final Thread thread;
    private volatile boolean closed;
    private volatile long steps;
    private volatile long stepsGivenWay;
    /**
     * Set when a short turn is queued while there is room for it; cleared when the decode loop takes queued
     * generations in. A step that only reads long prompts gives way to it.
     */
    private volatile boolean shortTurnQueued;
    /** What a step of long prompts asks between layers and before MLPs. */
    private final BooleanSupplier shortTurnWaiting = () -> shortTurnQueued;
    /**
     * Guarded by {@link #lock}: callers preparing a generation for this scheduler now ({@link Arrival}), which a step
     * with room for them waits for.
     */
    private final Set<Arrival> arriving = Collections.newSetFromMap(new IdentityHashMap<>());
    /** What an idle decode loop making spare cache buffers asks between two slices ({@link CacheBuffers}). */
    private final BooleanSupplier workComing = () -> {
        synchronized (lock) {
            return closed || !waiting.isEmpty() || !arriving.isEmpty();
        }
    };
    /**
     * Tests only: run on the decode thread as each step's forward pass starts, so a test can queue a generation
     * during a given step (a race when done from another thread, since a small model's step takes well under 1 ms).
     */
    volatile Runnable stepStarting;

    /**
     * A scheduler whose long prompts feed up to {@link #defaultLongPromptChunk} tokens in steps of their own.
     *
     * @param model the model whose sessions are served
     * @param maxActive generations advanced together in one step (the batch size), at least 1
     * @param maxWaiting generations that may wait for a place, at least 0
     * @param prefillChunk prompt tokens fed per step to a generation still reading its prompt, at least 1
     */
    public DecodeScheduler(AttentionSinkModel model, int maxActive, int maxWaiting, int prefillChunk) {
        this(model, maxActive, maxWaiting, prefillChunk, defaultLongPromptChunk(prefillChunk));
    }

    /**
     * @param model the model whose sessions are served
     * @param maxActive generations advanced together in one step (the batch size), at least 1
     * @param maxWaiting generations that may wait for a place, at least 0
     * @param prefillChunk prompt tokens fed per step to a generation still reading its prompt, at least 1
     * @param longPromptChunk the most prompt tokens long prompts feed in all (at least {@code prefillChunk}
     *     each) in a step that only reads long prompts ({@link #DEFAULT_LONG_PROMPT_CHUNK}), at least {@code
     *     prefillChunk}; equal to it, such steps feed a chunk too
     */
    public DecodeScheduler(AttentionSinkModel model, int maxActive, int maxWaiting, int prefillChunk,
            int longPromptChunk) {
        if (maxActive < 1 || maxWaiting < 0 || prefillChunk < 1 || longPromptChunk < prefillChunk) {
            throw new IllegalArgumentException("maxActive and prefillChunk must be >= 1, maxWaiting >= 0 and "
                    + "longPromptChunk >= prefillChunk, got " + maxActive + ", " + maxWaiting + ", " + prefillChunk
                    + " and " + longPromptChunk);
        }
        this.model = model;
        this.maxActive = maxActive;
        this.maxWaiting = maxWaiting;
        this.planner = new StepPlanner<>(prefillChunk, longPromptChunk, model.network().decodesOnHeap());
        this.logitSlots = new float[maxActive][];
        this.growthAhead = new CacheGrowthAhead(prefillChunk);
        CacheBuffers buffers = model.cacheBuffers();
        if (buffers != null) {
            buffers.reserve(maxActive);
        }
        this.thread = new Thread(this::loop, "attention-sink-decode-" + THREADS.incrementAndGet());
        thread.setDaemon(true);
        thread.start();
    }

    /**
     * How long a step with room waits for {@linkplain #arrival() arriving} generations after the last one came in
     * (two 8-session steps of the SmolLM-135M shape on two cores), {@link #GATHER_ROUNDS} times that in all. Preparing
     * a chat turn there takes a few milliseconds on a free core (its template and tokens 4–10 ms; the copy of a shared
     * beginning 0.5 ms into reused memory, about 35 ms into a fresh cache's, whose memory faults in) and 10–60 ms
     * beside running steps.
     */
    static final long GATHER_NANOS = 50_000_000;
    /**
     * A step waits {@link #GATHER_NANOS} after the last arrival that came in, and this many times that in all: eight
     * chat turns that started together copied a fresh cache each (its memory faulted in, 35 ms apiece here) and came
     * in one by one over about 100 ms.
     */
    static final int GATHER_ROUNDS = 4;
    /**
     * How long after its last step the decode loop, with nothing to run, starts making spare cache buffers (one after
     * another from then on): conversations' turns that come one after another leave it idle for a few milliseconds,
     * and spares faulted in then took a core from the next turns (eight users' rounds up to 9% slower in some runs,
     * docs/benchmarks.md "Spare cache buffers made while idle").
     */
    static final long SPARES_AFTER_NANOS = 100_000_000;
    /** {@link #GATHER_NANOS}; tests change it. */
    volatile long gatherNanos = GATHER_NANOS;
    /** Guarded by {@link #lock}: arrivals a step stopped waiting for ({@link #arrivalsLate()}). */
    private long arrivalsLate;

    /**
     * A caller on its way to submitting a generation here: a chat turn rendering its template, encoding it, copying a
     * shared beginning, or about to get a worker thread for that. While one {@linkplain #pause() is not paused}, the
     * decode loop does not start a step that has room for it; it waits until the caller has submitted (or closed this),
     * {@link #GATHER_NANOS} after the last arrival that came in and {@link #GATHER_ROUNDS} times that in all.
     * Conversations that start together then take their first steps together instead of one or two at a time, and end
     * their turns in the same step, where otherwise some came a step or more after the others ever after: eight
     * conversations through the chat model on two cores took their first full step 0.5 s into the round, since the
     * steps of the first ones kept both cores from the others' preparation (docs/benchmarks.md, "Turns that come
     * together step together"). An arrival not in by the deadline is not waited for again, so a slow caller delays the
     * others once.
     *
     * <p>Consumed by the generation it is passed to ({@link #generate(Session, int[], GenerationParams,
     * TokenListener, Arrival)}); {@link #preparingAgain} starts the caller's next one. Close it in any case (a failed
     * turn): closing is idempotent, and every method is a no-op once closed. Thread-safe.
     */
    public final class Arrival implements AutoCloseable {
        /** Guarded by {@link #lock}. */
        private boolean paused;
        private boolean submitted;
        private boolean late;
        private boolean closed;

        private Arrival() {}

        /** The caller waits for something other than its own work (another turn's steps): not waited for meanwhile. */
        public void pause() {
            synchronized (lock) {
                if (!closed && !submitted && !paused) {
                    paused = true;
                    arriving.remove(this);
                    lock.notifyAll();
                }
            }
        }

        /** Ends a {@link #pause()}; nothing otherwise (a late call after the caller went on is harmless). */
        public void resume() {
            synchronized (lock) {
                if (!closed && !submitted && paused) {
                    paused = false;
                    if (!late) {
                        arriving.add(this);
                    }
                }
            }
        }

        /** After its generation was submitted: the caller prepares another one. */
        public void preparingAgain() {
            synchronized (lock) {
                if (!closed && submitted) {
                    submitted = false;
                    paused = false;
                    late = false;
                    arriving.add(this);
                }
            }
        }

        private DecodeScheduler scheduler() {
            return DecodeScheduler.this;
        }

        /** Caller holds {@link #lock}: its generation is queued. */
        private void submittedLocked() {
            submitted = true;
            arriving.remove(this);
        }

        @Override
        public void close() {
            synchronized (lock) {
                if (!closed) {
                    closed = true;
                    if (arriving.remove(this)) {
                        lock.notifyAll();
                    }
                }
            }
        }
    }

    /**
     * Announces a generation the caller is about to submit ({@link Arrival}); close what it returns when done.
     */
    public Arrival arrival() {
        Arrival arrival = new Arrival();
        synchronized (lock) {
            if (!closed) {
                arriving.add(arrival);
            }
        }
        return arrival;
    }

    /** A generation waiting or running, and where its outcome goes. */
    private record Job(Generation generation, CompletableFuture<GenerationResult> result, TokenHandOff handOff)
            implements StepPlanner.Candidate {
        @Override
        public int promptLeft() {
            return generation.promptLeft();
        }

        @Override
        public boolean behind() {
            return handOff != null && handOff.behind();
        }
    }

    /**
     * Queues a generation on {@code session} (as {@link Session#generate} would run it) and returns at once.
     *
     * @throws CapacityExceededException when {@code maxActive + maxWaiting} generations are already queued or running
     * @throws IllegalArgumentException for an empty prompt, a session of another model, or a session that already has
     *     a generation queued or running here
     * @throws IllegalStateException when the scheduler is closed
     */
    public CompletableFuture<GenerationResult> submit(Session session, int[] promptIds, GenerationParams params,
            TokenListener listener) {
        return submit(session, promptIds, params, listener, null, null);
    }

    private CompletableFuture<GenerationResult> submit(Session session, int[] promptIds, GenerationParams params,
            TokenListener listener, TokenHandOff handOff, Arrival arrival) {
        if (session.model() != model) {
            throw new IllegalArgumentException("the session belongs to another model than this scheduler's");
        }
        if (arrival != null && arrival.scheduler() != this) {
            throw new IllegalArgumentException("the arrival was announced to another decode scheduler");
        }
        Job job = new Job(new Generation(session, promptIds, params, listener), new CompletableFuture<>(), handOff);
        synchronized (lock) {
            if (closed) {
                throw new IllegalStateException("this decode scheduler is closed");
            }
            if (busy.contains(session)) {
                throw new IllegalArgumentException("the session already has a generation queued or running: "
                        + "a session runs one generation at a time");
            }
            int queued = busy.size();
            if (queued >= maxActive + maxWaiting) {
                throw new CapacityExceededException("the decode scheduler is full: " + queued + " generations are "
                        + "queued or running (" + maxActive + " at a time, " + maxWaiting + " waiting); retry later "
                        + "or raise its limits");
            }
            busy.add(session);
            waiting.addLast(job);
            if (arrival != null) {
                arrival.submittedLocked();
            }
            if (planner.shortTurn(promptIds.length) && busy.size() <= maxActive) {
                shortTurnQueued = true;
            }
            lock.notifyAll();
        }
        return job.result;
    }

    /**
     * Runs a generation beside the others and waits for it: {@link Session#generate} on the shared decode loop. The
     * listener is called on the calling thread, in order, as tokens come (the decode loop hands them over and goes on
     * with the other generations, so a slow listener delays only its own generation); cancellation is seen by the
     * decode loop at its next step. A generation runs at most three tokens ahead of its listener (one being delivered,
     * two waiting): a listener that cancels stops it within three tokens even while the decode loop is faster than the
     * listener. A listener that throws cancels its generation, and the exception is
     * rethrown here once the generation has stopped.
     *
     * @throws CapacityExceededException see {@link #submit}
     * @throws RuntimeException what the generation failed with
     */
    public GenerationResult generate(Session session, int[] promptIds, GenerationParams params,
            TokenListener listener) {
        return generate(session, promptIds, params, listener, null);
    }

    /**
     * {@link #generate(Session, int[], GenerationParams, TokenListener)} for a caller that announced it
     * ({@link #arrival()}): {@code arrival} ends as the generation is queued.
     *
     * @param arrival the caller's, or null
     */
    public GenerationResult generate(Session session, int[] promptIds, GenerationParams params,
            TokenListener listener, Arrival arrival) {
        TokenHandOff handOff = new TokenHandOff(listener == null ? TokenListener.NONE : listener);
        CompletableFuture<GenerationResult> result = submit(session, promptIds, params, handOff, handOff, arrival);
        result.whenComplete((r, e) -> handOff.end());
        try {
            handOff.deliverUntilEnd();
        } catch (InterruptedException e) {
            // The session must not be touched after this returns: stop the generation and wait until it has.
            handOff.fail(new IllegalStateException("interrupted while waiting for a generation", e));
            awaitUninterruptibly(result);
            Thread.currentThread().interrupt();
        }
        if (handOff.failure() != null) {
            awaitUninterruptibly(result);
            throw handOff.failure();
        }
        try {
            return result.join();
        } catch (CompletionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof RuntimeException r) {
                throw r;
            }
            if (cause instanceof Error error) {
                throw error;
            }
            throw e;
        }
    }

    private static void awaitUninterruptibly(CompletableFuture<?> result) {
        boolean interrupted = false;
        while (!result.isDone()) {
            try {
                result.handle((r, e) -> null).get();
            } catch (InterruptedException e) {
                interrupted = true;
            } catch (ExecutionException e) {
                break;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /** Generations queued or running now. */
    public int load() {
        synchronized (lock) {
            return busy.size();
        }
    }

    private void loop() {
        CacheBuffers buffers = model.cacheBuffers();
        long lastStepEnded = System.nanoTime();
        try {
            while (true) {
                boolean idle = false;
                synchronized (lock) {
                    while (!closed && active.isEmpty() && waiting.isEmpty()) {
                        if (buffers != null && arriving.isEmpty() && buffers.sparesWanted()) {
                            long left = lastStepEnded + SPARES_AFTER_NANOS - System.nanoTime();
                            if (left <= 0) {
                                idle = true;
                                break;
                            }
                            lock.wait(left / 1_000_000, (int) (left % 1_000_000));
                            continue;
                        }
                        lock.wait();
                    }
                    if (closed) {
                        break;
                    }
                }
                if (idle) {
                    // Nothing to run: fault in the cache memory that the next new conversations will want.
                    buffers.prepareSpare(workComing);
                    continue;
                }
                synchronized (lock) {
                    gather();
                    shortTurnQueued = false;
                    while (active.size() < maxActive && !waiting.isEmpty()) {
                        active.add(waiting.pollFirst());
                    }
                }
                step();
                // Not before a step that must run whole (a long prompt sat out or gave way): a short turn coming
                // during the slices would wait for that step too (first tokens beside a long prompt took 33.5-38.2 ms
                // where they took 23.8-28.1 without slices; docs/benchmarks.md, "Cache growth faulted in ahead").
                if (buffers != null && !active.isEmpty() && !planner.nextRunsWhole()) {
                    prepareGrowth(buffers);
                }
                lastStepEnded = System.nanoTime();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Throwable t) {
            log.error("The decode loop failed; failing its generations", t);
            synchronized (lock) {
                closed = true; // nothing would run what is submitted from now on: refuse it
            }
            failAll(t);
            return;
        }
        failAll(new IllegalStateException("the decode scheduler was closed before this generation finished"));
    }

    /**
     * Faults in the cache memory the active generations' caches will grow into, and a new cache's after a step that
     * read a long prompt ({@link CacheGrowthAhead}).
     */
    private void prepareGrowth(CacheBuffers buffers) {
        List<Generation> generations = new ArrayList<>(active.size());
        for (Job job : active) {
            generations.add(job.generation);
        }
        try {
            growthAhead.prepare(generations, lastStepReadLongPrompt, buffers, model::forEachOnKernelThreads,
                    shortTurnWaiting);
        } catch (RuntimeException e) {
            // Out of memory, say: the growth allocates and reports it itself, in the step that needs it.
            if (!warnedGrowthAhead) {
                warnedGrowthAhead = true;
                log.warn("Could not fault in cache memory ahead of a growth (said once): {}", e.toString());
            }
        }
    }

    /**
     * Caller holds {@link #lock}: waits while generations are {@linkplain Arrival arriving} and the next step has room
     * for them, {@link #GATHER_NANOS} after the last that came in and {@link #GATHER_ROUNDS} times that in all; those
     * still not in by then are not waited for again.
     */
    private void gather() throws InterruptedException {
        if (arriving.isEmpty()) {
            return;
        }
        long start = System.nanoTime();
        long lastCame = start;
        int expected = arriving.size();
        while (!closed && !arriving.isEmpty() && active.size() + waiting.size() < maxActive) {
            long now = System.nanoTime();
            if (arriving.size() < expected) {
                lastCame = now; // one came in (or paused): the others get their time again
            }
            expected = arriving.size();
            long left = Math.min(lastCame + gatherNanos, start + GATHER_ROUNDS * gatherNanos) - now;
            if (left <= 0) {
                for (Arrival late : arriving) {
                    late.late = true;
                }
                arrivalsLate += arriving.size();
                log.debug("A step waited {} ms for {} arriving generations; going on without them",
                        (now - start) / 1_000_000, arriving.size());
                arriving.clear();
                return;
            }
            lock.wait(left / 1_000_000, (int) (left % 1_000_000));
        }
    }

    /**
     * Generations a step stopped waiting for, their caller's preparation not done in time ({@link Arrival}).
     */
    public long arrivalsLate() {
        synchronized (lock) {
            return arrivalsLate;
        }
    }

    /** Forward passes run so far (each advances every generation active at the time). */
    public long steps() {
        return steps;
    }

    /** Steps of long prompts that gave way to a short turn before they were done (their work redone later). */
    public long stepsGivenWay() {
        return stepsGivenWay;
    }

    /** One forward pass for the active generations (all but long prompts that give way to a short one). */
    private void step() {
        steps++;
        lastStepReadLongPrompt = false;
        StepPlanner.Step<Job> plan = planner.next(active);
        List<Job> stepping = plan.stepping();
        int n = stepping.size();
        if (n == 0) {
            // Every active generation waits for its listener: give the delivering threads a moment.
            steps--;
            java.util.concurrent.locks.LockSupport.parkNanos(100_000);
            return;
        }
        List<Session> sessions = new ArrayList<>(n);
        List<int[]> feeds = new ArrayList<>(n);
        boolean[] evict = new boolean[n];
        for (int i = 0; i < n; i++) {
            Generation generation = stepping.get(i).generation;
            sessions.add(generation.session());
            feeds.add(generation.nextFeed(plan.chunk()));
            evict[i] = generation.lastFeedEndsChunk();
        }
        // Only reading long prompts: this step yields no token, so giving way to a short turn costs nobody one.
        BooleanSupplier giveWay = plan.mayGiveWay() ? shortTurnWaiting : CausalLm.NEVER_GIVE_WAY;
        float[][] logits;
        Runnable starting = stepStarting;
        if (starting != null) {
            starting.run();
        }
        try {
            logits = Session.appendBatch(model, sessions, feeds, evict, giveWay, logitSlots);
            lastStepReadLongPrompt = plan.readsLongPrompt();
        } catch (StepGaveWayException e) {
            // Nothing was committed: the same prompt parts are fed again once the short turn has had its step.
            for (Job job : stepping) {
                job.generation.takeBackPromptFeed();
            }
            planner.gaveWay();
            steps--;
            stepsGivenWay++;
            return;
        } catch (RuntimeException e) {
            // Nothing changed (all or nothing): step them one by one, so only the failing one ends.
            logits = new float[n][];
            for (int i = 0; i < n; i++) {
                try {
                    logits[i] = Session.appendBatch(model, List.of(sessions.get(i)), List.of(feeds.get(i)),
                            new boolean[] {evict[i]})[0];
                } catch (RuntimeException one) {
                    logits[i] = null;
                    fail(stepping.get(i), one);
                }
            }
        }
        planner.ran(plan);
        sampleAhead(stepping, logits);
        List<Job> finished = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Job job = stepping.get(i);
            if (job.result.isDone()) {
                finished.add(job);
                continue;
            }
            try {
                job.generation.accept(logits[i]);
                if (job.generation.done()) {
                    finished.add(job);
                    release(job);
                    job.result.complete(job.generation.result());
                }
            } catch (RuntimeException | Error e) {
                finished.add(job);
                fail(job, e);
            }
        }
        active.removeAll(finished);
    }

    /**
     * Draws the tokens of the rows that sample randomly on the kernel threads, before {@link Generation#accept} takes
     * them in order: a sampler reads the whole vocabulary. Eight rows at temperature 0.7 and top-p 0.9 over 49,152
     * nearly flat logits took 4.0–4.3 ms on one thread and 2.0–2.2 ms on two, against an 8-row step of 25–30 ms
     * (with the sampler's exponentials taken one at a time; a row now takes about a fifth of that, docs/benchmarks.md,
     * "A sampler in vectors"). A row whose sampling fails is sampled again by accept, which reports it.
     */
    private void sampleAhead(List<Job> stepping, float[][] logits) {
        int[] rows = new int[stepping.size()];
        int sampling = 0;
        for (int i = 0; i < rows.length; i++) {
            Job job = stepping.get(i);
            if (logits[i] != null && !job.result.isDone() && job.generation.samplesRandomly()) {
                rows[sampling++] = i;
            }
        }
        if (sampling < 2) {
            return;
        }
        model.forEachOnKernelThreads(sampling, r -> {
            int i = rows[r];
            try {
                stepping.get(i).generation.sampleAhead(logits[i]);
            } catch (RuntimeException e) {
                // accept samples this row itself and fails the job there
            }
        });
    }

    private void release(Job job) {
        synchronized (lock) {
            busy.remove(job.generation.session());
        }
    }

    private void fail(Job job, Throwable error) {
        release(job);
        job.result.completeExceptionally(error);
    }

    private void failAll(Throwable error) {
        List<Job> all;
        synchronized (lock) {
            all = new ArrayList<>(active);
            all.addAll(waiting);
            waiting.clear();
        }
        active.clear();
        planner.clear();
        for (Job job : all) {
            fail(job, error);
        }
    }

    /** Stops the decode loop; generations still queued or running end with an {@link IllegalStateException}. */
    @Override
    public void close() {
        synchronized (lock) {
            closed = true;
            lock.notifyAll();
        }
        try {
            thread.join(30_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
