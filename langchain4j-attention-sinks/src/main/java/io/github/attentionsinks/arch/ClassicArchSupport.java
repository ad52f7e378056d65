package io.github.attentionsinks.arch;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import io.github.attentionsinks.nn.Linear;
import io.github.attentionsinks.nn.Norm;

/**
 * What the GPT-NeoX, Falcon, GPT-J, MPT and GPT-2 specs need beyond {@link DecoderWeights}: plain layers and
 * load-time re-layouts. Every fused projection is re-ordered once at load into
 * {@code [Q (heads); K (kvHeads); V (kvHeads)]} rows, the layout {@link PreNormDecoder} splits.
 */
final class ClassicArchSupport {
    private ClassicArchSupport() {}

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
}
