package io.github.attentionsinks.examples.cli;

import io.github.attentionsinks.AttentionSinkModel;
import io.github.attentionsinks.CacheDtype;
import io.github.attentionsinks.ComputeDtype;
import io.github.attentionsinks.kernels.WeightKernels;
import java.util.regex.Pattern;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

/**
 * Where the model is and how to run it: {@code --model}, {@code --device}, {@code --dtype}, {@code --cache-dtype},
 * {@code --kernels}.
 */
public final class ModelOptions {
    private static final Pattern DEVICE = Pattern.compile("(?i)auto|cpu|(cuda|gpu)(:\\d+)?");

    /** The model used when {@code --model} is omitted: small, instruct-tuned, with a chat template, not gated. */
    public static final String DEFAULT_MODEL = "HuggingFaceTB/SmolLM2-135M-Instruct";

    @Option(names = "--model", paramLabel = "DIR|ID", defaultValue = DEFAULT_MODEL,
            description = {"A local directory in Hugging Face layout (config.json, model.safetensors, tokenizer.json), "
                    + "or a Hub id org/name[@revision] resolved through the Hugging Face cache (downloaded when "
                    + "missing unless HF_HUB_OFFLINE=1). Default: ${DEFAULT-VALUE}."})
    String model;

    @Option(names = "--device", paramLabel = "D", defaultValue = "auto",
            description = "auto (a GPU when DJL sees one), cpu, cuda or cuda:N. Default: ${DEFAULT-VALUE}.")
    String device;

    @Option(names = "--dtype", paramLabel = "T", defaultValue = "float32",
            description = "Weight dtype: float32, float16 (half the memory, faster on a CPU too) or int8 (a quarter of "
                    + "the memory, on a CPU; needs --add-modules jdk.incubator.vector). Default: ${DEFAULT-VALUE}.")
    String dtype;

    @Option(names = "--cache-dtype", paramLabel = "T", defaultValue = "float32",
            description = CACHE_DTYPE_HELP + " Default: ${DEFAULT-VALUE}.")
    String cacheDtype;

    /**
     * The {@code --cache-dtype} help, the same for every command that loads a model. Picocli formats descriptions
     * with {@code String.format}: a percent sign is written {@code %%}.
     */
    static final String CACHE_DTYPE_HELP = "The KV cache's element type: float32 or float16 (half of each session's "
            + "cache memory; logits move by under 0.5%% of their range).";

    @Option(names = "--kernels", paramLabel = "K", defaultValue = "auto",
            description = "Who multiplies the weights on a CPU: auto (the Java Vector API kernels for float32 and "
                    + "float16 when the JVM is started with --add-modules jdk.incubator.vector, libtorch otherwise), "
                    + "java or libtorch. Default: ${DEFAULT-VALUE}.")
    String kernels;

    /** Checks the option syntax before anything slow happens (usage errors exit 2). */
    void validate(CommandSpec spec) {
        validateDevice(spec, device);
        try {
            ComputeDtype.parse(dtype);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), "--dtype: " + e.getMessage());
        }
        validateCacheDtype(spec, cacheDtype);
        validateKernels(spec, kernels);
    }

    static void validateCacheDtype(CommandSpec spec, String cacheDtype) {
        try {
            CacheDtype.parse(cacheDtype);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), "--cache-dtype: " + e.getMessage());
        }
    }

    static void validateKernels(CommandSpec spec, String kernels) {
        try {
            WeightKernels.Choice.parse(kernels);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), "--kernels: " + e.getMessage());
        }
    }

    static void validateDevice(CommandSpec spec, String device) {
        if (!DEVICE.matcher(device.trim()).matches()) {
            throw new ParameterException(spec.commandLine(),
                    "--device: unknown device '" + device + "': use auto, cpu, cuda or cuda:N");
        }
    }

    AttentionSinkModel load() {
        return load(false);
    }

    /** @param idsOnly the command reads and writes token ids only, so a checkpoint without tokenizer.json will do */
    AttentionSinkModel load(boolean idsOnly) {
        return AttentionSinkModel.builder().modelId(model).device(device).dtype(dtype).cacheDtype(cacheDtype)
                .kernels(kernels).tokenizerOptional(idsOnly).load();
    }
}
