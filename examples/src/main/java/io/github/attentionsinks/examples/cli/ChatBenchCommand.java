package io.github.attentionsinks.examples.cli;

import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import io.github.attentionsinks.AttentionSinkModel;
import io.github.attentionsinks.generate.GenerationParams;
import io.github.attentionsinks.langchain4j.AttentionSinkChatModel;
import io.github.attentionsinks.langchain4j.AttentionSinkChatRequestParameters;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * Chat serving as a LangChain4j client sees it: for each number of users, that many threads each hold a new
 * conversation (its own memory id) of {@code --turns} messages with the blocking {@link AttentionSinkChatModel}, all
 * at once; aggregate reply tokens per second against one user. Unlike {@code bench --sessions}, turns go through
 * everything a chat request does (template, tokenizer, turn planning, the decode loop shared by the conversations,
 * detokenizing, stop checks), conversations start empty, and a user's next turn waits for its last reply.
 */
@Command(name = "bench-chat", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Measure aggregate reply tokens/s of N concurrent conversations (memory ids) through the "
                + "LangChain4j chat model, against one. Results: a Markdown table on stdout; progress on stderr."})
final class ChatBenchCommand implements Callable<Integer> {
    @ParentCommand
    AttentionSinksCli cli;

    @Spec
    CommandSpec spec;

    @Option(names = "--model", paramLabel = "DIR", description = "A model directory in Hugging Face layout with a "
            + "chat template.")
    Path model;

    @Option(names = "--synthetic", paramLabel = "NAME",
            description = "Instead: a Llama of this shape with random weights (smollm-135m or tiny), with the tokenizer "
                    + "and chat template of --tokenizer.")
    String synthetic;

    @Option(names = "--tokenizer", paramLabel = "DIR", description = "With --synthetic: a directory with "
            + "tokenizer.json and tokenizer_config.json (its chat template), of the shape's vocabulary size.")
    Path tokenizer;

    @Option(names = "--users", paramLabel = "N[,N...]", split = ",", defaultValue = "1,8",
            description = "Concurrent conversations, one measurement each. Default: ${DEFAULT-VALUE}.")
    List<Integer> users;

    @Option(names = "--turns", paramLabel = "N", defaultValue = "3",
            description = "Messages each user sends, each after the last reply. Default: ${DEFAULT-VALUE}.")
    int turns;

    @Option(names = "--max-tokens", paramLabel = "N", defaultValue = "64",
            description = "Reply tokens at most (maxOutputTokens of each request). Default: ${DEFAULT-VALUE}.")
    int maxTokens;

    @Option(names = "--rounds", paramLabel = "N", defaultValue = "2",
            description = "Rounds over --users, each with new conversations; the first warms up the JIT and is not "
                    + "in the table. Default: ${DEFAULT-VALUE}.")
    int rounds;

    @Option(names = "--temperature", paramLabel = "T", defaultValue = "0",
            description = "Sampling temperature of every request; 0 = greedy. Default: ${DEFAULT-VALUE}.")
    double temperature;

    @Option(names = "--top-p", paramLabel = "P", defaultValue = "1",
            description = "Nucleus sampling threshold in (0, 1] with --temperature (1 = off). "
                    + "Default: ${DEFAULT-VALUE}.")
    double topP;

    @Option(names = "--system-prompt", paramLabel = "TEXT",
            description = "A system message that opens every conversation (none by default: the template's own).")
    String systemPrompt;

    @Option(names = "--share-prompt-prefixes", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Whether new conversations copy the prompt beginning they share (the system turn) instead "
                    + "of encoding it; --no-share-prompt-prefixes encodes every prompt. Default: ${DEFAULT-VALUE}.")
    boolean sharePromptPrefixes;

    @Mixin
    BenchEngineOptions engine;

    @Option(names = "--seed", paramLabel = "S", defaultValue = "42", description = "Seed of synthetic weights.")
    long seed;

