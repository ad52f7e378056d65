package io.github.attentionsinks.examples.cli;

import io.github.attentionsinks.AttentionSinkModel;
import ai.djl.ndarray.types.DataType;
import io.github.attentionsinks.ComputeDtype;
import io.github.attentionsinks.DecodeScheduler;
import io.github.attentionsinks.Session;
import io.github.attentionsinks.cache.CacheConfig;
import io.github.attentionsinks.cache.CacheMode;
import io.github.attentionsinks.generate.GenerationParams;
import io.github.attentionsinks.generate.GenerationResult;
import io.github.attentionsinks.generate.Sampler;
import io.github.attentionsinks.kernels.WeightKernels;
import io.github.attentionsinks.runtime.DjlRuntime;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.locks.LockSupport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code bench}: decode latency, tokens/s and memory at chosen stream positions, per cache mode.
 *
 * <p>To reach a position, random token ids are fed in large chunks (not timed); then a few greedy decode steps warm
 * up and {@code --measure-tokens} single-token decode steps (append + argmax) are timed one by one. The median is
 * reported. Dense caches grow with the stream, so dense stops at {@code --dense-max-position}.
 */
@Command(name = "bench", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Measure decode latency, tokens/s and memory at stream positions for each cache mode, on a "
                + "model directory and/or a synthetic Llama with random weights. Results: a Markdown table on stdout; "
                + "progress on stderr."})
final class BenchCommand implements Callable<Integer> {
    @ParentCommand
    AttentionSinksCli cli;

    @Spec
    CommandSpec spec;

    @Option(names = "--model", paramLabel = "DIR", description = "A model directory in Hugging Face layout.")
    Path model;

    @Option(names = "--synthetic", paramLabel = "NAME",
            description = "Also (or instead) bench a Llama of this shape with random weights: smollm-135m "
                    + "(hidden 576, 30 layers, 9 heads, 3 KV heads, intermediate 1536, vocab 49152, tied) or tiny.")
    String synthetic;

    @Option(names = "--modes", paramLabel = "M[,M...]", split = ",", defaultValue = "sinks,dense",
            converter = CacheOptions.ModeConverter.class, description = "Cache modes, in order. Default: ${DEFAULT-VALUE}.")
    List<CacheMode> modes;

    @Option(names = "--positions", paramLabel = "P[,P...]", split = ",", defaultValue = "1000,10000,50000",
            description = "Stream positions at which to measure. Default: ${DEFAULT-VALUE}.")
    List<Integer> positions;

    @Option(names = "--dense-max-position", paramLabel = "P", defaultValue = "10000",
            description = "Skip dense measurements past this position: a dense cache grows without bound and its "
                    + "per-token cost grows with the stream. Default: ${DEFAULT-VALUE}.")
    int denseMaxPosition;

    @Option(names = "--measure-tokens", paramLabel = "N", defaultValue = "64",
            description = "Decode steps timed at each position (the median is reported). Default: ${DEFAULT-VALUE}.")
    int measureTokens;

    @Option(names = "--warmup-tokens", paramLabel = "N", defaultValue = "8",
            description = "Untimed decode steps before each measurement. Default: ${DEFAULT-VALUE}.")
    int warmupTokens;

    @Option(names = "--feed-chunk", paramLabel = "N", defaultValue = "4096",
            description = "Tokens per append call while reaching a position (the session splits them into cache-sized "
                    + "chunks). Default: ${DEFAULT-VALUE}.")
    int feedChunk;

    @Option(names = "--sessions", paramLabel = "N[,N...]", split = ",",
            description = "Also measure serving at each position: for each N, N sessions generate --measure-tokens "
                    + "tokens each on one DecodeScheduler (all of them in one batched forward pass per step): "
                    + "aggregate tokens/s against N = 1, and per-session ms/token p50/p99; then the time to first "
                    + "token of a one-token turn (median of several) while another session feeds --prefill-tokens tokens.")
    List<Integer> sessions = List.of();

    @Option(names = "--prefill-tokens", paramLabel = "N", defaultValue = "2000",
            description = "Prompt length of the session that prefills beside the time-to-first-token measurement. "
                    + "Default: ${DEFAULT-VALUE}.")
    int prefillTokens;

