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
public final class FalconModel implements CausalLm {
    private final NDManager manager;
    private final DataType dataType;
    private final int vocab;
    private final int maxPositions;
    private final boolean parallel;
    private final Linear embedding;
    private final Layer[] layers;
    private final Norm finalNorm;
    private final Linear lmHead;
    private final RotaryEmbedding rotary;
    private final ClassicArchSupport.FusedQkvAttention attention;
    private final UnaryOperator<NDArray> activation;

    /** {@code mlpNorm} is null when the MLP reads the attention norm's output (one shared LayerNorm). */
    private record Layer(Norm attnNorm, Norm mlpNorm, Linear qkv, Linear out, Linear up, Linear down) {}

    public FalconModel(ModelConfig config, WeightStore weights, NDManager parent, DataType dataType) {
        this.manager = parent.newSubManager();
        this.dataType = dataType;
        try {
            if (config.optBoolean("alibi", false)) {
                throw new ModelFormatException(config.file() + ": falcon with 'alibi': true (the Falcon-RW layout) is "
                        + "not supported: only rotary Falcon models (alibi false, e.g. Falcon-7B/40B/180B) are "
                        + "implemented. Use MPT for an ALiBi model.");
            }
            int hidden = config.requirePositiveInt("hidden_size");
            int layerCount = ClassicArchSupport.positiveInt(config, "num_hidden_layers", "n_layer");
            int heads = ClassicArchSupport.positiveInt(config, "num_attention_heads", "n_head");
            if (hidden % heads != 0) {
                throw config.invalid("num_attention_heads", config.node("num_attention_heads"),
                        "a divisor of hidden_size (" + hidden + ")");
            }
            int headDim = hidden / heads;
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
            vocab = config.requirePositiveInt("vocab_size");
            maxPositions = config.optInt("max_position_embeddings", 0);
            double eps = config.optDouble("layer_norm_epsilon", 1e-5);
            int ffn = config.optInt("ffn_hidden_size", 4 * hidden);
            activation = Activations.byName(config.optString("activation", "gelu"), config.file().toString());
            boolean parallelAttn = config.optBoolean("parallel_attn", true);
            int lnInParallel = config.optInt("num_ln_in_parallel_attn", newDecoder ? 2 : 1);
            parallel = newDecoder || parallelAttn;
            boolean twoNorms = parallelAttn && lnInParallel == 2;

            rotary = new RotaryEmbedding(headDim, headDim, RopeScaling.inverseFrequencies(config, headDim),
                    RotaryEmbedding.Style.ROTATE_HALF, manager, dataType);
            attention = new ClassicArchSupport.FusedQkvAttention(heads, kvHeads, headDim,
                    (float) (1.0 / Math.sqrt(headDim)), rotary);

            NDArray table = weights.load("transformer.word_embeddings.weight", manager, dataType, vocab, hidden);
            long qkvRows = (long) (heads + 2 * kvHeads) * headDim;
            layers = new Layer[layerCount];
            for (int i = 0; i < layerCount; i++) {
                String p = "transformer.h." + i + ".";
                String qkvName = p + "self_attention.query_key_value.";
                NDArray qkvWeight = weights.load(qkvName + "weight", manager, dataType, qkvRows, hidden);
                NDArray qkvBias = bias ? weights.load(qkvName + "bias", manager, dataType, qkvRows) : null;
                if (newDecoder) {
                    qkvWeight = ClassicArchSupport.groupedToBlocks(qkvWeight, kvHeads, heads / kvHeads, headDim);
                    qkvBias = qkvBias == null ? null
                            : ClassicArchSupport.groupedToBlocks(qkvBias, kvHeads, heads / kvHeads, headDim);
                } else if (!multiQuery) {
                    qkvWeight = ClassicArchSupport.perHeadToBlocks(qkvWeight, heads, headDim);
                    qkvBias = qkvBias == null ? null : ClassicArchSupport.perHeadToBlocks(qkvBias, heads, headDim);
                }
                Norm attnNorm;
                Norm mlpNorm;
                if (twoNorms) {
                    attnNorm = layerNorm(weights, p + "ln_attn", hidden, eps);
                    mlpNorm = layerNorm(weights, p + "ln_mlp", hidden, eps);
                } else {
                    attnNorm = layerNorm(weights, p + "input_layernorm", hidden, eps);
                    mlpNorm = parallelAttn ? null : layerNorm(weights, p + "post_attention_layernorm", hidden, eps);
                }
                layers[i] = new Layer(attnNorm, mlpNorm, new Linear(qkvWeight, qkvBias),
                        linear(weights, p + "self_attention.dense", hidden, heads * headDim, bias),
                        linear(weights, p + "mlp.dense_h_to_4h", ffn, hidden, bias),
                        linear(weights, p + "mlp.dense_4h_to_h", hidden, ffn, bias));
            }
            finalNorm = layerNorm(weights, "transformer.ln_f", hidden, eps);
            boolean tied = config.optBoolean("tie_word_embeddings", true) || !weights.contains("lm_head.weight");
            lmHead = new Linear(tied ? table : weights.load("lm_head.weight", manager, dataType, vocab, hidden),
                    null);
            embedding = tied ? lmHead : Linear.table(table); // tied: one matrix serves both
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    private Norm layerNorm(WeightStore weights, String name, int hidden, double eps) {
        return Norm.layer(weights.load(name + ".weight", manager, dataType, hidden),
                weights.load(name + ".bias", manager, dataType, hidden), eps);
    }

    private Linear linear(WeightStore weights, String name, int out, int in, boolean bias) {
        return new Linear(weights.load(name + ".weight", manager, dataType, out, in),
                bias ? weights.load(name + ".bias", manager, dataType, out) : null);
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
            NDArray attnIn = layer.attnNorm.apply(x);
            NDArray attn = layer.out.apply(attention.apply(layer.qkv.apply(attnIn), n, rope, cache, l, mask));
            if (parallel) {
                NDArray mlpIn = layer.mlpNorm == null ? attnIn : layer.mlpNorm.apply(x);
                x = x.add(attn).add(layer.down.apply(activation.apply(layer.up.apply(mlpIn))));
            } else {
                x = x.add(attn);
                x = x.add(layer.down.apply(activation.apply(layer.up.apply(layer.mlpNorm.apply(x)))));
            }
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
