package io.github.attentionsinks.arch;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.github.attentionsinks.cache.KeyShifter;
import io.github.attentionsinks.cache.SinkCache;
import io.github.attentionsinks.config.ModelConfig;
import io.github.attentionsinks.config.ModelFormatException;
import io.github.attentionsinks.nn.Activations;
import io.github.attentionsinks.nn.Attention;
import io.github.attentionsinks.nn.Linear;
import io.github.attentionsinks.nn.Norm;
import io.github.attentionsinks.nn.RotaryEmbedding;
import io.github.attentionsinks.weights.WeightStore;
import java.util.function.UnaryOperator;

/**
 * {@code gptj}: GPT-J-6B and its fine-tunes. Separate q/k/v/out projections without bias (q/k/v fused at load),
 * <b>interleaved</b> RoPE (pairs (2i, 2i+1)) on the first {@code rotary_dim} dims of each head, base 10000, a
 * parallel block with one LayerNorm {@code x + attn(ln_1(x)) + mlp(ln_1(x))}, and an {@code lm_head} with bias.
 */
public final class GptJModel implements CausalLm {
    private final NDManager manager;
    private final DataType dataType;
    private final int vocab;
    private final int maxPositions;
    private final Linear embedding;
    private final Layer[] layers;
    private final Norm finalNorm;
    private final Linear lmHead;
    private final RotaryEmbedding rotary;
    private final ClassicArchSupport.FusedQkvAttention attention;
    private final UnaryOperator<NDArray> activation;

    private record Layer(Norm norm, Linear qkv, Linear out, Linear up, Linear down) {}

    public GptJModel(ModelConfig config, WeightStore weights, NDManager parent, DataType dataType) {
        this.manager = parent.newSubManager();
        this.dataType = dataType;
        try {
            int hidden = config.requirePositiveInt("n_embd");
            int layerCount = config.requirePositiveInt("n_layer");
            int heads = config.requirePositiveInt("n_head");
            if (hidden % heads != 0) {
                throw config.invalid("n_head", config.node("n_head"), "a divisor of n_embd (" + hidden + ")");
            }
            int headDim = hidden / heads;
            int inner = config.optInt("n_inner", 4 * hidden);
            vocab = config.requirePositiveInt("vocab_size");
            maxPositions = config.optInt("n_positions", 0);
            double eps = config.optDouble("layer_norm_epsilon", 1e-5);
            activation = Activations.byName(config.optString("activation_function", "gelu_new"),
                    config.file().toString());
            if (!config.has("rotary_dim")) {
                // HF's GPT-J cannot run without it either (its sin/cos table would be n_embd wide)
                throw new ModelFormatException(config.file() + ": gptj needs 'rotary_dim' (GPT-J-6B uses 64)");
            }
            int rotaryDim = config.requirePositiveInt("rotary_dim");
            if (rotaryDim > headDim || rotaryDim % 2 != 0) {
                throw config.invalid("rotary_dim", config.node("rotary_dim"),
                        "an even number of dims no larger than the head dim " + headDim);
            }
            rotary = new RotaryEmbedding(headDim, rotaryDim,
                    RotaryEmbedding.defaultInverseFrequencies(10000.0, rotaryDim), RotaryEmbedding.Style.INTERLEAVED,
                    manager, dataType);
            attention = new ClassicArchSupport.FusedQkvAttention(heads, heads, headDim,
                    (float) (1.0 / Math.sqrt(headDim)), rotary);

            NDArray table = weights.load("transformer.wte.weight", manager, dataType, vocab, hidden);
            layers = new Layer[layerCount];
            for (int i = 0; i < layerCount; i++) {
                String p = "transformer.h." + i + ".";
                NDArray qkv = ClassicArchSupport.fuseRows(
                        weights.load(p + "attn.q_proj.weight", manager, dataType, hidden, hidden),
                        weights.load(p + "attn.k_proj.weight", manager, dataType, hidden, hidden),
                        weights.load(p + "attn.v_proj.weight", manager, dataType, hidden, hidden));
                layers[i] = new Layer(
                        Norm.layer(weights.load(p + "ln_1.weight", manager, dataType, hidden),
                                weights.load(p + "ln_1.bias", manager, dataType, hidden), eps),
                        new Linear(qkv, null),
                        new Linear(weights.load(p + "attn.out_proj.weight", manager, dataType, hidden, hidden), null),
                        new Linear(weights.load(p + "mlp.fc_in.weight", manager, dataType, inner, hidden),
                                weights.load(p + "mlp.fc_in.bias", manager, dataType, inner)),
                        new Linear(weights.load(p + "mlp.fc_out.weight", manager, dataType, hidden, inner),
                                weights.load(p + "mlp.fc_out.bias", manager, dataType, hidden)));
            }
            finalNorm = Norm.layer(weights.load("transformer.ln_f.weight", manager, dataType, hidden),
                    weights.load("transformer.ln_f.bias", manager, dataType, hidden), eps);
            boolean tied = config.optBoolean("tie_word_embeddings", false) || !weights.contains("lm_head.weight");
            lmHead = new Linear(tied ? table : weights.load("lm_head.weight", manager, dataType, vocab, hidden),
                    ClassicArchSupport.optional(weights, "lm_head.bias", manager, dataType, vocab));
            embedding = tied ? lmHead : Linear.table(table); // tied: one matrix serves both
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    @Override
    public NDArray forward(NDManager step, int[] tokenIds, SinkCache.Step cache, boolean allPositions) {
        int n = tokenIds.length;
        NDArray ids = step.create(tokenIds).toType(DataType.INT64, false);
        NDArray x = embedding.rows(ids, dataType);
        NDArray[] rope = rotary.tables(step, cache.streamPosition(), n);
        NDArray mask = n == 1 ? null
                : Attention.causalMask(step, n, cache.cacheLengthBefore(), 0).toType(dataType, false);
        for (int l = 0; l < layers.length; l++) {
            Layer layer = layers[l];
            NDArray h = layer.norm.apply(x);
            NDArray attn = layer.out.apply(attention.apply(layer.qkv.apply(h), n, rope, cache, l, mask));
            x = x.add(attn).add(layer.down.apply(activation.apply(layer.up.apply(h))));
        }
        x = ClassicArchSupport.lastRowUnless(allPositions, x, n);
        return lmHead.apply(finalNorm.apply(x));
    }

    @Override
    public CacheShape cacheShape() {
        return new CacheShape(layers.length, attention.kvHeads(), attention.headDim());
    }

    @Override
    public KeyShifter keyShifter() {
        return rotary::shift;
    }

    @Override
    public int vocabSize() {
        return vocab;
    }

    @Override
    public int maxPositionEmbeddings() {
        return maxPositions;
    }

    @Override
    public void close() {
        manager.close();
    }
}
