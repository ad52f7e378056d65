package io.github.attentionsinks.examples.demos;

import dev.langchain4j.memory.chat.MessageWindowChatMemory;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.service.AiServices;
import dev.langchain4j.service.MemoryId;
import dev.langchain4j.service.TokenStream;
import dev.langchain4j.service.UserMessage;
import io.github.attentionsinks.AttentionSinkModel;
import io.github.attentionsinks.examples.cli.AttentionSinksCli;
import io.github.attentionsinks.examples.cli.ModelOptions;
import io.github.attentionsinks.examples.cli.ProcessMemory;
import io.github.attentionsinks.langchain4j.AttentionSinkStreamingChatModel;
import io.github.attentionsinks.langchain4j.AttentionSinks;
import io.github.attentionsinks.langchain4j.ChatSessionStats;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Consumer;

/**
 * An assistant that talks with several users for as many turns as you like, at a constant cost per turn.
 *
 * <p>A LangChain4j AI service with {@code @MemoryId} and a sliding {@link MessageWindowChatMemory} runs on
 * {@link AttentionSinkStreamingChatModel}; {@link AttentionSinks#memoryIdTransformer()} hands each user's memory id
 * to the model, so every user keeps one session whose attention-sink cache holds at most S + W tokens. Scripted
 * user turns (a built-in list, or a text file with one prompt per line) run for every user in turn, and each turn
 * prints its streamed reply and a stats line: the input tokens the turn encoded ({@code TokenUsage}), the tokens
 * it generated, the session's cache length, tokens per second and the process RSS. The point to watch: turn 500
 * encodes, holds and costs what turn 2 does, because a turn encodes only its new message and the cache never grows.
 *
 * <pre>
 * java -cp examples/target/attention-sinks.jar io.github.attentionsinks.examples.demos.EndlessAssistant \
 *     --turns 500 --users 3 --window-size 252 --max-new-tokens 48
 * </pre>
 */
public final class EndlessAssistant {
    private static final String USAGE = """
            Usage: EndlessAssistant [--model DIR|ID] [--turns N] [--users N] [--attention-sink-size S]
                                    [--window-size W] [--max-new-tokens N] [--prompts FILE] [--history N]
                                    [--temperature T] [--repetition-penalty R] [--device D] [--dtype T]
            Runs N scripted turns for each of several users, interleaved, on one assistant and prints every reply
            with its statistics: a turn encodes only its new message, and memory stays flat.
              --model DIR|ID          a model directory or Hugging Face id (default: ../shared/models/stories260K
                                      when present, else %s)
              --turns N               turns per user (default 20)
              --users N               users talking at once, each with its own memory and session (default 2)
              --attention-sink-size S sink tokens per session (default 4)
              --window-size W         most recent tokens per session (default 252: a cache of 256 tokens)
              --max-new-tokens N      most tokens per reply (default 48)
              --prompts FILE          one user prompt per line, used in turn (default: a built-in script)
              --history N             messages the chat memory keeps and re-sends each turn (default 10)
              --temperature T         0 = greedy (default: the model's generation_config.json, else greedy)
              --repetition-penalty R  over the tokens in the cache, 1 = off (default: the model's, else 1)
              --device D, --dtype T   auto|cpu|cuda[:N], float32|float16 (defaults auto, float32)
            """.formatted(ModelOptions.DEFAULT_MODEL);

    private static final Set<String> OPTIONS = Set.of("model", "turns", "users", "attention-sink-size", "window-size",
            "max-new-tokens", "prompts", "history", "temperature", "repetition-penalty", "device", "dtype");

    private static final String[] NAMES = {"alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi"};

    /** Each user's first message: an introduction that starts a story. */
    private static final String[] OPENERS = {
        "Hi, I am %s. Please tell me a long story about a little dog who finds a red ball in the park.",
        "Hello, my name is %s. Can you tell me a story about a girl and her cat who go to the big sea?",
        "Good morning, I am %s. I would love a story about a brave bird that wants to fly over the mountain.",
        "Hey, this is %s. Tell me a story about two friends who build a boat and sail it on the lake.",
    };

