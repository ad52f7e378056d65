package io.github.attentionsinks.arch;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import io.github.attentionsinks.cache.KeyShifter;
import io.github.attentionsinks.cache.SinkCache;
import io.github.attentionsinks.config.ModelConfig;
import io.github.attentionsinks.nn.Activations;
import io.github.attentionsinks.nn.Attention;
import io.github.attentionsinks.nn.Linear;
import io.github.attentionsinks.nn.Norm;
import io.github.attentionsinks.nn.RotaryEmbedding;
import io.github.attentionsinks.nn.Slices;
import io.github.attentionsinks.weights.WeightStore;
import java.util.function.UnaryOperator;

/**
 * The Llama family: {@code llama} (also Yi, TinyLlama, SmolLM), {@code mistral} and {@code qwen2} (q/k/v bias).
 * Pre-norm RMSNorm, grouped-query attention with rotate-half RoPE (rope_scaling linear, llama3 or dynamic NTK),
 * SwiGLU MLP, tied or separate lm_head.
 *
 * <p>q/k/v and gate/up projections are fused into one matrix each at load time: fewer, larger ops per token.
 */
public final class LlamaModel implements CausalLm {
    private final NDManager manager;
    private final int heads;
    private final int kvHeads;
    private final int headDim;
    private final int intermediate;
    private final int vocab;
    private final int maxPositions;
    private final NDArray scale;
    private final NDArray embedding;
    private final Layer[] layers;
    private final Norm finalNorm;
    private final Linear lmHead;
    private final RotaryEmbedding rotary;
    private final RopeScaling.DynamicNtk dynamicRope;
    private final UnaryOperator<NDArray> activation;
    private final DataType dataType;

    private final NDIndex qkSlice;
    private final NDIndex qSlice;
    private final NDIndex kSlice;
    private final NDIndex vSlice;
    private final NDIndex gateSlice;
    private final NDIndex upSlice;

    private record Layer(Norm inputNorm, Linear qkv, Linear out, Norm postNorm, Linear gateUp, Linear down) {}

