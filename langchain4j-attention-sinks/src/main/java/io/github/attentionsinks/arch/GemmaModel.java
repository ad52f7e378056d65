package io.github.attentionsinks.arch;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.JsonNode;
import io.github.attentionsinks.config.ModelConfig;
import io.github.attentionsinks.nn.Activations;
import io.github.attentionsinks.weights.WeightStore;

/**
 * Gemma ({@code gemma}) and Gemma 2 ({@code gemma2}).
 *
 * <p>Both: embedding output scaled by sqrt(hidden_size) (the tied lm_head uses the unscaled matrix), RMSNorm as
 * {@code x/rms(x)·(1 + w)}, GeGLU MLP {@code down(gelu_tanh(gate(x))·up(x))} ({@code hidden_activation}), explicit
 * head_dim, no biases, tied lm_head.
 *
 * <p>Gemma 2 adds: four norms per layer ({@code post_attention_layernorm} on the attention output,
 * {@code pre_feedforward_layernorm} and {@code post_feedforward_layernorm} around the MLP), the score scale
 * {@code query_pre_attn_scalar^-0.5}, attention logit soft-capping {@code c·tanh(s/c)} before the mask, final logit
 * soft-capping, and a sliding window of {@code sliding_window} on the sliding layers ({@code layer_types} when given,
 * else every even layer, as Hugging Face alternates them), measured in cache indices.
 */
public final class GemmaModel extends PreNormDecoder {
    public GemmaModel(ModelConfig config, WeightStore weights, NDManager parent, DataType dataType) {
        super(parent, dataType, manager -> spec(new DecoderWeights(config, weights, manager, dataType)));
    }

    private static Spec spec(DecoderWeights w) {
        ModelConfig config = w.config();
        boolean gemma2 = config.modelType().equals("gemma2");
        double eps = config.optDouble("rms_norm_eps", 1e-6);
        Spec spec = w.baseSpec(w.headDim);
        spec.embeddingScale = (float) Math.sqrt(w.hidden);
        spec.gatedMlp = true;
        // HF uses the tanh GELU for Gemma whatever hidden_act says when hidden_activation is absent.
        spec.activation = Activations.byName(config.optString("hidden_activation", "gelu_pytorch_tanh"),
                config.file().toString());
        if (gemma2) {
            spec.attentionScale = (float) Math.pow(config.requireDouble("query_pre_attn_scalar"), -0.5);
            spec.attentionSoftCap = (float) config.optDouble("attn_logit_softcapping", 0);
            spec.finalSoftCap = (float) config.optDouble("final_logit_softcapping", 0);
        }
        int window = gemma2 ? config.optInt("sliding_window", 0) : 0;
        JsonNode layerTypes = config.node("layer_types");
        for (int i = 0; i < w.layers; i++) {
            String p = "model.layers." + i + ".";
            boolean sliding = layerTypes.isArray() ? "sliding_attention".equals(layerTypes.path(i).asText())
                    : i % 2 == 0;
            spec.layers[i] = new Layer(
                    w.rmsOnePlus(p + "input_layernorm.weight", w.hidden, eps),
                    w.fusedQkv(p + "self_attn.", false), null, null,
                    w.linear(p + "self_attn.o_proj", w.hidden, w.heads * w.headDim, false),
                    gemma2 ? w.rmsOnePlus(p + "post_attention_layernorm.weight", w.hidden, eps) : null,
                    w.rmsOnePlus(p + (gemma2 ? "pre_feedforward_layernorm.weight" : "post_attention_layernorm.weight"),
                            w.hidden, eps),
                    w.fusedGateUp(p + "mlp.", false),
                    w.linear(p + "mlp.down_proj", w.hidden, w.intermediate, false),
                    gemma2 ? w.rmsOnePlus(p + "post_feedforward_layernorm.weight", w.hidden, eps) : null,
                    sliding ? window : 0);
        }
        spec.finalNorm = w.rmsOnePlus("model.norm.weight", w.hidden, eps);
        w.embeddingAndLmHead(spec, config.optBoolean("tie_word_embeddings", true), false);
        return spec;
    }
}