    /** One measurement: {@code users} conversations at once. */
    record Row(String model, int users, long replyTokens, double seconds, double tokensPerSecond, double vsOne,
            double turnP50Ms, double turnP95Ms, long collections, long collectionMs) {}

    /** What one user's conversation gave: reply tokens and each turn's time. */
    private record Conversation(long replyTokens, List<Double> turnMs) {}

    @Override
    public Integer call() throws IOException, InterruptedException, ExecutionException {
        if ((model == null) == (synthetic == null)) {
            throw usage("give --model DIR or --synthetic NAME --tokenizer DIR");
        }
        if (synthetic != null && tokenizer == null) {
            throw usage("--synthetic needs --tokenizer DIR: its own tokenizer has no chat template");
        }
        if (users.isEmpty() || users.stream().anyMatch(n -> n < 1) || turns < 1 || maxTokens < 1 || rounds < 1) {
            throw usage("--users must list numbers >= 1, and --turns, --max-tokens and --rounds must be >= 1");
        }
        try {
            GenerationParams.builder().temperature(temperature).topP(topP).build(); // the library's rule for both
        } catch (IllegalArgumentException e) {
            throw usage("--temperature / --top-p: " + e.getMessage());
        }
        engine.apply(spec);
        if (model != null) {
            printTable(bench(model, model.getFileName().toString()));
            return 0;
        }
        SyntheticLlama.Shape shape;
        try {
            shape = SyntheticLlama.preset(synthetic);
        } catch (IllegalArgumentException e) {
            throw usage("--synthetic: " + e.getMessage());
        }
        try (SyntheticLlama.TemporaryModel written = new SyntheticLlama.TemporaryModel(shape, seed)) {
            Path dir = written.dir;
            for (String file : List.of("tokenizer.json", "tokenizer_config.json")) {
                Path from = tokenizer.resolve(file);
                if (!Files.isRegularFile(from)) {
                    throw usage("--tokenizer: " + from + " is missing");
                }
                Files.copy(from, dir.resolve(file), StandardCopyOption.REPLACE_EXISTING);
            }
            printTable(bench(dir, "synthetic " + shape.name() + " + " + tokenizer.getFileName()));
        }
        return 0;
    }

    private List<Row> bench(Path dir, String modelLabel) throws InterruptedException, ExecutionException {
        String label = engine.label(modelLabel);
        PrintStream err = cli.err;
        int most = Collections.max(users);
        List<Row> rows = new ArrayList<>();
        try (AttentionSinkModel loaded = engine.load(dir);
             AttentionSinkChatModel chat = AttentionSinkChatModel.builder().model(loaded).temperature(temperature)
                     .topP(topP).maxSessions(most).maxBatchSize(most).sharePromptPrefixes(sharePromptPrefixes)
                     .build()) {
            err.println(String.format(Locale.ROOT, "[bench-chat] %s on %s, kernels %s, %d CPU(s), java %s", label,
                    loaded.device(), loaded.kernels(), Runtime.getRuntime().availableProcessors(),
                    System.getProperty("java.version")));
            for (int round = 0; round < rounds; round++) {
                double one = Double.NaN;
                for (int n : users.stream().distinct().sorted().toList()) {
                    Row row = round(chat, label, "r" + round + "-n" + n + "-", n, one);
                    if (n == 1) {
                        one = row.tokensPerSecond();
                    }
                    boolean kept = round > 0 || rounds == 1;
                    if (kept) {
                        rows.add(row);
                    }
                    err.println(String.format(Locale.ROOT, "[bench-chat] round %d%s, %d user(s) x %d turns: %d reply "
                                    + "tokens in %.1f s, %.1f tokens/s%s, turn p50 %.0f ms", round,
                            kept ? "" : " (warm-up)", n, turns, row.replyTokens(), row.seconds(),
                            row.tokensPerSecond(), Double.isNaN(row.vsOne()) ? ""
                                    : String.format(Locale.ROOT, " (%.2fx one user)", row.vsOne()), row.turnP50Ms()));
                }
            }
        }
        return rows;
    }

