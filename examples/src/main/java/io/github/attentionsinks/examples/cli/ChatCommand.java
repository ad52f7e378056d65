package io.github.attentionsinks.examples.cli;

import io.github.attentionsinks.AttentionSinkModel;
import io.github.attentionsinks.Session;
import io.github.attentionsinks.cache.CacheConfig;
import io.github.attentionsinks.cache.CacheMode;
import io.github.attentionsinks.generate.GenerationParams;
import io.github.attentionsinks.generate.GenerationResult;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code chat}: a small REPL over one {@link Session}. Each line read is fed as plain text (no chat template yet)
 * and the reply streams to stdout; the cache carries the whole conversation, so a turn costs its own tokens only.
 */
@Command(name = "chat", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Talk to a model over one endless session. Each input line is fed as plain text (no chat "
                + "template yet) and the reply is streamed to stdout. Commands: /reset forgets the conversation, "
                + "/exit (or end of input) quits."})
final class ChatCommand implements Callable<Integer> {
    @ParentCommand
    AttentionSinksCli cli;

    @Spec
    CommandSpec spec;

    @Mixin
    ModelOptions modelOptions;

    @Option(names = "--max-new-tokens", paramLabel = "N", defaultValue = "256",
            description = "Most tokens per reply. Default: ${DEFAULT-VALUE}.")
    int maxNewTokens;

    @Mixin
    SamplingOptions sampling;

    @Option(names = "--mode", paramLabel = "dense|windowed|sinks", defaultValue = "sinks",
            converter = CacheOptions.ModeConverter.class, description = "KV cache mode. Default: sinks.")
    CacheMode mode;

    @Mixin
    CacheOptions cacheOptions;

    @Override
    public Integer call() throws IOException {
        modelOptions.validate(spec);
        sampling.validate(spec, maxNewTokens);
        CacheConfig cache = cacheOptions.config(spec, mode);
        PrintStream out = cli.out;
        PrintStream err = cli.err;
        BufferedReader lines = new BufferedReader(new InputStreamReader(cli.in, StandardCharsets.UTF_8));
        try (AttentionSinkModel model = modelOptions.load(); Session session = model.newSession(cache)) {
            GenerationParams params = sampling.params(model, maxNewTokens);
            err.println("[chat] " + model.directory() + ", " + cache + ". /reset forgets, /exit quits.");
            while (true) {
                err.print("> ");
                err.flush();
                String line = lines.readLine();
                if (line == null || line.strip().equals("/exit")) {
                    break;
                }
                if (line.strip().equals("/reset")) {
                    session.reset();
                    err.println("[chat] conversation forgotten");
                    continue;
                }
                if (line.isBlank()) {
                    continue;
                }
                // Turns after the first start on a new line, so the stream reads as a transcript.
                String turn = session.streamLength() == 0 ? line : "\n" + line;
                GenerationResult result = session.generate(turn, params, (id, piece) -> {
                    out.print(piece);
                    out.flush();
                });
                out.println();
                out.flush();
                err.println(String.format(Locale.ROOT, "[chat] %d tokens, %.1f tok/s, finish: %s; stream %d, cache %d",
                        result.tokenIds().length, result.tokensPerSecond(),
                        result.finishReason().name().toLowerCase(Locale.ROOT), session.streamLength(),
                        session.cacheLength()));
            }
        }
        return 0;
    }
}
