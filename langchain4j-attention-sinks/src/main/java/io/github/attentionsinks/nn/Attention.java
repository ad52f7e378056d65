package io.github.attentionsinks.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/**
 * Scaled dot-product attention with grouped/multi-query heads, without copying K/V per query head: the
 * query heads of one KV group are stacked into the rows of one matrix product.
 */
public final class Attention {
    private Attention() {}

    /**
     * @param q queries {@code [n, heads, headDim]}
     * @param k keys {@code [kvHeads, T, headDim]} in cache order
     * @param v values {@code [kvHeads, T, headDim]}
     * @param scale score multiplier (usually 1/sqrt(headDim))
     * @param bias additive bias broadcastable to {@code [kvHeads, heads/kvHeads, n, T]} (causal mask, ALiBi), or null
     * @param softCap attention logit soft-capping ({@code cap·tanh(s/cap)}), or 0 for none
     * @return {@code [n, heads·headDim]}
     */
    public static NDArray attend(NDArray q, NDArray k, NDArray v, float scale, NDArray bias, float softCap) {
        return attend(q, k, v, q.getManager().create(scale).toType(q.getDataType(), false), bias, softCap);
    }

    /** As {@link #attend(NDArray, NDArray, NDArray, float, NDArray, float)} with a scalar tensor made once by the caller. */
    public static NDArray attend(NDArray q, NDArray k, NDArray v, NDArray scale, NDArray bias, float softCap) {
        Shape qs = q.getShape();
        long n = qs.get(0);
        long heads = qs.get(1);
        long headDim = qs.get(2);
        long kvHeads = k.getShape().get(0);
        long group = heads / kvHeads;
        long keys = k.getShape().get(1);
        NDArray rows = n == 1 ? q.reshape(kvHeads, group, headDim)
                : q.transpose(1, 0, 2).reshape(kvHeads, group * n, headDim);
        NDArray scores = rows.matMul(k.transpose(0, 2, 1)).muli(scale);
        if (softCap > 0) {
            scores = scores.divi(softCap).tanh().muli(softCap);
        }
        if (bias != null) {
            scores = scores.reshape(kvHeads, group, n, keys).addi(bias).reshape(kvHeads, group * n, keys);
        }
        NDArray out = scores.softmax(-1).matMul(v);
        if (n == 1) {
            return out.reshape(1, heads * headDim);
        }
        return out.reshape(heads, n, headDim).transpose(1, 0, 2).reshape(n, heads * headDim);
    }

    /**
     * The causal mask {@code [n, L + n]} of a step whose first query sits at cache index L: key j is visible to
     * query i iff j ≤ L + i, and, with a sliding window w &gt; 0, iff also j &gt; L + i − w.
     */
    public static NDArray causalMask(NDManager manager, int n, int cacheLength, int slidingWindow) {
        int keys = cacheLength + n;
        float[] mask = new float[n * keys];
        for (int i = 0; i < n; i++) {
            int q = cacheLength + i;
            for (int j = 0; j < keys; j++) {
                boolean visible = j <= q && (slidingWindow <= 0 || j > q - slidingWindow);
                mask[i * keys + j] = visible ? 0f : Float.NEGATIVE_INFINITY;
            }
        }
        return manager.create(mask, new Shape(n, keys));
    }
}
