package io.github.attentionsinks.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;

/** Normalisation over the last axis: RMSNorm or LayerNorm, each computed in float32 as Hugging Face does. */
public interface Norm {
    NDArray apply(NDArray x);

    /**
     * RMSNorm: {@code x / sqrt(mean(x²) + eps) · weight}. For Gemma's {@code (1 + w)} pass the shifted weight.
     */
    static Norm rms(NDArray weight, double eps) {
        float epsilon = (float) eps;
        return x -> {
            DataType type = x.getDataType();
            NDArray x32 = type == DataType.FLOAT32 ? x : x.toType(DataType.FLOAT32, false);
            NDArray inv = x32.square().mean(new int[] {-1}, true).add(epsilon).pow(-0.5f);
            NDArray normed = x32.mul(inv);
            if (type != DataType.FLOAT32) {
                normed = normed.toType(type, false);
            }
            return weight == null ? normed : normed.mul(weight);
        };
    }

    /** LayerNorm with optional weight and bias (null for none, as in OLMo's non-parametric norm). */
    static Norm layer(NDArray weight, NDArray bias, double eps) {
        if (weight == null && bias == null) {
            return nonParametricLayer(eps);
        }
        return x -> {
            Shape normalized = new Shape(x.getShape().get(x.getShape().dimension() - 1));
            return JniUtils.layerNorm((PtNDArray) x, normalized, (PtNDArray) weight, (PtNDArray) bias, eps);
        };
    }

    /** {@code (x − mean)/sqrt(var + eps)} with no weight or bias (OLMo), in float32 as HF computes it. */
    private static Norm nonParametricLayer(double eps) {
        float epsilon = (float) eps;
        return x -> {
            // libtorch's layer_norm through DJL needs a weight and a bias, so this one is spelled out.
            DataType type = x.getDataType();
            NDArray x32 = type == DataType.FLOAT32 ? x : x.toType(DataType.FLOAT32, false);
            NDArray centered = x32.sub(x32.mean(new int[] {-1}, true));
            NDArray inv = centered.square().mean(new int[] {-1}, true).add(epsilon).pow(-0.5f);
            NDArray normed = centered.mul(inv);
            return type == DataType.FLOAT32 ? normed : normed.toType(type, false);
        };
    }
}
