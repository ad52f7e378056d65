package io.github.attentionsinks.arch;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.github.attentionsinks.cache.KeyShifter;
import io.github.attentionsinks.cache.SinkCache;
import io.github.attentionsinks.config.ModelConfig;
import io.github.attentionsinks.nn.Activations;
import io.github.attentionsinks.nn.Attention;
import io.github.attentionsinks.nn.Embedding;
import io.github.attentionsinks.nn.Linear;
import io.github.attentionsinks.nn.Norm;
import io.github.attentionsinks.weights.WeightStore;
import java.util.function.UnaryOperator;

/**
 * {@code gpt2}: GPT-2 and DistilGPT-2. Learned absolute position embeddings {@code wpe} added to the token
 * embeddings, {@code Conv1D} weights stored {@code [in, out]} (transposed once at load), fused {@code c_attn}
 * columns {@code [q | k | v]}, sequential pre-LayerNorm blocks, tied {@code lm_head}.
 *
 * <p><b>Dense mode only.</b> Every key and value already contains its token's absolute position, so the sink cache
 * cannot re-assign positions; {@link #positionReassignmentUnsupportedReason()} makes {@code sinks} and
 * {@code windowed} sessions fail at creation. The stream also ends at {@code n_positions} tokens.
 */
public final class Gpt2Model implements CausalLm {
    private final NDManager manager;
    private final DataType dataType;
    private final int vocab;
    private final int maxPositions;
    private final Linear tokenEmbedding;
    private final NDArray positionEmbedding;
    private final Layer[] layers;
    private final Norm finalNorm;
    private final Linear lmHead;
    private final UnaryOperator<NDArray> activation;
    private final int heads;
    private final int headDim;

    private record Layer(Norm attnNorm, Linear qkv, Linear out, Norm mlpNorm, Linear up, Linear down,
            ClassicArchSupport.FusedQkvAttention attention) {}

    public Gpt2Model(ModelConfig config, WeightStore weights, NDManager parent, DataType dataType) {
        this.manager = parent.newSubManager();
        this.dataType = dataType;
        try {
            int hidden = config.requirePositiveInt("n_embd");
            int layerCount = config.requirePositiveInt("n_layer");
            heads = config.requirePositiveInt("n_head");
            if (hidden % heads != 0) {
                throw config.invalid("n_head", config.node("n_head"), "a divisor of n_embd (" + hidden + ")");
            }
            headDim = hidden / heads;
            int inner = config.optInt("n_inner", 4 * hidden);
            vocab = config.requirePositiveInt("vocab_size");
            maxPositions = config.requirePositiveInt("n_positions");
            double eps = config.optDouble("layer_norm_epsilon", 1e-5);
            activation = Activations.byName(config.optString("activation_function", "gelu_new"),
                    config.file().toString());
            boolean scaleByHeadDim = config.optBoolean("scale_attn_weights", true);
            boolean scaleByLayer = config.optBoolean("scale_attn_by_inverse_layer_idx", false);
            // Checkpoints saved from GPT2Model (e.g. the original "gpt2") have no "transformer." prefix.
            String root = weights.contains("transformer.wte.weight") || !weights.contains("wte.weight")
                    ? "transformer." : "";

            NDArray table = weights.load(root + "wte.weight", manager, dataType, vocab, hidden);
            positionEmbedding = weights.load(root + "wpe.weight", manager, dataType, maxPositions, hidden);
            layers = new Layer[layerCount];
            for (int i = 0; i < layerCount; i++) {
                String p = root + "h." + i + ".";
                float scale = (float) ((scaleByHeadDim ? 1.0 / Math.sqrt(headDim) : 1.0)
                        / (scaleByLayer ? i + 1 : 1));
                layers[i] = new Layer(norm(weights, p + "ln_1", hidden, eps),
                        conv1d(weights, p + "attn.c_attn", hidden, 3 * hidden),
                        conv1d(weights, p + "attn.c_proj", hidden, hidden),
                        norm(weights, p + "ln_2", hidden, eps),
                        conv1d(weights, p + "mlp.c_fc", hidden, inner),
                        conv1d(weights, p + "mlp.c_proj", inner, hidden),
                        new ClassicArchSupport.FusedQkvAttention(heads, heads, headDim, scale, null));
            }
            finalNorm = norm(weights, root + "ln_f", hidden, eps);
            boolean tied = config.optBoolean("tie_word_embeddings", true) || !weights.contains("lm_head.weight");
            lmHead = new Linear(tied ? table
                    : weights.load("lm_head.weight", manager, dataType, vocab, hidden), null);
            tokenEmbedding = tied ? lmHead : Linear.table(table); // tied: one matrix serves both
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    private Norm norm(WeightStore weights, String name, int hidden, double eps) {
        return Norm.layer(weights.load(name + ".weight", manager, dataType, hidden),
                weights.load(name + ".bias", manager, dataType, hidden), eps);
    }

    private Linear conv1d(WeightStore weights, String name, int in, int out) {
        return Linear.fromInOut(weights.load(name + ".weight", manager, dataType, in, out),
                weights.load(name + ".bias", manager, dataType, out));
    }

    @Override
    public String positionReassignmentUnsupportedReason() {
        return "GPT-2 adds learned absolute position embeddings (wpe) to the token embeddings before the first layer, "
                + "so every cached key and value already contains its token's position. The sink cache would have to "
                + "move tokens to new positions, which needs recomputing them from tokens it has evicted; and "
                + "positions past n_positions (" + maxPositions + ") have no embedding at all.";
    }

    @Override
    public NDArray forward(NDManager step, int[] tokenIds, SinkCache.Step cache, boolean allPositions) {
        int n = tokenIds.length;
        long start = cache.streamPosition();
        if (start + n > maxPositions) {
            throw new IllegalStateException("gpt2 has learned position embeddings for " + maxPositions
                    + " positions (n_positions) only; this step needs positions " + start + ".." + (start + n - 1)
                    + ". Start a new session (or reset()) to continue.");
        }
        NDArray ids = step.create(tokenIds).toType(DataType.INT64, false);
        NDArray positions = step.arange((int) start, (int) start + n, 1, DataType.INT64);
        NDArray x = tokenEmbedding.rows(ids, dataType)
                .add(Embedding.lookup(positions, positionEmbedding, dataType));
        NDArray mask = n == 1 ? null
                : Attention.causalMask(step, n, cache.cacheLengthBefore(), 0).toType(dataType, false);
        for (int l = 0; l < layers.length; l++) {
            Layer layer = layers[l];
            NDArray qkv = layer.qkv.apply(layer.attnNorm.apply(x));
            x = x.add(layer.out.apply(layer.attention.apply(qkv, n, null, cache, l, mask)));
            x = x.add(layer.down.apply(activation.apply(layer.up.apply(layer.mlpNorm.apply(x)))));
        }
        x = ClassicArchSupport.lastRowUnless(allPositions, x, n);
        return lmHead.apply(finalNorm.apply(x));
    }

    @Override
    public CacheShape cacheShape() {
        return new CacheShape(layers.length, heads, headDim);
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