    @Option(names = "--prefill-chunk", paramLabel = "N", defaultValue = "" + DecodeScheduler.DEFAULT_PREFILL_CHUNK,
            description = "Prompt tokens a prefilling session feeds per scheduler step (smaller: the others' tokens "
                    + "come sooner; larger: the prompt is read faster). Default: ${DEFAULT-VALUE}, the chat models'.")
    int prefillChunk;

    @Option(names = "--long-prompt-chunk", paramLabel = "N",
            description = "The most prompt tokens long prompts feed in all (at least --prefill-chunk each) in a step of "
                    + "long prompts alone, which gives way "
                    + "to a short turn queued during it (the chunk doubles from --prefill-chunk as such steps follow "
                    + "one another). Default: " + DecodeScheduler.DEFAULT_LONG_PROMPT_CHUNK + " (or --prefill-chunk if "
                    + "larger), the chat models'; --prefill-chunk's value keeps every step to one chunk.")
    Integer longPromptChunk;

    @Mixin
    CacheOptions cacheOptions;

    @Mixin
    BenchEngineOptions engine;

    @Option(names = "--seed", paramLabel = "S", defaultValue = "42",
            description = "Seed of the filler tokens and of synthetic weights. Default: ${DEFAULT-VALUE}.")
    long seed;

    /** One measurement. */
    private String footer;

    record Row(String model, String cache, int position, double medianMs, double p90Ms, double cpuMeanMs,
            int cacheTokens, long cacheBytes, long tensorBytes, long rssBytes, long heapBytes) {}

    /** N sessions generating on one scheduler: aggregate tokens/s and each session's time per token. */
    record ServingRow(String model, String cache, int position, int sessions, double tokensPerSecond, double p50Ms,
            double p99Ms, long rssBytes) {}

    /**
     * Time to the first token of a one-token turn, alone and while another session prefills; and how fast that
     * session read its prompt meanwhile.
     */
    record FirstTokenRow(String model, String cache, int position, double aloneMs, double besidePrefillMs,
            int prefillTokens, double prefillTokensPerSecond) {}

    private final List<ServingRow> servingRows = new ArrayList<>();
    private final List<FirstTokenRow> firstTokenRows = new ArrayList<>();

    @Override
    public Integer call() throws IOException {
        if (model == null && synthetic == null) {
            throw usage("give --model DIR and/or --synthetic smollm-135m");
        }
        engine.apply(spec);
        SyntheticLlama.Shape shape = null;
        if (synthetic != null) {
            try {
                shape = SyntheticLlama.preset(synthetic);
            } catch (IllegalArgumentException e) {
                throw usage("--synthetic: " + e.getMessage());
            }
        }
        if (positions.isEmpty() || positions.stream().anyMatch(p -> p < 1)) {
            throw usage("--positions must be positive, got " + positions);
        }
        if (sessions.stream().anyMatch(n -> n < 1) || prefillTokens < 1 || prefillChunk < 1) {
            throw usage("--sessions must list numbers >= 1, --prefill-tokens and --prefill-chunk must be >= 1, got "
                    + sessions + ", " + prefillTokens + " and " + prefillChunk);
        }
        if (longPromptChunk != null && longPromptChunk < prefillChunk) {
            throw usage("--long-prompt-chunk must be at least --prefill-chunk (" + prefillChunk + "), got "
                    + longPromptChunk);
        }
        if (measureTokens < 1 || warmupTokens < 0 || feedChunk < 1) {
            throw usage("--measure-tokens and --feed-chunk must be >= 1 and --warmup-tokens >= 0");
        }
        List<Integer> sorted = positions.stream().distinct().sorted().toList();
        List<CacheConfig> caches = new ArrayList<>();
        for (CacheMode mode : modes) {
            caches.add(cacheOptions.config(spec, mode));
        }
        PrintStream err = cli.err;
        err.println(String.format(Locale.ROOT, "[bench] %d CPU(s), java %s, positions %s, dense up to %d, %d timed "
                + "tokens after %d warm-up", Runtime.getRuntime().availableProcessors(),
                System.getProperty("java.version"), sorted, denseMaxPosition, measureTokens, warmupTokens));
        List<Row> rows = new ArrayList<>();
        if (model != null) {
            rows.addAll(benchModel(model, model.getFileName().toString(), caches, sorted));
        }
        if (shape != null) {
            long t0 = System.nanoTime();
            try (SyntheticLlama.TemporaryModel written = new SyntheticLlama.TemporaryModel(shape, seed)) {
                Path dir = written.dir;
                err.println(String.format(Locale.ROOT, "[bench] wrote synthetic %s (%.1f M parameters) to %s in %.1f s",
                        shape.name(), shape.parameters() / 1e6, dir, (System.nanoTime() - t0) / 1e9));
                rows.addAll(benchModel(dir, "synthetic " + shape.name(), caches, sorted));
                // Through the products the model used: the Java kernels, else libtorch's for the dtype.
                ComputeDtype weights = ComputeDtype.parse(engine.dtype);
                // The model is closed, but its packed weights (hundreds of MiB on the heap) are still to be collected:
                // collect them now, or the collector's concurrent work shares the cores with the floor's products.
                System.gc();
                try (WeightKernels kernelsUsed = WeightKernels.select(WeightKernels.Choice.parse(engine.kernels), weights,
                        DjlRuntime.device(engine.device).isGpu(), DjlRuntime.intraOpThreads())) {
                    // The Java kernels take float32 inputs whatever the weights' dtype.
                    double floor = WeightStreamFloor.medianMs(shape,
                            kernelsUsed != null ? DataType.FLOAT32 : weights.loadType(), kernelsUsed, 20);
                    String by = kernelsUsed == null ? "libtorch" : kernelsUsed.describe();
                    err.println(String.format(Locale.ROOT, "[bench] weight-streaming floor for %s (matrix-vector "
                            + "products with every weight, nothing else, by %s): %.2f ms/token", shape.name(), by,
                            floor));
                    footer = String.format(Locale.ROOT, "Weight-streaming floor of %s on this machine, same run (only "
                            + "the matrix-vector products with every weight matrix, by %s, median of 20): %.2f "
                            + "ms/token", shape.name(), by, floor);
                }
            }
        }
        printTable(rows);
        if (footer != null) {
            cli.out.println();
            cli.out.println(footer);
        }
        return 0;
    }