    public LlamaModel(ModelConfig config, WeightStore weights, NDManager parent, DataType dataType) {
        this.manager = parent.newSubManager();
        this.dataType = dataType;
        try {
            int hidden = config.requirePositiveInt("hidden_size");
            int layerCount = config.requirePositiveInt("num_hidden_layers");
            heads = config.requirePositiveInt("num_attention_heads");
            kvHeads = config.optInt("num_key_value_heads", heads);
            if (kvHeads <= 0 || heads % kvHeads != 0) {
                throw config.invalid("num_key_value_heads", config.node("num_key_value_heads"),
                        "a positive divisor of num_attention_heads (" + heads + ")");
            }
            headDim = config.has("head_dim") ? config.requirePositiveInt("head_dim") : hidden / heads;
            intermediate = config.requirePositiveInt("intermediate_size");
            vocab = config.requirePositiveInt("vocab_size");
            maxPositions = config.optInt("max_position_embeddings", 0);
            double eps = config.optDouble("rms_norm_eps", 1e-6);
            scale = manager.create((float) (1.0 / Math.sqrt(headDim))).toType(dataType, false);
            String type = config.modelType();
            boolean qkvBias = type.equals("qwen2") || config.optBoolean("attention_bias", false);
            boolean mlpBias = config.optBoolean("mlp_bias", false);
            activation = Activations.byName(config.optString("hidden_act", "silu"), config.file().toString());
            qkSlice = Slices.middle(0, heads + kvHeads);
            qSlice = Slices.middle(0, heads);
            kSlice = Slices.middle(heads, heads + kvHeads);
            vSlice = Slices.middle(heads + kvHeads, heads + 2L * kvHeads);
            gateSlice = Slices.columns(0, intermediate);
            upSlice = Slices.columns(intermediate, 2L * intermediate);
            rotary = new RotaryEmbedding(headDim, headDim, RopeScaling.inverseFrequencies(config, headDim),
                    RotaryEmbedding.Style.ROTATE_HALF, manager, dataType);
            dynamicRope = RopeScaling.dynamicNtk(config, headDim);

            embedding = weights.load("model.embed_tokens.weight", manager, dataType, vocab, hidden);
            layers = new Layer[layerCount];
            int qRows = heads * headDim;
            int kvRows = kvHeads * headDim;
            for (int i = 0; i < layerCount; i++) {
                String p = "model.layers." + i + ".";
                NDArray qkvWeight = fuse(weights.load(p + "self_attn.q_proj.weight", manager, dataType, qRows, hidden),
                        weights.load(p + "self_attn.k_proj.weight", manager, dataType, kvRows, hidden),
                        weights.load(p + "self_attn.v_proj.weight", manager, dataType, kvRows, hidden));
                NDArray qkvBiasArray = !qkvBias ? null
                        : fuse(weights.load(p + "self_attn.q_proj.bias", manager, dataType, qRows),
                                weights.load(p + "self_attn.k_proj.bias", manager, dataType, kvRows),
                                weights.load(p + "self_attn.v_proj.bias", manager, dataType, kvRows));
                Linear out = new Linear(weights.load(p + "self_attn.o_proj.weight", manager, dataType, hidden, qRows),
                        optionalBias(weights, p + "self_attn.o_proj.bias", config.optBoolean("attention_bias", false), hidden));
                NDArray gateUp = fuse(weights.load(p + "mlp.gate_proj.weight", manager, dataType, intermediate, hidden),
                        weights.load(p + "mlp.up_proj.weight", manager, dataType, intermediate, hidden));
                NDArray gateUpBias = !mlpBias ? null
                        : fuse(weights.load(p + "mlp.gate_proj.bias", manager, dataType, intermediate),
                                weights.load(p + "mlp.up_proj.bias", manager, dataType, intermediate));
                Linear down = new Linear(weights.load(p + "mlp.down_proj.weight", manager, dataType, hidden, intermediate),
                        optionalBias(weights, p + "mlp.down_proj.bias", mlpBias, hidden));
                layers[i] = new Layer(
                        Norm.rms(weights.load(p + "input_layernorm.weight", manager, dataType, hidden), eps),
                        new Linear(qkvWeight, qkvBiasArray), out,
                        Norm.rms(weights.load(p + "post_attention_layernorm.weight", manager, dataType, hidden), eps),
                        new Linear(gateUp, gateUpBias), down);
            }
            finalNorm = Norm.rms(weights.load("model.norm.weight", manager, dataType, hidden), eps);
            boolean tied = config.optBoolean("tie_word_embeddings", false) || !weights.contains("lm_head.weight");
            lmHead = new Linear(tied ? embedding : weights.load("lm_head.weight", manager, dataType, vocab, hidden), null);
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    private NDArray optionalBias(WeightStore weights, String name, boolean expected, int size) {
        return expected && weights.contains(name) ? weights.load(name, manager, dataType, size) : null;
    }

    /** Concatenates projection matrices along the output axis and frees the parts. */
    private static NDArray fuse(NDArray... parts) {
        NDArray fused = NDArrays.concat(new NDList(parts), 0);
        for (NDArray part : parts) {
            part.close();
        }
        return fused;
    }

    @Override
    public NDArray forward(NDManager step, int[] tokenIds, SinkCache.Step cache, boolean allPositions) {
        int n = tokenIds.length;
        NDArray ids = step.create(tokenIds).toType(DataType.INT64, false);
        NDArray x = JniUtils.embedding((PtNDArray) ids, (PtNDArray) embedding, false);
        NDArray[] rope = RopeScaling.tables(rotary, dynamicRope, step, cache, n);
        NDArray mask = n == 1 ? null
                : Attention.causalMask(step, n, cache.cacheLengthBefore(), 0).toType(dataType, false);
        for (int l = 0; l < layers.length; l++) {
            // Each layer's temporaries die with the layer: small managers stay cheap and memory is reused hot.
            try (NDManager scope = step.newSubManager()) {
                x.attach(scope);
                x = layer(l, x, n, rope, mask, cache);
                x.attach(step);
            }
        }
        if (!allPositions && n > 1) {
            x = x.get(Slices.rows(n - 1, n));
        }
        return lmHead.apply(finalNorm.apply(x));
    }

    private NDArray layer(int l, NDArray x, int n, NDArray[] rope, NDArray mask, SinkCache.Step cache) {
        Layer layer = layers[l];
        NDArray qkv = layer.qkv.apply(layer.inputNorm.apply(x)).reshape(n, heads + 2L * kvHeads, headDim);
        NDArray qk = rotary.apply(qkv.get(qkSlice), rope);
        NDArray q = qk.get(qSlice);
        NDArray k = qk.get(kSlice).transpose(1, 0, 2);
        NDArray v = qkv.get(vSlice).transpose(1, 0, 2);
        NDArray[] kv = cache.append(l, k, v);
        NDArray h = x.add(layer.out.apply(Attention.attend(q, kv[0], kv[1], scale, mask, 0f)));
        NDArray gateUp = layer.gateUp.apply(layer.postNorm.apply(h));
        NDArray mlp = activation.apply(gateUp.get(gateSlice)).mul(gateUp.get(upSlice));
        return h.add(layer.down.apply(mlp));
    }

    @Override
    public CacheShape cacheShape() {
        return new CacheShape(layers.length, kvHeads, headDim);
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
