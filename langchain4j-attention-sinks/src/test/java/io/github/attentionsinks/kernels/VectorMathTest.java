package io.github.attentionsinks.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link VectorMath} against plain double-precision loops written here, at lengths around the vector width (a
 * scalar tail, whole vectors, both) and at offsets, as the heap decoder calls it. Relative tolerance 1e-5.
 */
class VectorMathTest {
    private final Random random = new Random(3);

    private float[] gaussian(int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) random.nextGaussian();
        }
        return a;
    }

    private static void close(double expected, float actual, String what) {
        assertEquals(expected, actual, 1e-5 * Math.max(1, Math.abs(expected)), what);
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 7, 8, 15, 16, 17, 33, 64, 80, 100})
    void dotsMaxAndExponentials(int n) {
        float[] a = gaussian(n + 3);
        float[] b = gaussian(n + 5);
        double dot = 0;
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            dot += (double) a[3 + i] * b[5 + i];
            max = Math.max(max, a[3 + i]);
        }
        close(dot, VectorMath.dot(a, 3, b, 5, n), "dot of " + n);
        assertEquals((float) max, VectorMath.max(a, 3, n), "max of " + n);
        float[] e = a.clone();
        double sum = 0;
        for (int i = 0; i < n; i++) {
            sum += Math.exp(a[3 + i] - 0.5);
        }
        close(sum, VectorMath.expShifted(e, 3, n, 0.5f), "sum of exponentials of " + n);
        for (int i = 0; i < n; i++) {
            close(Math.exp(a[3 + i] - 0.5), e[3 + i], "exp element " + i);
        }
        float[] y = gaussian(n + 2);
        float[] added = y.clone();
        float[] scaled = y.clone();
        VectorMath.add(a, 3, added, 2, n);
        VectorMath.addScaled(0.25f, a, 3, scaled, 2, n);
        for (int i = 0; i < n; i++) {
            close(y[2 + i] + (double) a[3 + i], added[2 + i], "add element " + i);
            close(y[2 + i] + 0.25 * a[3 + i], scaled[2 + i], "addScaled element " + i);
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {8, 16, 48, 64, 80, 128})
    void attentionScoresAndWeightedSums(int dim) {
        int keys = 37;
        float[] q = gaussian(dim + 4);
        float[] k = gaussian(2 + keys * dim);
        float[] scores = new float[keys];
        VectorMath.scores(q, 4, k, 2, keys, dim, 0.125f, scores);
        for (int j = 0; j < keys; j++) {
            double dot = 0;
            for (int d = 0; d < dim; d++) {
                dot += (double) q[4 + d] * k[2 + j * dim + d];
            }
            close(0.125 * dot, scores[j], "score " + j + " at dim " + dim);
        }
        float[] p = gaussian(keys);
        float[] out = new float[dim + 3];
        VectorMath.weightedSum(p, keys, k, 2, dim, out, 3);
        for (int d = 0; d < dim; d++) {
            double sum = 0;
            for (int j = 0; j < keys; j++) {
                sum += (double) p[j] * k[2 + j * dim + d];
            }
            close(sum, out[3 + d], "weighted sum element " + d + " at dim " + dim);
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 15, 16, 17, 100})
    void gatedActivations(int n) {
        float[] y = gaussian(2 * n + 1);
        float[] silu = new float[n + 2];
        float[] gelu = new float[n + 2];
        VectorMath.siluGate(y, 1, 1 + n, silu, 2, n);
        VectorMath.geluTanhGate(y, 1, 1 + n, gelu, 2, n);
        for (int i = 0; i < n; i++) {
            double g = y[1 + i];
            double up = y[1 + n + i];
            close(g / (1 + Math.exp(-g)) * up, silu[2 + i], "silu element " + i);
            double inner = Math.sqrt(2 / Math.PI) * (g + 0.044715 * g * g * g);
            close(0.5 * g * (1 + Math.tanh(inner)) * up, gelu[2 + i], "gelu element " + i);
        }
    }
}
