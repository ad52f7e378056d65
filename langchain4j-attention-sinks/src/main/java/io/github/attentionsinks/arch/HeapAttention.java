package io.github.attentionsinks.arch;

import io.github.attentionsinks.cache.SinkCache;
import io.github.attentionsinks.kernels.CacheReads;
import io.github.attentionsinks.kernels.VectorMath;
import io.github.attentionsinks.kernels.WeightKernels;
import io.github.attentionsinks.nn.Norm;
import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * The attention of {@link HeapForward}'s layers: each stream's new rows over its own {@link SinkCache}, read and
 * written in place ({@link SinkCache.Step#put}, {@link SinkCache.Step#readKeys}), so the cache, its positions and its
 * transactions are the ones every other path uses. It runs on the kernel threads as tasks of (stream, KV head, block
 * of query rows, part of the keys); the parts of one query's keys are merged as in flash-decoding, so that one
 * stream's decode step also uses every thread. The rows' query and key norms (Qwen3), rotation and cache writes come
 * first: inside a decode step's attention tasks, in tasks of their own before a prompt's.
 */
final class HeapAttention {
    /** The step buffers attention reads and writes, a {@link HeapForward} step's. */
    interface Buffers {
        /** The step's q/k/v rows, normed and rotated here in place. */
        float[] qkv();

        /** Rotary cos and sin rows, {@code headDim} per step row. */
        float[] cos();

        float[] sin();

        /** Receives the attention {@code [rows, heads·headDim]}. */
        float[] attention();

        /** A buffer of at least {@code size} floats for the tasks' partial results, kept with the others. */
        float[] partials(int size);
    }

    /** Query rows per attention task when a stream feeds a chunk. */
    private static final int ROW_BLOCK = 16;
    /** Keys per part at least, when a step's keys are split so that every kernel thread has work. */
    private static final int MIN_PART_KEYS = 128;
    /**
     * Keys or values read from the cache at a time: 64 of a head of 64 are 16 KiB, which stay in the first-level
     * cache while all of a task's queries use them. Reading a task's whole span at once (512 KiB for 1,024 keys)
     * and computing from there measured slower.
     */
    private static final int KEY_BLOCK = 64;
    /** Tasks of at least this many queries (rows × query heads per KV head) score through turned key blocks. */
    private static final int TURNED_FROM_QUERIES = 8;
    /**
     * Floats past a partial result's {@code headDim + 2}: the two kernel threads write neighbouring results (two
     * parts of one query), and without a cache line between them each store invalidated the other core's line
     * (values ~10% faster with it).
     */
    private static final int PARTIAL_PADDING = 16;
    /**
     * Whether caches get their keys in blocks where they can ({@link PreNormDecoder#keyBlock}).
     * {@code -Dattentionsinks.keysInBlocks=false} keeps them in rows; tests flip it to compare the two.
     */
    static volatile boolean keysInBlocks =
            Boolean.parseBoolean(System.getProperty("attentionsinks.keysInBlocks", "true"));
    /**
     * Whether decoding queries read cache rows in place ({@link CacheReads}) rather than from a copy.
     * {@code -Dattentionsinks.readCacheInPlace=false} turns it off; tests flip it to compare the two.
     */
    static volatile boolean readCacheInPlace =
            Boolean.parseBoolean(System.getProperty("attentionsinks.readCacheInPlace", "true"));
    /** Per kernel thread: one task's buffers. */
    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    private final PreNormDecoder.Spec spec;
    private final WeightKernels kernels;
    private final int heads;
    private final int kvHeads;
    private final int headDim;
    private final int queryWidth;
    private final int kvWidth;
    /** Floats per partial result of attention: maximum, sum, {@code headDim} weighted values, padding. */
    private final int partialSlot;
    private final float[] attentionScales;
    /** Per layer: the per-head q and k RMSNorm weights (Qwen3), or null. */
    private final float[][] queryNorms;
    private final float[][] keyNorms;
    private final double[] queryNormEps;
    private final double[] keyNormEps;

    HeapAttention(PreNormDecoder.Spec spec, WeightKernels kernels) {
        this.spec = spec;
        this.kernels = kernels;
        this.heads = spec.heads;
        this.kvHeads = spec.kvHeads;
        this.headDim = spec.headDim;
        this.queryWidth = heads * headDim;
        this.kvWidth = kvHeads * headDim;
        this.partialSlot = headDim + 2 + PARTIAL_PADDING;
        int layers = spec.layers.length;
        attentionScales = new float[layers];
        queryNorms = new float[layers][];
        keyNorms = new float[layers][];
        queryNormEps = new double[layers];
        keyNormEps = new double[layers];
        for (int l = 0; l < layers; l++) {
            PreNormDecoder.Layer layer = spec.layers[l];
            attentionScales[l] = spec.layerAttentionScales == null ? spec.attentionScale : spec.layerAttentionScales[l];
            if (layer.queryNorm() instanceof Norm.Rms q && layer.keyNorm() instanceof Norm.Rms k) {
                queryNorms[l] = q.weightValues();
                queryNormEps[l] = q.eps();
                keyNorms[l] = k.weightValues();
                keyNormEps[l] = k.eps();
            }
        }
    }

    /**
     * How a step's attention is split into tasks, the same in every layer: blocks of up to {@link #ROW_BLOCK} query
     * rows of one stream (block b: stream {@code blockStream[b]} from its row {@code blockFirstRow[b]}), times KV
     * heads, times {@code parts} of the keys.
     */
    record Tasks(int[] blockStream, int[] blockFirstRow, int parts) {
        int count(int kvHeads) {
            return blockStream.length * kvHeads * parts;
        }
    }

    /** The tasks of a step whose streams feed {@code offsets[s + 1] − offsets[s]} rows each, for all its layers. */
    Tasks tasks(int[] offsets, SinkCache.Step[] caches) {
        int streams = caches.length;
        int blocks = 0;
        int maxKeys = 0;
        for (int s = 0; s < streams; s++) {
            blocks += (offsets[s + 1] - offsets[s] + ROW_BLOCK - 1) / ROW_BLOCK;
            maxKeys = Math.max(maxKeys, caches[s].keyCount());
        }
        int[] streamOf = new int[blocks];
        int[] firstRowOf = new int[blocks];
        long[] cost = new long[blocks];
        for (int s = 0, b = 0; s < streams; s++) {
            for (int i = 0; i < offsets[s + 1] - offsets[s]; i += ROW_BLOCK, b++) {
                streamOf[b] = s;
                firstRowOf[b] = i;
                cost[b] = (long) Math.min(ROW_BLOCK, offsets[s + 1] - offsets[s] - i) * caches[s].keyCount();
            }
        }
        // Longest tasks first: the kernel threads claim tasks in order, and a long one claimed last is what the
        // other thread waits for (the sessions of a batch sit at different cache lengths).
        Integer[] order = new Integer[blocks];
        for (int b = 0; b < blocks; b++) {
            order[b] = b;
        }
        Arrays.sort(order, (a, b) -> Long.compare(cost[b], cost[a]));
        int[] blockStream = new int[blocks];
        int[] blockFirstRow = new int[blocks];
        for (int b = 0; b < blocks; b++) {
            blockStream[b] = streamOf[order[b]];
            blockFirstRow[b] = firstRowOf[order[b]];
        }
        int threads = kernels.threads();
        int tasks = blocks * kvHeads;
        // Too few tasks for the threads (one stream decoding): split each query's keys into parts, merged afterwards.
        int parts = tasks >= 2 * threads ? 1
                : Math.max(1, Math.min((2 * threads + tasks - 1) / tasks, maxKeys / MIN_PART_KEYS));
        return new Tasks(blockStream, blockFirstRow, parts);
    }

    /**
     * Layer {@code l}'s attention of every stream's new rows over its own cache, from their q/k/v rows in {@code
     * w.qkv()} ({@code qkvStride} apart) into {@code w.attention()} {@code [rows, heads·headDim]}; the new keys and
     * values go into the caches first. Query i of a stream sits at cache index {@code L + i} and sees keys {@code j ≤
     * L + i}, and with a sliding window w only {@code j > L + i − w}, as the libtorch path's masks.
     */
    void apply(int l, int window, int[] offsets, SinkCache.Step[] caches, Tasks tasks, int qkvStride, Buffers w) {
        int rows = offsets[caches.length];
        for (SinkCache.Step cache : caches) {
            cache.keyBytes(); // the cache's views, made here before the kernel threads use them
        }
        // One row per stream and a task per stream and KV head: each task readies its own heads (readyHead).
        boolean headsInTasks = rows == caches.length && tasks.parts() == 1;
        if (!headsInTasks) {
            readyRows(l, offsets, caches, tasks, qkvStride, w);
        }
        int parts = tasks.parts();
        int slot = partialSlot;
        float[] partials = w.partials(rows * heads * parts * slot);
        kernels.forEach(tasks.count(kvHeads), t -> {
            int b = t / (kvHeads * parts);
            int g = t / parts % kvHeads;
            int s = tasks.blockStream()[b];
            int first = tasks.blockFirstRow()[b];
            int count = Math.min(ROW_BLOCK, offsets[s + 1] - offsets[s] - first);
            if (headsInTasks) {
                readyHead(l, caches[s], offsets[s], 0, g, qkvStride, w);
            }
            attendPart(l, window, caches[s], offsets[s], first, count, g, t % parts, parts, qkvStride, w.qkv(),
                    partials);
            if (parts == 1) {
                finishWhole(offsets[s] + first, count, g, partials, w.attention());
            }
        });
        if (parts == 1) {
            return;
        }
        for (int r = 0; r < rows; r++) {
            for (int h = 0; h < heads; h++) {
                int first = partialAt(r, h, 0, parts);
                int target = r * queryWidth + h * headDim;
                float max = Float.NEGATIVE_INFINITY;
                for (int p = 0; p < parts; p++) {
                    max = Math.max(max, partials[first + p * slot]);
                }
                float sum = 0;
                Arrays.fill(w.attention(), target, target + headDim, 0f);
                for (int p = 0; p < parts; p++) {
                    int at = first + p * slot;
                    if (partials[at + 1] == 0) {
                        continue; // no visible key in this part
                    }
                    float weight = parts == 1 ? 1f : (float) Math.exp(partials[at] - max);
                    sum += weight * partials[at + 1];
                    VectorMath.addScaled(weight, partials, at + 2, w.attention(), target, headDim);
                }
                float inverse = 1f / sum;
                for (int d = 0; d < headDim; d++) {
                    w.attention()[target + d] *= inverse;
                }
            }
        }
    }

    /**
     * With the keys in one part, a task's results are final: each of its rows' query heads of KV head {@code g}, its
     * weighted sum over its sum, into {@code attention}, on the task's thread. Merged after all the tasks instead, on the
     * calling thread alone while the other waited, this took 0.1–0.3 ms of an 8-session decode step (SmolLM-135M
     * shape, docs/benchmarks.md, "Serial work of a batched step"), reading sums the other core had just written. The
     * same floats as the merge of one part.
     */
    private void finishWhole(int firstRow, int count, int g, float[] partials, float[] attention) {
        int group = heads / kvHeads;
        for (int r = firstRow; r < firstRow + count; r++) {
            for (int h = g * group; h < (g + 1) * group; h++) {
                int at = partialAt(r, h, 0, 1);
                VectorMath.scaled(1f / partials[at + 1], partials, at + 2, attention, r * queryWidth + h * headDim,
                        headDim);
            }
        }
    }

    /**
     * One task: rows {@code [first, first + count)} of a stream (its rows start at {@code rowOffset}), the query
     * heads of KV head {@code g}, keys of part {@code part} of {@code parts}. Writes per row and head the part's
     * score maximum m, {@code Σ exp(score − m)} and {@code Σ exp(score − m)·v} into {@code partials}.
     *
     * <p>The keys, then the values, are taken a {@link #KEY_BLOCK} at a time, which stay in the first-level cache
     * while every query of the task uses them. A decoding stream's few queries read them in place from the cache's
     * memory where the JDK allows it ({@link CacheReads}: copying them first took about half of an 8-session step's
     * attention at 1,025 keys), each row loaded once for all the query heads of the KV head, else from a copy; float32
     * keys in blocks and float32 values are then read whole in one call, whose kernels read two runs of them at once.
     * With many queries (a prompt's chunk) each block is copied and turned so that a key vector scores eight queries
     * at once with no sum across lanes, two blocks a pass ({@link VectorMath#blockPairScores}), and each value row
     * loaded serves three query heads at a time ({@link VectorMath#addThreeWeightedSums}): a 256-row step after 1,000
     * cached tokens took 467–517 ms instead of 519–607 (docs/benchmarks.md, "Prompt attention's kernels at the cores'
     * speed"), the same floats.
     */
    private void attendPart(int l, int window, SinkCache.Step cache, int rowOffset, int first, int count, int g,
            int part, int parts, int qkvStride, float[] qkv, float[] partials) {
        int cached = cache.cacheLengthBefore();
        int keys = cache.keyCount();
        int partFrom = (int) ((long) keys * part / parts);
        int partTo = (int) ((long) keys * (part + 1) / parts);
        int from = Math.max(partFrom, lowestVisible(cached + first, window));
        int to = Math.min(partTo, cached + first + count);
        int span = Math.max(0, to - from);
        int slot = partialSlot;
        int group = heads / kvHeads;
        int queries = count * group;
        int lanes = VectorMath.lanes();
        // Keys in blocks are scored whole blocks at a time, from the one holding key `from`: a query's scores then
        // start at key `origin`, and those before `from` are never used.
        int keyBlock = cache.keyBlock();
        int origin = keyBlock == 0 || span == 0 ? from : cache.keyBlockStart(from);
        int blocks = keyBlock == 0 ? 0 : (to - origin + keyBlock - 1) / keyBlock;
        int width = keyBlock == 0 ? (span + lanes - 1) / lanes * lanes : blocks * keyBlock;
        Scratch scratch = SCRATCH.get();
        float[] qs = scratch.queries(queries * headDim);
        float[] scores = scratch.scores(queries * width);
        float[] block = scratch.block(KEY_BLOCK * headDim);
        float[] turned = scratch.turned(lanes * headDim);
        for (int i = 0; i < count; i++) {
            for (int hh = 0; hh < group; hh++) {
                System.arraycopy(qkv, (rowOffset + first + i) * qkvStride + (g * group + hh) * headDim, qs,
                        (i * group + hh) * headDim, headDim);
            }
        }
        float scale = attentionScales[l];
        // A decoding stream's few queries read the cache rows in place; a chunk's many queries score turned copies.
        boolean halves = cache.float16();
        boolean inPlace = queries < TURNED_FROM_QUERIES && readCacheInPlace
                && (halves ? CacheReads.supportsHalves(headDim) : CacheReads.supports(headDim));
        ByteBuffer keyBytes = inPlace ? cache.keyBytes() : null;
        ByteBuffer valueBytes = inPlace ? cache.valueBytes() : null;
        if (keyBlock != 0) {
            scoreKeyBlocks(l, g, cache, origin, blocks, keyBytes, qs, queries, scale, block, scores, width);
        }
        for (int b = 0; keyBlock == 0 && b < span; b += KEY_BLOCK) {
            int n = Math.min(KEY_BLOCK, span - b);
            if (inPlace && halves) {
                CacheReads.groupScoresHalves(qs, 0, queries, keyBytes, cache.byteOffset(l, g, from + b), n, headDim,
                        scale, scores, b, width);
                continue;
            }
            if (inPlace) {
                CacheReads.groupScores(qs, 0, queries, keyBytes, cache.byteOffset(l, g, from + b), n, headDim, scale,
                        scores, b, width);
                continue;
            }
            cache.readKeys(l, g, from + b, n, block);
            if (queries >= TURNED_FROM_QUERIES) {
                for (int j = 0; j < n; j += lanes) {
                    VectorMath.transpose(block, j * headDim, Math.min(lanes, n - j), headDim, turned);
                    VectorMath.blockScores(qs, queries, headDim, turned, 0, scale, scores, b + j, width);
                }
            } else {
                for (int q = 0; q < queries; q++) {
                    VectorMath.scores(qs, q * headDim, block, 0, n, headDim, scale, scores, q * width + b);
                }
            }
        }
        // Softmax numerators over each query's visible keys, then the values they weigh, block by block.
        for (int i = 0; i < count; i++) {
            int query = cached + first + i;
            int rowFrom = Math.max(from, lowestVisible(query, window));
            int rowTo = Math.min(to, query + 1);
            for (int hh = 0; hh < group; hh++) {
                int at = partialAt(rowOffset + first + i, g * group + hh, part, parts);
                Arrays.fill(partials, at, at + slot, 0f);
                if (rowFrom >= rowTo) {
                    partials[at] = Float.NEGATIVE_INFINITY;
                    continue;
                }
                int off = (i * group + hh) * width + rowFrom - origin;
                float max = VectorMath.max(scores, off, rowTo - rowFrom);
                partials[at] = max;
                partials[at + 1] = VectorMath.expShifted(scores, off, rowTo - rowFrom, max);
            }
        }
        if (inPlace && !halves) {
            // Each row's visible float32 values in one call, whose kernel reads two runs of them at once (CacheReads).
            for (int i = 0; i < count; i++) {
                int query = cached + first + i;
                int lo = Math.max(from, lowestVisible(query, window));
                int hi = Math.min(to, query + 1);
                if (lo < hi) {
                    CacheReads.groupWeightedSums(scores, i * group * width + lo - origin, width, group, hi - lo,
                            valueBytes, cache.byteOffset(l, g, lo), headDim, partials,
                            partialAt(rowOffset + first + i, g * group, part, parts) + 2, parts * slot);
                }
            }
            return;
        }
        for (int b = 0; b < span; b += KEY_BLOCK) {
            int n = Math.min(KEY_BLOCK, span - b);
            if (!inPlace) {
                cache.readValues(l, g, from + b, n, block);
            }
            for (int i = 0; i < count; i++) {
                int query = cached + first + i;
                int lo = Math.max(from + b, lowestVisible(query, window));
                int hi = Math.min(from + b + n, query + 1);
                if (lo >= hi) {
                    continue;
                }
                int pOff = i * group * width + lo - origin;
                int out = partialAt(rowOffset + first + i, g * group, part, parts) + 2;
                // A row's query heads see the same keys: each value row loaded serves several of them.
                if (inPlace) { // a float16 cache: float32 values read in place went whole above
                    CacheReads.groupWeightedSumsHalves(scores, pOff, width, group, hi - lo, valueBytes,
                            cache.byteOffset(l, g, lo), headDim, partials, out, parts * slot);
                    continue;
                }
                int hh = 0;
                for (; hh + 2 < group; hh += 3) {
                    VectorMath.addThreeWeightedSums(scores, pOff + hh * width, pOff + (hh + 1) * width,
                            pOff + (hh + 2) * width, hi - lo, block, (lo - from - b) * headDim, headDim, partials,
                            out + hh * parts * slot, out + (hh + 1) * parts * slot, out + (hh + 2) * parts * slot);
                }
                for (; hh + 1 < group; hh += 2) {
                    VectorMath.addWeightedSums(scores, pOff + hh * width, pOff + (hh + 1) * width, hi - lo, block,
                            (lo - from - b) * headDim, headDim, partials, out + hh * parts * slot,
                            out + (hh + 1) * parts * slot);
                }
                if (hh < group) {
                    VectorMath.addWeightedSum(scores, pOff + hh * width, hi - lo, block, (lo - from - b) * headDim,
                            headDim, partials, out + hh * parts * slot);
                }
            }
        }
    }

    /**
     * {@link #attendPart}'s scores over a cache whose keys are in blocks: {@code blocks} blocks from attended index
     * {@code origin}, a {@link #KEY_BLOCK}'s worth at a time, read in place from {@code keyBytes} when it is given,
     * else widened into {@code block}; key {@code origin + j}'s scores at {@code scores[j]}, query by query
     * {@code width} apart.
     */
    private void scoreKeyBlocks(int l, int g, SinkCache.Step cache, int origin, int blocks, ByteBuffer keyBytes,
            float[] qs, int queries, float scale, float[] block, float[] scores, int width) {
        int keyBlock = cache.keyBlock();
        if (keyBytes != null && !cache.float16()) {
            // All blocks in one call, whose kernel reads two runs of them at once (CacheReads).
            CacheReads.groupScoresBlocks(qs, 0, queries, keyBytes, cache.keyBlockByteOffset(l, g, origin), blocks,
                    headDim, scale, scores, 0, width);
            return;
        }
        int step = KEY_BLOCK / keyBlock;
        for (int b = 0; b < blocks; b += step) {
            int n = Math.min(step, blocks - b);
            int start = origin + b * keyBlock;
            if (keyBytes != null && cache.float16()) {
                CacheReads.groupScoresHalfBlocks(qs, 0, queries, keyBytes, cache.keyBlockByteOffset(l, g, start), n,
                        headDim, scale, scores, b * keyBlock, width);
                continue;
            }
            cache.readKeyBlocks(l, g, start, n, block);
            int j = 0;
            for (; j + 1 < n; j += 2) {
                VectorMath.blockPairScores(qs, queries, headDim, block, j * keyBlock * headDim,
                        (j + 1) * keyBlock * headDim, scale, scores, (b + j) * keyBlock, (b + j + 1) * keyBlock, width);
            }
            if (j < n) {
                VectorMath.blockScores(qs, queries, headDim, block, j * keyBlock * headDim, scale, scores,
                        (b + j) * keyBlock, width);
            }
        }
    }

    /**
     * Every row's query and key norms and rotation, and the new keys and values into the caches, before any query
     * attends (a prompt's rows attend to keys written by other rows of the same step): on the kernel threads, a task
     * per block of rows and KV head of {@code tasks}. On the calling thread alone, while the other thread waited, this
     * took 0.42–0.45 ms a layer of the steps of {@code PromptAfterCache 256 12 0} (SmolLM-135M shape, warm-up
     * included), as tasks 0.28 (docs/benchmarks.md, "Prompt attention's kernels at the cores' speed"). Each head is
     * normed, rotated and written on its own, so the floats are the same either way.
     */
    private void readyRows(int l, int[] offsets, SinkCache.Step[] caches, Tasks tasks, int qkvStride, Buffers w) {
        kernels.forEach(tasks.blockStream().length * kvHeads, t -> {
            int b = t / kvHeads;
            int g = t % kvHeads;
            int s = tasks.blockStream()[b];
            int first = tasks.blockFirstRow()[b];
            int count = Math.min(ROW_BLOCK, offsets[s + 1] - offsets[s] - first);
            for (int i = first; i < first + count; i++) {
                readyHead(l, caches[s], offsets[s] + i, i, g, qkvStride, w);
            }
        });
    }

    /**
     * Step row {@code r}, token {@code token} of its stream: the query and key norms and the rotation of KV head
     * {@code g}'s query heads and key, and its key and value into the cache. A step of one row per stream runs it in
     * the attention task of that row and KV head; on the decode thread alone, for every row before attention, it took
     * 0.4–0.8 ms of an 8-session step (SmolLM-135M shape), reading rows the other core had just written. Every head
     * is normed and rotated on its own, so the floats are the same either way.
     */
    private void readyHead(int l, SinkCache.Step cache, int r, int token, int g, int qkvStride, Buffers w) {
        int group = heads / kvHeads;
        int at = r * qkvStride;
        int queries = at + g * group * headDim;
        int key = at + queryWidth + g * headDim;
        if (queryNorms[l] != null) {
            for (int hh = 0; hh < group; hh++) {
                Norm.Rms.normalize(w.qkv(), queries + hh * headDim, headDim, queryNorms[l], queryNormEps[l]);
            }
            Norm.Rms.normalize(w.qkv(), key, headDim, keyNorms[l], keyNormEps[l]);
        }
        if (spec.rotary != null) {
            spec.rotary.applyInPlace(w.qkv(), queries, group, w.cos(), w.sin(), r * headDim);
            spec.rotary.applyInPlace(w.qkv(), key, 1, w.cos(), w.sin(), r * headDim);
        }
        cache.put(l, g, token, w.qkv(), key, w.qkv(), key + kvWidth);
    }

    /** Where the partial result of step row {@code row}, query head {@code head}, key part {@code part} starts. */
    private int partialAt(int row, int head, int part, int parts) {
        return ((row * heads + head) * parts + part) * partialSlot;
    }

    /** The first cache index a query at {@code query} sees: 0, or with a sliding window its oldest key. */
    private static int lowestVisible(int query, int window) {
        return window > 0 ? Math.max(0, query - window + 1) : 0;
    }

    /** A kernel thread's buffers for attention tasks, grown as needed and kept. */
    private static final class Scratch {
        private float[] queries = new float[0];
        private float[] scores = new float[0];
        private float[] block = new float[0];
        private float[] turned = new float[0];

        float[] queries(int size) {
            return queries = HeapForward.atLeast(queries, size);
        }

        float[] scores(int size) {
            return scores = HeapForward.atLeast(scores, size);
        }

        float[] block(int size) {
            return block = HeapForward.atLeast(block, size);
        }

        float[] turned(int size) {
            return turned = HeapForward.atLeast(turned, size);
        }
    }
}