    /** {@code n} users at once, each a new conversation of {@link #turns} messages. */
    private Row round(AttentionSinkChatModel chat, String label, String idPrefix, int n, double one)
            throws InterruptedException, ExecutionException {
        ExecutorService pool = Executors.newFixedThreadPool(n);
        try {
            List<Future<Conversation>> conversations = new ArrayList<>();
            long[] collectionsBefore = collections();
            long start = System.nanoTime();
            for (int u = 0; u < n; u++) {
                String memoryId = idPrefix + u;
                int user = u;
                conversations.add(pool.submit(() -> converse(chat, memoryId, user)));
            }
            long tokens = 0;
            List<Double> turnMs = new ArrayList<>();
            for (Future<Conversation> future : conversations) {
                Conversation c = future.get();
                tokens += c.replyTokens();
                turnMs.addAll(c.turnMs());
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            long[] collectionsAfter = collections();
            Collections.sort(turnMs);
            double tokensPerSecond = tokens / seconds;
            return new Row(label, n, tokens, seconds, tokensPerSecond, n == 1 ? 1.0 : tokensPerSecond / one,
                    percentile(turnMs, 0.50), percentile(turnMs, 0.95), collectionsAfter[0] - collectionsBefore[0],
                    collectionsAfter[1] - collectionsBefore[1]);
        } finally {
            pool.shutdownNow();
        }
    }

    private Conversation converse(AttentionSinkChatModel chat, String memoryId, int user) {
        List<ChatMessage> history = new ArrayList<>();
        if (systemPrompt != null) {
            history.add(SystemMessage.from(systemPrompt));
        }
        List<Double> turnMs = new ArrayList<>();
        long tokens = 0;
        for (int t = 0; t < turns; t++) {
            history.add(UserMessage.from("Tell me something about the number " + (user * 31 + t * 7 + 3)
                    + ", please."));
            long t0 = System.nanoTime();
            ChatResponse response = chat.chat(ChatRequest.builder().messages(history)
                    .parameters(AttentionSinkChatRequestParameters.builder().memoryId(memoryId)
                            .maxOutputTokens(maxTokens).build())
                    .build());
            turnMs.add((System.nanoTime() - t0) / 1e6);
            history.add(response.aiMessage());
            tokens += response.tokenUsage().outputTokenCount();
        }
        return new Conversation(tokens, turnMs);
    }

    /**
     * Garbage collections so far and their milliseconds, all collectors: a serving path that allocates per step shows
     * here (a 1.5 MB logits array per 8-session step once started a collection each time, 806 in 40 s).
     */
    private static long[] collections() {
        long count = 0;
        long millis = 0;
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            count += Math.max(0, gc.getCollectionCount());
            millis += Math.max(0, gc.getCollectionTime());
        }
        return new long[] {count, millis};
    }

    private static double percentile(List<Double> sorted, double p) {
        return sorted.isEmpty() ? Double.NaN : sorted.get((int) Math.min(sorted.size() - 1, Math.floor(p * sorted.size())));
    }

    private void printTable(List<Row> rows) {
        PrintStream out = cli.out;
        out.println("| model | users | turns each | reply tokens | seconds | tokens/s together | vs one user "
                + "| turn p50 ms | turn p95 ms | GCs | GC ms |");
        out.println("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        for (Row r : rows) {
            out.println(String.format(Locale.ROOT, "| %s | %d | %d | %d | %.1f | %.1f | %s | %.0f | %.0f | %d | %d |",
                    r.model(), r.users(), turns, r.replyTokens(), r.seconds(), r.tokensPerSecond(),
                    Double.isNaN(r.vsOne()) ? "" : String.format(Locale.ROOT, "%.2fx", r.vsOne()), r.turnP50Ms(),
                    r.turnP95Ms(), r.collections(), r.collectionMs()));
        }
    }

    private ParameterException usage(String message) {
        return new ParameterException(spec.commandLine(), message);
    }
}
