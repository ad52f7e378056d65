package io.github.attentionsinks.arch;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.github.attentionsinks.cache.KeyShifter;
import io.github.attentionsinks.cache.SinkCache;
import io.github.attentionsinks.nn.Attention;
import io.github.attentionsinks.nn.Embedding;
import io.github.attentionsinks.kernels.CacheReads;
import io.github.attentionsinks.kernels.WeightKernels;
import io.github.attentionsinks.nn.Linear;
import io.github.attentionsinks.nn.PackedLinear;
import io.github.attentionsinks.nn.Projection;
import io.github.attentionsinks.nn.Norm;
import io.github.attentionsinks.nn.RotaryEmbedding;
import io.github.attentionsinks.nn.Slices;
import java.util.HashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import java.util.function.IntConsumer;
import java.util.function.UnaryOperator;

/**
 * The forward pass of every architecture: decoders whose layers differ only in pluggable pieces. Which norms sit
 * where (RMSNorm, Gemma's (1 + w) RMSNorm, LayerNorm with or without parameters; Gemma 2's extra output norms), a
 * sequential or parallel block (Phi, GPT-J: one norm; GPT-NeoX, Falcon: an MLP norm of its own), gated
 * (SwiGLU/GeGLU) or plain MLP, optional per-head q/k norms (Qwen3), q/k/v clipping (OLMo, MPT), and how positions
 * enter: rotary (full or partial, rotate-half or interleaved), ALiBi biases (MPT) or learned absolute position
 * embeddings (GPT-2). Also attention and final logit soft-capping, per-layer sliding windows (Gemma 2, Starcoder2,
 * Phi-3) and per-layer attention scales (GPT-2). Each architecture is a subclass whose only job is to read its
 * config and weights into a {@link Spec}.
 *
 * <p>Per layer: {@code h = attentionNorm(x)}; q, k, v from one fused projection laid out {@code [Q; K; V]};
 * sequential blocks do {@code x += attentionOutputNorm(out(attn(h)))}, then
 * {@code x += mlpOutputNorm(mlp(mlpNorm(x)))}; parallel blocks do {@code x += out(attn(h)) + mlp(h)}, or
 * {@code mlp(mlpNorm(x))} when the layer has an MLP norm. Absent optional norms are skipped.
 *
 * <p>Sliding windows are applied through the mask and measured in cache indices (query at L + i, key at j), for
 * prompt chunks and single-token steps alike: in sinks mode the window is the model's own, inside the cache.
 */
public abstract class PreNormDecoder implements CausalLm {
    private static final Logger log = LoggerFactory.getLogger(PreNormDecoder.class);
    private final NDManager manager;
    private final Spec spec;
    private final int qkvHeads;
    private final NDIndex qkSlice;
    private final NDIndex qSlice;
    private final NDIndex kSlice;
    private final NDIndex vSlice;
    private final NDIndex gateSlice;
    private final NDIndex upSlice;
    /** Per layer; usually one array shared by all. */
    private final NDArray[] attentionScales;
    /** ALiBi slopes {@code [heads, 1, 1]} in float32, or null. */
    private final NDArray alibiSlopes;
    private final DataType dataType;
    private final NDArray embeddingScale;
    private final NDArray finalSoftCap;
    /** The Java kernels once {@link #useKernels} moved the products to them, else null. */
    private volatile WeightKernels kernels;
    /**
     * The forward pass on the Java heap, once the kernels own the products and the spec allows it; else null. Sessions
     * step through {@link #logitRows}, which uses it; {@link #forward} and {@link #forwardBatch} keep the libtorch
     * layers around the packed products (same results within float32 rounding).
     */
    private volatile HeapForward heap;

