package io.github.attentionsinks.examples.cli;

import io.github.attentionsinks.AttentionSinkModel;
import io.github.attentionsinks.Session;
import io.github.attentionsinks.cache.CacheConfig;
import io.github.attentionsinks.cache.CacheMode;
import io.github.attentionsinks.config.ModelFormatException;
import io.github.attentionsinks.generate.GenerationParams;
import io.github.attentionsinks.generate.GenerationResult;
import io.github.attentionsinks.generate.TokenListener;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code generate}: continues a prompt. stdout carries only the continuation, streamed as it is generated, so that
 * prompt + stdout is the whole text; statistics go to stderr.
 */
@Command(name = "generate", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Continue a prompt. stdout carries only the continuation (prompt + stdout = the whole text), "
                + "streamed as generated; statistics go to stderr."})
final class GenerateCommand implements Callable<Integer> {
    @ParentCommand
    AttentionSinksCli cli;

    @Spec
    CommandSpec spec;

    @Mixin
    ModelOptions modelOptions;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Prompt prompt;

    static final class Prompt {
        @Option(names = "--prompt", paramLabel = "TEXT", required = true,
                description = "Text to continue; BOS is added as the tokenizer says.")
        String text;

        @Option(names = "--prompt-token-ids", paramLabel = "FILE", required = true,
                description = "JSON array of prompt token ids, used as-is (no BOS added), instead of --prompt.")
        Path tokenIdsFile;
    }

    @Option(names = "--max-new-tokens", paramLabel = "N", required = true, description = "Most tokens to generate.")
    int maxNewTokens;

    @Mixin
    SamplingOptions sampling;

    @Option(names = "--mode", paramLabel = "dense|windowed|sinks", defaultValue = "sinks",
            converter = CacheOptions.ModeConverter.class,
            description = "KV cache mode. Default: sinks.")
    CacheMode mode;

    @Mixin
    CacheOptions cacheOptions;

    @Option(names = "--print-token-ids", description = "Print the generated ids as one JSON array instead of text.")
    boolean printTokenIds;

    @Override
    public Integer call() {
        modelOptions.validate(spec);
        sampling.validate(spec, maxNewTokens);
        if (prompt.text != null && prompt.text.isEmpty()) {
            throw new ParameterException(spec.commandLine(),
                    "--prompt is empty: give some text to continue");
        }
        CacheConfig cache = cacheOptions.config(spec, mode);
        PrintStream out = cli.out;
        PrintStream err = cli.err;
        try (AttentionSinkModel model = modelOptions.load(prompt.tokenIdsFile != null);
             Session session = model.newSession(cache)) {
            if (!model.hasTokenizer() && !printTokenIds) {
                throw new ModelFormatException(model.directory().resolve("tokenizer.json") + ": file not found; "
                        + "printing the generated text needs it: add tokenizer.json or pass --print-token-ids");
            }
            GenerationParams params = sampling.params(model, maxNewTokens);
            TokenListener listener = printTokenIds ? TokenListener.NONE : (id, piece) -> {
                if (!piece.isEmpty()) {
                    out.print(piece);
                    out.flush();
                }
            };
            GenerationResult result = prompt.tokenIdsFile != null
                    ? session.generate(TokenIds.read(prompt.tokenIdsFile, model.vocabSize()), params, listener)
                    : session.generate(prompt.text, params, listener);
            if (printTokenIds) {
                out.println(TokenIds.json(result.tokenIds()));
            }
            out.flush();
            if (System.console() != null && !printTokenIds) {
                err.println();
            }
            err.println(String.format(Locale.ROOT,
                    "[generate] %d tokens in %.2f s (%.1f tok/s), finish: %s; prompt %d tokens in %d ms; "
                            + "%s, cache %d tokens (%s), stream %d; tensors %s, RSS %s",
                    result.tokenIds().length, result.decodeNanos() / 1e9, result.tokensPerSecond(),
                    result.finishReason().name().toLowerCase(Locale.ROOT), result.inputTokens(),
                    result.prefillNanos() / 1_000_000, cache, session.cacheLength(),
                    ProcessMemory.format(session.cacheBytes()), session.streamLength(),
                    ProcessMemory.format(model.liveTensorBytes()), ProcessMemory.format(ProcessMemory.residentBytes())));
        }
        return 0;
    }
}
