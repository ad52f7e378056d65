package io.github.attentionsinks.arch;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.github.attentionsinks.cache.SinkCache;
import io.github.attentionsinks.kernels.PackedMatrix;
import io.github.attentionsinks.kernels.VectorMath;
import io.github.attentionsinks.kernels.WeightKernels;
import io.github.attentionsinks.nn.Activation;
import io.github.attentionsinks.nn.Norm;
import io.github.attentionsinks.nn.PackedLinear;
import io.github.attentionsinks.nn.TensorMemory;
import java.util.function.BooleanSupplier;

/**
 * The whole forward pass of a {@link PreNormDecoder} on the Java heap, once the Java kernels own its products on a
 * CPU: the hidden states stay in Java arrays from the embedding lookup to the logits, and a layer makes no libtorch
 * call. Around the products a libtorch layer made about thirty small calls through JNI (reshapes, rotary, cache
 * writes, attention, residuals), about 9 ms of a 22 ms float32 step on the SmolLM-135M shape (docs/benchmarks.md).
 *
 * <p>Covers the sequential RMSNorm decoders with a gated SiLU or tanh-GELU MLP and rotary or no positions: Llama,
 * Mistral, Qwen2, Qwen3 (per-head q/k norms), Gemma, Phi-3 (sliding windows); {@link #unsupportedReason} says why
 * another spec keeps the libtorch layers.
 *
 * <p>A layer is the q/k/v product (the attention norm inside it, {@link PackedLinear#withInputNorm}), attention
 * over each stream's own {@link SinkCache} ({@link HeapAttention}), the output product and residual, then the MLP's
 * products and residual; the products run on the kernel threads ({@link WeightKernels}).
 */
final class HeapForward {
    /**
     * A thread keeps its step buffers, grown to its largest step, up to this many bytes (at least
     * {@link #MIN_KEPT_WORKSPACE_ROWS} rows); larger steps allocate theirs per call. Why keep them: an 8-session
     * step of prompts (128–200 rows) allocated 4–6 MB of buffers per call on the SmolLM-135M shape, which the JVM
     * zeroed and often faulted in: kept, a 128-row step of one prompt took 0.92–0.98 ms a row against 1.07–1.09
     * (docs/bench/PrefillLoop.java, three runs each, docs/benchmarks.md).
     */
    private static final long KEPT_WORKSPACE_BYTES = 16L << 20;
    private static final int MIN_KEPT_WORKSPACE_ROWS = 64;

    private final PreNormDecoder.Spec spec;
    private final WeightKernels kernels;
    private final int hidden;
    private final int headDim;
    private final int queryWidth;
    /** The MLP's activation. */
    private final PackedMatrix.Gate gateKind;
    /** Where a row's gated activation is split in two for the kernel threads: half of it, in whole vectors. */
    private final int gateSplit;
    private final HeapAttention attention;
    private final float[] finalNorm;
    private final double finalNormEps;
    private final ThreadLocal<Workspace> workspaces = new ThreadLocal<>();
    /** The most rows a kept workspace holds ({@link #KEPT_WORKSPACE_BYTES}). */
    private final int keptWorkspaceRows;

    /** Null when {@code spec} (its products packed) can run on the heap, else why not. */
    static String unsupportedReason(PreNormDecoder.Spec spec) {
        if (spec.parallelBlock) {
            return "parallel attention and MLP blocks";
        }
        if (!spec.gatedMlp || (spec.activation != Activation.SILU && spec.activation != Activation.GELU_TANH)) {
            return "an MLP other than gated SiLU or tanh-GELU";
        }
        if (spec.alibiSlopes != null || spec.positionEmbedding != null) {
            return "ALiBi or learned position embeddings";
        }
        if (spec.clipQkv > 0 || spec.attentionSoftCap > 0 || spec.finalSoftCap > 0) {
            return "q/k/v clipping or logit soft-capping";
        }
        if (!(spec.finalNorm instanceof Norm.Rms) || !(spec.lmHead instanceof PackedLinear)) {
            return "a final norm other than RMSNorm, or an lm_head not in the Java kernels";
        }
        for (PreNormDecoder.Layer layer : spec.layers) {
            boolean packed = layer.qkv() instanceof PackedLinear && layer.out() instanceof PackedLinear
                    && layer.mlpIn() instanceof PackedLinear && layer.mlpOut() instanceof PackedLinear;
            // IDENTITY: the RMSNorm moved into the projection that follows it (PackedLinear.withInputNorm).
            boolean normsFused = layer.attentionNorm() == Norm.IDENTITY && layer.mlpNorm() == Norm.IDENTITY;
            boolean extraNorms = layer.attentionOutputNorm() != null || layer.mlpOutputNorm() != null
                    || (layer.queryNorm() != null && !(layer.queryNorm() instanceof Norm.Rms))
                    || (layer.keyNorm() != null && !(layer.keyNorm() instanceof Norm.Rms));
            if (!packed || !normsFused || extraNorms) {
                return "norms other than RMSNorm before attention and MLP";
            }
        }
        return null;
    }

