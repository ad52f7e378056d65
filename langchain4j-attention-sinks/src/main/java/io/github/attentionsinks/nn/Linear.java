package io.github.attentionsinks.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;

/**
 * {@code y = x·Wᵀ + b} with Hugging Face's {@code [out, in]} weight layout (one libtorch call).
 *
 * <p>The weight may be stored in float16 while everything else runs in float32 (the {@code float16} dtype): the
 * input is rounded to float16 for the product, the result widened back and the bias (kept in float32) added after.
 * libtorch's float16 matrix-vector kernel is multi-threaded and reads half the bytes, so on a CPU this is several
 * times faster than its single-threaded float32 one.
 *
 * @param weight {@code [out, in]}
 * @param bias {@code [out]}, or null
 */
public record Linear(NDArray weight, NDArray bias) {
    public NDArray apply(NDArray x) {
        if (x.getDataType() == weight.getDataType()) {
            return JniUtils.linear((PtNDArray) x, (PtNDArray) weight, (PtNDArray) bias);
        }
        NDArray y = JniUtils.linear((PtNDArray) x.toType(weight.getDataType(), false), (PtNDArray) weight, null)
                .toType(x.getDataType(), false);
        return bias == null ? y : y.add(bias);
    }

    public long outFeatures() {
        return weight.getShape().get(0);
    }
}
