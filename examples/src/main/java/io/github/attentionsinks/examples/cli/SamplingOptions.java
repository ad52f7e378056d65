package io.github.attentionsinks.examples.cli;

import io.github.attentionsinks.AttentionSinkModel;
import io.github.attentionsinks.generate.GenerationParams;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

/** Sampling and stopping options shared by {@code generate} and {@code chat}; unset ones keep the model's defaults. */
final class SamplingOptions {
    @Option(names = "--temperature", paramLabel = "T",
            description = "0 = greedy. Default: the model's generation_config.json (greedy unless do_sample).")
    Double temperature;

    @Option(names = "--top-k", paramLabel = "K", description = "Sample from the K most likely tokens (0 = off).")
    Integer topK;

    @Option(names = "--top-p", paramLabel = "P", description = "Nucleus sampling threshold in (0, 1] (1 = off).")
    Double topP;

    @Option(names = "--repetition-penalty", paramLabel = "R",
            description = "Hugging Face-style repetition penalty (> 1 discourages repeats, 1 = off).")
    Double repetitionPenalty;

    @Option(names = "--seed", paramLabel = "S", description = "Sampling seed, for reproducible samples.")
    Long seed;

    @Option(names = "--stop", paramLabel = "TEXT",
            description = "Stop before this text appears (repeatable; it is not printed).")
    List<String> stop = new ArrayList<>();

    @Option(names = "--ignore-eos", description = "Keep generating through end-of-sequence tokens.")
    boolean ignoreEos;

    /** Checks values before the model loads (usage errors exit 2). */
    void validate(CommandSpec spec, int maxNewTokens) {
        if (maxNewTokens < 1) {
            throw usage(spec, "--max-new-tokens must be >= 1, got " + maxNewTokens);
        }
        if (temperature != null && !(temperature >= 0 && !temperature.isInfinite())) {
            throw usage(spec, "--temperature must be >= 0 (0 = greedy), got " + temperature);
        }
        if (topK != null && topK < 0) {
            throw usage(spec, "--top-k must be >= 0 (0 = off), got " + topK);
        }
        if (topP != null && !(topP > 0 && topP <= 1)) {
            throw usage(spec, "--top-p must be in (0, 1], got " + topP);
        }
        if (repetitionPenalty != null && !(repetitionPenalty > 0 && !repetitionPenalty.isInfinite())) {
            throw usage(spec, "--repetition-penalty must be > 0 (1 = off), got " + repetitionPenalty);
        }
        for (String s : stop) {
            if (s.isEmpty()) {
                throw usage(spec, "--stop must not be empty");
            }
        }
    }

    /** The model's defaults with the options given on the command line on top. */
    GenerationParams params(AttentionSinkModel model, int maxNewTokens) {
        GenerationParams.Builder b = model.generationDefaults().maxNewTokens(maxNewTokens).ignoreEos(ignoreEos);
        if (temperature != null) {
            b.temperature(temperature);
        }
        if (topK != null) {
            b.topK(topK);
        }
        if (topP != null) {
            b.topP(topP);
        }
        if (repetitionPenalty != null) {
            b.repetitionPenalty(repetitionPenalty);
        }
        if (seed != null) {
            b.seed(seed);
        }
        if (!stop.isEmpty()) {
            b.stopStrings(stop);
        }
        return b.build();
    }

    private static ParameterException usage(CommandSpec spec, String message) {
        return new ParameterException(spec.commandLine(), message);
    }
}
