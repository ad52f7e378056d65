package io.github.attentionsinks.arch;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.JsonNode;
import io.github.attentionsinks.cache.KeyShifter;
import io.github.attentionsinks.config.ModelConfig;
import io.github.attentionsinks.config.ModelFormatException;
import io.github.attentionsinks.nn.Activation;
import io.github.attentionsinks.nn.Linear;
import io.github.attentionsinks.nn.Norm;
import io.github.attentionsinks.weights.WeightStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code mpt}: MPT-7B/30B and fine-tunes, as Hugging Face transformers runs them. No positional embedding:
 * <b>ALiBi</b> adds {@code slope_h · (j − i)} to the score of query i and key j, with slopes from
 * {@code alibi_bias_max}. Fused {@code Wqkv} rows {@code [q; k; v]}, {@code clip_qkv} clamping when set, no Linear
 * biases, weight-only LayerNorms, sequential pre-norm block, exact-GELU MLP, tied {@code lm_head}.
 *
 * <p>With the sink cache, i and j are <b>cache indices</b> (query i of a step at {@code cacheLengthBefore + i}), so
 * the sinks sit as close as their slot in the cache, as in the reference; cached keys never move
 * ({@link KeyShifter#IDENTITY}).
 *
 * <p>Refused: {@code attn_config.alibi: false} (learned positions, which transformers does not implement for MPT),
 * {@code qk_ln: true}, and attention types other than {@code multihead_attention}.
 */
public final class MptModel extends PreNormDecoder {
    private static final Logger log = LoggerFactory.getLogger(MptModel.class);

    public MptModel(ModelConfig config, WeightStore weights, NDManager parent, DataType dataType) {
        super(parent, dataType, manager -> spec(config, weights, manager, dataType));
    }

    private static Spec spec(ModelConfig config, WeightStore weights, NDManager manager, DataType dataType) {
        JsonNode attn = config.node("attn_config");
        String where = config.file() + ": attn_config.";
        if (!attn.path("alibi").asBoolean(false)) {
            throw new ModelFormatException(where + "alibi is not true: MPT without ALiBi needs learned position "
                    + "embeddings, which this library (like Hugging Face transformers) does not implement for mpt");
        }
        if (attn.path("qk_ln").asBoolean(false)) {
            throw new ModelFormatException(where + "qk_ln is true: LayerNorm on queries and keys is not "
                    + "implemented for mpt (Hugging Face transformers does not implement it either)");
        }
        String attnType = attn.path("attn_type").asText("multihead_attention");
        if (!attnType.equals("multihead_attention")) {
            throw new ModelFormatException(where + "attn_type '" + attnType + "' is not supported for mpt "
                    + "(supported: multihead_attention)");
        }
        DecoderShape shape = DecoderShape.read(config, DecoderShape.MPT);
        int hidden = shape.hidden();
        int ffn = config.optInt("expansion_ratio", 4) * hidden;
        double eps = config.optDouble("layer_norm_epsilon", 1e-5);
        DecoderWeights w = new DecoderWeights(config, weights, manager, dataType, shape, ffn);
        Spec spec = w.plainSpec();
        JsonNode clip = attn.path("clip_qkv");
        spec.clipQkv = clip.isNumber() ? clip.floatValue() : 0f;
        JsonNode softmaxScale = attn.path("softmax_scale");
        if (softmaxScale.isNumber()) {
            spec.attentionScale = softmaxScale.floatValue();
        }
        double biasMax = attn.path("alibi_bias_max").isNumber() ? attn.get("alibi_bias_max").doubleValue() : 8.0;
        spec.alibiSlopes = alibiSlopes(shape.heads(), biasMax);
        spec.activation = Activation.GELU_EXACT;
        if (config.has("logit_scale")) {
            log.warn("{}: logit_scale is ignored, as Hugging Face transformers does for mpt", config.file());
        }
        NDArray table = w.tensor("transformer.wte.weight", spec.vocab, hidden);
        for (int i = 0; i < shape.layers(); i++) {
            String p = "transformer.blocks." + i + ".";
            if (i == 0 && w.contains(p + "attn.Wqkv.bias")) {
                log.warn("{}: mpt bias tensors are ignored, as Hugging Face transformers does", config.file());
            }
            spec.layers[i] = ClassicArchSupport.layer(norm(w, p + "norm_1.weight", hidden, eps),
                    w.linear(p + "attn.Wqkv", 3L * hidden, hidden, false),
                    w.linear(p + "attn.out_proj", hidden, hidden, false),
                    norm(w, p + "norm_2.weight", hidden, eps),
                    w.linear(p + "ffn.up_proj", ffn, hidden, false),
                    w.linear(p + "ffn.down_proj", hidden, ffn, false));
        }
        spec.finalNorm = norm(w, "transformer.norm_f.weight", hidden, eps);
        w.embeddingAndLmHead(spec, table, config.optBoolean("tie_word_embeddings", true), "lm_head.weight", null);
        return spec;
    }

    private static Norm norm(DecoderWeights w, String name, int hidden, double eps) {
        // HF drops the LayerNorm bias for mpt whatever no_bias says.
        return Norm.layer(w.tensor(name, hidden), null, eps);
    }

    /**
     * MPT's slopes: for the next power of two P ≥ heads, {@code 2^-(k·biasMax/P)} for k = 1..P; with fewer heads than
     * P, the odd-indexed slopes first, then the even-indexed, cut to {@code heads}. Computed in float32 as HF does.
     */
    static float[] alibiSlopes(int heads, double biasMax) {
        int p = Integer.highestOneBit(heads) == heads ? heads : Integer.highestOneBit(heads) * 2;
        float step = (float) (biasMax / p);
        float[] all = new float[p];
        for (int k = 1; k <= p; k++) {
            all[k - 1] = (float) (1.0 / Math.pow(2.0, (float) (k * step)));
        }
        if (p == heads) {
            return all;
        }
        float[] out = new float[heads];
        int i = 0;
        for (int k = 1; k < p && i < heads; k += 2) {
            out[i++] = all[k];
        }
        for (int k = 0; k < p && i < heads; k += 2) {
            out[i++] = all[k];
        }
        return out;
    }
}
