package io.github.attentionsinks.arch;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.github.attentionsinks.nn.Linear;
import io.github.attentionsinks.nn.Norm;
import io.github.attentionsinks.weights.WeightStore;

/**
 * Loading helpers for the GPT-NeoX, Falcon, GPT-J, MPT and GPT-2 specs: shape-checked tensors in the model's
 * manager, and load-time re-layouts. Every fused projection is re-ordered once at load into
 * {@code [Q (heads); K (kvHeads); V (kvHeads)]} rows, the layout {@link PreNormDecoder} splits.
 */
final class ClassicArchSupport {
    private final WeightStore weights;
    private final NDManager manager;
    private final DataType dataType;

    ClassicArchSupport(WeightStore weights, NDManager manager, DataType dataType) {
        this.weights = weights;
        this.manager = manager;
        this.dataType = dataType;
    }

    NDArray tensor(String name, long... shape) {
        return weights.load(name, manager, dataType, shape);
    }

    boolean contains(String name) {
        return weights.contains(name);
    }

    /** {@code prefix.weight} [out, in] and, if {@code bias}, {@code prefix.bias} [out]. */
    Linear linear(String prefix, long out, long in, boolean bias) {
        return new Linear(tensor(prefix + ".weight", out, in), bias ? tensor(prefix + ".bias", out) : null);
    }

    /** LayerNorm with {@code prefix.weight} and {@code prefix.bias}. */
    Norm layerNorm(String prefix, int size, double eps) {
        return Norm.layer(tensor(prefix + ".weight", size), tensor(prefix + ".bias", size), eps);
    }

    /**
     * A spec with the shape's dimensions and scale 1/sqrt(headDim); the caller sets positions, blocks and layers.
     */
    static PreNormDecoder.Spec baseSpec(DecoderShape shape) {
        PreNormDecoder.Spec spec = new PreNormDecoder.Spec();
        spec.heads = shape.heads();
        spec.kvHeads = shape.kvHeads();
        spec.headDim = shape.headDim();
        spec.vocab = shape.vocab();
        spec.maxPositions = shape.maxPositions();
        spec.attentionScale = (float) (1.0 / Math.sqrt(shape.headDim()));
        spec.gatedMlp = false;
        spec.layers = new PreNormDecoder.Layer[shape.layers()];
        return spec;
    }

    /**
     * Sets {@code spec.embedding} and {@code spec.lmHead}: tied (or without an lm_head tensor) one {@link Linear} owns
     * the table and serves as both.
     *
     * @param lmHeadBias the lm_head's bias, or null
     */
    void embeddingAndLmHead(PreNormDecoder.Spec spec, NDArray table, boolean tied, String lmHeadName, NDArray lmHeadBias,
            int hidden) {
        if (tied || !weights.contains(lmHeadName)) {
            spec.lmHead = new Linear(table, lmHeadBias);
            spec.embedding = spec.lmHead;
        } else {
            spec.embedding = Linear.table(table);
            spec.lmHead = new Linear(tensor(lmHeadName, spec.vocab, hidden), lmHeadBias);
        }
    }

    /** A sequential or parallel layer without optional norms or sliding window. */
    static PreNormDecoder.Layer layer(Norm attentionNorm, Linear qkv, Linear out, Norm mlpNorm, Linear up,
            Linear down) {
        return new PreNormDecoder.Layer(attentionNorm, qkv, null, null, out, null, mlpNorm, up, down, null, 0);
    }

    /**
     * Re-orders a per-head fused projection ({@code [q_h, k_h, v_h]} for each head h, as in GPT-NeoX and old Falcon
     * without multi-query) into {@code [Q; K; V]}. Works for a weight {@code [heads·3·headDim, in]} and a bias
     * {@code [heads·3·headDim]}; frees the input.
     */
    static NDArray perHeadToBlocks(NDArray fused, int heads, int headDim) {
        Shape s = fused.getShape();
        boolean matrix = s.dimension() == 2;
        NDArray split = matrix ? fused.reshape(heads, 3, headDim, s.get(1)) : fused.reshape(heads, 3, headDim);
        NDArray swapped = matrix ? split.transpose(1, 0, 2, 3) : split.transpose(1, 0, 2);
        NDArray result = matrix ? swapped.reshape(3L * heads * headDim, s.get(1)) : swapped.reshape(3L * heads * headDim);
        swapped.close();
        split.close();
        fused.close();
        return result;
    }

    /**
     * Re-orders Falcon's grouped layout ({@code new_decoder_architecture}: for each KV group the group's query heads,
     * then its key, then its value) into {@code [Q; K; V]}. Weight or bias; frees the input.
     */
    static NDArray groupedToBlocks(NDArray fused, int groups, int queriesPerGroup, int headDim) {
        Shape s = fused.getShape();
        boolean matrix = s.dimension() == 2;
        int slots = queriesPerGroup + 2;
        NDArray split = matrix ? fused.reshape(groups, slots, headDim, s.get(1)) : fused.reshape(groups, slots, headDim);
        long[] tail = matrix ? new long[] {s.get(1)} : new long[0];
        NDArray q = split.get(new NDIndex(":, 0:{}", queriesPerGroup));
        NDArray k = split.get(new NDIndex(":, {}:{}", queriesPerGroup, queriesPerGroup + 1));
        NDArray v = split.get(new NDIndex(":, {}:{}", queriesPerGroup + 1, slots));
        NDArray result = DecoderWeights.fuse(q.reshape(rows((long) groups * queriesPerGroup * headDim, tail)),
                k.reshape(rows((long) groups * headDim, tail)), v.reshape(rows((long) groups * headDim, tail)));
        q.close();
        k.close();
        v.close();
        split.close();
        fused.close();
        return result;
    }

    private static Shape rows(long rows, long[] tail) {
        long[] dims = new long[1 + tail.length];
        dims[0] = rows;
        System.arraycopy(tail, 0, dims, 1, tail.length);
        return new Shape(dims);
    }

    /** Loads {@code name} if present, else null (optional biases). */
    NDArray optional(String name, long... shape) {
        return weights.contains(name) ? tensor(name, shape) : null;
    }
}
