package io.github.attentionsinks.arch;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import io.github.attentionsinks.cache.SinkCache;
import io.github.attentionsinks.config.ModelConfig;
import io.github.attentionsinks.config.ModelFormatException;
import io.github.attentionsinks.nn.Attention;
import io.github.attentionsinks.nn.Linear;
import io.github.attentionsinks.nn.RotaryEmbedding;
import io.github.attentionsinks.weights.WeightStore;

/**
 * Load-time weight re-layouts and the fused-qkv attention step shared by the GPT-NeoX, Falcon, GPT-J, MPT and
 * GPT-2 classes. Every fused projection is re-ordered once at load into {@code [Q (heads); K (kvHeads); V (kvHeads)]}
 * rows, so that all five forward passes split q/k/v the same way.
 */
final class ClassicArchSupport {
    private ClassicArchSupport() {}

    /** An int field under its canonical name or, for older configs, an alias ({@code n_head}, {@code n_layer}). */
    static int positiveInt(ModelConfig config, String field, String alias) {
        if (!config.has(field) && alias != null && config.has(alias)) {
            return config.requirePositiveInt(alias);
        }
        return config.requirePositiveInt(field);
    }

    /** Concatenates projection matrices (or biases) along the output axis and frees the parts. */
    static NDArray fuseRows(NDArray... parts) {
        NDArray fused = NDArrays.concat(new NDList(parts), 0);
        for (NDArray part : parts) {
            part.close();
        }
        return fused;
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
        NDArray result = fuseRows(q.reshape(rows((long) groups * queriesPerGroup * headDim, tail)),
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
    static NDArray optional(WeightStore weights, String name, NDManager manager, DataType dataType, long... shape) {
        return weights.contains(name) ? weights.load(name, manager, dataType, shape) : null;
    }

    /**
     * Inverse frequencies for a rotary width with the given base, honouring {@code rope_scaling} type {@code linear}
     * (the only scaling these architectures ship with); other types are refused with the field named.
     */
    static double[] inverseFrequencies(ModelConfig config, int rotaryDim, double base) {
        double[] inv = RotaryEmbedding.defaultInverseFrequencies(base, rotaryDim);
        JsonNode scaling = config.node("rope_scaling");
        if (scaling.isNull()) {
            return inv;
        }
        String type = scaling.has("rope_type") ? scaling.get("rope_type").asText()
                : scaling.path("type").asText("default");
        if (type.equals("default")) {
            return inv;
        }
        if (!type.equals("linear")) {
            throw new ModelFormatException(config.file() + ": rope_scaling type '" + type + "' is not supported for "
                    + config.modelType() + " (supported: linear); remove rope_scaling or use a model without it");
        }
        JsonNode factor = scaling.get("factor");
        if (factor == null || !factor.isNumber() || factor.doubleValue() <= 0) {
            throw new ModelFormatException(config.file() + ": rope_scaling.factor is missing or not a positive number");
        }
        for (int i = 0; i < inv.length; i++) {
            inv[i] = (float) (inv[i] / factor.doubleValue());
        }
        return inv;
    }

    /** Keeps only the last row of {@code x} ({@code [n, hidden]}) when the caller wants the last logits only. */
    static NDArray lastRowUnless(boolean allPositions, NDArray x, int n) {
        return allPositions || n == 1 ? x : x.get(new NDIndex((n - 1) + ":"));
    }

    /**
     * Self-attention over a fused projection laid out {@code [Q; K; V]}: splits heads, rotates q/k at their
     * stream positions (when {@code rotary} is set), appends k/v to the cache and attends.
     *
     * @param heads query heads
     * @param kvHeads key/value heads (a divisor of heads)
     * @param rotary rotary embedding, or null for position-free attention (ALiBi, learned positions)
     */
    record FusedQkvAttention(int heads, int kvHeads, int headDim, float scale, RotaryEmbedding rotary) {
        /**
         * @param qkv the projection output {@code [n, (heads + 2·kvHeads)·headDim]}
         * @param rope cos/sin tables for this step (ignored without rotary)
         * @param bias additive bias broadcastable to {@code [kvHeads, heads/kvHeads, n, keys]}, or null
         * @return {@code [n, heads·headDim]}
         */
        NDArray apply(NDArray qkv, int n, NDArray[] rope, SinkCache.Step cache, int layer, NDArray bias) {
            NDArray split = qkv.reshape(n, heads + 2L * kvHeads, headDim);
            NDArray q;
            NDArray k;
            if (rotary != null) {
                NDArray qk = rotary.apply(split.get(new NDIndex(":, 0:{}, :", heads + kvHeads)), rope);
                q = qk.get(new NDIndex(":, 0:{}, :", heads));
                k = qk.get(new NDIndex(":, {}:, :", heads));
            } else {
                q = split.get(new NDIndex(":, 0:{}, :", heads));
                k = split.get(new NDIndex(":, {}:{}, :", heads, heads + kvHeads));
            }
            NDArray v = split.get(new NDIndex(":, {}:, :", heads + kvHeads));
            NDArray[] kv = cache.append(layer, k.transpose(1, 0, 2), v.transpose(1, 0, 2));
            return Attention.attend(q, kv[0], kv[1], scale, bias, 0f);
        }
    }
}