    HeapForward(PreNormDecoder.Spec spec, WeightKernels kernels) {
        this.spec = spec;
        this.kernels = kernels;
        this.headDim = spec.headDim;
        this.queryWidth = spec.heads * headDim;
        this.hidden = ((PackedLinear) spec.layers[0].qkv()).inFeatures();
        this.gateSplit = spec.intermediate / 2 / VectorMath.lanes() * VectorMath.lanes();
        this.gateKind = spec.activation == Activation.SILU ? PackedMatrix.Gate.SILU : PackedMatrix.Gate.GELU_TANH;
        this.keptWorkspaceRows = (int) Math.max(MIN_KEPT_WORKSPACE_ROWS,
                KEPT_WORKSPACE_BYTES / (Float.BYTES * new Workspace(1).floats()));
        this.attention = new HeapAttention(spec, kernels);
        Norm.Rms last = (Norm.Rms) spec.finalNorm;
        finalNorm = last.weightValues();
        finalNormEps = last.eps();
    }

    /**
     * Stream {@code s} feeds {@code tokenIds[s]} through its open cache step {@code caches[s]}; the logits as float32
     * rows, which sessions read (a libtorch array in between cost about 2 ms of an 8-session step).
     *
     * @param step the step's manager (the embedding lookup's temporaries)
     * @param allPositions with one stream: logits of every new token; otherwise of each stream's last
     * @param giveWay asked before each layer but the first and before each layer's MLP: once true, the step stops
     *     with {@link StepGaveWayException} (a layer is about 1/30 of a step for the SmolLM-135M shape, its MLP about
     *     three fifths of the layer)
     * @param reuse null, or slots for the rows (see {@link CausalLm#logitRows})
     */
    float[][] logitRows(NDManager step, int[][] tokenIds, SinkCache.Step[] caches, boolean allPositions,
            BooleanSupplier giveWay, float[][] reuse) {
        int streams = tokenIds.length;
        int[] offsets = new int[streams + 1];
        for (int s = 0; s < streams; s++) {
            offsets[s + 1] = offsets[s] + tokenIds[s].length;
        }
        int rows = offsets[streams];
        Workspace w = workspace(rows);
        embed(step, tokenIds, offsets, w);
        if (spec.rotary != null) {
            for (int s = 0; s < streams; s++) {
                float[][] tables = RopeScaling.tableValues(spec.rotary, spec.dynamicRope, caches[s], tokenIds[s].length);
                System.arraycopy(tables[0], 0, w.cos, offsets[s] * headDim, tables[0].length);
                System.arraycopy(tables[1], 0, w.sin, offsets[s] * headDim, tables[1].length);
            }
        }
        HeapAttention.Tasks tasks = attention.tasks(offsets, caches);
        for (int l = 0; l < spec.layers.length; l++) {
            if (l > 0 && giveWay.getAsBoolean()) {
                throw new StepGaveWayException(l);
            }
            layer(l, rows, offsets, caches, tasks, giveWay, w);
        }
        return logits(offsets, allPositions && streams == 1, w, reuse);
    }