    private List<Row> benchModel(Path dir, String modelLabel, List<CacheConfig> caches, List<Integer> sorted) {
        String label = engine.label(modelLabel);
        PrintStream err = cli.err;
        List<Row> rows = new ArrayList<>();
        long t0 = System.nanoTime();
        try (AttentionSinkModel loaded = engine.load(dir)) {
            err.println(String.format(Locale.ROOT, "[bench] %s loaded in %.1f s on %s, kernels %s: tensors %s, RSS %s",
                    label, (System.nanoTime() - t0) / 1e9, loaded.device(), loaded.kernels(),
                    ProcessMemory.format(loaded.liveTensorBytes()), ProcessMemory.format(ProcessMemory.residentBytes())));
            for (CacheConfig cache : caches) {
                rows.addAll(benchCache(loaded, label, cache, sorted));
                if (!sessions.isEmpty()) {
                    benchServing(loaded, label, cache, sorted);
                }
            }
        }
        return rows;
    }

    private List<Row> benchCache(AttentionSinkModel loaded, String label, CacheConfig cache, List<Integer> sorted) {
        PrintStream err = cli.err;
        List<Row> rows = new ArrayList<>();
        SplittableRandom random = new SplittableRandom(seed);
        int vocab = loaded.vocabSize();
        try (Session session = loaded.newSession(cache)) {
            float[] logits = null;
            for (int position : sorted) {
                if (!cache.bounded() && position > denseMaxPosition) {
                    err.println(String.format(Locale.ROOT, "[bench] %s %s: position %d skipped (--dense-max-position %d)",
                            label, cache, position, denseMaxPosition));
                    continue;
                }
                long fillTarget = Math.max(1, position - warmupTokens);
                long fillStart = System.nanoTime();
                long filled = 0;
                while (session.streamLength() < fillTarget) {
                    int n = (int) Math.min(feedChunk, fillTarget - session.streamLength());
                    logits = session.append(randomIds(random, vocab, n));
                    filled += n;
                }
                if (filled > 0) {
                    double seconds = (System.nanoTime() - fillStart) / 1e9;
                    err.println(String.format(Locale.ROOT, "[bench] %s %s: fed %d tokens to reach %d in %.1f s (%.0f tok/s)",
                            label, cache, filled, session.streamLength(), seconds, filled / seconds));
                }
                for (int i = 0; i < warmupTokens; i++) {
                    logits = session.append(Sampler.argmax(logits));
                }
                double[] ms = new double[measureTokens];
                int start = (int) session.streamLength();
                // Process CPU time ticks coarsely (10 ms on Linux): take it over the whole window.
                long cpuStart = ProcessMemory.processCpuNanos();
                for (int i = 0; i < measureTokens; i++) {
                    long a = System.nanoTime();
                    logits = session.append(Sampler.argmax(logits));
                    ms[i] = (System.nanoTime() - a) / 1e6;
                }
                double cpuMs = cpuStart < 0 ? Double.NaN
                        : (ProcessMemory.processCpuNanos() - cpuStart) / 1e6 / measureTokens;
                Arrays.sort(ms);
                Row row = new Row(label, cache.toString(), start, percentile(ms, 0.5), percentile(ms, 0.9), cpuMs,
                        session.cacheLength(), session.cacheBytes(), loaded.liveTensorBytes(),
                        ProcessMemory.residentBytes(), ProcessMemory.heapCommittedBytes());
                rows.add(row);
                err.println(String.format(Locale.ROOT, "[bench] %s %s @ %d: median %.2f ms/token (%.1f tok/s), "
                                + "p90 %.2f ms, CPU %.2f ms/token, cache %d tokens %s, tensors %s, RSS %s (JVM heap %s)",
                        label, cache, start, row.medianMs(), 1000 / row.medianMs(), row.p90Ms(), row.cpuMeanMs(),
                        row.cacheTokens(), ProcessMemory.format(row.cacheBytes()),
                        ProcessMemory.format(row.tensorBytes()), ProcessMemory.format(row.rssBytes()),
                        ProcessMemory.format(row.heapBytes())));
            }
        }
        return rows;
    }

