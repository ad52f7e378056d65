package io.github.attentionsinks.arch;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.github.attentionsinks.config.ModelConfig;
import io.github.attentionsinks.config.ModelFormatException;
import io.github.attentionsinks.nn.Linear;
import io.github.attentionsinks.nn.Norm;
import io.github.attentionsinks.nn.RotaryEmbedding;
import io.github.attentionsinks.weights.WeightStore;

/**
 * Loading helpers shared by the {@link PreNormDecoder} architectures: shape-checked tensors in the model's
 * manager, fused projections, norms, the embedding and lm_head, and the decoder's dimensions ({@link DecoderShape}).
 */
final class DecoderWeights {
    private final ModelConfig config;
    private final WeightStore weights;
    private final NDManager manager;
    private final DataType dataType;

    final int hidden;
    final int layers;
    final int heads;
    final int kvHeads;
    final int headDim;
    final int intermediate;
    final int vocab;
    final int maxPositions;

    /** For configs with Hugging Face's field names, {@code intermediate_size} included. */
    DecoderWeights(ModelConfig config, WeightStore weights, NDManager manager, DataType dataType) {
        this(config, weights, manager, dataType, DecoderShape.read(config, DecoderShape.HUGGING_FACE),
                config.requirePositiveInt("intermediate_size"));
    }

    /** For a shape read under another family's field names, and the MLP width that family gives. */
    DecoderWeights(ModelConfig config, WeightStore weights, NDManager manager, DataType dataType, DecoderShape shape,
            int intermediate) {
        this.config = config;
        this.weights = weights;
        this.manager = manager;
        this.dataType = dataType;
        hidden = shape.hidden();
        layers = shape.layers();
        heads = shape.heads();
        kvHeads = shape.kvHeads();
        headDim = shape.headDim();
        this.intermediate = intermediate;
        vocab = shape.vocab();
        maxPositions = shape.maxPositions();
    }

    ModelConfig config() {
        return config;
    }

    /** A spec with the shared dimensions and scale 1/sqrt(headDim); positions, blocks and layers are the caller's. */
    PreNormDecoder.Spec plainSpec() {
        PreNormDecoder.Spec spec = new PreNormDecoder.Spec();
        spec.heads = heads;
        spec.kvHeads = kvHeads;
        spec.headDim = headDim;
        spec.vocab = vocab;
        spec.maxPositions = maxPositions;
        spec.intermediate = intermediate;
        spec.attentionScale = (float) (1.0 / Math.sqrt(headDim));
        spec.layers = new PreNormDecoder.Layer[layers];
        return spec;
    }

    /** {@link #plainSpec()} with rotate-half RoPE over {@code rotaryDim} ({@code rope_theta}, any rope scaling). */
    PreNormDecoder.Spec baseSpec(int rotaryDim) {
        PreNormDecoder.Spec spec = plainSpec();
        spec.rotary = new RotaryEmbedding(headDim, rotaryDim, RopeScaling.inverseFrequencies(config, rotaryDim),
                RotaryEmbedding.Style.ROTATE_HALF, manager, dataType);
        spec.dynamicRope = RopeScaling.dynamicNtk(config, rotaryDim);
        return spec;
    }

    /** Rotary width from {@code partial_rotary_factor} (1 when absent), as HF computes it: int(headDim·factor). */
    int rotaryDim() {
        double factor = config.optDouble("partial_rotary_factor", 1.0);
        int dim = (int) (headDim * factor);
        if (factor <= 0 || factor > 1 || dim % 2 != 0 || dim == 0) {
            throw config.invalid("partial_rotary_factor", config.node("partial_rotary_factor"),
                    "a factor in (0, 1] that gives an even rotary width of head_dim " + headDim);
        }
        return dim;
    }

    NDArray tensor(String name, long... shape) {
        return weights.load(name, manager, dataType, shape);
    }

    boolean contains(String name) {
        return weights.contains(name);
    }

    /** Loads {@code name} if present, else null (optional biases). */
    NDArray optional(String name, long... shape) {
        return weights.contains(name) ? tensor(name, shape) : null;
    }

    /** {@code prefix.weight} [out, in] and, if {@code bias}, {@code prefix.bias} [out]. */
    Linear linear(String prefix, long out, long in, boolean bias) {
        return new Linear(tensor(prefix + ".weight", out, in), bias ? tensor(prefix + ".bias", out) : null);
    }