    /** The short follow-ups every later turn uses, in turn. */
    private static final String[] FOLLOW_UPS = {
        "What happened next?", "Tell me more.", "Who did they meet?", "Was everyone happy?", "What did they eat?",
        "Where did they go then?", "How did it end?", "Make it funny.", "Why?", "And then?",
    };

    /** The AI service: one conversation per {@code user}, each remembered in its own chat memory. */
    interface Assistant {
        TokenStream chat(@MemoryId String user, @UserMessage String message);
    }

    /**
     * What to run.
     *
     * @param model a model directory or Hugging Face id
     * @param prompts a file with one prompt per line, or null for the built-in script
     * @param history messages each user's {@code MessageWindowChatMemory} keeps
     * @param temperature sampling temperature, or null for the model's default
     * @param repetitionPenalty repetition penalty, or null for the model's default
     */
    public record Options(String model, String device, String dtype, int turns, int users, int attentionSinkSize,
            int windowSize, int maxNewTokens, Path prompts, int history, Double temperature,
            Double repetitionPenalty) {}

    /**
     * One finished turn.
     *
     * @param turn 1-based turn of this user
     * @param inputTokens tokens the turn encoded (the response's {@code TokenUsage} input count)
     * @param outputTokens tokens the turn generated
     * @param cacheLength tokens in the user's session cache after the turn (at most S + W)
     * @param tokensPerSecond output tokens per second of the whole turn (encoding included)
     * @param rssBytes resident memory of the process after the turn
     */
    public record TurnStats(String user, int turn, int inputTokens, int outputTokens, int cacheLength,
            double tokensPerSecond, long rssBytes) {}

    /**
     * The whole run, condensed.
     *
     * @param firstTurnInput per user: input tokens of the first turn (which builds the session)
     * @param maxLaterInput per user: the most input tokens any later turn encoded
     * @param rebuilds per user: turns that re-encoded the conversation from its messages (1 = only the first)
     * @param maxCacheLength the longest any session's cache was after a turn
     * @param secondRoundTokensPerSecond mean tokens/s of every user's turn 2 (NaN with one turn)
     * @param lastRoundTokensPerSecond mean tokens/s of every user's last turn
     * @param rssAfterSecondRound process RSS once every user had two turns (-1 with one turn)
     * @param rssAtHalfway process RSS after every user's turn {@code turnsPerUser / 2} (-1 with one turn); the JVM
     *     heap, JIT-compiled code and the native allocator grow during the first turns, so compare this to the end
     */
    public record Summary(int users, int turnsPerUser, int cacheCapacity, Map<String, Integer> firstTurnInput,
            Map<String, Integer> maxLaterInput, Map<String, Integer> rebuilds, int maxCacheLength,
            double secondRoundTokensPerSecond, double lastRoundTokensPerSecond, long rssAfterSecondRound,
            long rssAtHalfway, long rssAtEnd) {}

    private EndlessAssistant() {}

    public static void main(String[] args) {
        AttentionSinksCli.offlineDefaults();
        Options options;
        try {
            DemoArgs a = DemoArgs.parse(args, OPTIONS);
            if (a == null) {
                System.out.print(USAGE);
                return;
            }
            String prompts = a.string("prompts", null);
            options = new Options(a.string("model", DemoSupport.defaultModel()), a.string("device", "auto"),
                    a.string("dtype", "float32"), a.integer("turns", 20, 1), a.integer("users", 2, 1),
                    a.integer("attention-sink-size", 4, 0), a.integer("window-size", 252, 1),
                    a.integer("max-new-tokens", 48, 1), prompts == null ? null : Path.of(prompts),
                    a.integer("history", 10, 2), a.optionalDecimal("temperature"),
                    a.optionalDecimal("repetition-penalty"));
            if (options.prompts() != null) {
                readPrompts(options.prompts()); // a missing or empty file is a usage error, found before loading
            }
        } catch (IllegalArgumentException e) {
            System.exit(DemoSupport.usageError(System.err, "EndlessAssistant", e.getMessage()));
            return;
        }
        try {
            run(options, System.out, turn -> {});
        } catch (RuntimeException e) {
            System.err.println("error: " + e.getMessage()); // names the file, field or value at fault
            System.exit(1);
        }
    }