    /** One decoder layer; null norms are absent. */
    record Layer(Norm attentionNorm, Projection qkv, Norm queryNorm, Norm keyNorm, Projection out,
            Norm attentionOutputNorm, Norm mlpNorm, Projection mlpIn, Projection mlpOut, Norm mlpOutputNorm,
            int slidingWindow) {

        /**
         * This layer with its RMSNorms computed inside the packed projections that follow them (sequential blocks
         * only: there each norm's output feeds one projection).
         */
        Layer withNormsInProjections() {
            Norm attention = attentionNorm;
            Projection toQkv = qkv;
            if (attention instanceof Norm.Rms rms && toQkv instanceof PackedLinear packed) {
                toQkv = packed.withInputNorm(rms);
                attention = Norm.IDENTITY;
            }
            Norm beforeMlp = mlpNorm;
            Projection toMlp = mlpIn;
            if (beforeMlp instanceof Norm.Rms rms && toMlp instanceof PackedLinear packed) {
                toMlp = packed.withInputNorm(rms);
                beforeMlp = Norm.IDENTITY;
            }
            return new Layer(attention, toQkv, queryNorm, keyNorm, out, attentionOutputNorm, beforeMlp, toMlp, mlpOut,
                    mlpOutputNorm, slidingWindow);
        }

        /** This layer with each projection replaced by {@code replace}. */
        Layer withProjections(UnaryOperator<Projection> replace) {
            return new Layer(attentionNorm, replace.apply(qkv), queryNorm, keyNorm, replace.apply(out),
                    attentionOutputNorm, mlpNorm, replace.apply(mlpIn), replace.apply(mlpOut), mlpOutputNorm,
                    slidingWindow);
        }
    }

    /** Everything the forward pass needs, filled in by an architecture's loader. */
    static final class Spec {
        int heads;
        int kvHeads;
        int headDim;
        int vocab;
        int maxPositions;
        float attentionScale;
        /** Per-layer attention scales (GPT-2's {@code scale_attn_by_inverse_layer_idx}); null: attentionScale. */
        float[] layerAttentionScales;
        /** ALiBi slopes, one per query head: scores get {@code slope·(j − i)} over cache indices; null for none. */
        float[] alibiSlopes;
        /** Learned absolute position embeddings {@code [maxPositions, hidden]} added to the token embeddings, or null. */
        NDArray positionEmbedding;
        /** The config field of maxPositions, named when a stream outgrows learned position embeddings. */
        String maxPositionsField = "max_position_embeddings";
        /** Why sinks and windowed caches cannot work with this model (positions baked into keys), or null. */
        String positionReassignmentUnsupportedReason;
        /** Attention logit soft-capping, 0 for none. */
        float attentionSoftCap;
        /** Final logit soft-capping, 0 for none. */
        float finalSoftCap;
        /** q, k and v are clamped to [−clip, clip] right after the projection; 0 for none. */
        float clipQkv;
        /** The embedding output is multiplied by this (Gemma: sqrt(hidden)); 1 for none. */
        float embeddingScale = 1f;
        boolean parallelBlock;
        /** mlpIn is the fused [gate; up] projection and the MLP is {@code mlpOut(act(gate)·up)}; else {@code mlpOut(act(mlpIn))}. */
        boolean gatedMlp;
        int intermediate;
        UnaryOperator<NDArray> activation;
        /** Null when positions enter otherwise (ALiBi, learned embeddings). */
        RotaryEmbedding rotary;
        RopeScaling.DynamicNtk dynamicRope;
        /** The token embedding table (the lm_head itself when tied). */
        Linear embedding;
        Layer[] layers;
        Norm finalNorm;
        /** The embedding itself when tied (until the products move to the Java kernels). */
        Projection lmHead;
    }

