package io.github.attentionsinks.arch;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.github.attentionsinks.config.ModelConfig;
import io.github.attentionsinks.nn.Activations;
import io.github.attentionsinks.weights.WeightStore;

/**
 * Qwen3 ({@code qwen3}): the Llama layout plus an RMSNorm over head_dim ({@code q_norm}, {@code k_norm}, one weight
 * shared by all heads) on every query and key head after the projection and before RoPE. head_dim is set explicitly
 * and need not be hidden/heads. Sliding-window Qwen3 configs ({@code use_sliding_window} true) are refused.
 */
public final class Qwen3Model extends PreNormDecoder {
    public Qwen3Model(ModelConfig config, WeightStore weights, NDManager parent, DataType dataType) {
        super(parent, dataType, manager -> spec(new DecoderWeights(config, weights, manager, dataType)));
    }

    private static Spec spec(DecoderWeights w) {
        ModelConfig config = w.config();
        w.refuse("use_sliding_window", true, "no released Qwen3 uses it; this build runs full attention only");
        double eps = config.optDouble("rms_norm_eps", 1e-6);
        boolean bias = config.optBoolean("attention_bias", false);
        Spec spec = w.baseSpec(w.headDim);
        spec.gatedMlp = true;
        spec.activation = Activations.byName(config.optString("hidden_act", "silu"), config.file().toString());
        for (int i = 0; i < w.layers; i++) {
            String p = "model.layers." + i + ".";
            spec.layers[i] = new Layer(
                    w.rms(p + "input_layernorm.weight", w.hidden, eps),
                    w.fusedQkv(p + "self_attn.", bias),
                    w.rms(p + "self_attn.q_norm.weight", w.headDim, eps),
                    w.rms(p + "self_attn.k_norm.weight", w.headDim, eps),
                    w.linear(p + "self_attn.o_proj", w.hidden, w.heads * w.headDim, bias),
                    null,
                    w.rms(p + "post_attention_layernorm.weight", w.hidden, eps),
                    w.fusedGateUp(p + "mlp.", false),
                    w.linear(p + "mlp.down_proj", w.hidden, w.intermediate, false),
                    null, 0);
        }
        spec.finalNorm = w.rms("model.norm.weight", w.hidden, eps);
        w.embeddingAndLmHead(spec, config.optBoolean("tie_word_embeddings", false), false);
        return spec;
    }
}