    /**
     * Serving at each position: for each N, N sessions (filled to the position, untimed) generate
     * {@code --measure-tokens} greedy tokens each on one {@link DecodeScheduler}; then the first-token latency of a
     * short turn, alone and beside a long prefill.
     */
    private void benchServing(AttentionSinkModel loaded, String label, CacheConfig cache, List<Integer> sorted) {
        PrintStream err = cli.err;
        SplittableRandom random = new SplittableRandom(seed + 1);
        int vocab = loaded.vocabSize();
        int most = sessions.stream().mapToInt(Integer::intValue).max().orElse(1);
        List<Session> open = new ArrayList<>();
        try {
            for (int s = 0; s < most; s++) {
                open.add(loaded.newSession(cache));
            }
            for (int position : sorted) {
                if (!cache.bounded() && position > denseMaxPosition) {
                    continue;
                }
                for (Session session : open) {
                    while (session.streamLength() < position) {
                        int n = (int) Math.min(feedChunk, position - session.streamLength());
                        session.append(randomIds(random, vocab, n));
                    }
                }
                double single = 0;
                for (int n : sessions.stream().distinct().sorted().toList()) {
                    ServingRow row = serve(loaded, label, cache, position, open.subList(0, n), random);
                    servingRows.add(row);
                    if (n == 1) {
                        single = row.tokensPerSecond();
                    }
                    err.println(String.format(Locale.ROOT, "[bench] %s %s @ %d, %d sessions on one scheduler: %.1f "
                                    + "tokens/s together%s, per session p50 %.2f ms/token, p99 %.2f ms", label, cache,
                            position, n, row.tokensPerSecond(), single > 0 && n > 1
                                    ? String.format(Locale.ROOT, " (%.2fx one session)", row.tokensPerSecond() / single)
                                    : "", row.p50Ms(), row.p99Ms()));
                }
                FirstTokenRow ttft = firstToken(loaded, label, cache, position, open.get(0), random);
                firstTokenRows.add(ttft);
                err.println(String.format(Locale.ROOT, "[bench] %s %s @ %d: first token of a one-token turn %.2f ms "
                                + "alone, %.2f ms while another session prefills %d tokens (read at %.0f tokens/s)",
                        label, cache, position, ttft.aloneMs(), ttft.besidePrefillMs(), prefillTokens,
                        ttft.prefillTokensPerSecond()));
                if (Double.isNaN(ttft.besidePrefillMs())) {
                    err.println("[bench] the prefill of " + prefillTokens + " tokens ended before a turn could be "
                            + "timed beside it (NaN above): raise --prefill-tokens");
                }
            }
        } finally {
            open.forEach(Session::close);
        }
    }

