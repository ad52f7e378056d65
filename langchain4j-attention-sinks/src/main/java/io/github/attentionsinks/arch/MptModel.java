package io.github.attentionsinks.arch;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import io.github.attentionsinks.cache.KeyShifter;
import io.github.attentionsinks.cache.SinkCache;
import io.github.attentionsinks.config.ModelConfig;
import io.github.attentionsinks.config.ModelFormatException;
import io.github.attentionsinks.nn.Activations;
import io.github.attentionsinks.nn.Attention;
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
public final class MptModel implements CausalLm {
    private static final Logger log = LoggerFactory.getLogger(MptModel.class);

    private final NDManager manager;
    private final DataType dataType;
    private final int heads;
    private final int vocab;
    private final int maxPositions;
    private final float clipQkv;
    private final Linear embedding;
    private final NDArray slopes;
    private final Layer[] layers;
    private final Norm finalNorm;
    private final Linear lmHead;
    private final ClassicArchSupport.FusedQkvAttention attention;

    private record Layer(Norm attnNorm, Linear qkv, Linear out, Norm mlpNorm, Linear up, Linear down) {}

    public MptModel(ModelConfig config, WeightStore weights, NDManager parent, DataType dataType) {
        this.manager = parent.newSubManager();
        this.dataType = dataType;
        try {
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
            int hidden = config.requirePositiveInt("d_model");
            int layerCount = config.requirePositiveInt("n_layers");
            heads = config.requirePositiveInt("n_heads");
            if (hidden % heads != 0) {
                throw config.invalid("n_heads", config.node("n_heads"), "a divisor of d_model (" + hidden + ")");
            }
            int headDim = hidden / heads;
            int ffn = config.optInt("expansion_ratio", 4) * hidden;
            vocab = config.requirePositiveInt("vocab_size");
            maxPositions = config.optInt("max_seq_len", 0);
            double eps = config.optDouble("layer_norm_epsilon", 1e-5);
            JsonNode clip = attn.path("clip_qkv");
            clipQkv = clip.isNumber() ? clip.floatValue() : 0f;
            JsonNode softmaxScale = attn.path("softmax_scale");
            float scale = softmaxScale.isNumber() ? softmaxScale.floatValue() : (float) (1.0 / Math.sqrt(headDim));
            double biasMax = attn.path("alibi_bias_max").isNumber() ? attn.get("alibi_bias_max").doubleValue() : 8.0;
            slopes = manager.create(alibiSlopes(heads, biasMax), new Shape(heads, 1, 1));
            attention = new ClassicArchSupport.FusedQkvAttention(heads, heads, headDim, scale, null);
            if (config.has("logit_scale")) {
                log.warn("{}: logit_scale is ignored, as Hugging Face transformers does for mpt", config.file());
            }

            NDArray table = weights.load("transformer.wte.weight", manager, dataType, vocab, hidden);
            layers = new Layer[layerCount];
            for (int i = 0; i < layerCount; i++) {
                String p = "transformer.blocks." + i + ".";
                if (i == 0 && weights.contains(p + "attn.Wqkv.bias")) {
                    log.warn("{}: mpt bias tensors are ignored, as Hugging Face transformers does", config.file());
                }
                layers[i] = new Layer(norm(weights, p + "norm_1.weight", hidden, eps),
                        new Linear(weights.load(p + "attn.Wqkv.weight", manager, dataType, 3L * hidden, hidden), null),
                        new Linear(weights.load(p + "attn.out_proj.weight", manager, dataType, hidden, hidden), null),
                        norm(weights, p + "norm_2.weight", hidden, eps),
                        new Linear(weights.load(p + "ffn.up_proj.weight", manager, dataType, ffn, hidden), null),
                        new Linear(weights.load(p + "ffn.down_proj.weight", manager, dataType, hidden, ffn), null));
            }
            finalNorm = norm(weights, "transformer.norm_f.weight", hidden, eps);
            boolean tied = config.optBoolean("tie_word_embeddings", true) || !weights.contains("lm_head.weight");
            lmHead = new Linear(tied ? table : weights.load("lm_head.weight", manager, dataType, vocab, hidden),
                    null);
            embedding = tied ? lmHead : Linear.table(table); // tied: one matrix serves both
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    private Norm norm(WeightStore weights, String name, int hidden, double eps) {
        // HF drops the LayerNorm bias for mpt whatever no_bias says.
        return Norm.layer(weights.load(name, manager, dataType, hidden), null, eps);
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

    /**
     * The additive ALiBi bias {@code [heads, 1, n, keys]}: {@code slope_h · (j − (L + i))} for query i at cache index
     * L + i and key j, plus the causal mask when a step feeds several tokens. Size depends on the cache, not the
     * stream.
     */
    private NDArray alibiBias(NDManager step, int n, int cacheLengthBefore) {
        int keys = cacheLengthBefore + n;
        NDArray keyIndex = step.arange(0f, (float) keys).reshape(1, 1, keys);
        NDArray queryIndex = step.arange((float) cacheLengthBefore, (float) keys).reshape(1, n, 1);
        NDArray bias = keyIndex.sub(queryIndex).mul(slopes);
        if (n > 1) {
            bias = bias.add(Attention.causalMask(step, n, cacheLengthBefore, 0));
        }
        if (dataType != DataType.FLOAT32) {
            bias = bias.toType(dataType, false);
        }
        return bias.reshape(heads, 1, n, keys);
    }

    @Override
    public NDArray forward(NDManager step, int[] tokenIds, SinkCache.Step cache, boolean allPositions) {
        int n = tokenIds.length;
        NDArray ids = step.create(tokenIds).toType(DataType.INT64, false);
        NDArray x = embedding.rows(ids, dataType);
        NDArray bias = alibiBias(step, n, cache.cacheLengthBefore());
        for (int l = 0; l < layers.length; l++) {
            Layer layer = layers[l];
            NDArray qkv = layer.qkv.apply(layer.attnNorm.apply(x));
            if (clipQkv > 0) {
                qkv = qkv.clip(-clipQkv, clipQkv);
            }
            x = x.add(layer.out.apply(attention.apply(qkv, n, null, cache, l, bias)));
            x = x.add(layer.down.apply(Activations.geluExact(layer.up.apply(layer.mlpNorm.apply(x)))));
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
        return KeyShifter.IDENTITY;
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