    /** This thread's kept buffers when they hold {@code rows} rows or can grow to, else buffers for this call. */
    private Workspace workspace(int rows) {
        Workspace kept = workspaces.get();
        if (kept != null && rows <= kept.rows) {
            return kept;
        }
        if (rows > keptWorkspaceRows) {
            return new Workspace(rows);
        }
        int wholeBlocks = (rows + MIN_KEPT_WORKSPACE_ROWS - 1) / MIN_KEPT_WORKSPACE_ROWS * MIN_KEPT_WORKSPACE_ROWS;
        kept = new Workspace(Math.min(keptWorkspaceRows, wholeBlocks));
        workspaces.set(kept);
        return kept;
    }

    private void embed(NDManager step, int[][] tokenIds, int[] offsets, Workspace w) {
        int rows = offsets[offsets.length - 1];
        int[] all = new int[rows];
        for (int s = 0; s < tokenIds.length; s++) {
            System.arraycopy(tokenIds[s], 0, all, offsets[s], tokenIds[s].length);
        }
        if (!spec.embedding.copyRows(all, w.x)) {
            NDArray embedded = spec.embedding.rows(step.create(all).toType(DataType.INT64, false), DataType.FLOAT32);
            TensorMemory.floats(embedded).get(w.x, 0, rows * hidden);
        }
        if (spec.embeddingScale != 1f) {
            for (int i = 0; i < rows * hidden; i++) {
                w.x[i] *= spec.embeddingScale;
            }
        }
    }

    private void layer(int l, int rows, int[] offsets, SinkCache.Step[] caches, HeapAttention.Tasks tasks,
            BooleanSupplier giveWay, Workspace w) {
        PreNormDecoder.Layer layer = spec.layers[l];
        PackedLinear qkv = (PackedLinear) layer.qkv();
        System.arraycopy(w.x, 0, w.normed, 0, rows * hidden);
        qkv.applyRows(w.normed, rows, w.qkv);
        attention.apply(l, layer.slidingWindow(), offsets, caches, tasks, qkv.stride(), w);
        residual(((PackedLinear) layer.out()), w.attention, rows, w);
        // Here too: a long prompt's step of 256 rows spends about 10 ms in one layer's MLP (SmolLM-135M shape).
        if (giveWay.getAsBoolean()) {
            throw new StepGaveWayException(l);
        }
        PackedLinear mlpIn = (PackedLinear) layer.mlpIn();
        System.arraycopy(w.x, 0, w.normed, 0, rows * hidden);
        if (mlpIn.gatesByTile()) {
            mlpIn.applyGatedRows(w.normed, rows, w.mlp, gateKind, w.gated);
        } else {
            mlpIn.applyRows(w.normed, rows, w.mlp);
            gate(rows, mlpIn.stride(), w);
        }
        residual((PackedLinear) layer.mlpOut(), w.gated, rows, w);
    }

    /**
     * The MLP's gated activation of every row, where the product could not compute it tile by tile
     * ({@link PackedLinear#gatesByTile}).
     */
    private void gate(int rows, int stride, Workspace w) {
        if (rows == 1) {
            gate(0, 0, spec.intermediate, stride, w);
        } else {
            kernels.forEach(2 * rows, t -> gate(t / 2, t % 2 == 0 ? 0 : gateSplit,
                    t % 2 == 0 ? gateSplit : spec.intermediate - gateSplit, stride, w));
        }
    }

    /**
     * The MLP's gated activation of row {@code r}, outputs {@code [from, from + n)}. Several rows are split across the
     * kernel threads: the gate and up values were just written by both threads' products, so on one thread about
     * half of them came from the other core's cache, and the activation of 8 rows took 1.8–2.7 ms of a 24 ms step
     * (SmolLM-135M shape) where the same arithmetic on data in its own cache takes 0.3 ms.
     */
    private void gate(int r, int from, int n, int stride, Workspace w) {
        int at = r * stride + from;
        gateKind.apply(w.mlp, at, at + spec.intermediate, w.gated, r * spec.intermediate + from, n);
    }

