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
     * The weight is required (its manager owns the norm's constants).
     */
    static Norm rms(NDArray weight, double eps) {
        return new Rms(weight, eps);
    }

    /** Passes its input through: a norm that a following projection computes itself ({@link PackedLinear}). */
    Norm IDENTITY = x -> x;

    /** RMSNorm; a record so that the Java kernels can compute it inside the projection that follows it. */
    record Rms(NDArray weight, double eps, NDArray epsilon) implements Norm {
        Rms(NDArray weight, double eps) {
            // A scalar operand made once: DJL creates a native tensor for every add(Number).
            this(weight, eps, weight.getManager().create((float) eps));
        }

        @Override
        public NDArray apply(NDArray x) {
            DataType type = x.getDataType();
            NDArray x32 = type == DataType.FLOAT32 ? x : x.toType(DataType.FLOAT32, false);
            NDArray rms = x32.square().mean(new int[] {-1}, true).add(epsilon).sqrt();
            NDArray normed = x32.div(rms);
            if (type != DataType.FLOAT32) {
                normed = normed.toType(type, false);
            }
            return normed.mul(weight);
        }

        /** The weight as float32 values on the heap. */
        public float[] weightValues() {
            return TensorMemory.values(weight);
        }

        /**
         * RMSNorm of {@code x[offset .. offset + n)} in place on the heap: {@code x · rsqrt(mean(x²) + eps) · w}, in
         * float32 as Hugging Face's LlamaRMSNorm computes it. The squares go into four sums: one running sum waits
         * on each addition, and 480 norms of 576 (an 8-row step of the SmolLM-135M shape) took 0.49 ms that way
         * against 0.19 ms. {@code VectorMath.dot} of x with itself would do too, but its sixteen lane sums moved the
         * heap decoder further from libtorch (Gemma's fixture: 1.2e-4 against 8.4e-5, the tolerance being 2e-4).
         */
        public static void normalize(float[] x, int offset, int n, float[] weight, double eps) {
            float s0 = 0;
            float s1 = 0;
            float s2 = 0;
            float s3 = 0;
            int i = offset;
            int end = offset + n;
            for (; i + 3 < end; i += 4) {
                s0 += x[i] * x[i];
                s1 += x[i + 1] * x[i + 1];
                s2 += x[i + 2] * x[i + 2];
                s3 += x[i + 3] * x[i + 3];
            }
            for (; i < end; i++) {
                s0 += x[i] * x[i];
            }
            float squares = (s0 + s1) + (s2 + s3);
            float inverse = (float) (1.0 / Math.sqrt(squares / n + (float) eps));
            for (int j = 0; j < n; j++) {
                x[offset + j] = x[offset + j] * inverse * weight[j];
            }
        }
    }

    /**
     * LayerNorm with optional weight and bias (null for none, as in MPT's bias-free and OLMo's non-parametric norms).
     */
    static Norm layer(NDArray weight, NDArray bias, double eps) {
        if (weight != null && bias != null) {
            return x -> {
                Shape normalized = new Shape(x.getShape().get(x.getShape().dimension() - 1));
                return JniUtils.layerNorm((PtNDArray) x, normalized, (PtNDArray) weight, (PtNDArray) bias, eps);
            };
        }
        // DJL 0.36's JniUtils.layerNorm dereferences a null weight or bias, so spell it out.
        float epsilon = (float) eps;
        return x -> {
            NDArray centered = x.sub(x.mean(new int[] {-1}, true));
            NDArray normed = centered.mul(centered.square().mean(new int[] {-1}, true).add(epsilon).pow(-0.5f));
            if (weight != null) {
                normed = normed.mul(weight);
            }
            return bias == null ? normed : normed.add(bias);
        };
    }
}
