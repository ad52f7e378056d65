package io.github.attentionsinks.arch;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.github.attentionsinks.config.ModelConfig;
import io.github.attentionsinks.nn.Activations;
import io.github.attentionsinks.nn.Linear;
import io.github.attentionsinks.weights.WeightStore;

/**
 * {@code gpt2}: GPT-2 and DistilGPT-2. Learned absolute position embeddings {@code wpe} added to the token
 * embeddings, {@code Conv1D} weights stored {@code [in, out]}, fused {@code c_attn} columns {@code [q | k | v]},
 * sequential pre-LayerNorm blocks, tied {@code lm_head}, and optionally attention scaled by the inverse layer index.
 *
 * <p><b>Dense mode only.</b> Every key and value already contains its token's absolute position, so the sink cache
 * cannot re-assign positions: {@code sinks} and {@code windowed} sessions fail at creation, with the reason. The
 * stream also ends at {@code n_positions} tokens.
 */
public final class Gpt2Model extends PreNormDecoder {
    public Gpt2Model(ModelConfig config, WeightStore weights, NDManager parent, DataType dataType) {
        super(parent, dataType, manager -> spec(config, weights, manager, dataType));
    }

    private static Spec spec(ModelConfig config, WeightStore weights, NDManager manager, DataType dataType) {
        DecoderShape shape = DecoderShape.read(config, DecoderShape.GPT2);
        int hidden = shape.hidden();
        int layers = shape.layers();
        int headDim = shape.headDim();
        int inner = config.optInt("n_inner", 4 * hidden);
        int maxPositions = shape.maxPositions();
        double eps = config.optDouble("layer_norm_epsilon", 1e-5);
        DecoderWeights w = new DecoderWeights(config, weights, manager, dataType, shape, inner);
        Spec spec = w.plainSpec();
        spec.activation = Activations.byName(config.optString("activation_function", "gelu_new"),
                config.file().toString());
        boolean scaleByHeadDim = config.optBoolean("scale_attn_weights", true);
        boolean scaleByLayer = config.optBoolean("scale_attn_by_inverse_layer_idx", false);
        spec.attentionScale = scaleByHeadDim ? spec.attentionScale : 1f;
        spec.layerAttentionScales = new float[layers];
        for (int i = 0; i < layers; i++) {
            spec.layerAttentionScales[i] = (float) ((scaleByHeadDim ? 1.0 / Math.sqrt(headDim) : 1.0)
                    / (scaleByLayer ? i + 1 : 1));
        }
        spec.positionReassignmentUnsupportedReason = "GPT-2 adds learned absolute position embeddings (wpe) to the "
                + "token embeddings before the first layer, so every cached key and value already contains its "
                + "token's position. The sink cache would have to move tokens to new positions, which needs "
                + "recomputing them from tokens it has evicted; and positions past n_positions (" + maxPositions
                + ") have no embedding at all.";
        // Checkpoints saved from GPT2Model (e.g. the original "gpt2") have no "transformer." prefix.
        String root = w.contains("transformer.wte.weight") || !w.contains("wte.weight") ? "transformer." : "";
        NDArray table = w.tensor(root + "wte.weight", spec.vocab, hidden);
        spec.positionEmbedding = w.tensor(root + "wpe.weight", maxPositions, hidden);
        spec.maxPositionsField = "n_positions";
        for (int i = 0; i < layers; i++) {
            String p = root + "h." + i + ".";
            spec.layers[i] = ClassicArchSupport.layer(w.layerNorm(p + "ln_1", hidden, eps),
                    conv1d(w, p + "attn.c_attn", hidden, 3 * hidden), conv1d(w, p + "attn.c_proj", hidden, hidden),
                    w.layerNorm(p + "ln_2", hidden, eps), conv1d(w, p + "mlp.c_fc", hidden, inner),
                    conv1d(w, p + "mlp.c_proj", inner, hidden));
        }
        spec.finalNorm = w.layerNorm(root + "ln_f", hidden, eps);
        w.embeddingAndLmHead(spec, table, config.optBoolean("tie_word_embeddings", true), "lm_head.weight", null);
        return spec;
    }

    /** A {@code Conv1D}: weight stored {@code [in, out]}. */
    private static Linear conv1d(DecoderWeights w, String name, int in, int out) {
        return Linear.fromInOut(w.tensor(name + ".weight", in, out), w.tensor(name + ".bias", out));
    }
}