    private ServingRow serve(AttentionSinkModel loaded, String label, CacheConfig cache, int position,
            List<Session> group, SplittableRandom random) {
        int n = group.size();
        int tokens = warmupTokens + measureTokens;
        GenerationParams params = GenerationParams.builder().maxNewTokens(tokens).temperature(0).ignoreEos(true)
                .build();
        List<long[]> stamps = new ArrayList<>();
        try (DecodeScheduler scheduler = new DecodeScheduler(loaded, n, 0, prefillChunk, longPromptChunk())) {
            List<CompletableFuture<GenerationResult>> results = new ArrayList<>();
            long start = System.nanoTime();
            for (Session session : group) {
                long[] times = new long[tokens];
                stamps.add(times);
                int[] count = {0};
                results.add(scheduler.submit(session, randomIds(random, loaded.vocabSize(), 1), params,
                        (id, piece) -> {
                            if (id >= 0 && count[0] < tokens) {
                                times[count[0]++] = System.nanoTime();
                            }
                        }));
            }
            results.forEach(CompletableFuture::join);
            double seconds = (System.nanoTime() - start) / 1e9;
            List<Double> gaps = new ArrayList<>();
            for (long[] times : stamps) {
                for (int i = Math.max(1, warmupTokens); i < tokens; i++) {
                    gaps.add((times[i] - times[i - 1]) / 1e6);
                }
            }
            double[] sorted = gaps.stream().mapToDouble(Double::doubleValue).sorted().toArray();
            return new ServingRow(label, cache.toString(), position, n, n * tokens / seconds,
                    percentile(sorted, 0.5), percentile(sorted, 0.99), ProcessMemory.residentBytes());
        }
    }

    /**
     * One-token turns on {@code session}: the median of nine alone (after three not counted), then the median of up
     * to nine while a fresh session feeds {@code --prefill-tokens}. Each turn comes after a random pause of up to
     * {@link #ARRIVAL_SPREAD_MS}: a turn sent the moment the last one ended would always find the decode loop just
     * starting a step of the long prompt, its worst case, where users' turns arrive anywhere in a step.
     */
    private FirstTokenRow firstToken(AttentionSinkModel loaded, String label, CacheConfig cache, int position,
            Session session, SplittableRandom random) {
        GenerationParams one = GenerationParams.builder().maxNewTokens(1).temperature(0).ignoreEos(true).build();
        System.gc(); // the serving runs' garbage, collected now rather than by a collector competing with the turns
        try (DecodeScheduler scheduler = new DecodeScheduler(loaded, 2, 0, prefillChunk, longPromptChunk());
             Session prefilling = loaded.newSession(cache)) {
            List<Double> alone = new ArrayList<>();
            for (int i = 0; i < 12; i++) {
                double ms = firstTokenMs(scheduler, session, one, random, loaded.vocabSize());
                if (i >= 3) {
                    alone.add(ms);
                }
            }
            long prefillStart = System.nanoTime();
            CompletableFuture<GenerationResult> longPrompt = scheduler.submit(prefilling,
                    randomIds(random, loaded.vocabSize(), prefillTokens), one, null);
            long waitUntil = System.nanoTime() + 10_000_000_000L;
            long stepsBefore = scheduler.steps();
            while (scheduler.steps() < stepsBefore + 2 && System.nanoTime() < waitUntil) {
                Thread.onSpinWait(); // the prefill is under way
            }
            List<Double> beside = new ArrayList<>();
            while (beside.size() < 9 && !longPrompt.isDone()) {
                beside.add(firstTokenMs(scheduler, session, one, random, loaded.vocabSize()));
            }
            longPrompt.join();
            double prefillSeconds = (System.nanoTime() - prefillStart) / 1e9;
            cli.err.println("[bench] " + scheduler.stepsGivenWay() + " steps of the long prompt gave way to a turn");
            return new FirstTokenRow(label, cache.toString(), position, median(alone), median(beside),
                    prefillTokens, prefillTokens / prefillSeconds);
        }
    }

    private int longPromptChunk() {
        return longPromptChunk != null ? longPromptChunk : DecodeScheduler.defaultLongPromptChunk(prefillChunk);
    }

    /** The longest pause before a timed one-token turn: a few decode steps, so arrivals fall anywhere in a step. */
    private static final int ARRIVAL_SPREAD_MS = 50;

