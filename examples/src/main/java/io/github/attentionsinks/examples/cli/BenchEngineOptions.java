package io.github.attentionsinks.examples.cli;

import io.github.attentionsinks.AttentionSinkModel;
import io.github.attentionsinks.CacheDtype;
import java.nio.file.Path;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

/**
 * How the benchmarks run a model: {@code --device}, {@code --dtype}, {@code --cache-dtype}, {@code --kernels},
 * {@code --threads}.
 */
final class BenchEngineOptions {
    @Option(names = "--device", paramLabel = "D", defaultValue = "auto", description = "auto, cpu, cuda or cuda:N.")
    String device;

    @Option(names = "--dtype", paramLabel = "T", defaultValue = "float32",
            description = "float32, float16 or int8 (the weight matrices' dtype). Default: ${DEFAULT-VALUE}.")
    String dtype;

    @Option(names = "--cache-dtype", paramLabel = "T", defaultValue = "float32",
            description = ModelOptions.CACHE_DTYPE_HELP + " Default: ${DEFAULT-VALUE}.")
    String cacheDtype;

    @Option(names = "--kernels", paramLabel = "K", defaultValue = "auto",
            description = "auto, java or libtorch: who multiplies the weights (see the generate command). "
                    + "Default: ${DEFAULT-VALUE}.")
    String kernels;

    @Option(names = "--threads", paramLabel = "N",
            description = "Threads per product, libtorch's intra-op threads or the Java kernels' (default: one per "
                    + "CPU). 1 makes CPU time per token a measure that other processes on the machine hardly disturb.")
    Integer threads;

    /** Checks the options (usage errors exit 2) and sets the threads, before the engine starts. */
    void apply(CommandSpec spec) {
        ModelOptions.validateDevice(spec, device);
        ModelOptions.validateCacheDtype(spec, cacheDtype);
        ModelOptions.validateKernels(spec, kernels);
        if (threads != null) {
            if (threads < 1) {
                throw new ParameterException(spec.commandLine(), "--threads must be >= 1, got " + threads);
            }
            // Read when the engine starts (the CLI starts it after this): libtorch's threads and the Java kernels'.
            System.setProperty("attentionsinks.threads", Integer.toString(threads));
        }
    }

    /** A model's label in the result tables, naming a float16 KV cache (the default float32 goes unsaid). */
    String label(String model) {
        CacheDtype cache = CacheDtype.parse(cacheDtype);
        return cache == CacheDtype.FLOAT32 ? model : model + ", " + cache.canonicalName() + " cache";
    }

    AttentionSinkModel load(Path dir) {
        return AttentionSinkModel.builder().modelPath(dir).device(device).dtype(dtype).cacheDtype(cacheDtype)
                .kernels(kernels).load();
    }
}
