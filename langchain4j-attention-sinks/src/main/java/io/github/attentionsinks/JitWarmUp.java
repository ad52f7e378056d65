package io.github.attentionsinks;

import io.github.attentionsinks.cache.CacheConfig;
import io.github.attentionsinks.generate.Sampler;
import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Throwaway forward passes of the shapes serving runs (a prompt chunk, one token, eight sessions' tokens, a mixed
 * step, and once a long prompt), repeated until the JIT compiler is quiet, then a sampler's throwaway draws ({@link
 * Sampler#warmUp}), so that the first requests do not pay for it. What they pay otherwise: the Java kernels run the
 * Vector API's Java fallback, two orders of magnitude slower, until C2 has compiled them for each shape, and a fresh
 * JVM's first eight-conversation round through the chat model spent 1.5–2.0 s in its first prompt steps
 * (SmolLM-135M shape, 2 cores; docs/benchmarks.md). llama.cpp's server warms up the same way by default.
 *
 * <p>The JIT's state belongs to the JVM, not to a model: the first warm-up in a JVM does the work and later calls
 * return at once. Only the Java kernels need it; with libtorch multiplying there is nothing to warm.
 */
final class JitWarmUp {
    private static final Logger log = LoggerFactory.getLogger(JitWarmUp.class);
    private static final AtomicBoolean DONE = new AtomicBoolean();
    /** Sessions stepped together, as a full batch of the chat models' default {@code maxBatchSize}. */
    private static final int BATCH = 8;
    /**
     * A prompt chunk and a mixed step's prompts whose rows, with eight sessions' single tokens, pass through every
     * row-count path of the kernels: for float32 with AVX-512 a chunk of 31 rows is 5 × 6 + 1, a mixed step of one
     * token and seven 4-token prompts (29 rows) 4 × 6 + 4 + 1, eight tokens 6 + 2; with AVX2, 7 × 4 + 2 + 1,
     * 7 × 4 + 1 and 2 × 4; for float16 and int8, 3 × 8 + 4 + 2 + 1, 3 × 8 + 4 + 1 and 8 (int8's one and two rows have
     * kernels of their own, which one and two sessions' tokens take). A path left out runs the Vector API's Java
     * fallback in the first real step that needs it: with the mixed step's prompts of 5 tokens (36 rows, whole
     * six-row passes), the four-row pass boxed 80 MB in a fresh JVM's first 8-user round.
     */
    private static final int CHUNK = 31;
    private static final int MIXED_PROMPT = 4;
    /** Sessions of the two-session steps. */
    private static final int PAIR = 2;
    /**
     * The rows of the steps a round runs: the chunk, the mixed step, eight sessions' tokens, two sessions' (int8's
     * two-row kernel, and attention over two streams), one session's.
     */
    static final int[] STEP_ROWS = {CHUNK, 1 + (BATCH - 1) * MIXED_PROMPT, BATCH, PAIR, 1};
    /**
     * A prompt the first session reads, a chunk at a time, before its chunk in the second round: chunks whose
     * queries do not all see every block of keys (chunks across the decoder's blocks of 64 keys), then
     * single-session steps over 256 keys, which the decoder splits into parts so that both kernel threads have work.
     * Without them the JIT compiled attention for the warm-up's short caches, and the first prompt of a real
     * conversation across 64 keys threw that code away: in a fresh JVM's first 8-user round (SmolLM-135M shape)
     * attention ran in the interpreter and the profiling tier for 0.5–1.0 s while C2 compiled it again
     * (docs/benchmarks.md). Once is enough: the profile keeps both branches.
     */
    private static final int LONG_PROMPT = 8 * CHUNK;
    /**
     * The long prompt's first two chunks, longer than the others: 65 and 74 rows, which take float16's and int8's
     * widened tiles (from 64 rows, {@code VectorProducts.WIDENED_ROWS}) and every float32 pass over them: with AVX-512
     * 10 × 6 + 4 + 1 and 12 × 6 + 2, with AVX2 16 × 4 + 1 and 18 × 4 + 2. Once is enough here too: only long prompts
     * take those kernels.
     */
    static final int[] LONG_PROMPT_FIRST_CHUNKS = {65, 74};
    /** The sessions' window: room for the long prompt and the round's steps after it (4 + 316). */
    private static final CacheConfig CACHE = CacheConfig.sinks(4, 316);
    private static final int MAX_ROUNDS = 30;
    private static final long MAX_NANOS = 6_000_000_000L;

    private JitWarmUp() {}

    /** Warms {@code model}'s code paths once per JVM; see the class comment. */
    static void run(AttentionSinkModel model) {
        if (model.javaKernels() && DONE.compareAndSet(false, true)) {
            try {
                warm(model);
            } catch (RuntimeException e) {
                // Only a speed-up: the model serves as it would have, compiling its kernels on its first requests.
                log.warn("The JIT warm-up of {} failed; the first requests will compile the kernels instead",
                        model.directory(), e);
            }
        }
    }

