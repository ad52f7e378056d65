package io.github.attentionsinks.arch;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.github.attentionsinks.cache.KeyShifter;
import io.github.attentionsinks.cache.SinkCache;
import io.github.attentionsinks.config.ModelConfig;
import io.github.attentionsinks.nn.Activations;
import io.github.attentionsinks.nn.Attention;
import io.github.attentionsinks.nn.Linear;
import io.github.attentionsinks.nn.Norm;
import io.github.attentionsinks.nn.RotaryEmbedding;
import io.github.attentionsinks.weights.WeightStore;
import java.util.function.UnaryOperator;

/**
 * {@code gpt_neox}: Pythia, GPT-NeoX-20B, RedPajama-INCITE, StableLM-alpha. LayerNorm with bias, fused per-head
 * {@code query_key_value} (re-ordered to [Q; K; V] at load), rotate-half RoPE on the first
 * {@code rotary_pct·head_dim} dims only, GELU MLP, and the parallel residual
 * {@code x + attn(ln_in(x)) + mlp(ln_post(x))} or, with {@code use_parallel_residual: false}, the sequential one.
 */
public final class GptNeoXModel implements CausalLm {
    private final NDManager manager;
    private final DataType dataType;
    private final int vocab;
    private final int maxPositions;
    private final boolean parallelResidual;
    private final Linear embedding;
    private final Layer[] layers;
    private final Norm finalNorm;
    private final Linear lmHead;
    private final RotaryEmbedding rotary;
    private final ClassicArchSupport.FusedQkvAttention attention;
    private final UnaryOperator<NDArray> activation;

    private record Layer(Norm inputNorm, Linear qkv, Linear out, Norm postNorm, Linear up, Linear down) {}

    public GptNeoXModel(ModelConfig config, WeightStore weights, NDManager parent, DataType dataType) {
        this.manager = parent.newSubManager();
        this.dataType = dataType;
        try {
            int hidden = config.requirePositiveInt("hidden_size");
            int layerCount = config.requirePositiveInt("num_hidden_layers");
            int heads = config.requirePositiveInt("num_attention_heads");
            if (hidden % heads != 0) {
                throw config.invalid("num_attention_heads", config.node("num_attention_heads"),
                        "a divisor of hidden_size (" + hidden + ")");
            }
            int headDim = hidden / heads;
            int intermediate = config.requirePositiveInt("intermediate_size");
            vocab = config.requirePositiveInt("vocab_size");
            maxPositions = config.optInt("max_position_embeddings", 0);
            double eps = config.optDouble("layer_norm_eps", 1e-5);
            parallelResidual = config.optBoolean("use_parallel_residual", true);
            boolean attentionBias = config.optBoolean("attention_bias", true);
            activation = Activations.byName(config.optString("hidden_act", "gelu"), config.file().toString());

            String pctField = config.has("rotary_pct") ? "rotary_pct" : "partial_rotary_factor";
            double pct = config.optDouble(pctField, 1.0);
            // HF: int(head_size * rotary_pct)
            int rotaryDim = (int) (headDim * pct);
            if (pct <= 0 || pct > 1 || rotaryDim % 2 != 0) {
                throw config.invalid(pctField, config.node(pctField),
                        "a fraction in (0, 1] giving an even number of rotary dims of head_dim " + headDim);
            }
            double base = config.has("rope_theta") ? config.requireDouble("rope_theta")
                    : config.optDouble("rotary_emb_base", 10000.0);
            rotary = new RotaryEmbedding(headDim, rotaryDim,
                    ClassicArchSupport.inverseFrequencies(config, rotaryDim, base), RotaryEmbedding.Style.ROTATE_HALF,
                    manager, dataType);
            attention = new ClassicArchSupport.FusedQkvAttention(heads, heads, headDim,
                    (float) (1.0 / Math.sqrt(headDim)), rotary);

            NDArray table = weights.load("gpt_neox.embed_in.weight", manager, dataType, vocab, hidden);
            layers = new Layer[layerCount];
            for (int i = 0; i < layerCount; i++) {
                String p = "gpt_neox.layers." + i + ".";
                NDArray qkvWeight = ClassicArchSupport.perHeadToBlocks(weights.load(
                        p + "attention.query_key_value.weight", manager, dataType, 3L * hidden, hidden), heads, headDim);
                NDArray qkvBias = !attentionBias ? null : ClassicArchSupport.perHeadToBlocks(weights.load(
                        p + "attention.query_key_value.bias", manager, dataType, 3L * hidden), heads, headDim);
                layers[i] = new Layer(
                        layerNorm(weights, p + "input_layernorm", hidden, eps),
                        new Linear(qkvWeight, qkvBias),
                        new Linear(weights.load(p + "attention.dense.weight", manager, dataType, hidden, hidden),
                                attentionBias ? weights.load(p + "attention.dense.bias", manager, dataType, hidden)
                                        : null),
                        layerNorm(weights, p + "post_attention_layernorm", hidden, eps),
                        new Linear(weights.load(p + "mlp.dense_h_to_4h.weight", manager, dataType, intermediate, hidden),
                                weights.load(p + "mlp.dense_h_to_4h.bias", manager, dataType, intermediate)),
                        new Linear(weights.load(p + "mlp.dense_4h_to_h.weight", manager, dataType, hidden, intermediate),
                                weights.load(p + "mlp.dense_4h_to_h.bias", manager, dataType, hidden)));
            }
            finalNorm = layerNorm(weights, "gpt_neox.final_layer_norm", hidden, eps);
            boolean tied = config.optBoolean("tie_word_embeddings", false) || !weights.contains("embed_out.weight");
            lmHead = new Linear(tied ? table : weights.load("embed_out.weight", manager, dataType, vocab, hidden),
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
            NDArray attn = layer.out.apply(attention.apply(layer.qkv.apply(layer.inputNorm.apply(x)), n, rope, cache,
                    l, mask));
            if (parallelResidual) {
                NDArray mlp = layer.down.apply(activation.apply(layer.up.apply(layer.postNorm.apply(x))));
                x = x.add(attn).add(mlp);
            } else {
                x = x.add(attn);
                x = x.add(layer.down.apply(activation.apply(layer.up.apply(layer.postNorm.apply(x)))));
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
