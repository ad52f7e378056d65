package io.github.attentionsinks.examples.cli;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import io.github.attentionsinks.runtime.DjlRuntime;
import java.util.Arrays;

/**
 * The floor of a decode step on this machine: only the matrix-vector products with every weight matrix of a Llama
 * shape (fused q/k/v, o, fused gate/up, down, lm_head), one libtorch call each, nothing else. A decode step must read
 * all weights once, so it cannot be faster than this; the gap to a measured step is everything else (norms,
 * attention, cache, Java and JNI overhead). Measured in the same run as the model, since these machines are noisy.
 */
final class WeightStreamFloor {
    private WeightStreamFloor() {}

    /** Median milliseconds of one pass over all weights, over {@code passes} passes. */
    static double medianMs(SyntheticLlama.Shape s, DataType dataType, int passes) {
        DjlRuntime.engine();
        int q = s.heads() * s.headDim();
        int kv = s.kvHeads() * s.headDim();
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray[][] layers = new NDArray[s.layers()][];
            for (int l = 0; l < s.layers(); l++) {
                layers[l] = new NDArray[] {
                    random(manager, q + 2 * kv, s.hidden(), dataType), random(manager, s.hidden(), q, dataType),
                    random(manager, 2 * s.intermediate(), s.hidden(), dataType),
                    random(manager, s.hidden(), s.intermediate(), dataType)};
            }
            NDArray head = random(manager, s.vocab(), s.hidden(), dataType);
            NDArray x = manager.randomNormal(new Shape(1, s.hidden())).toType(dataType, false);
            NDArray xq = manager.randomNormal(new Shape(1, q)).toType(dataType, false);
            NDArray xi = manager.randomNormal(new Shape(1, s.intermediate())).toType(dataType, false);
            double[] ms = new double[passes];
            for (int p = -2; p < passes; p++) {
                long t0 = System.nanoTime();
                try (NDManager scope = manager.newSubManager()) {
                    for (NDArray[] w : layers) {
                        scope.attachAll(linear(x, w[0]), linear(xq, w[1]), linear(x, w[2]), linear(xi, w[3]));
                    }
                    scope.attachAll(linear(x, head));
                }
                if (p >= 0) {
                    ms[p] = (System.nanoTime() - t0) / 1e6;
                }
            }
            Arrays.sort(ms);
            return ms[passes / 2];
        }
    }

    private static NDArray random(NDManager manager, int rows, int cols, DataType dataType) {
        return manager.randomNormal(0, 0.02f, new Shape(rows, cols), DataType.FLOAT32).toType(dataType, false);
    }

    private static NDArray linear(NDArray x, NDArray w) {
        return JniUtils.linear((PtNDArray) x, (PtNDArray) w, null);
    }
}
