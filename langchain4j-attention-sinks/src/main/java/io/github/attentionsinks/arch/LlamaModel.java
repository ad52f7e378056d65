package io.github.attentionsinks.arch;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.github.attentionsinks.config.ModelConfig;
import io.github.attentionsinks.nn.Activations;
import io.github.attentionsinks.weights.WeightStore;

/**
 * The Llama family: {@code llama} (also Yi, TinyLlama, SmolLM), {@code mistral} and {@code qwen2} (q/k/v bias).
 * Pre-norm RMSNorm, grouped-query attention with rotate-half RoPE ({@code rope_scaling} linear, llama3 or dynamic),
 * SwiGLU MLP, tied or separate lm_head. q/k/v and gate/up are fused into one matrix each at load time.
 *
 * <p>Mistral's {@code sliding_window} is not applied, as in Hugging Face 4.34's eager attention for cached steps.
 */
public final class LlamaModel extends PreNormDecoder {
    public LlamaModel(ModelConfig config, WeightStore weights, NDManager parent, DataType dataType) {
        super(parent, dataType, manager -> spec(new DecoderWeights(config, weights, manager, dataType)));
    }

    private static Spec spec(DecoderWeights w) {
        ModelConfig config = w.config();
        double eps = config.optDouble("rms_norm_eps", 1e-6);
        boolean attentionBias = config.optBoolean("attention_bias", false);
        boolean qkvBias = config.modelType().equals("qwen2") || attentionBias;
        boolean mlpBias = config.optBoolean("mlp_bias", false);
        Spec spec = w.baseSpec(w.headDim);
        spec.gatedMlp = true;
        spec.activation = Activations.byName(config.optString("hidden_act", "silu"), config.file().toString());
        for (int i = 0; i < w.layers; i++) {
            String p = "model.layers." + i + ".";
            spec.layers[i] = new Layer(
                    w.rms(p + "input_layernorm.weight", w.hidden, eps),
                    w.fusedQkv(p + "self_attn.", qkvBias),
                    null, null,
                    w.linear(p + "self_attn.o_proj", w.hidden, w.heads * w.headDim, attentionBias),
                    null,
                    w.rms(p + "post_attention_layernorm.weight", w.hidden, eps),
                    w.fusedGateUp(p + "mlp.", mlpBias),
                    w.linear(p + "mlp.down_proj", w.hidden, w.intermediate, mlpBias),
                    null, 0);
        }
        spec.finalNorm = w.rms("model.norm.weight", w.hidden, eps);
        w.embeddingAndLmHead(spec, config.optBoolean("tie_word_embeddings", false), false);
        return spec;
    }
}
