package io.github.attentionsinks.arch;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.github.attentionsinks.config.ModelConfig;
import io.github.attentionsinks.nn.Activations;
import io.github.attentionsinks.nn.Norm;
import io.github.attentionsinks.weights.WeightStore;

/**
 * Phi-1, Phi-1.5 and Phi-2 ({@code phi}): a parallel block with one LayerNorm,
 * {@code x + dense(attn(ln(x))) + fc2(gelu_new(fc1(ln(x))))}, biases on every projection and on {@code lm_head},
 * partial rotate-half RoPE over {@code partial_rotary_factor}·head_dim dims, final {@code final_layernorm}.
 * {@code qk_layernorm} true is refused (no released Phi uses it, and no reference covers it).
 */
public final class PhiModel extends PreNormDecoder {
    public PhiModel(ModelConfig config, WeightStore weights, NDManager parent, DataType dataType) {
        super(parent, dataType, manager -> spec(new DecoderWeights(config, weights, manager, dataType)));
    }

    private static Spec spec(DecoderWeights w) {
        ModelConfig config = w.config();
        w.refuse("qk_layernorm", true, "q/k LayerNorm is not implemented; no released Phi checkpoint uses it");
        double eps = config.optDouble("layer_norm_eps", 1e-5);
        Spec spec = w.baseSpec(w.rotaryDim());
        spec.parallelBlock = true;
        spec.gatedMlp = false;
        spec.activation = Activations.byName(config.optString("hidden_act", "gelu_new"), config.file().toString());
        for (int i = 0; i < w.layers; i++) {
            String p = "model.layers." + i + ".";
            Norm norm = w.layerNorm(p + "input_layernorm", w.hidden, eps);
            spec.layers[i] = new Layer(norm, w.fusedQkv(p + "self_attn.", true), null, null,
                    w.linear(p + "self_attn.dense", w.hidden, w.heads * w.headDim, true), null, null,
                    w.linear(p + "mlp.fc1", w.intermediate, w.hidden, true),
                    w.linear(p + "mlp.fc2", w.hidden, w.intermediate, true), null, 0);
        }
        spec.finalNorm = w.layerNorm("model.final_layernorm", w.hidden, eps);
        w.embeddingAndLmHead(spec, config.optBoolean("tie_word_embeddings", false), true);
        return spec;
    }
}
