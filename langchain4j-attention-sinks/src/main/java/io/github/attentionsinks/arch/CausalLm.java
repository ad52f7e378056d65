package io.github.attentionsinks.arch;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.github.attentionsinks.cache.KeyShifter;
import io.github.attentionsinks.cache.SinkCache;
import io.github.attentionsinks.kernels.WeightKernels;
import java.util.Arrays;
import java.util.function.BooleanSupplier;

/**
 * A decoder-only transformer whose forward pass reads and extends a {@link SinkCache}. One class per
 * architecture, built on the blocks in {@code io.github.attentionsinks.nn}.
 */
public interface CausalLm extends AutoCloseable {
    /**
     * Runs the model over new tokens.
     *
     * @param step scoped manager for this step's temporaries (closed by the caller)
     * @param tokenIds the new tokens, {@code cache.tokens()} of them
     * @param cache the open cache step; the model calls {@link SinkCache.Step#append} once per layer
     * @param allPositions logits for every new token ({@code [n, vocab]}) or only the last ({@code [1, vocab]})
     */
    NDArray forward(NDManager step, int[] tokenIds, SinkCache.Step cache, boolean allPositions);

    /**
     * Runs several streams' new tokens in one call: stream {@code s} feeds {@code tokenIds[s]} through its own open
     * cache step {@code caches[s]}, at its own positions, and attends only to its own cache.
     *
     * <p>This default runs the streams one after another; decoders that can batch override it, so that the weights
     * are read once per call and the projections become matrix-matrix products.
     *
     * @return {@code [streams, vocab]}: the logits after each stream's last new token
     */
    default NDArray forwardBatch(NDManager step, int[][] tokenIds, SinkCache.Step[] caches) {
        NDList rows = new NDList(tokenIds.length);
        for (int s = 0; s < tokenIds.length; s++) {
            rows.add(forward(step, tokenIds[s], caches[s], false));
        }
        return rows.size() == 1 ? rows.singletonOrThrow() : NDArrays.concat(rows, 0);
    }

    /** A {@code giveWay} for {@link #logitRows} that never asks a step to stop. */
    BooleanSupplier NEVER_GIVE_WAY = () -> false;

    /**
     * The logits of {@link #forward} (one stream) or {@link #forwardBatch} (several) as float32 rows: what sessions
     * read. Decoders that compute on the Java heap override it to hand their rows over without a libtorch array, and
     * ask {@code giveWay} between layers and before MLPs: once it answers true they stop with {@link
     * StepGaveWayException}, having committed nothing (the caller abandons the cache steps). Others run the whole step.
     *
     * @param allPositions with one stream: a row for every new token; otherwise a row per stream (its last token)
     * @param giveWay whether the step should stop for more urgent work; {@link #NEVER_GIVE_WAY} for none
     * @param reuse null, or slots for the rows, kept by a caller that is done with one step's logits before the next:
     *     a decoder may write row r into {@code reuse[r]} and return that array, and put a row it allocates into an
     *     empty slot (or one of another length) for the next call. The decoders on the heap do; the others ignore it.
     */
    default float[][] logitRows(NDManager step, int[][] tokenIds, SinkCache.Step[] caches, boolean allPositions,
            BooleanSupplier giveWay, float[][] reuse) {
        NDArray logits = tokenIds.length == 1 ? forward(step, tokenIds[0], caches[0], allPositions)
                : forwardBatch(step, tokenIds, caches);
        if (logits.getDataType() != DataType.FLOAT32) {
            logits = logits.toType(DataType.FLOAT32, false);
        }
        int vocab = vocabSize();
        float[] flat = logits.toFloatArray();
        float[][] rows = new float[flat.length / vocab][];
        for (int r = 0; r < rows.length; r++) {
            rows[r] = Arrays.copyOfRange(flat, r * vocab, (r + 1) * vocab);
        }
        return rows;
    }

    /** The cache geometry this model needs. */
    CacheShape cacheShape();

    /**
     * Moves the weight products to the Java kernels: packs every weight matrix (quantizing it for int8) and frees
     * libtorch's copy, except an embedding table still looked up.
     *
     * @param required false: return false, changing nothing, when the Java heap cannot hold the packed weights;
     *     true: throw an error saying how much heap they need
     * @return whether the products moved
     */
    boolean useKernels(WeightKernels kernels, boolean required);

    /** Whether the whole forward pass runs on the Java heap (after {@link #useKernels}, for the decoders that can). */
    default boolean decodesOnHeap() {
        return false;
    }

    /** How cached keys move when positions are re-assigned; identity for ALiBi models. */
    KeyShifter keyShifter();

    /**
     * Keys per block for a cache of {@code cacheType} entries that this network reads with its keys in blocks
     * ({@link io.github.attentionsinks.cache.SinkCache}, "Keys in blocks"), or 0 for keys in rows.
     */
    default int keyBlock(DataType cacheType) {
        return 0;
    }

    /**
     * Null when {@code sinks} and {@code windowed} modes work, else the reason they cannot (learned absolute
     * positions are baked into the keys).
     */
    default String positionReassignmentUnsupportedReason() {
        return null;
    }

    int vocabSize();

    /** {@code max_position_embeddings}, the trained context (0 when unknown). */
    int maxPositionEmbeddings();

    @Override
    void close();

    /** Layers, KV heads and head dim of the cache. */
    record CacheShape(int layers, int kvHeads, int headDim) {}
}