    /**
     * Runs the scripted conversations, printing replies and stats to {@code out}; {@code onTurn} sees every turn.
     */
    public static Summary run(Options options, PrintStream out, Consumer<TurnStats> onTurn) {
        List<String> script = options.prompts() == null ? null : readPrompts(options.prompts());
        int capacity = options.attentionSinkSize() + options.windowSize();
        try (AttentionSinkModel weights = AttentionSinkModel.builder().modelId(options.model())
                        .device(options.device()).dtype(options.dtype()).load();
                AttentionSinkStreamingChatModel model = chatModel(weights, options)) {
            Assistant assistant = AiServices.builder(Assistant.class)
                    .streamingChatModel(model)
                    .chatMemoryProvider(user -> MessageWindowChatMemory.withMaxMessages(options.history()))
                    .chatRequestTransformer(AttentionSinks.memoryIdTransformer()) // @MemoryId -> one session per user
                    .build();
            out.printf(Locale.ROOT, "[assistant] %s, %d users x %d turns, cache S=%d + W=%d = %d tokens per user%n",
                    weights.directory(), options.users(), options.turns(), options.attentionSinkSize(),
                    options.windowSize(), capacity);

            Map<String, Integer> firstInput = new LinkedHashMap<>();
            Map<String, Integer> maxLaterInput = new LinkedHashMap<>();
            int maxCache = 0;
            double secondRound = 0;
            double lastRound = 0;
            long rssAfterSecondRound = -1;
            long rssAtHalfway = -1;
            for (int turn = 1; turn <= options.turns(); turn++) {
                for (int u = 0; u < options.users(); u++) {
                    String user = userName(u);
                    String prompt = prompt(script, user, u, turn);
                    out.printf("%n[%s #%d] %s%n", user, turn, prompt);
                    TurnStats stats = turn(assistant, model, user, turn, prompt, out);
                    out.printf(Locale.ROOT, "  (%s turn %d: %d tokens in, %d out; cache %d/%d; %.1f tok/s; RSS %s)%n",
                            user, turn, stats.inputTokens(), stats.outputTokens(), stats.cacheLength(), capacity,
                            stats.tokensPerSecond(), ProcessMemory.format(stats.rssBytes()));
                    onTurn.accept(stats);
                    maxCache = Math.max(maxCache, stats.cacheLength());
                    if (turn == 1) {
                        firstInput.put(user, stats.inputTokens());
                    } else {
                        maxLaterInput.merge(user, stats.inputTokens(), Math::max);
                    }
                    if (turn == 2) {
                        secondRound += stats.tokensPerSecond() / options.users();
                    }
                    if (turn == options.turns()) {
                        lastRound += stats.tokensPerSecond() / options.users();
                    }
                }
                if (turn == 2) {
                    rssAfterSecondRound = ProcessMemory.residentBytes();
                }
                if (turn == options.turns() / 2) {
                    rssAtHalfway = ProcessMemory.residentBytes();
                }
            }
            Map<String, Integer> rebuilds = new LinkedHashMap<>();
            for (String user : firstInput.keySet()) {
                rebuilds.put(user, model.sessionStats(user).map(ChatSessionStats::rebuilds).orElse(-1));
            }
            Summary summary = new Summary(options.users(), options.turns(), capacity, firstInput, maxLaterInput,
                    rebuilds, maxCache, options.turns() > 1 ? secondRound : Double.NaN, lastRound,
                    rssAfterSecondRound, rssAtHalfway, ProcessMemory.residentBytes());
            print(summary, out);
            return summary;
        }
    }