    /**
     * What a warm-up ran.
     *
     * @param rounds rounds of throwaway steps
     * @param mostKeysAlone the most keys a step of one session attended to ({@link #LONG_PROMPT})
     */
    record Outcome(int rounds, int mostKeysAlone) {}

    /**
     * The warm-up itself, whether or not this JVM has had one: rounds of throwaway steps until the JIT is quiet (at
     * most {@link #MAX_ROUNDS}, about {@link #MAX_NANOS}); no rounds with libtorch multiplying.
     */
    static Outcome warm(AttentionSinkModel model) {
        if (!model.javaKernels()) {
            return new Outcome(0, 0);
        }
        long start = System.nanoTime();
        CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
        boolean measurable = jit != null && jit.isCompilationTimeMonitoringSupported();
        int vocab = model.vocabSize();
        List<Session> sessions = new ArrayList<>();
        int rounds = 0;
        int mostKeysAlone = 0;
        try {
            for (int s = 0; s < BATCH; s++) {
                sessions.add(model.newSession(CACHE));
            }
            long compiledBefore = measurable ? jit.getTotalCompilationTime() : 0;
            int quietRounds = 0;
            long deadline = start + MAX_NANOS;
            while (rounds < MAX_ROUNDS && System.nanoTime() < deadline) {
                long roundStart = System.nanoTime();
                mostKeysAlone = Math.max(mostKeysAlone, round(model, sessions, vocab, rounds, deadline));
                rounds++;
                long roundMillis = (System.nanoTime() - roundStart) / 1_000_000;
                if (!measurable) {
                    if (rounds >= 8) {
                        break;
                    }
                    continue;
                }
                long compiled = jit.getTotalCompilationTime();
                // Quiet: compiling took under 5% of the round. Small methods keep being compiled for a long while
                // (0-18 ms a round on the SmolLM-135M shape after the kernels' 1.5-2 s in the first five rounds).
                quietRounds = (compiled - compiledBefore) * 20 <= roundMillis ? quietRounds + 1 : 0;
                compiledBefore = compiled;
                if (quietRounds >= 2) {
                    break;
                }
            }
        } finally {
            sessions.forEach(Session::close);
        }
        Sampler.warmUp();
        // DEBUG: a start logs one INFO line, the model's (AttentionSinkModel#logLoaded).
        log.debug("Warmed up the Java kernels in {} ms ({} rounds of throwaway steps)",
                (System.nanoTime() - start) / 1_000_000, rounds);
        return new Outcome(rounds, mostKeysAlone);
    }

    /**
     * A prompt chunk in one session, a mixed step (one token beside seven 4-token prompts), four steps of every
     * session's single token, two of two sessions' tokens, four of one session alone (two with few keys, two with
     * many); stops early past {@code deadline} (a large model's steps take seconds, and the rounds are for the
     * compiler, not the weights). In the second round the first session reads {@link #LONG_PROMPT} first.
     *
     * @return the most keys a step of one session attended to
     */
    private static int round(AttentionSinkModel model, List<Session> sessions, int vocab, int round, long deadline) {
        for (Session session : sessions) {
            session.reset();
        }
        Session first = sessions.get(0);
        for (int fed = 0, c = 0; round == 1 && fed < LONG_PROMPT && System.nanoTime() < deadline; c++) {
            int n = c < LONG_PROMPT_FIRST_CHUNKS.length ? LONG_PROMPT_FIRST_CHUNKS[c] : CHUNK;
            first.append(ids(n, vocab, round + fed));
            fed += n;
        }
        first.append(ids(CHUNK, vocab, round));
        List<int[]> feeds = new ArrayList<>();
        for (int s = 0; s < sessions.size(); s++) {
            feeds.add(ids(s == 0 ? 1 : MIXED_PROMPT, vocab, round + s));
        }
        model.appendBatch(sessions, feeds);
        for (int step = 0; step < 4 && System.nanoTime() < deadline; step++) {
            List<int[]> tokens = new ArrayList<>();
            for (int s = 0; s < sessions.size(); s++) {
                tokens.add(ids(1, vocab, round * 7 + step + s));
            }
            model.appendBatch(sessions, tokens);
        }
        for (int step = 0; step < 2 && System.nanoTime() < deadline; step++) {
            List<int[]> tokens = new ArrayList<>();
            for (int s = 0; s < PAIR; s++) {
                tokens.add(ids(1, vocab, round + step + 5 * s));
            }
            model.appendBatch(sessions.subList(2, 2 + PAIR), tokens);
        }
        int mostKeys = 0;
        for (int step = 0; step < 4 && System.nanoTime() < deadline; step++) {
            Session alone = sessions.get(step % 2);
            alone.append(ids(1, vocab, round + step));
            mostKeys = Math.max(mostKeys, alone.cacheLength());
        }
        return mostKeys;
    }

    /** {@code n} token ids spread over the vocabulary. */
    private static int[] ids(int n, int vocab, int seed) {
        int[] ids = new int[n];
        for (int i = 0; i < n; i++) {
            ids[i] = (int) ((seed * 7919L + i * 104729L + 13) % vocab);
        }
        return ids;
    }
}