    /** {@code x += projection(input)}. */
    private void residual(PackedLinear projection, float[] input, int rows, Workspace w) {
        projection.applyRows(input, rows, w.projected);
        for (int r = 0; r < rows; r++) {
            VectorMath.add(w.projected, r * projection.stride(), w.x, r * hidden, hidden);
        }
    }

    /** Final RMSNorm and lm_head of each stream's last row (or of every row), as rows of logits. */
    private float[][] logits(int[] offsets, boolean allRows, Workspace w, float[][] reuse) {
        int streams = offsets.length - 1;
        int count = allRows ? offsets[1] : streams;
        float[] rows = new float[count * hidden];
        for (int o = 0; o < count; o++) {
            int source = allRows ? o : offsets[o + 1] - 1;
            System.arraycopy(w.x, source * hidden, rows, o * hidden, hidden);
            Norm.Rms.normalize(rows, o * hidden, hidden, finalNorm, finalNormEps);
        }
        PackedLinear head = (PackedLinear) spec.lmHead;
        // Kept with the workspace: a new array per step is 1.5 MB for 8 sessions on the SmolLM-135M shape, a G1
        // "humongous" object, and each one started a garbage collection (806 in a 40 s chat benchmark of 8 users).
        float[] logits = w.logits(count * head.stride());
        head.applyRows(rows, count, logits);
        int vocab = Math.toIntExact(head.outFeatures());
        // Rows into the caller's slots when it keeps them. New rows are 1.5 MB a step for 8 sessions; on JDK 17 they
        // took 1.5 ms of each step of the 8-user chat benchmark (0.4 ms of a single user's), since the young heap's
        // pages were still being touched for the first time: with the heap touched in advance (-XX:+AlwaysPreTouch)
        // the old code made 249-252 tokens/s where it made 211-220. On JDK 25 the copies cost nothing measurable.
        float[][] result = new float[count][];
        for (int o = 0; o < count; o++) {
            boolean slot = reuse != null && o < reuse.length;
            float[] row = slot && reuse[o] != null && reuse[o].length == vocab ? reuse[o] : new float[vocab];
            if (slot) {
                reuse[o] = row;
            }
            System.arraycopy(logits, o * head.stride(), row, 0, vocab);
            result[o] = row;
        }
        return result;
    }

    /** A step's buffers, sized for a number of rows. */
    private final class Workspace implements HeapAttention.Buffers {
        /** The most rows these buffers hold. */
        final int rows;
        final float[] x;
        final float[] normed;
        final float[] qkv;
        final float[] attention;
        final float[] mlp;
        final float[] gated;
        final float[] projected;
        final float[] cos;
        final float[] sin;
        private float[] partials = new float[0];
        private float[] logits = new float[0];

        Workspace(int rows) {
            this.rows = rows;
            PreNormDecoder.Layer layer = spec.layers[0];
            x = new float[rows * hidden];
            normed = new float[rows * hidden];
            qkv = new float[rows * ((PackedLinear) layer.qkv()).stride()];
            attention = new float[rows * queryWidth];
            mlp = new float[rows * ((PackedLinear) layer.mlpIn()).stride()];
            gated = new float[rows * spec.intermediate];
            projected = new float[rows * Math.max(((PackedLinear) layer.out()).stride(),
                    ((PackedLinear) layer.mlpOut()).stride())];
            cos = new float[rows * headDim];
            sin = new float[rows * headDim];
        }

        /** Floats in the buffers sized by rows. */
        long floats() {
            return (long) x.length + normed.length + qkv.length + attention.length + mlp.length + gated.length
                    + projected.length + cos.length + sin.length;
        }

        @Override
        public float[] qkv() {
            return qkv;
        }

        @Override
        public float[] cos() {
            return cos;
        }

        @Override
        public float[] sin() {
            return sin;
        }

        @Override
        public float[] attention() {
            return attention;
        }

        @Override
        public float[] partials(int size) {
            return partials = atLeast(partials, size);
        }

        float[] logits(int size) {
            return logits = atLeast(logits, size);
        }
    }

    /** {@code buffer}, or a new one when it holds fewer than {@code size} floats (contents not kept). */
    static float[] atLeast(float[] buffer, int size) {
        return buffer.length >= size ? buffer : new float[size];
    }
}