    /** The median, or NaN for none (printed as such). */
    private static double median(List<Double> values) {
        if (values.isEmpty()) {
            return Double.NaN;
        }
        return percentile(values.stream().mapToDouble(Double::doubleValue).sorted().toArray(), 0.5);
    }

    private static double firstTokenMs(DecodeScheduler scheduler, Session session, GenerationParams params,
            SplittableRandom random, int vocab) {
        LockSupport.parkNanos(random.nextLong(ARRIVAL_SPREAD_MS * 1_000_000L));
        long[] first = {0};
        long start = System.nanoTime();
        scheduler.submit(session, randomIds(random, vocab, 1), params, (id, piece) -> {
            if (first[0] == 0) {
                first[0] = System.nanoTime();
            }
        }).join();
        return ((first[0] == 0 ? System.nanoTime() : first[0]) - start) / 1e6;
    }

    private static int[] randomIds(SplittableRandom random, int vocab, int n) {
        int[] ids = new int[n];
        for (int i = 0; i < n; i++) {
            ids[i] = random.nextInt(vocab);
        }
        return ids;
    }

    private void printTable(List<Row> rows) {
        PrintStream out = cli.out;
        out.println("| model | cache | position | median ms/token | tokens/s | p90 ms | mean CPU ms/token | "
                + "cache tokens | KV cache | native tensors | RSS | JVM heap |");
        out.println("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        for (Row r : rows) {
            out.println(String.format(Locale.ROOT, "| %s | %s | %d | %.2f | %.1f | %.2f | %.2f | %d | %s | %s | %s | %s |",
                    r.model(), r.cache(), r.position(), r.medianMs(), 1000 / r.medianMs(), r.p90Ms(), r.cpuMeanMs(),
                    r.cacheTokens(),
                    ProcessMemory.format(r.cacheBytes()), ProcessMemory.format(r.tensorBytes()),
                    ProcessMemory.format(r.rssBytes()), ProcessMemory.format(r.heapBytes())));
        }
        if (!servingRows.isEmpty()) {
            out.println();
            out.println("| model | cache | position | sessions | tokens/s together | vs one session | "
                    + "per-session ms/token p50 | p99 | RSS |");
            out.println("|---|---|---:|---:|---:|---:|---:|---:|---:|");
            for (ServingRow r : servingRows) {
                double single = servingRows.stream().filter(o -> o.sessions() == 1 && o.model().equals(r.model())
                        && o.cache().equals(r.cache()) && o.position() == r.position())
                        .mapToDouble(ServingRow::tokensPerSecond).findFirst().orElse(Double.NaN);
                // Without a one-session row (--sessions 8) there is nothing to compare with.
                String ratio = Double.isNaN(single) ? "–"
                        : String.format(Locale.ROOT, "%.2fx", r.tokensPerSecond() / single);
                out.println(String.format(Locale.ROOT, "| %s | %s | %d | %d | %.1f | %s | %.2f | %.2f | %s |",
                        r.model(), r.cache(), r.position(), r.sessions(), r.tokensPerSecond(), ratio, r.p50Ms(),
                        r.p99Ms(), ProcessMemory.format(r.rssBytes())));
            }
            out.println();
            out.println("| model | cache | position | first token of a one-token turn, alone (ms) | "
                    + "while another session prefills (ms) | prefill tokens | its prompt read at (tokens/s) |");
            out.println("|---|---|---:|---:|---:|---:|---:|");
            for (FirstTokenRow r : firstTokenRows) {
                out.println(String.format(Locale.ROOT, "| %s | %s | %d | %.2f | %.2f | %d | %.0f |", r.model(),
                        r.cache(), r.position(), r.aloneMs(), r.besidePrefillMs(), r.prefillTokens(),
                        r.prefillTokensPerSecond()));
            }
        }
        out.println();
        out.println("Peak RSS of the process (VmHWM): " + ProcessMemory.format(ProcessMemory.peakResidentBytes()));
        out.flush();
    }

    /** Nearest-rank percentile of sorted values. */
    static double percentile(double[] sorted, double q) {
        if (sorted.length % 2 == 0 && q == 0.5) {
            return (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2;
        }
        int index = (int) Math.ceil(q * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, index))];
    }

    private ParameterException usage(String message) {
        return new ParameterException(spec.commandLine(), message);
    }
}
