package io.github.attentionsinks.examples.cli;

import io.github.attentionsinks.AttentionSinkModel;
import io.github.attentionsinks.Session;
import io.github.attentionsinks.cache.CacheConfig;
import io.github.attentionsinks.cache.CacheMode;
import io.github.attentionsinks.config.ModelFormatException;
import io.github.attentionsinks.generate.Perplexity;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.PrintStream;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
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
 * {@code perplexity}: feeds a token stream one token at a time, as the reference benchmark does, and writes one CSV
 * row per predicted token.
 */
@Command(name = "perplexity", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Feed a text one token at a time and write per-token negative log-likelihood, perplexity, "
                + "memory and latency as CSV (header: " + PerplexityCommand.HEADER + ")."})
final class PerplexityCommand implements Callable<Integer> {
    static final String HEADER = "input_length,nll,ppl,overall_ppl,memory_bytes,latency_ms";
    private static final int PROGRESS_EVERY = 1000;

    @ParentCommand
    AttentionSinksCli cli;

    @Spec
    CommandSpec spec;

    @Mixin
    ModelOptions modelOptions;

    @Option(names = "--mode", paramLabel = "dense|windowed|sinks", required = true,
            converter = CacheOptions.ModeConverter.class, description = "KV cache mode.")
    CacheMode mode;

    @Mixin
    CacheOptions cacheOptions;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Input input;

    static final class Input {
        @Option(names = "--text-file", paramLabel = "F", required = true,
                description = "UTF-8 text, tokenized with the model's tokenizer (BOS added as its config says).")
        Path textFile;

        @Option(names = "--token-ids-file", paramLabel = "F", required = true,
                description = "JSON array of token ids, used as-is.")
        Path tokenIdsFile;
    }

    @Option(names = "--num-tokens", paramLabel = "N",
            description = "Feed at most N tokens, i.e. write at most N rows. Default: the whole input.")
    Integer numTokens;

    @Option(names = "--output", paramLabel = "CSV", description = "Write the CSV here instead of stdout.")
    Path output;

    @Override
    public Integer call() throws IOException {
        modelOptions.validate(spec);
        CacheConfig cache = cacheOptions.config(spec, mode);
        if (numTokens != null && numTokens < 1) {
            throw new ParameterException(spec.commandLine(), "--num-tokens must be >= 1, got " + numTokens);
        }
        PrintStream err = cli.err;
        try (AttentionSinkModel model = modelOptions.load(input.tokenIdsFile != null)) {
            int[] ids = readTokens(model);
            if (ids.length < 2) {
                throw new ModelFormatException((input.textFile != null ? input.textFile : input.tokenIdsFile)
                        + ": has " + ids.length + " token(s); perplexity needs at least 2 (one to feed, one to predict)");
            }
            int rows = numTokens == null ? ids.length - 1 : Math.min(numTokens, ids.length - 1);
            err.println(String.format(Locale.ROOT, "[perplexity] %s, %s: %d tokens, %d rows", model.directory(),
                    cache, ids.length, rows));
            try (Session session = model.newSession(cache); Writer csv = openOutput()) {
                run(model, session, ids, rows, csv, err);
            }
        }
        return 0;
    }

    private void run(AttentionSinkModel model, Session session, int[] ids, int rows, Writer csv, PrintStream err)
            throws IOException {
        csv.write(HEADER);
        csv.write('\n');
        double nllSum = 0;
        long windowStart = System.nanoTime();
        int windowFirst = 0;
        for (int i = 0; i < rows; i++) {
            long t0 = System.nanoTime();
            float[] logits = session.append(ids[i]);
            double nll = Perplexity.negativeLogLikelihood(logits, ids[i + 1]);
            long t1 = System.nanoTime();
            nllSum += nll;
            long memory = model.liveTensorBytes();
            csv.write(String.format(Locale.ROOT, "%d,%.8f,%.6f,%.6f,%d,%.3f%n", i + 1, nll, Math.exp(nll),
                    Math.exp(nllSum / (i + 1)), memory, (t1 - t0) / 1e6));
            if ((i + 1) % PROGRESS_EVERY == 0 || i + 1 == rows) {
                csv.flush();
                long now = System.nanoTime();
                int done = i + 1 - windowFirst;
                err.println(String.format(Locale.ROOT,
                        "[perplexity] %d/%d tokens, overall ppl %.4f, %.2f ms/token, cache %d tokens, tensors %s, RSS %s",
                        i + 1, rows, Math.exp(nllSum / (i + 1)), (now - windowStart) / 1e6 / done,
                        session.cacheLength(), ProcessMemory.format(memory),
                        ProcessMemory.format(ProcessMemory.residentBytes())));
                windowStart = now;
                windowFirst = i + 1;
            }
        }
    }

    private int[] readTokens(AttentionSinkModel model) throws IOException {
        if (input.tokenIdsFile != null) {
            return TokenIds.read(input.tokenIdsFile, model.vocabSize());
        }
        if (!Files.isRegularFile(input.textFile)) {
            throw new ModelFormatException(input.textFile + ": file not found");
        }
        String text = Files.readString(input.textFile, StandardCharsets.UTF_8);
        if (text.isEmpty()) {
            throw new ModelFormatException(input.textFile + ": file is empty");
        }
        return model.tokenizer().encode(text, true);
    }

    private Writer openOutput() throws IOException {
        if (output == null) {
            // Not closed with the writer: stdout belongs to the caller.
            return new BufferedWriter(new OutputStreamWriter(cli.out, StandardCharsets.UTF_8)) {
                @Override
                public void close() throws IOException {
                    flush();
                }
            };
        }
        Path parent = output.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        return Files.newBufferedWriter(output, StandardCharsets.UTF_8);
    }
}
