package io.github.attentionsinks.arch;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.github.attentionsinks.config.ModelConfig;
import io.github.attentionsinks.config.ModelFormatException;
import io.github.attentionsinks.nn.Activations;
import io.github.attentionsinks.nn.Linear;
import io.github.attentionsinks.nn.RotaryEmbedding;
import io.github.attentionsinks.weights.WeightStore;

/**
 * {@code gptj}: GPT-J-6B and its fine-tunes. Separate q/k/v/out projections without bias (q/k/v fused at load),
 * <b>interleaved</b> RoPE (pairs (2i, 2i+1)) on the first {@code rotary_dim} dims of each head, base 10000, a
 * parallel block with one LayerNorm {@code x + attn(ln_1(x)) + mlp(ln_1(x))}, and an {@code lm_head} with bias.
 */
public final class GptJModel extends PreNormDecoder {
    public GptJModel(ModelConfig config, WeightStore weights, NDManager parent, DataType dataType) {
        super(parent, dataType, manager -> spec(config, weights, manager, dataType));
    }

    private static Spec spec(ModelConfig config, WeightStore weights, NDManager manager, DataType dataType) {
        DecoderShape shape = DecoderShape.read(config, DecoderShape.GPTJ);
        int hidden = shape.hidden();
        int headDim = shape.headDim();
        int inner = config.optInt("n_inner", 4 * hidden);
        double eps = config.optDouble("layer_norm_epsilon", 1e-5);
        if (!config.has("rotary_dim")) {
            // HF's GPT-J cannot run without it either (its sin/cos table would be n_embd wide)
            throw new ModelFormatException(config.file() + ": gptj needs 'rotary_dim' (GPT-J-6B uses 64)");
        }
        int rotaryDim = config.requirePositiveInt("rotary_dim");
        if (rotaryDim > headDim || rotaryDim % 2 != 0) {
            throw config.invalid("rotary_dim", config.node("rotary_dim"),
                    "an even number of dims no larger than the head dim " + headDim);
        }
        DecoderWeights w = new DecoderWeights(config, weights, manager, dataType, shape, inner);
        Spec spec = w.plainSpec();
        spec.parallelBlock = true;
        spec.activation = Activations.byName(config.optString("activation_function", "gelu_new"),
                config.file().toString());
        spec.rotary = new RotaryEmbedding(headDim, rotaryDim,
                RotaryEmbedding.defaultInverseFrequencies(10000.0, rotaryDim), RotaryEmbedding.Style.INTERLEAVED,
                manager, dataType);
        var table = w.tensor("transformer.wte.weight", spec.vocab, hidden);
        for (int i = 0; i < shape.layers(); i++) {
            String p = "transformer.h." + i + ".";
            Linear qkv = new Linear(DecoderWeights.fuse(w.tensor(p + "attn.q_proj.weight", hidden, hidden),
                    w.tensor(p + "attn.k_proj.weight", hidden, hidden),
                    w.tensor(p + "attn.v_proj.weight", hidden, hidden)), null);
            spec.layers[i] = ClassicArchSupport.layer(w.layerNorm(p + "ln_1", hidden, eps), qkv,
                    w.linear(p + "attn.out_proj", hidden, hidden, false), null,
                    w.linear(p + "mlp.fc_in", inner, hidden, true),
                    w.linear(p + "mlp.fc_out", hidden, inner, true));
        }
        spec.finalNorm = w.layerNorm("transformer.ln_f", hidden, eps);
        w.embeddingAndLmHead(spec, table, config.optBoolean("tie_word_embeddings", false), "lm_head.weight",
                w.optional("lm_head.bias", spec.vocab));
        return spec;
    }
}
