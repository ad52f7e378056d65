package io.github.attentionsinks.examples.cli;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.github.attentionsinks.kernels.WeightKernels;
import io.github.attentionsinks.nn.Linear;
import io.github.attentionsinks.nn.PackedLinear;
import io.github.attentionsinks.nn.Projection;
import io.github.attentionsinks.runtime.DjlRuntime;
import java.util.Arrays;

/**
 * The floor of a decode step on this machine: only the matrix-vector products with every weight matrix of a Llama
 * shape (fused q/k/v, o, fused gate/up, down, lm_head), each through {@link Linear} as the model calls it (one libtorch
 * call, in the weight layout the model uses), nothing else. A decode step must read
 * all weights once, so it cannot be faster than this; the gap to a measured step is everything else (norms,
 * attention, cache, Java and JNI overhead). Measured in the same run as the model, since these machines are noisy.
 */
final class WeightStreamFloor {
    private WeightStreamFloor() {}

    /**
     * Median milliseconds of one pass over all weights, over {@code passes} passes.
     *
     * @param kernels the Java kernels the model used (the products then run through them, as in the model), or null
     *     for libtorch's
     */
    static double medianMs(SyntheticLlama.Shape s, DataType dataType, WeightKernels kernels, int passes) {
        DjlRuntime.engine();
        int q = s.heads() * s.headDim();
        int kv = s.kvHeads() * s.headDim();
        try (NDManager manager = NDManager.newBaseManager()) {
            Projection[][] layers = new Projection[s.layers()][];
            for (int l = 0; l < s.layers(); l++) {
                layers[l] = new Projection[] {
                    random(manager, q + 2 * kv, s.hidden(), dataType, kernels),
                    random(manager, s.hidden(), q, dataType, kernels),
                    random(manager, 2 * s.intermediate(), s.hidden(), dataType, kernels),
                    random(manager, s.hidden(), s.intermediate(), dataType, kernels)};
            }
            Projection head = random(manager, s.vocab(), s.hidden(), dataType, kernels);
            NDArray x = manager.randomNormal(new Shape(1, s.hidden())).toType(dataType, false);
            NDArray xq = manager.randomNormal(new Shape(1, q)).toType(dataType, false);
            NDArray xi = manager.randomNormal(new Shape(1, s.intermediate())).toType(dataType, false);
            double[] ms = new double[passes];
            // Ten passes to warm up: the model's decode path does not go through Projection.apply(NDArray) on the
            // Java kernels (it stays on the heap), so the JIT compiles it here; with two, the median was that of
            // partly interpreted passes (15–20 ms against 8 int8 on the SmolLM-135M shape).
            for (int p = -10; p < passes; p++) {
                long t0 = System.nanoTime();
                try (NDManager scope = manager.newSubManager()) {
                    for (Projection[] w : layers) {
                        scope.attachAll(w[0].apply(x), w[1].apply(xq), w[2].apply(x), w[3].apply(xi));
                    }
                    scope.attachAll(head.apply(x));
                }
                if (p >= 0) {
                    ms[p] = (System.nanoTime() - t0) / 1e6;
                }
            }
            Arrays.sort(ms);
            return ms[passes / 2];
        }
    }

    private static Projection random(NDManager manager, int rows, int cols, DataType dataType,
            WeightKernels kernels) {
        NDArray normal = manager.randomNormal(0, 0.02f, new Shape(rows, cols), DataType.FLOAT32);
        if (kernels != null) {
            Linear linear = new Linear(normal, null);
            PackedLinear packed = PackedLinear.pack(linear, kernels);
            linear.close();
            return packed;
        }
        if (dataType == DataType.FLOAT32) {
            return new Linear(normal, null);
        }
        NDArray weight = normal.toType(dataType, false);
        normal.close();
        return new Linear(weight, null);
    }
}
