package io.github.attentionsinks.examples.cli;

import io.github.attentionsinks.AttentionSinkModel;
import io.github.attentionsinks.weights.DTypes;
import java.nio.file.Path;
import java.util.regex.Pattern;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

/** Where the model is and how to run it: {@code --model}, {@code --device}, {@code --dtype}. */
final class ModelOptions {
    private static final Pattern DEVICE = Pattern.compile("(?i)auto|cpu|(cuda|gpu)(:\\d+)?");

    @Option(names = "--model", required = true, paramLabel = "DIR",
            description = "Local model directory in Hugging Face layout (config.json, model.safetensors, tokenizer.json).")
    Path model;

    @Option(names = "--device", paramLabel = "D", defaultValue = "auto",
            description = "auto (a GPU when DJL sees one), cpu, cuda or cuda:N. Default: ${DEFAULT-VALUE}.")
    String device;

    @Option(names = "--dtype", paramLabel = "T", defaultValue = "float32",
            description = "Compute dtype: float32 or float16 (GPU). Default: ${DEFAULT-VALUE}.")
    String dtype;

    /** Checks the option syntax before anything slow happens (usage errors exit 2). */
    void validate(CommandSpec spec) {
        validateDevice(spec, device);
        try {
            DTypes.parseComputeType(dtype);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), "--dtype: " + e.getMessage());
        }
    }

    static void validateDevice(CommandSpec spec, String device) {
        if (!DEVICE.matcher(device.trim()).matches()) {
            throw new ParameterException(spec.commandLine(),
                    "--device: unknown device '" + device + "': use auto, cpu, cuda or cuda:N");
        }
    }

    AttentionSinkModel load() {
        return AttentionSinkModel.builder().modelPath(model).device(device).dtype(dtype).load();
    }
}
