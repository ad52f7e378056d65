package io.github.attentionsinks.nn;

import ai.djl.ndarray.NDArray;

/** A weight product {@code y = x·Wᵀ + b}: libtorch's ({@link Linear}) or the Java kernels' ({@link PackedLinear}). */
public interface Projection {
    /** {@code x·Wᵀ + b} for float32 {@code x [..., in]}; the result belongs to the manager of {@code x}. */
    NDArray apply(NDArray x);

    long outFeatures();
}
