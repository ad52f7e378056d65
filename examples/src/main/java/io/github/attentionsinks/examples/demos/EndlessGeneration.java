package io.github.attentionsinks.examples.demos;

import io.github.attentionsinks.AttentionSinkModel;
import io.github.attentionsinks.Session;
import io.github.attentionsinks.cache.CacheConfig;
import io.github.attentionsinks.examples.cli.AttentionSinksCli;
import io.github.attentionsinks.examples.cli.ModelOptions;
import io.github.attentionsinks.examples.cli.ProcessMemory;
import io.github.attentionsinks.generate.GenerationParams;
import io.github.attentionsinks.generate.Sampler;
import io.github.attentionsinks.tokenizer.StreamingDecoder;
import java.io.PrintStream;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * Text that never ends, from one {@link Session} of the plain API, in constant memory and at constant speed.
 *
 * <p>The prompt is fed once; then each step samples a token (temperature, top-p and a repetition penalty over the
 * cache, so the text does not fall into a loop; end-of-sequence tokens are never chosen, as with Hugging Face's
 * {@code min_new_tokens}), prints its text to stdout and feeds it back. Every N tokens a stats line goes to stderr:
 * tokens so far, tokens/s over the last N, the cache length (it stops at S + W), the bytes of all native tensors
 * ({@link AttentionSinkModel#liveTensorBytes()}: weights plus KV cache) and the process RSS. It runs until
 * {@code --max-tokens} or Ctrl-C; the numbers at token 100,000 are those at token 1,000.
 *
 * <pre>
 * java -cp examples/target/attention-sinks.jar io.github.attentionsinks.examples.demos.EndlessGeneration \
 *     --prompt "Once upon a time" --window-size 508 --stats-every 1000
 * </pre>
 */
public final class EndlessGeneration {
    private static final String USAGE = """
            Usage: EndlessGeneration [--model DIR|ID] [--prompt TEXT] [--max-tokens N] [--stats-every N]
                                     [--attention-sink-size S] [--window-size W] [--temperature T] [--top-p P]
                                     [--repetition-penalty R] [--seed N] [--device D] [--dtype T]
            Generates text from one session until --max-tokens or Ctrl-C: text on stdout, stats on stderr.
              --model DIR|ID           a model directory or Hugging Face id (default: ../shared/models/stories260K
                                       when present, else %s)
              --prompt TEXT            the text to continue (default "Once upon a time")
              --max-tokens N           stop after N tokens (default: never)
              --stats-every N          a stats line every N tokens (default 100)
              --attention-sink-size S  sink tokens (default 4)
              --window-size W          most recent tokens kept (default 1020: a cache of 1024 tokens)
              --temperature T          sampling temperature, 0 = greedy (default 0.8)
              --top-p P                nucleus sampling, 1 = off (default 0.95)
              --repetition-penalty R   Hugging Face-style penalty over the cached tokens, 1 = off (default 1.1)
              --seed N                 makes the text reproducible (default: random)
              --device D, --dtype T    auto|cpu|cuda[:N], float32|float16 (defaults auto, float32)
            """.formatted(ModelOptions.DEFAULT_MODEL);

    private static final Set<String> OPTIONS = Set.of("model", "prompt", "max-tokens", "stats-every",
            "attention-sink-size", "window-size", "temperature", "top-p", "repetition-penalty", "seed", "device",
            "dtype");

    /**
     * What to run.
     *
     * @param maxTokens tokens to generate ({@link Long#MAX_VALUE}: until stopped)
     * @param statsEvery tokens between two {@link Checkpoint}s
     * @param seed sampling seed, or null for a random one
     */
    public record Options(String model, String device, String dtype, String prompt, int attentionSinkSize,
            int windowSize, long maxTokens, int statsEvery, double temperature, double topP,
            double repetitionPenalty, Long seed) {}

    /**
     * The state after {@code tokens} generated tokens.
     *
     * @param tokensPerSecond over the last {@code statsEvery} tokens
     * @param cacheLength tokens in the KV cache (at most S + W)
     * @param streamLength tokens fed since the start, the prompt included
     * @param liveTensorBytes bytes of every native tensor the model holds (weights and this session's cache)
     * @param rssBytes resident memory of the process
     */
    public record Checkpoint(long tokens, double tokensPerSecond, int cacheLength, long streamLength,
            long liveTensorBytes, long rssBytes) {}

    /**
     * The whole run.
     *
     * @param tokens tokens generated
     * @param maxCacheLength the longest the cache was after any step
     * @param last the last checkpoint, or null when fewer than {@code statsEvery} tokens were generated
     */
    public record Summary(long tokens, int maxCacheLength, Checkpoint last) {}

    private EndlessGeneration() {}

    public static void main(String[] args) throws InterruptedException {
        AttentionSinksCli.offlineDefaults();
        Options options;
        try {
            DemoArgs a = DemoArgs.parse(args, OPTIONS);
            if (a == null) {
                System.out.print(USAGE);
                return;
            }
            options = new Options(a.string("model", DemoSupport.defaultModel()), a.string("device", "auto"),
                    a.string("dtype", "float32"), a.string("prompt", "Once upon a time"),
                    a.integer("attention-sink-size", 4, 0), a.integer("window-size", 1020, 1),
                    a.longValue("max-tokens", Long.MAX_VALUE, 1), a.integer("stats-every", 100, 1),
                    a.decimal("temperature", 0.8), a.decimal("top-p", 0.95), a.decimal("repetition-penalty", 1.1),
                    a.optionalLong("seed"));
            params(options); // sampling settings out of range are usage errors too
        } catch (IllegalArgumentException e) {
            System.exit(DemoSupport.usageError(System.err, "EndlessGeneration", e.getMessage()));
            return;
        }
        // Ctrl-C: ask the loop to stop and give it a moment to print its last line before the JVM exits.
        AtomicBoolean stop = new AtomicBoolean();
        CountDownLatch finished = new CountDownLatch(1);
        Thread hook = new Thread(() -> {
            stop.set(true);
            try {
                finished.await(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        Runtime.getRuntime().addShutdownHook(hook);
        // On a terminal stdout and stderr share the screen: start each stats line on a line of its own.
        String lineStart = System.console() != null ? "\n" : "";
        try {
            Summary s = run(options, System.out, c -> System.err.println(lineStart + format(c)), stop::get);
            System.err.printf(Locale.ROOT, "%s[endless] stopped after %d tokens; the cache never held more than %d%n",
                    lineStart, s.tokens(), s.maxCacheLength());
        } catch (RuntimeException e) {
            System.err.println("error: " + e.getMessage()); // names the file, field or value at fault
            finished.countDown();
            System.exit(1);
        } finally {
            finished.countDown();
        }
    }

    /**
     * Generates until {@code maxTokens} or until {@code stop} says so, writing the prompt and the text to
     * {@code text}; {@code onCheckpoint} is called every {@code statsEvery} tokens.
     */
    public static Summary run(Options options, PrintStream text, Consumer<Checkpoint> onCheckpoint,
            BooleanSupplier stop) {
        GenerationParams params = params(options);
        try (AttentionSinkModel model = AttentionSinkModel.builder().modelId(options.model())
                        .device(options.device()).dtype(options.dtype()).load();
                Session session = model.newSession(
                        CacheConfig.sinks(options.attentionSinkSize(), options.windowSize()))) {
            Set<Integer> eos = model.generationDefaults().build().eosTokenIds();
            // The repetition penalty looks at what the model can still see: the tokens in the cache.
            Sampler sampler = new Sampler(params, model.vocabSize(), session.cacheConfig().capacity());
            int[] promptIds = model.tokenizer().encode(options.prompt(), true);
            for (int id : promptIds) {
                sampler.observe(id);
            }
            text.print(options.prompt());
            text.flush();
            float[] logits = session.append(promptIds);
            StreamingDecoder decoder = new StreamingDecoder(model.tokenizer(), promptIds, true);

            long tokens = 0;
            int maxCache = session.cacheLength();
            long since = System.nanoTime();
            Checkpoint last = null;
            while (tokens < options.maxTokens() && !stop.getAsBoolean()) {
                for (int id : eos) {
                    logits[id] = Float.NEGATIVE_INFINITY; // endless: the text never ends by itself
                }
                int token = sampler.next(logits);
                sampler.observe(token);
                text.print(decoder.push(token));
                text.flush();
                logits = session.append(token);
                tokens++;
                maxCache = Math.max(maxCache, session.cacheLength());
                if (tokens % options.statsEvery() == 0) {
                    long now = System.nanoTime();
                    last = new Checkpoint(tokens, options.statsEvery() / ((now - since) / 1e9), session.cacheLength(),
                            session.streamLength(), model.liveTensorBytes(), ProcessMemory.residentBytes());
                    onCheckpoint.accept(last);
                    since = System.nanoTime(); // the checkpoint's own cost is not decoding time
                }
            }
            text.println(decoder.flush());
            text.flush();
            return new Summary(tokens, maxCache, last);
        }
    }

    private static GenerationParams params(Options options) {
        return GenerationParams.builder().temperature(options.temperature()).topP(options.topP())
                .repetitionPenalty(options.repetitionPenalty()).seed(options.seed()).build();
    }

    /** The stats line: {@code [endless] 1200 tokens | 455.1 tok/s | cache 1024 (stream 1205) | tensors ... | RSS ...}. */
    static String format(Checkpoint c) {
        return String.format(Locale.ROOT, "[endless] %d tokens | %.1f tok/s | cache %d (stream %d) | tensors %s | RSS %s",
                c.tokens(), c.tokensPerSecond(), c.cacheLength(), c.streamLength(),
                ProcessMemory.format(c.liveTensorBytes()), ProcessMemory.format(c.rssBytes()));
    }
}