    /**
     * @param loader reads config and weights into a spec; every array it creates must live in the manager it is
     *     given (closed here if loading fails, and with the model)
     */
    PreNormDecoder(NDManager parent, DataType dataType, Function<NDManager, Spec> loader) {
        this.manager = parent.newSubManager();
        this.dataType = dataType;
        try {
            spec = loader.apply(manager);
            qkvHeads = spec.heads + 2 * spec.kvHeads;
            // Scalars as arrays made once: a float operand would create a fresh scalar tensor every step.
            embeddingScale = spec.embeddingScale == 1f ? null
                    : manager.create(spec.embeddingScale).toType(dataType, false);
            finalSoftCap = spec.finalSoftCap > 0 ? manager.create(spec.finalSoftCap).toType(dataType, false) : null;
            attentionScales = new NDArray[spec.layers.length];
            NDArray shared = manager.create(spec.attentionScale).toType(dataType, false);
            for (int l = 0; l < attentionScales.length; l++) {
                attentionScales[l] = spec.layerAttentionScales == null ? shared
                        : manager.create(spec.layerAttentionScales[l]).toType(dataType, false);
            }
            alibiSlopes = spec.alibiSlopes == null ? null
                    : manager.create(spec.alibiSlopes, new Shape(spec.heads, 1, 1));
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
        // Indices built once, without NDIndex's string parser (a regex per call on the decode path).
        qkSlice = Slices.middle(0, spec.heads + spec.kvHeads);
        qSlice = Slices.middle(0, spec.heads);
        kSlice = Slices.middle(spec.heads, spec.heads + spec.kvHeads);
        vSlice = Slices.middle(spec.heads + spec.kvHeads, qkvHeads);
        gateSlice = Slices.columns(0, spec.intermediate);
        upSlice = Slices.columns(spec.intermediate, 2L * spec.intermediate);
    }

    @Override
    public NDArray forward(NDManager step, int[] tokenIds, SinkCache.Step cache, boolean allPositions) {
        int n = tokenIds.length;
        NDArray x = embed(step, tokenIds, new SinkCache.Step[] {cache}, new int[] {0, n});
        NDArray[] rope = ropeTables(step, cache, n);
        Masks masks = masks(step, n, cache);
        for (int l = 0; l < spec.layers.length; l++) {
            // Each layer's temporaries die with the layer: small managers stay cheap and memory is reused hot.
            try (NDManager scope = step.newSubManager()) {
                x.attach(scope);
                x = layer(l, x, n, rope, masks, cache);
                x.attach(step);
            }
        }
        if (!allPositions && n > 1) {
            x = x.get(Slices.rows(n - 1, n));
        }
        return logits(x);
    }

    @Override
    public float[][] logitRows(NDManager step, int[][] tokenIds, SinkCache.Step[] caches, boolean allPositions,
            BooleanSupplier giveWay, float[][] reuse) {
        HeapForward onHeap = heap;
        if (onHeap != null) {
            return onHeap.logitRows(step, tokenIds, caches, allPositions, giveWay, reuse);
        }
        return CausalLm.super.logitRows(step, tokenIds, caches, allPositions, giveWay, reuse);
    }

    /**
     * Token embeddings of {@code tokenIds}, {@code [n, hidden]}, plus learned position embeddings when the model has
     * them: the rows {@code offsets[s]..offsets[s+1]} belong to the stream of {@code caches[s]}.
     */
    private NDArray embed(NDManager step, int[] tokenIds, SinkCache.Step[] caches, int[] offsets) {
        NDArray x = spec.embedding.rows(step.create(tokenIds).toType(DataType.INT64, false), dataType);
        if (spec.positionEmbedding != null) {
            long[] positions = new long[tokenIds.length];
            for (int s = 0; s < caches.length; s++) {
                long start = caches[s].streamPosition();
                int n = offsets[s + 1] - offsets[s];
                if (start + n > spec.maxPositions) {
                    throw new IllegalStateException("this model has learned position embeddings for "
                            + spec.maxPositions + " positions (" + spec.maxPositionsField
                            + ") only; this step needs positions " + start + ".."
                            + (start + n - 1) + ". Start a new session (or reset()) to continue.");
                }
                for (int i = 0; i < n; i++) {
                    positions[offsets[s] + i] = start + i;
                }
            }
            x = x.add(Embedding.lookup(step.create(positions), spec.positionEmbedding, dataType));
        }
        return embeddingScale == null ? x : x.mul(embeddingScale);
    }

    /** cos/sin tables of a stream's new tokens, or null without rotary. */
    private NDArray[] ropeTables(NDManager step, SinkCache.Step cache, int n) {
        return spec.rotary == null ? null : RopeScaling.tables(spec.rotary, spec.dynamicRope, step, cache, n);
    }

    private Masks masks(NDManager step, int n, SinkCache.Step cache) {
        return new Masks(step, n, cache.cacheLengthBefore(), dataType, alibiSlopes, spec.kvHeads);
    }

    /** Final norm, lm_head and soft-capping of hidden states {@code [rows, hidden]}. */
    private NDArray logits(NDArray x) {
        NDArray logits = spec.lmHead.apply(spec.finalNorm.apply(x));
        return finalSoftCap == null ? logits : logits.div(finalSoftCap).tanh().mul(finalSoftCap);
    }

    /**
     * Several streams in one pass: embeddings, projections, MLPs and the lm_head run on all streams' rows at once
     * (the weights are read once); rotary embeddings at each stream's own positions; attention per stream over its own
     * cache, with its own mask.
     */
    @Override
    public NDArray forwardBatch(NDManager step, int[][] tokenIds, SinkCache.Step[] caches) {
        int streams = tokenIds.length;
        if (streams == 1) {
            return forward(step, tokenIds[0], caches[0], false);
        }
        int[] offsets = new int[streams + 1];
        for (int s = 0; s < streams; s++) {
            offsets[s + 1] = offsets[s] + tokenIds[s].length;
        }
        int total = offsets[streams];
        int[] all = new int[total];
        for (int s = 0; s < streams; s++) {
            System.arraycopy(tokenIds[s], 0, all, offsets[s], tokenIds[s].length);
        }
        NDArray x = embed(step, all, caches, offsets);
        NDList cosines = new NDList(streams);
        NDList sines = new NDList(streams);
        Masks[] masks = new Masks[streams];
        for (int s = 0; s < streams; s++) {
            int n = tokenIds[s].length;
            NDArray[] rope = ropeTables(step, caches[s], n);
            if (rope != null) {
                cosines.add(rope[0]);
                sines.add(rope[1]);
            }
            masks[s] = masks(step, n, caches[s]);
        }
        NDArray[] rope = spec.rotary == null ? null
                : new NDArray[] {NDArrays.concat(cosines, 0), NDArrays.concat(sines, 0)};
        for (int l = 0; l < spec.layers.length; l++) {
            try (NDManager scope = step.newSubManager()) {
                x.attach(scope);
                x = batchLayer(l, x, offsets, rope, masks, caches);
                x.attach(step);
            }
        }
        long[] lastRows = new long[streams];
        for (int s = 0; s < streams; s++) {
            lastRows[s] = offsets[s + 1] - 1L;
        }
        return logits(x.get(step.create(lastRows)));
    }

    /** One layer over all streams' rows; only attention is split by stream. */
    private NDArray batchLayer(int l, NDArray x, int[] offsets, NDArray[] rope, Masks[] masks,
            SinkCache.Step[] caches) {
        Layer layer = spec.layers[l];
        NDArray h = layer.attentionNorm.apply(x);
        NDArray[] qkv = queriesKeysValues(layer, h, offsets[offsets.length - 1], rope);
        // Keys and values to the cache layout [kvHeads, rows, headDim] once for all streams, not once per stream.
        NDArray keys = qkv[1].transpose(1, 0, 2);
        NDArray values = qkv[2].transpose(1, 0, 2);
        NDArray[] outputs = new NDArray[caches.length];
        IntConsumer attend = s -> {
            NDIndex rows = Slices.rows(offsets[s], offsets[s + 1]);
            NDIndex cacheRows = Slices.middle(offsets[s], offsets[s + 1]);
            NDArray[] kv = caches[s].append(l, keys.get(cacheRows), values.get(cacheRows));
            outputs[s] = Attention.attend(qkv[0].get(rows), kv[0], kv[1], attentionScales[l],
                    masks[s].forWindow(layer.slidingWindow), spec.attentionSoftCap);
        };
        WeightKernels parallel = kernels;
        if (parallel != null) {
            // libtorch computes on one thread beside the Java kernels, so their threads step the sessions'
            // attention side by side: each session's cache and outputs are its own.
            parallel.forEach(caches.length, attend);
        } else {
            for (int s = 0; s < caches.length; s++) {
                attend.accept(s);
            }
        }
        NDArray attention = layer.out.apply(NDArrays.concat(new NDList(outputs), 0));
        return residuals(layer, x, h, attention);
    }

    private NDArray layer(int l, NDArray x, int n, NDArray[] rope, Masks masks, SinkCache.Step cache) {
        Layer layer = spec.layers[l];
        NDArray h = layer.attentionNorm.apply(x);
        NDArray[] qkv = queriesKeysValues(layer, h, n, rope);
        NDArray[] kv = cache.append(l, qkv[1].transpose(1, 0, 2), qkv[2].transpose(1, 0, 2));
        NDArray bias = masks.forWindow(layer.slidingWindow);
        WeightKernels parallel = kernels;
        NDArray attention;
        if (parallel != null && n >= PARALLEL_ATTENTION_ROWS && spec.kvHeads > 1) {
            attention = attendByKvHead(parallel, l, qkv[0], kv, bias);
        } else {
            attention = Attention.attend(qkv[0], kv[0], kv[1], attentionScales[l], bias, spec.attentionSoftCap);
        }
        return residuals(layer, x, h, layer.out.apply(attention));
    }

    /**
     * Prompt chunks of at least this many rows split their attention by KV head across the kernel threads: libtorch
     * computes on one thread beside the Java kernels, and a chunk's attention is most of its time (a 1020-token
     * chunk's products take about 2 s of 9–15 s on the SmolLM-135M shape, 2 cores).
     */
    private static final int PARALLEL_ATTENTION_ROWS = 16;

    /** Attention of {@code q [n, heads, headDim]} one KV head's query group per task; heads stay in order. */
    private NDArray attendByKvHead(WeightKernels parallel, int l, NDArray q, NDArray[] kv, NDArray bias) {
        int group = spec.heads / spec.kvHeads;
        NDArray[] outputs = new NDArray[spec.kvHeads];
        parallel.forEach(spec.kvHeads, h -> {
            NDArray groupBias = bias == null || bias.getShape().dimension() < 4 ? bias
                    : bias.get(Slices.rows(h, h + 1));
            outputs[h] = Attention.attend(q.get(Slices.middle(h * group, (h + 1) * group)),
                    kv[0].get(Slices.rows(h, h + 1)), kv[1].get(Slices.rows(h, h + 1)), attentionScales[l],
                    groupBias, spec.attentionSoftCap);
        });
        return NDArrays.concat(new NDList(outputs), 1);
    }

    /** Rotated queries and keys, and values, of {@code n} rows: each {@code [n, heads, headDim]}. */
    private NDArray[] queriesKeysValues(Layer layer, NDArray h, int n, NDArray[] rope) {
        NDArray qkv = layer.qkv.apply(h);
        if (spec.clipQkv > 0) {
            qkv = qkv.clip(-spec.clipQkv, spec.clipQkv);
        }
        qkv = qkv.reshape(n, qkvHeads, spec.headDim);
        NDArray q;
        NDArray k;
        if (spec.rotary == null) {
            q = qkv.get(qSlice);
            k = qkv.get(kSlice);
        } else if (layer.queryNorm == null) {
            NDArray qk = spec.rotary.apply(qkv.get(qkSlice), rope);
            q = qk.get(qSlice);
            k = qk.get(kSlice);
        } else {
            q = spec.rotary.apply(layer.queryNorm.apply(qkv.get(qSlice)), rope);
            k = spec.rotary.apply(layer.keyNorm.apply(qkv.get(kSlice)), rope);
        }
        return new NDArray[] {q, k, qkv.get(vSlice)};
    }

    /** The block's residual connections and MLP around an attention output. */
    private NDArray residuals(Layer layer, NDArray x, NDArray h, NDArray attention) {
        if (spec.parallelBlock) {
            return x.add(attention).add(mlp(layer, layer.mlpNorm == null ? h : layer.mlpNorm.apply(x)));
        }
        if (layer.attentionOutputNorm != null) {
            attention = layer.attentionOutputNorm.apply(attention);
        }
        NDArray mid = x.add(attention);
        NDArray mlp = mlp(layer, layer.mlpNorm.apply(mid));
        if (layer.mlpOutputNorm != null) {
            mlp = layer.mlpOutputNorm.apply(mlp);
        }
        return mid.add(mlp);
    }

    private NDArray mlp(Layer layer, NDArray h) {
        NDArray in = layer.mlpIn.apply(h);
        NDArray hidden = spec.gatedMlp ? spec.activation.apply(in.get(gateSlice)).mul(in.get(upSlice))
                : spec.activation.apply(in);
        return layer.mlpOut.apply(hidden);
    }

    /**
     * Additive attention biases of one stream's step, built on first use: the causal mask (one per sliding-window
     * size), plus ALiBi's position biases when the model has them.
     */
    private static final class Masks {
        private final NDManager step;
        private final int n;
        private final int cacheLength;
        private final DataType dataType;
        private final NDArray alibiSlopes;
        private final int kvHeads;
        private final Map<Integer, NDArray> byWindow = new HashMap<>(4);

        Masks(NDManager step, int n, int cacheLength, DataType dataType, NDArray alibiSlopes, int kvHeads) {
            this.step = step;
            this.n = n;
            this.cacheLength = cacheLength;
            this.dataType = dataType;
            this.alibiSlopes = alibiSlopes;
            this.kvHeads = kvHeads;
        }

        /** Null when nothing is hidden or biased (one query, no window reached, no ALiBi). */
        NDArray forWindow(int window) {
            // A window hides key j from query L + i iff j <= L + i - w; with L + n <= w nothing is hidden.
            int effective = window > 0 && cacheLength + n > window ? window : 0;
            if (effective == 0 && n == 1 && alibiSlopes == null) {
                return null;
            }
            return byWindow.computeIfAbsent(effective, this::bias);
        }

        private NDArray bias(int window) {
            NDArray mask = window == 0 && n == 1 ? null : Attention.causalMask(step, n, cacheLength, window);
            if (alibiSlopes == null) {
                return mask.toType(dataType, false);
            }
            // ALiBi: slope_h · (j − (L + i)) for query i at cache index L + i and key j, in float32 as HF computes it.
            int keys = cacheLength + n;
            NDArray keyIndex = step.arange(0f, (float) keys).reshape(1, 1, keys);
            NDArray queryIndex = step.arange((float) cacheLength, (float) keys).reshape(1, n, 1);
            NDArray bias = keyIndex.sub(queryIndex).mul(alibiSlopes);
            if (mask != null) {
                bias = bias.add(mask);
            }
            long heads = alibiSlopes.getShape().get(0);
            return bias.toType(dataType, false).reshape(kvHeads, heads / kvHeads, n, keys);
        }
    }

    @Override
    public boolean useKernels(WeightKernels kernels, boolean required) {
        if (!(spec.lmHead instanceof Linear)) {
            throw new IllegalStateException("the weights are packed already");
        }
        long needed = 0;
        for (Layer layer : spec.layers) {
            for (Projection p : new Projection[] {layer.qkv(), layer.out(), layer.mlpIn(), layer.mlpOut()}) {
                needed += kernels.packedBytes(p.outFeatures(), ((Linear) p).inFeatures());
            }
        }
        Linear head = (Linear) spec.lmHead;
        needed += kernels.packedBytes(head.outFeatures(), head.inFeatures());
        if (!WeightKernels.heapCanHold(needed, required)) {
            return false;
        }
        boolean tied = spec.lmHead == spec.embedding;
        for (int l = 0; l < spec.layers.length; l++) {
            Layer packed = spec.layers[l].withProjections(p -> packAndFree((Linear) p, kernels));
            spec.layers[l] = spec.parallelBlock ? packed : packed.withNormsInProjections();
        }
        spec.lmHead = tied ? PackedLinear.pack(head, kernels) : packAndFree(head, kernels);
        this.kernels = kernels;
        String heapUnsupported = HeapForward.unsupportedReason(spec);
        heap = heapUnsupported == null ? new HeapForward(spec, kernels) : null;
        if (heapUnsupported != null) {
            log.debug("Layers stay on libtorch around the Java kernels: this architecture has {}", heapUnsupported);
        }
        return true;
    }

    private static Projection packAndFree(Linear linear, WeightKernels kernels) {
        PackedLinear packed = PackedLinear.pack(linear, kernels);
        linear.close();
        return packed;
    }

    @Override
    public boolean decodesOnHeap() {
        return heap != null;
    }

    /**
     * Keys in blocks where the decoder on the heap scores them in place ({@link CacheReads}): twice as fast as from
     * rows of float16 keys, whose sums across lanes bound them, and as from rows of float32 keys on an Intel Xeon
     * (docs/benchmarks.md, "An Intel Xeon machine: chat shapes, long windows and the prefill chunk").
     */
    @Override
    public int keyBlock(DataType cacheType) {
        if (heap == null || !HeapAttention.keysInBlocks) {
            return 0; // and CacheReads stays unloaded: without the Vector API module it cannot load
        }
        boolean inPlace = cacheType == DataType.FLOAT16 ? CacheReads.supportsHalves(spec.headDim)
                : CacheReads.supports(spec.headDim);
        return inPlace ? CacheReads.keyBlock() : 0;
    }

    @Override
    public CacheShape cacheShape() {
        return new CacheShape(spec.layers.length, spec.kvHeads, spec.headDim);
    }

    @Override
    public KeyShifter keyShifter() {
        return spec.rotary == null ? KeyShifter.IDENTITY : KeyShifter.rotary(spec.rotary);
    }

    @Override
    public String positionReassignmentUnsupportedReason() {
        return spec.positionReassignmentUnsupportedReason;
    }

    @Override
    public int vocabSize() {
        return spec.vocab;
    }

    @Override
    public int maxPositionEmbeddings() {
        return spec.maxPositions;
    }

    @Override
    public void close() {
        manager.close();
    }
}
