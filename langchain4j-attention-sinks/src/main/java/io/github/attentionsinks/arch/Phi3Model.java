package io.github.attentionsinks.arch;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.github.attentionsinks.config.ModelConfig;
import io.github.attentionsinks.nn.Activations;
import io.github.attentionsinks.weights.WeightStore;

/**
 * Phi-3 ({@code phi3}): the Llama layout with the projections stored fused, {@code qkv_proj} = [q; k; v] and
 * {@code gate_up_proj} = [gate; up], RMSNorm, SwiGLU, no biases, rotate-half RoPE (over
 * {@code partial_rotary_factor}·head_dim dims when set), {@code sliding_window} (when set) on every layer, measured in
 * cache indices. LongRoPE ({@code rope_scaling} type longrope/su, Phi-3.5 and the 128k Phi-3) is refused.
 */
public final class Phi3Model extends PreNormDecoder {
    public Phi3Model(ModelConfig config, WeightStore weights, NDManager parent, DataType dataType) {
        super(parent, dataType, manager -> spec(new DecoderWeights(config, weights, manager, dataType)));
    }

    private static Spec spec(DecoderWeights w) {
        ModelConfig config = w.config();
        double eps = config.optDouble("rms_norm_eps", 1e-5);
        int window = config.optInt("sliding_window", 0);
        int qkvRows = (w.heads + 2 * w.kvHeads) * w.headDim;
        Spec spec = w.baseSpec(w.rotaryDim());
        spec.gatedMlp = true;
        spec.activation = Activations.byName(config.optString("hidden_act", "silu"), config.file().toString());
        for (int i = 0; i < w.layers; i++) {
            String p = "model.layers." + i + ".";
            spec.layers[i] = new Layer(
                    w.rms(p + "input_layernorm.weight", w.hidden, eps),
                    w.linear(p + "self_attn.qkv_proj", qkvRows, w.hidden, false), null, null,
                    w.linear(p + "self_attn.o_proj", w.hidden, w.heads * w.headDim, false), null,
                    w.rms(p + "post_attention_layernorm.weight", w.hidden, eps),
                    w.linear(p + "mlp.gate_up_proj", 2 * w.intermediate, w.hidden, false),
                    w.linear(p + "mlp.down_proj", w.hidden, w.intermediate, false), null, window);
        }
        spec.finalNorm = w.rms("model.norm.weight", w.hidden, eps);
        w.embeddingAndLmHead(spec, config.optBoolean("tie_word_embeddings", false), false);
        return spec;
    }
}
