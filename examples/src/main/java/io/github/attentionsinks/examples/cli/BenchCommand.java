package io.github.attentionsinks.examples.cli;

import io.github.attentionsinks.AttentionSinkModel;
import io.github.attentionsinks.Session;
import io.github.attentionsinks.cache.CacheConfig;
import io.github.attentionsinks.cache.CacheMode;
import ai.djl.pytorch.jni.JniUtils;
import io.github.attentionsinks.generate.Sampler;
import io.github.attentionsinks.weights.DTypes;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
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

    @Option(names = "--sessions", paramLabel = "N", defaultValue = "1",
            description = "With N > 1, also measure N sessions decoding side by side at each position: one token each "
                    + "per round, stepped one after another and then in one batched forward pass "
                    + "(AttentionSinkModel.appendBatch). Default: ${DEFAULT-VALUE}.")
    int sessions;

    @Mixin
    CacheOptions cacheOptions;

    @Option(names = "--device", paramLabel = "D", defaultValue = "auto", description = "auto, cpu, cuda or cuda:N.")
    String device;

    @Option(names = "--dtype", paramLabel = "T", defaultValue = "float32", description = "float32 or float16 (GPU).")
    String dtype;

    @Option(names = "--threads", paramLabel = "N",
            description = "PyTorch intra-op threads (default: one per CPU). 1 makes CPU time per token a measure that "
                    + "other processes on the machine hardly disturb.")
    Integer threads;

    @Option(names = "--seed", paramLabel = "S", defaultValue = "42",
            description = "Seed of the filler tokens and of synthetic weights. Default: ${DEFAULT-VALUE}.")
    long seed;

    /** One measurement. */
    private String footer;

    record Row(String model, String cache, int position, double medianMs, double p90Ms, double cpuMeanMs,
            int cacheTokens, long cacheBytes, long tensorBytes, long rssBytes, long heapBytes) {}

    /** N sessions decoding side by side: median time of a round (one token for each), stepped apart and batched. */
    record SessionsRow(String model, String cache, int position, int sessions, double sequentialMs, double batchedMs) {}

    private final List<SessionsRow> sessionRows = new ArrayList<>();

    @Override
    public Integer call() throws IOException {
        if (model == null && synthetic == null) {
            throw usage("give --model DIR and/or --synthetic smollm-135m");
        }
        ModelOptions.validateDevice(spec, device);
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
        if (sessions < 1) {
            throw usage("--sessions must be >= 1, got " + sessions);
        }
        if (measureTokens < 1 || warmupTokens < 0 || feedChunk < 1) {
            throw usage("--measure-tokens and --feed-chunk must be >= 1 and --warmup-tokens >= 0");
        }
        if (threads != null) {
            if (threads < 1) {
                throw usage("--threads must be >= 1, got " + threads);
            }
            // Read when the engine starts; set again below in case it already runs in this JVM.
            System.setProperty("attentionsinks.threads", Integer.toString(threads));
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
            Path dir = Files.createTempDirectory("attention-sinks-synthetic-");
            // ~0.5 GB of random weights: remove them even when the run is interrupted.
            Thread cleanup = new Thread(() -> {
                try {
                    deleteRecursively(dir);
                } catch (IOException ignored) {
                    // best effort at exit
                }
            });
            Runtime.getRuntime().addShutdownHook(cleanup);
            try {
                long t0 = System.nanoTime();
                SyntheticLlama.write(shape, dir, seed);
                err.println(String.format(Locale.ROOT, "[bench] wrote synthetic %s (%.1f M parameters) to %s in %.1f s",
                        shape.name(), shape.parameters() / 1e6, dir, (System.nanoTime() - t0) / 1e9));
                rows.addAll(benchModel(dir, "synthetic " + shape.name(), caches, sorted));
                double floor = WeightStreamFloor.medianMs(shape, DTypes.parseComputeType(dtype), 20);
                err.println(String.format(Locale.ROOT, "[bench] weight-streaming floor for %s (matrix-vector products "
                        + "with every weight, nothing else): %.2f ms/token", shape.name(), floor));
                footer = String.format(Locale.ROOT, "Weight-streaming floor of %s on this machine, same run (only the "
                        + "matrix-vector products with every weight matrix, median of 20): %.2f ms/token", shape.name(),
                        floor);
            } finally {
                deleteRecursively(dir);
                Runtime.getRuntime().removeShutdownHook(cleanup);
            }
        }
        printTable(rows);
        if (footer != null) {
            cli.out.println();
            cli.out.println(footer);
        }
        return 0;
    }

    private List<Row> benchModel(Path dir, String label, List<CacheConfig> caches, List<Integer> sorted) {
        PrintStream err = cli.err;
        List<Row> rows = new ArrayList<>();
        long t0 = System.nanoTime();
        try (AttentionSinkModel loaded = AttentionSinkModel.builder().modelPath(dir).device(device).dtype(dtype).load()) {
            if (threads != null) {
                JniUtils.setNumThreads(threads);
            }
            err.println(String.format(Locale.ROOT, "[bench] %s loaded in %.1f s on %s: tensors %s, RSS %s", label,
                    (System.nanoTime() - t0) / 1e9, loaded.device(), ProcessMemory.format(loaded.liveTensorBytes()),
                    ProcessMemory.format(ProcessMemory.residentBytes())));
            for (CacheConfig cache : caches) {
                rows.addAll(benchCache(loaded, label, cache, sorted));
                if (sessions > 1) {
                    sessionRows.addAll(benchSessions(loaded, label, cache, sorted));
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
                    int[] ids = new int[n];
                    for (int i = 0; i < n; i++) {
                        ids[i] = random.nextInt(vocab);
                    }
                    logits = session.append(ids);
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
     * N sessions at each position: rounds of one token per session, timed stepped one after another and in one
     * batched pass (alternating, so both see the same machine state); medians of the rounds.
     */
    private List<SessionsRow> benchSessions(AttentionSinkModel loaded, String label, CacheConfig cache,
            List<Integer> sorted) {
        PrintStream err = cli.err;
        List<SessionsRow> rows = new ArrayList<>();
        SplittableRandom random = new SplittableRandom(seed + 1);
        int vocab = loaded.vocabSize();
        List<Session> open = new ArrayList<>();
        try {
            for (int s = 0; s < sessions; s++) {
                open.add(loaded.newSession(cache));
            }
            int[] next = new int[sessions];
            for (int position : sorted) {
                if (!cache.bounded() && position > denseMaxPosition) {
                    continue;
                }
                for (int s = 0; s < sessions; s++) {
                    Session session = open.get(s);
                    float[] logits = null;
                    while (session.streamLength() < position) {
                        int n = (int) Math.min(feedChunk, position - session.streamLength());
                        int[] ids = new int[n];
                        for (int i = 0; i < n; i++) {
                            ids[i] = random.nextInt(vocab);
                        }
                        logits = session.append(ids);
                    }
                    next[s] = logits == null ? random.nextInt(vocab) : Sampler.argmax(logits);
                }
                double[] sequential = new double[measureTokens];
                double[] batched = new double[measureTokens];
                for (int round = -warmupTokens; round < measureTokens; round++) {
                    long a = System.nanoTime();
                    for (int s = 0; s < sessions; s++) {
                        next[s] = Sampler.argmax(open.get(s).append(next[s]));
                    }
                    long b = System.nanoTime();
                    List<int[]> feeds = new ArrayList<>();
                    for (int s = 0; s < sessions; s++) {
                        feeds.add(new int[] {next[s]});
                    }
                    float[][] logits = loaded.appendBatch(open, feeds);
                    long c = System.nanoTime();
                    for (int s = 0; s < sessions; s++) {
                        next[s] = Sampler.argmax(logits[s]);
                    }
                    if (round >= 0) {
                        sequential[round] = (b - a) / 1e6;
                        batched[round] = (c - b) / 1e6;
                    }
                }
                Arrays.sort(sequential);
                Arrays.sort(batched);
                SessionsRow row = new SessionsRow(label, cache.toString(), position, sessions,
                        percentile(sequential, 0.5), percentile(batched, 0.5));
                rows.add(row);
                err.println(String.format(Locale.ROOT, "[bench] %s %s @ %d, %d sessions: a round of one token each "
                                + "takes %.2f ms stepped apart (%.1f tok/s), %.2f ms batched (%.1f tok/s)", label,
                        cache, position, sessions, row.sequentialMs(), sessions * 1000 / row.sequentialMs(),
                        row.batchedMs(), sessions * 1000 / row.batchedMs()));
            }
        } finally {
            open.forEach(Session::close);
        }
        return rows;
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
        if (!sessionRows.isEmpty()) {
            out.println();
            out.println("| model | cache | position | sessions | stepped apart ms/round | batched ms/round | "
                    + "stepped apart tokens/s | batched tokens/s | speed-up |");
            out.println("|---|---|---:|---:|---:|---:|---:|---:|---:|");
            for (SessionsRow r : sessionRows) {
                out.println(String.format(Locale.ROOT, "| %s | %s | %d | %d | %.2f | %.2f | %.1f | %.1f | %.2fx |",
                        r.model(), r.cache(), r.position(), r.sessions(), r.sequentialMs(), r.batchedMs(),
                        r.sessions() * 1000 / r.sequentialMs(), r.sessions() * 1000 / r.batchedMs(),
                        r.sequentialMs() / r.batchedMs()));
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

    private static void deleteRecursively(Path dir) throws IOException {
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
