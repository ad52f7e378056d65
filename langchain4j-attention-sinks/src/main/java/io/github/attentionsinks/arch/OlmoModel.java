package io.github.attentionsinks.arch;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.github.attentionsinks.config.ModelConfig;
import io.github.attentionsinks.nn.Activations;
import io.github.attentionsinks.nn.Norm;
import io.github.attentionsinks.weights.WeightStore;

/**
 * OLMo 1 ({@code olmo}): every norm is a non-parametric LayerNorm ({@code (x − mean)/sqrt(var + 1e-5)}, no weight or
 * bias, eps fixed by HF's code), q/k/v clamped to [−clip_qkv, clip_qkv] right after the projections when
 * {@code clip_qkv} is set, SwiGLU MLP, rotate-half RoPE, optional attention biases.
 */
public final class OlmoModel extends PreNormDecoder {
    /** OLMo's LayerNorm epsilon is fixed in the modeling code, not read from the config. */
    private static final double LAYER_NORM_EPS = 1e-5;

    public OlmoModel(ModelConfig config, WeightStore weights, NDManager parent, DataType dataType) {
        super(parent, dataType, manager -> spec(new DecoderWeights(config, weights, manager, dataType)));
    }

    private static Spec spec(DecoderWeights w) {
        ModelConfig config = w.config();
        boolean bias = config.optBoolean("attention_bias", false);
        Norm norm = Norm.layer(null, null, LAYER_NORM_EPS);
        Spec spec = w.baseSpec(w.headDim);
        if (config.has("clip_qkv")) {
            double clip = config.requireDouble("clip_qkv");
            if (!(clip > 0)) {
                throw config.invalid("clip_qkv", config.node("clip_qkv"), "a positive number or null");
            }
            spec.clipQkv = (float) clip;
        }
        spec.gatedMlp = true;
        spec.activation = Activations.byName(config.optString("hidden_act", "silu"), config.file().toString());
        for (int i = 0; i < w.layers; i++) {
            String p = "model.layers." + i + ".";
            spec.layers[i] = new Layer(norm, w.fusedQkv(p + "self_attn.", bias), null, null,
                    w.linear(p + "self_attn.o_proj", w.hidden, w.heads * w.headDim, bias), null,
                    norm, w.fusedGateUp(p + "mlp.", false),
                    w.linear(p + "mlp.down_proj", w.hidden, w.intermediate, false), null, 0);
        }
        spec.finalNorm = norm;
        w.embeddingAndLmHead(spec, config.optBoolean("tie_word_embeddings", false), false);
        return spec;
    }
}
