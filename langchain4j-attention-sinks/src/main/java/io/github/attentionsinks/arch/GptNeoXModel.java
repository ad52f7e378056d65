package io.github.attentionsinks.arch;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.github.attentionsinks.config.ModelConfig;
import io.github.attentionsinks.nn.Activations;
import io.github.attentionsinks.nn.Linear;
import io.github.attentionsinks.nn.RotaryEmbedding;
import io.github.attentionsinks.weights.WeightStore;

/**
 * {@code gpt_neox}: Pythia, GPT-NeoX-20B, RedPajama-INCITE, StableLM-alpha. LayerNorm with bias, fused per-head
 * {@code query_key_value} (re-ordered to [Q; K; V] at load), rotate-half RoPE on the first
 * {@code rotary_pct·head_dim} dims only, GELU MLP, and the parallel residual
 * {@code x + attn(ln_in(x)) + mlp(ln_post(x))} or, with {@code use_parallel_residual: false}, the sequential one.
 */
public final class GptNeoXModel extends PreNormDecoder {
    public GptNeoXModel(ModelConfig config, WeightStore weights, NDManager parent, DataType dataType) {
        super(parent, dataType, manager -> spec(config, weights, manager, dataType));
    }

    private static Spec spec(ModelConfig config, WeightStore weights, NDManager manager, DataType dataType) {
        DecoderShape shape = DecoderShape.read(config, DecoderShape.HUGGING_FACE);
        int hidden = shape.hidden();
        int heads = shape.heads();
        int headDim = shape.headDim();
        int intermediate = config.requirePositiveInt("intermediate_size");
        double eps = config.optDouble("layer_norm_eps", 1e-5);
        boolean attentionBias = config.optBoolean("attention_bias", true);
        String pctField = config.has("rotary_pct") ? "rotary_pct" : "partial_rotary_factor";
        double pct = config.optDouble(pctField, 1.0);
        int rotaryDim = (int) (headDim * pct); // HF: int(head_size * rotary_pct)
        if (pct <= 0 || pct > 1 || rotaryDim % 2 != 0) {
            throw config.invalid(pctField, config.node(pctField),
                    "a fraction in (0, 1] giving an even number of rotary dims of head_dim " + headDim);
        }
        double base = config.has("rope_theta") ? config.requireDouble("rope_theta")
                : config.optDouble("rotary_emb_base", 10000.0);

        DecoderWeights w = new DecoderWeights(config, weights, manager, dataType, shape, intermediate);
        Spec spec = w.plainSpec();
        spec.parallelBlock = config.optBoolean("use_parallel_residual", true);
        spec.activation = Activations.byName(config.optString("hidden_act", "gelu"), config.file().toString());
        spec.rotary = new RotaryEmbedding(headDim, rotaryDim,
                RopeScaling.inverseFrequencies(config, rotaryDim, base, RopeScaling.LINEAR_ONLY),
                RotaryEmbedding.Style.ROTATE_HALF, manager, dataType);
        NDArray table = w.tensor("gpt_neox.embed_in.weight", spec.vocab, hidden);
        for (int i = 0; i < shape.layers(); i++) {
            String p = "gpt_neox.layers." + i + ".";
            NDArray qkvWeight = ClassicArchSupport.perHeadToBlocks(
                    w.tensor(p + "attention.query_key_value.weight", 3L * hidden, hidden), heads, headDim);
            NDArray qkvBias = !attentionBias ? null : ClassicArchSupport.perHeadToBlocks(
                    w.tensor(p + "attention.query_key_value.bias", 3L * hidden), heads, headDim);
            spec.layers[i] = ClassicArchSupport.layer(w.layerNorm(p + "input_layernorm", hidden, eps),
                    new Linear(qkvWeight, qkvBias),
                    w.linear(p + "attention.dense", hidden, hidden, attentionBias),
                    w.layerNorm(p + "post_attention_layernorm", hidden, eps),
                    w.linear(p + "mlp.dense_h_to_4h", intermediate, hidden, true),
                    w.linear(p + "mlp.dense_4h_to_h", hidden, intermediate, true));
        }
        spec.finalNorm = w.layerNorm("gpt_neox.final_layer_norm", hidden, eps);
        w.embeddingAndLmHead(spec, table, config.optBoolean("tie_word_embeddings", false), "embed_out.weight", null);
        return spec;
    }
}