    private static AttentionSinkStreamingChatModel chatModel(AttentionSinkModel weights, Options options) {
        AttentionSinkStreamingChatModel.Builder builder = AttentionSinkStreamingChatModel.builder().model(weights)
                .attentionSinkSize(options.attentionSinkSize()).windowSize(options.windowSize())
                .maxNewTokens(options.maxNewTokens())
                .maxSessions(options.users()) // every user keeps a session for the whole run
                .maxBatchSize(1);
        if (options.temperature() != null) {
            builder.temperature(options.temperature());
        }
        if (options.repetitionPenalty() != null) {
            builder.repetitionPenalty(options.repetitionPenalty());
        }
        return builder.build();
    }

    /** One streamed turn: the reply goes to {@code out} as it is generated. */
    private static TurnStats turn(Assistant assistant, AttentionSinkStreamingChatModel model, String user, int turn,
            String prompt, PrintStream out) {
        long start = System.nanoTime();
        CompletableFuture<ChatResponse> done = new CompletableFuture<>();
        assistant.chat(user, prompt)
                .onPartialResponse(text -> {
                    out.print(text);
                    out.flush();
                })
                .onCompleteResponse(done::complete)
                .onError(done::completeExceptionally)
                .start();
        ChatResponse response;
        try {
            response = done.join();
        } catch (CompletionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : e;
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        out.println();
        int output = response.tokenUsage().outputTokenCount();
        int cache = model.sessionStats(user).map(ChatSessionStats::cacheLength).orElse(-1);
        return new TurnStats(user, turn, response.tokenUsage().inputTokenCount(), output, cache, output / seconds,
                ProcessMemory.residentBytes());
    }

    private static void print(Summary s, PrintStream out) {
        out.printf(Locale.ROOT, "%n[summary] %d users x %d turns; cache at most %d of %d tokens; rebuilds %s%n",
                s.users(), s.turnsPerUser(), s.maxCacheLength(), s.cacheCapacity(), s.rebuilds());
        out.printf(Locale.ROOT, "  input tokens: first turn %s, any later turn at most %s%n",
                s.firstTurnInput(), s.maxLaterInput());
        out.printf(Locale.ROOT, "  tok/s: turn 2 %.1f, turn %d %.1f; RSS: after turn 2 %s, turn %d %s, turn %d %s%n",
                s.secondRoundTokensPerSecond(), s.turnsPerUser(), s.lastRoundTokensPerSecond(),
                ProcessMemory.format(s.rssAfterSecondRound()), s.turnsPerUser() / 2, ProcessMemory.format(s.rssAtHalfway()),
                s.turnsPerUser(), ProcessMemory.format(s.rssAtEnd()));
    }

    private static String userName(int u) {
        return u < NAMES.length ? NAMES[u] : "user" + (u + 1);
    }

    /** Built-in script: an introduction, then short follow-ups; a file: its lines in turn, each user offset by one. */
    private static String prompt(List<String> script, String user, int u, int turn) {
        if (script != null) {
            return script.get((u + turn - 1) % script.size());
        }
        if (turn == 1) {
            String name = Character.toUpperCase(user.charAt(0)) + user.substring(1);
            return OPENERS[u % OPENERS.length].formatted(name);
        }
        return FOLLOW_UPS[(u + turn - 2) % FOLLOW_UPS.length];
    }

    private static List<String> readPrompts(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("prompts file not found: " + file.toAbsolutePath()
                    + " (give a text file with one prompt per line)");
        }
        List<String> prompts = new ArrayList<>();
        try {
            for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                if (!line.isBlank()) {
                    prompts.add(line.strip());
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the prompts file " + file + ": " + e.getMessage(), e);
        }
        if (prompts.isEmpty()) {
            throw new IllegalArgumentException("the prompts file " + file + " has no prompts: write one per line");
        }
        return prompts;
    }
}
