package io.github.attentionsinks.arch;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.github.attentionsinks.config.ModelConfig;
import io.github.attentionsinks.nn.Activations;
import io.github.attentionsinks.weights.WeightStore;

/**
 * StableLM ({@code stablelm}, the StableLM-2 layout): LayerNorm with bias, sequential block, q/k/v biases when
 * {@code use_qkv_bias}, partial rotate-half RoPE over {@code partial_rotary_factor}·head_dim dims, SwiGLU MLP.
 * {@code qk_layernorm} and {@code use_parallel_residual} (StableLM-2-12B) are refused: no reference covers them.
 */
public final class StableLmModel extends PreNormDecoder {
    public StableLmModel(ModelConfig config, WeightStore weights, NDManager parent, DataType dataType) {
        super(parent, dataType, manager -> spec(new DecoderWeights(config, weights, manager, dataType)));
    }

    private static Spec spec(DecoderWeights w) {
        ModelConfig config = w.config();
        w.refuse("qk_layernorm", true, "per-head q/k LayerNorm is not implemented; StableLM-2-1.6B and -Zephyr run");
        w.refuse("use_parallel_residual", true, "the parallel block is not implemented; StableLM-2-1.6B and -Zephyr run");
        double eps = config.optDouble("layer_norm_eps", 1e-5);
        boolean qkvBias = config.optBoolean("use_qkv_bias", false);
        Spec spec = w.baseSpec(w.rotaryDim());
        spec.gatedMlp = true;
        spec.activation = Activations.byName(config.optString("hidden_act", "silu"), config.file().toString());
        for (int i = 0; i < w.layers; i++) {
            String p = "model.layers." + i + ".";
            spec.layers[i] = new Layer(
                    w.layerNorm(p + "input_layernorm", w.hidden, eps),
                    w.fusedQkv(p + "self_attn.", qkvBias), null, null,
                    w.linear(p + "self_attn.o_proj", w.hidden, w.heads * w.headDim, false), null,
                    w.layerNorm(p + "post_attention_layernorm", w.hidden, eps),
                    w.fusedGateUp(p + "mlp.", false),
                    w.linear(p + "mlp.down_proj", w.hidden, w.intermediate, false), null, 0);
        }
        spec.finalNorm = w.layerNorm("model.norm", w.hidden, eps);
        w.embeddingAndLmHead(spec, config.optBoolean("tie_word_embeddings", false), false);
        return spec;
    }
}