    /** Separate q/k/v projections fused into one [q; k; v] matrix (and bias) along the output axis. */
    Linear fusedQkv(String attentionPrefix, boolean bias) {
        String p = attentionPrefix;
        int q = heads * headDim;
        int kv = kvHeads * headDim;
        NDArray w = fuse(tensor(p + "q_proj.weight", q, hidden), tensor(p + "k_proj.weight", kv, hidden),
                tensor(p + "v_proj.weight", kv, hidden));
        NDArray b = !bias ? null
                : fuse(tensor(p + "q_proj.bias", q), tensor(p + "k_proj.bias", kv), tensor(p + "v_proj.bias", kv));
        return new Linear(w, b);
    }

    /** Separate gate and up projections fused into one [gate; up] matrix. */
    Linear fusedGateUp(String mlpPrefix, boolean bias) {
        NDArray w = fuse(tensor(mlpPrefix + "gate_proj.weight", intermediate, hidden),
                tensor(mlpPrefix + "up_proj.weight", intermediate, hidden));
        NDArray b = !bias ? null
                : fuse(tensor(mlpPrefix + "gate_proj.bias", intermediate), tensor(mlpPrefix + "up_proj.bias", intermediate));
        return new Linear(w, b);
    }

    /** RMSNorm over {@code size} with weight {@code name}. */
    Norm rms(String name, int size, double eps) {
        return Norm.rms(tensor(name, size), eps);
    }

    /** Gemma's RMSNorm, {@code x/rms(x)·(1 + w)}: the shifted weight is computed once here. */
    Norm rmsOnePlus(String name, int size, double eps) {
        NDArray w = tensor(name, size);
        NDArray shifted = w.add(1f); // out of place: loaded weights may be memory-mapped
        w.close();
        return Norm.rms(shifted, eps);
    }

    /** LayerNorm with {@code prefix.weight} and {@code prefix.bias}. */
    Norm layerNorm(String prefix, int size, double eps) {
        return Norm.layer(tensor(prefix + ".weight", size), tensor(prefix + ".bias", size), eps);
    }

    /**
     * Sets {@code spec.embedding} ({@code model.embed_tokens.weight}) and {@code spec.lmHead}: the embedding when tied
     * (or when there is no {@code lm_head.weight}), with {@code lm_head.bias} if {@code bias}. Tied, one
     * {@link Linear} owns the matrix and serves as both.
     */
    void embeddingAndLmHead(PreNormDecoder.Spec spec, boolean tied, boolean bias) {
        NDArray table = tensor("model.embed_tokens.weight", vocab, hidden);
        embeddingAndLmHead(spec, table, tied, "lm_head.weight", bias ? tensor("lm_head.bias", vocab) : null);
    }

    /**
     * Sets {@code spec.embedding} to {@code table} and {@code spec.lmHead}: the table when tied (or when there is no
     * {@code lmHeadName} tensor), else that tensor; either with {@code lmHeadBias} (null for none).
     */
    void embeddingAndLmHead(PreNormDecoder.Spec spec, NDArray table, boolean tied, String lmHeadName,
            NDArray lmHeadBias) {
        if (tied || !weights.contains(lmHeadName)) {
            Linear tiedHead = new Linear(table, lmHeadBias);
            spec.lmHead = tiedHead;
            spec.embedding = tiedHead;
        } else {
            spec.embedding = Linear.table(table);
            spec.lmHead = new Linear(tensor(lmHeadName, vocab, hidden), lmHeadBias);
        }
    }

    /** Refuses a boolean feature this build does not implement, naming the field and the fix. */
    void refuse(String field, boolean unsupportedValue, String why) {
        if (config.has(field) && config.optBoolean(field, !unsupportedValue) == unsupportedValue) {
            throw new ModelFormatException(config.file() + ": " + field + " = " + unsupportedValue + " is not supported for "
                    + config.modelType() + " (" + why + ")");
        }
    }

    /** Concatenates matrices (or biases) along the output axis and frees the parts. */
    static NDArray fuse(NDArray... parts) {
        NDArray fused = NDArrays.concat(new NDList(parts), 0);
        for (NDArray part : parts) {
            part.close();
        }
        return fused;
    }
}
