package io.github.attentionsinks.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;

/**
 * {@code y = x·Wᵀ + b} with Hugging Face's {@code [out, in]} weight layout (one libtorch call).
 *
 * @param weight {@code [out, in]}
 * @param bias {@code [out]}, or null
 */
public record Linear(NDArray weight, NDArray bias) {
    public NDArray apply(NDArray x) {
        return JniUtils.linear((PtNDArray) x, (PtNDArray) weight, (PtNDArray) bias);
    }

    public long outFeatures() {
        return weight.getShape().get(0);
    }
}
