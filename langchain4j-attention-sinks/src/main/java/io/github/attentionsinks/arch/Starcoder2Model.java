package io.github.attentionsinks.arch;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.github.attentionsinks.config.ModelConfig;
import io.github.attentionsinks.nn.Activations;
import io.github.attentionsinks.weights.WeightStore;

/**
 * StarCoder2 ({@code starcoder2}): LayerNorm with bias ({@code norm_epsilon}), biases on q/k/v/o and on the MLP when
 * {@code use_bias}, plain MLP {@code c_proj(gelu_tanh(c_fc(x)))}, full rotate-half RoPE, and {@code sliding_window}
 * (when set) on every layer, measured in cache indices.
 */
public final class Starcoder2Model extends PreNormDecoder {
    public Starcoder2Model(ModelConfig config, WeightStore weights, NDManager parent, DataType dataType) {
        super(parent, dataType, manager -> spec(new DecoderWeights(config, weights, manager, dataType)));
    }

    private static Spec spec(DecoderWeights w) {
        ModelConfig config = w.config();
        double eps = config.optDouble("norm_epsilon", 1e-5);
        boolean bias = config.optBoolean("use_bias", true);
        int window = config.optInt("sliding_window", 0);
        Spec spec = w.baseSpec(w.headDim);
        spec.gatedMlp = false;
        spec.activation = Activations.byName(config.optString("hidden_act", "gelu_pytorch_tanh"),
                config.file().toString());
        for (int i = 0; i < w.layers; i++) {
            String p = "model.layers." + i + ".";
            spec.layers[i] = new Layer(
                    w.layerNorm(p + "input_layernorm", w.hidden, eps),
                    w.fusedQkv(p + "self_attn.", bias), null, null,
                    w.linear(p + "self_attn.o_proj", w.hidden, w.heads * w.headDim, bias), null,
                    w.layerNorm(p + "post_attention_layernorm", w.hidden, eps),
                    w.linear(p + "mlp.c_fc", w.intermediate, w.hidden, bias),
                    w.linear(p + "mlp.c_proj", w.hidden, w.intermediate, bias), null, window);
        }
        spec.finalNorm = w.layerNorm("model.norm", w.hidden, eps);
        w.embeddingAndLmHead(spec, config.optBoolean("tie_word_embeddings", true), false);
        return spec;
    }
}
