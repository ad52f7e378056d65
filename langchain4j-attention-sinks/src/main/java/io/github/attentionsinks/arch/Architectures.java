package io.github.attentionsinks.arch;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.github.attentionsinks.config.ModelConfig;
import io.github.attentionsinks.config.ModelFormatException;
import io.github.attentionsinks.weights.WeightStore;
import java.util.Map;
import java.util.TreeMap;

/** Maps {@code model_type} to the architecture class that runs it. */
public final class Architectures {
    @FunctionalInterface
    interface Loader {
        CausalLm load(ModelConfig config, WeightStore weights, NDManager manager, DataType dataType);
    }

    private static final Map<String, Loader> LOADERS = new TreeMap<>();

    static {
        LOADERS.put("llama", LlamaModel::new);
        LOADERS.put("mistral", LlamaModel::new);
        LOADERS.put("qwen2", LlamaModel::new);
        LOADERS.put("gpt_neox", GptNeoXModel::new);
        LOADERS.put("falcon", FalconModel::new);
        LOADERS.put("gptj", GptJModel::new);
        LOADERS.put("mpt", MptModel::new);
        LOADERS.put("gpt2", Gpt2Model::new);
        LOADERS.put("qwen3", Qwen3Model::new);
        LOADERS.put("phi", PhiModel::new);
        LOADERS.put("phi3", Phi3Model::new);
        LOADERS.put("gemma", GemmaModel::new);
        LOADERS.put("gemma2", GemmaModel::new);
        LOADERS.put("stablelm", StableLmModel::new);
        LOADERS.put("starcoder2", Starcoder2Model::new);
        LOADERS.put("olmo", OlmoModel::new);
    }

    private Architectures() {}

    /** The {@code model_type}s this build can run. */
    public static java.util.Set<String> supported() {
        return LOADERS.keySet();
    }

    public static CausalLm load(ModelConfig config, WeightStore weights, NDManager manager, DataType dataType) {
        String type = config.modelType();
        Loader loader = LOADERS.get(type);
        if (loader == null) {
            throw new ModelFormatException(config.file() + ": model_type '" + type + "' is not supported; supported: "
                    + String.join(", ", LOADERS.keySet()));
        }
        return loader.load(config, weights, manager, dataType);
    }
}
