package io.github.attentionsinks.arch;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.github.attentionsinks.config.ModelConfig;
import io.github.attentionsinks.config.ModelFormatException;
import io.github.attentionsinks.nn.Activations;
import io.github.attentionsinks.nn.Linear;
import io.github.attentionsinks.nn.Norm;
import io.github.attentionsinks.nn.RotaryEmbedding;
import io.github.attentionsinks.weights.WeightStore;

/**
 * {@code falcon} with rotary positions (Falcon-7B/40B/180B and their fine-tunes), in both decoder layouts:
 * <ul>
 *   <li>old decoder ({@code new_decoder_architecture: false}): with {@code multi_query} one K/V head shared by all
 *       query heads, fused rows {@code [q heads; k; v]}; without it, per-head {@code [q_h, k_h, v_h]}. One
 *       {@code input_layernorm} feeding attention and MLP in parallel ({@code parallel_attn}), or a sequential block
 *       with {@code post_attention_layernorm};</li>
 *   <li>new decoder ({@code new_decoder_architecture: true}): {@code num_kv_heads} groups, fused rows per group
 *       {@code [its query heads, k, v]}, separate {@code ln_attn}/{@code ln_mlp} (or one {@code input_layernorm} when
 *       {@code num_ln_in_parallel_attn} is 1), always parallel.</li>
 * </ul>
 * All fused layouts are re-ordered to [Q; K; V] at load. RoPE is rotate-half over the full head.
 * {@code alibi: true} (Falcon-RW) is refused.
 */
public final class FalconModel extends PreNormDecoder {
    public FalconModel(ModelConfig config, WeightStore weights, NDManager parent, DataType dataType) {
        super(parent, dataType, manager -> spec(config, weights, manager, dataType));
    }

    private static Spec spec(ModelConfig config, WeightStore weights, NDManager manager, DataType dataType) {
        if (config.optBoolean("alibi", false)) {
            throw new ModelFormatException(config.file() + ": falcon with 'alibi': true (the Falcon-RW layout) is "
                    + "not supported: only rotary Falcon models (alibi false, e.g. Falcon-7B/40B/180B) are "
                    + "implemented. Use MPT for an ALiBi model.");
        }
        DecoderShape read = DecoderShape.read(config, DecoderShape.HUGGING_FACE);
        int hidden = read.hidden();
        int heads = read.heads();
        int headDim = read.headDim();
        boolean newDecoder = config.optBoolean("new_decoder_architecture", false);
        boolean multiQuery = config.optBoolean("multi_query", true);
        int kvHeads;
        if (newDecoder) {
            kvHeads = config.optInt("num_kv_heads", heads);
            if (kvHeads <= 0 || heads % kvHeads != 0) {
                throw config.invalid("num_kv_heads", config.node("num_kv_heads"),
                        "a positive divisor of num_attention_heads (" + heads + ")");
            }
        } else {
            // HF ignores num_kv_heads in the old layout: one shared head with multi_query, else one per query head
            kvHeads = multiQuery ? 1 : heads;
        }
        boolean bias = config.optBoolean("bias", false);
        double eps = config.optDouble("layer_norm_epsilon", 1e-5);
        int ffn = config.optInt("ffn_hidden_size", 4 * hidden);
        boolean parallelAttn = config.optBoolean("parallel_attn", true);
        int lnInParallel = config.optInt("num_ln_in_parallel_attn", newDecoder ? 2 : 1);
        boolean twoNorms = parallelAttn && lnInParallel == 2;

        DecoderWeights w = new DecoderWeights(config, weights, manager, dataType, read.withKvHeads(kvHeads), ffn);
        Spec spec = w.plainSpec();
        spec.parallelBlock = newDecoder || parallelAttn;
        spec.activation = Activations.byName(config.optString("activation", "gelu"), config.file().toString());
        spec.rotary = new RotaryEmbedding(headDim, headDim, RopeScaling.inverseFrequencies(config, headDim,
                config.optDouble("rope_theta", 10000.0), RopeScaling.LINEAR_ONLY),
                RotaryEmbedding.Style.ROTATE_HALF, manager, dataType);
        NDArray table = w.tensor("transformer.word_embeddings.weight", spec.vocab, hidden);
        long qkvRows = (long) (heads + 2 * kvHeads) * headDim;
        for (int i = 0; i < read.layers(); i++) {
            String p = "transformer.h." + i + ".";
            String qkvName = p + "self_attention.query_key_value.";
            NDArray qkvWeight = w.tensor(qkvName + "weight", qkvRows, hidden);
            NDArray qkvBias = bias ? w.tensor(qkvName + "bias", qkvRows) : null;
            if (newDecoder) {
                qkvWeight = ClassicArchSupport.groupedToBlocks(qkvWeight, kvHeads, heads / kvHeads, headDim);
                qkvBias = qkvBias == null ? null
                        : ClassicArchSupport.groupedToBlocks(qkvBias, kvHeads, heads / kvHeads, headDim);
            } else if (!multiQuery) {
                qkvWeight = ClassicArchSupport.perHeadToBlocks(qkvWeight, heads, headDim);
                qkvBias = qkvBias == null ? null : ClassicArchSupport.perHeadToBlocks(qkvBias, heads, headDim);
            }
            Norm attentionNorm;
            Norm mlpNorm; // null in a parallel block with one norm: the MLP reads the attention norm's output
            if (twoNorms) {
                attentionNorm = w.layerNorm(p + "ln_attn", hidden, eps);
                mlpNorm = w.layerNorm(p + "ln_mlp", hidden, eps);
            } else {
                attentionNorm = w.layerNorm(p + "input_layernorm", hidden, eps);
                mlpNorm = parallelAttn ? null : w.layerNorm(p + "post_attention_layernorm", hidden, eps);
            }
            spec.layers[i] = ClassicArchSupport.layer(attentionNorm, new Linear(qkvWeight, qkvBias),
                    w.linear(p + "self_attention.dense", hidden, (long) heads * headDim, bias), mlpNorm,
                    w.linear(p + "mlp.dense_h_to_4h", ffn, hidden, bias),
                    w.linear(p + "mlp.dense_4h_to_h", hidden, ffn, bias));
        }
        spec.finalNorm = w.layerNorm("transformer.ln_f", hidden, eps);
        w.embeddingAndLmHead(spec, table, config.optBoolean("tie_word_embeddings", true), "lm_head.weight", null);
        return spec;
    }
}
