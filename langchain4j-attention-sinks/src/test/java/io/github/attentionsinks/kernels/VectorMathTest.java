package io.github.attentionsinks.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
        float[] product = y.clone();
        VectorMath.add(a, 3, added, 2, n);
        VectorMath.addScaled(0.25f, a, 3, scaled, 2, n);
        VectorMath.scaled(0.25f, a, 3, product, 2, n);
        for (int i = 0; i < n; i++) {
            close(y[2 + i] + (double) a[3 + i], added[2 + i], "add element " + i);
            close(y[2 + i] + 0.25 * a[3 + i], scaled[2 + i], "addScaled element " + i);
            assertEquals(0.25f * a[3 + i], product[2 + i], "scaled element " + i);
        }
        assertEquals(y[1], product[1], "scaled wrote before its offset");
        float[] seek = a.clone();
        int last = n - 1;
        assertEquals(-1, VectorMath.indexOf(seek, 3, n, 99f), "indexOf of a missing value, n " + n);
        seek[3 + last] = 99f;
        assertEquals(last, VectorMath.indexOf(seek, 3, n, 99f), "indexOf of the last value, n " + n);
        seek[3 + last / 2] = 99f;
        assertEquals(last / 2, VectorMath.indexOf(seek, 3, n, 99f), "indexOf takes the first, n " + n);
        seek[3 + last / 2] = -0f;
        assertEquals(last / 2, VectorMath.indexOf(seek, 3, n, 0f), "-0.0 equals 0.0, n " + n);
        seek[3 + last / 2] = Float.NaN;
        assertEquals(-1, VectorMath.indexOf(seek, 3, n, Float.NaN), "NaN equals nothing, n " + n);
    }

    /**
     * Attention's weights below float32's normal range (2^-126) come out 0 rather than subnormal, in the vector loop
     * and the tail alike; the others are exp(score − shift), and the sum is theirs. Scores 80–110 below the shift
     * give normal, subnormal and underflowing exponentials.
     */
    @ParameterizedTest
    @ValueSource(ints = {3, 16, 21, 40, 100})
    void subnormalExponentialsAreZero(int n) {
        float[] a = new float[n + 3];
        for (int i = 0; i < n; i++) {
            a[3 + i] = 2f - 80f - (30f * i) / n; // exp from e^-78 (normal) down to e^-108 (below the subnormals)
        }
        float[] e = a.clone();
        double sum = 0;
        int subnormal = 0;
        for (int i = 0; i < n; i++) {
            double x = Math.exp(a[3 + i] - 2.0);
            if ((float) x < Float.MIN_NORMAL) {
                subnormal += (float) x > 0 ? 1 : 0;
            } else {
                sum += x;
            }
        }
        float total = VectorMath.expShifted(e, 3, n, 2f);
        assertEquals(sum, total, 1e-5 * sum, "sum of exponentials of " + n);
        for (int i = 0; i < n; i++) {
            double x = Math.exp(a[3 + i] - 2.0);
            if ((float) x < Float.MIN_NORMAL) {
                assertEquals(0f, e[3 + i], "exp element " + i + " of " + n + ", " + x + " below the normal range");
            } else {
                assertEquals(x, e[3 + i], 1e-5 * x, "exp element " + i + " of " + n);
            }
        }
        if (n >= 16) {
            assertTrue(subnormal > 0, "the scores reach the subnormal range");
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {8, 16, 48, 64, 80, 128})
    void attentionScoresAndWeightedSums(int dim) {
        int keys = 37;
        float[] q = gaussian(dim + 4);
        float[] k = gaussian(2 + keys * dim);
        float[] scores = new float[keys + 5];
        VectorMath.scores(q, 4, k, 2, keys, dim, 0.125f, scores, 5);
        for (int j = 0; j < keys; j++) {
            close(0.125 * dot(q, 4, k, 2 + j * dim, dim), scores[5 + j], "score " + j + " at dim " + dim);
        }
        float[] p = gaussian(keys + 1);
        float[] out = gaussian(dim + 3);
        float[] before = out.clone();
        VectorMath.addWeightedSum(p, 1, keys, k, 2, dim, out, 3);
        for (int d = 0; d < dim; d++) {
            double sum = before[3 + d];
            for (int j = 0; j < keys; j++) {
                sum += (double) p[1 + j] * k[2 + j * dim + d];
            }
            close(sum, out[3 + d], "weighted sum element " + d + " at dim " + dim);
        }
        // Two queries' weights (from p[1] and p[2]) over the same rows, into two places of one output.
        float[] pair = gaussian(2 * dim + 5);
        float[] pairBefore = pair.clone();
        VectorMath.addWeightedSums(p, 1, 2, keys - 1, k, 2, dim, pair, 4, 5 + dim);
        for (int d = 0; d < dim; d++) {
            double first = pairBefore[4 + d];
            double second = pairBefore[5 + dim + d];
            for (int j = 0; j < keys - 1; j++) {
                first += (double) p[1 + j] * k[2 + j * dim + d];
                second += (double) p[2 + j] * k[2 + j * dim + d];
            }
            close(first, pair[4 + d], "first of two weighted sums, element " + d + " at dim " + dim);
            close(second, pair[5 + dim + d], "second of two weighted sums, element " + d + " at dim " + dim);
        }
    }

    /** Turned key blocks, full and partial, scored for query counts around the four served by one key load. */
    @ParameterizedTest
    @ValueSource(ints = {1, 3, 4, 5, 8, 9, 48})
    void turnedKeyBlocksScoreEveryQuery(int queries) {
        int lanes = VectorMath.lanes();
        for (int dim : new int[] {8, 64, 80}) {
            for (int n : new int[] {1, lanes - 1, lanes}) {
                float[] k = gaussian(3 + n * dim);
                float[] turned = gaussian(dim * lanes); // leftovers of an earlier block must not leak in
                VectorMath.transpose(k, 3, n, dim, turned);
                float[] qs = gaussian(queries * dim);
                int stride = lanes + 2;
                float[] out = new float[1 + queries * stride];
                VectorMath.blockScores(qs, queries, dim, turned, 0, 0.125f, out, 1, stride);
                for (int q = 0; q < queries; q++) {
                    for (int j = 0; j < lanes; j++) {
                        double expected = j < n ? 0.125 * dot(qs, q * dim, k, 3 + j * dim, dim) : 0;
                        close(expected, out[1 + q * stride + j], "query " + q + " key " + j + " of " + n
                                + " at dim " + dim);
                    }
                }
            }
        }
    }

    /**
     * Two turned key blocks scored in one pass: each score within 1e-5 of the double-precision dot product, and the
     * very float the one-block pass gives (the same multiply-adds in the same order), for query counts around the
     * eight a pass takes.
     */
    @ParameterizedTest
    @ValueSource(ints = {1, 3, 7, 8, 9, 16, 48, 51})
    void twoKeyBlocksScoreAsOneBlockEach(int queries) {
        int lanes = VectorMath.lanes();
        for (int dim : new int[] {8, 64, 80}) {
            // Two blocks of whole key rows turned, side by side from index 2 (as a cache's blocks are read).
            int aAt = 2;
            int bAt = 2 + dim * lanes;
            float[] turned = new float[2 + 2 * dim * lanes];
            float[] block = new float[dim * lanes];
            VectorMath.transpose(gaussian(lanes * dim), 0, lanes, dim, block);
            System.arraycopy(block, 0, turned, aAt, block.length);
            VectorMath.transpose(gaussian(lanes * dim), 0, lanes, dim, block);
            System.arraycopy(block, 0, turned, bAt, block.length);
            float[] qs = gaussian(queries * dim);
            int stride = 2 * lanes + 3;
            float[] pair = new float[queries * stride + 1];
            VectorMath.blockPairScores(qs, queries, dim, turned, aAt, bAt, 0.125f, pair, 1, 1 + lanes, stride);
            float[] single = new float[queries * stride + 1];
            VectorMath.blockScores(qs, queries, dim, turned, aAt, 0.125f, single, 1, stride);
            VectorMath.blockScores(qs, queries, dim, turned, bAt, 0.125f, single, 1 + lanes, stride);
            for (int q = 0; q < queries; q++) {
                for (int j = 0; j < 2 * lanes; j++) {
                    int at = 1 + q * stride + j;
                    int from = j < lanes ? aAt : bAt;
                    double expected = 0;
                    for (int d = 0; d < dim; d++) {
                        expected += (double) qs[q * dim + d] * turned[from + d * lanes + j % lanes];
                    }
                    close(0.125 * expected, pair[at], "query " + q + " key " + j + " at dim " + dim);
                    assertEquals(Float.floatToRawIntBits(single[at]), Float.floatToRawIntBits(pair[at]),
                            "query " + q + " key " + j + " at dim " + dim + ": the one-block pass's float");
                }
            }
        }
    }

    /**
     * Three queries' weighted sums over the same value rows: each within 1e-5 of double precision, and the very float
     * a single query's sum gives, at head sizes of the wide pass (four vectors) and the others (its fallback).
     */
    @ParameterizedTest
    @ValueSource(ints = {8, 16, 48, 64, 80, 128})
    void threeWeightedSumsAsOneEach(int dim) {
        int keys = 37;
        float[] v = gaussian(2 + keys * dim);
        float[] p = gaussian(3 * keys + 4);
        float[] out = gaussian(3 * dim + 7);
        float[] before = out.clone();
        int[] pAt = {1, 2 + keys, 3 + 2 * keys};
        int[] outAt = {2, 4 + dim, 4 + 2 * dim};
        VectorMath.addThreeWeightedSums(p, pAt[0], pAt[1], pAt[2], keys, v, 2, dim, out, outAt[0], outAt[1], outAt[2]);
        for (int h = 0; h < 3; h++) {
            float[] single = before.clone();
            VectorMath.addWeightedSum(p, pAt[h], keys, v, 2, dim, single, outAt[h]);
            for (int d = 0; d < dim; d++) {
                double sum = before[outAt[h] + d];
                for (int j = 0; j < keys; j++) {
                    sum += (double) p[pAt[h] + j] * v[2 + j * dim + d];
                }
                close(sum, out[outAt[h] + d], "query " + h + " element " + d + " at dim " + dim);
                assertEquals(Float.floatToRawIntBits(single[outAt[h] + d]),
                        Float.floatToRawIntBits(out[outAt[h] + d]),
                        "query " + h + " element " + d + " at dim " + dim + ": a single query's float");
            }
        }
    }

    private static double dot(float[] a, int aOff, float[] b, int bOff, int n) {
        double sum = 0;
        for (int i = 0; i < n; i++) {
            sum += (double) a[aOff + i] * b[bOff + i];
        }
        return sum;
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

    /** Rotate-half rotation in vectors: the plain loop's floats exactly, for the whole vectors it reports done. */
    @ParameterizedTest
    @ValueSource(ints = {8, 16, 24, 32, 40, 64})
    void rotateHalfMatchesThePlainLoop(int half) {
        int at = 5;
        int table = 7;
        float[] x = gaussian(at + 2 * half + 3);
        float[] cos = gaussian(table + 2 * half);
        float[] sin = gaussian(table + 2 * half);
        float[] expected = x.clone();
        float[] rotated = x.clone();
        int done = VectorMath.rotateHalf(rotated, at, half, cos, sin, table);
        assertEquals(half / VectorMath.lanes() * VectorMath.lanes(), done, "whole vectors of " + half);
        for (int k = 0; k < done; k++) {
            float xa = x[at + k];
            float xb = x[at + k + half];
            expected[at + k] = xa * cos[table + k] + -xb * sin[table + k];
            expected[at + k + half] = xb * cos[table + k + half] + xa * sin[table + k + half];
        }
        for (int i = 0; i < x.length; i++) {
            assertEquals(expected[i], rotated[i], "element " + i + " of half " + half);
        }
    }

    /**
     * The sampler's exponentials against {@code Math.exp} over [-30, 0], a million points: within one ulp of the
     * float nearest to it. Candidates below the floor and NaN logits weigh 0; the sum is the weights' own, within
     * what summing in float lanes keeps.
     */
    @org.junit.jupiter.api.Test
    void samplerExponentialsAreWithinAnUlp() {
        int n = 1_000_000;
        float[] a = new float[n + 5]; // a tail past the last whole vector
        for (int i = 0; i < a.length; i++) {
            a[i] = -30f * i / n;
        }
        float[] w = new float[a.length];
        double sum = VectorMath.expWeights(a, 0f, 1f, -31f, w, a.length);
        double total = 0;
        for (int i = 0; i < a.length; i++) {
            float exact = (float) Math.exp(a[i]);
            assertTrue(Math.abs(w[i] - exact) <= Math.ulp(exact), "exp(" + a[i] + "): " + w[i] + " against " + exact);
            total += w[i];
        }
        assertEquals(total, sum, 1e-4 * total); // each lane adds 62,500 floats here (a vocabulary's 3,072)
        float[] logits = {0f, -1f, Float.NaN, -25f, 2f, -3f, 1f, 0.5f, -0.5f, 1.5f, -9f, 0f, 3f, -2f, 2.5f, -7f, 1f};
        float[] weights = new float[logits.length];
        VectorMath.expWeights(logits, 3f, 0.5f, -6f, weights, logits.length);
        for (int i = 0; i < logits.length; i++) {
            float expected = logits[i] >= -6f ? (float) Math.exp((logits[i] - 3f) * 0.5f) : 0f;
            assertEquals(expected, weights[i], Math.ulp(expected), "weight of logit " + logits[i]);
        }
    }

    /**
     * Counts and weights at or above seven thresholds against plain loops, at lengths around the vector width, with
     * thresholds between, at and outside the values, -0.0 logits against a 0.0 threshold and 0.0 logits against -0.0
     * (both at or above), and infinite logits.
     */
    @ParameterizedTest
    @ValueSource(ints = {1, 15, 16, 17, 100, 4099})
    void countsAndMassesAtOrAboveThresholds(int n) {
        float[] a = gaussian(n);
        for (int i = 0; i < n; i += 7) {
            a[i] = i % 2 == 0 ? -0f : 0f;
        }
        a[n / 2] = Float.NEGATIVE_INFINITY;
        float[] w = new float[n];
        for (int i = 0; i < n; i++) {
            w[i] = random.nextFloat();
        }
        for (float[] t : new float[][] {{-1f, -0.5f, -0f, 0f, 0.25f, 0.5f, 2f}, {-9f, -9f, -3f, 0f, 0f, 5f, 9f},
                {a[0], a[0], a[n - 1], a[n - 1], a[n / 3], Float.POSITIVE_INFINITY, Float.POSITIVE_INFINITY}}) {
            java.util.Arrays.sort(t);
            int[] count = new int[VectorMath.CUTS];
            double[] mass = new double[VectorMath.CUTS];
            VectorMath.massesAtOrAbove(a, w, n, t, mass, count);
            int[] counted = new int[VectorMath.CUTS];
            VectorMath.countsAtOrAbove(a, n, t, counted);
            for (int j = 0; j < VectorMath.CUTS; j++) {
                int expectedCount = 0;
                double expectedMass = 0;
                for (int i = 0; i < n; i++) {
                    if (a[i] >= t[j]) {
                        expectedCount++;
                        expectedMass += w[i];
                    }
                }
                assertEquals(expectedCount, count[j], "count at or above " + t[j] + ", n " + n);
                assertEquals(expectedCount, counted[j], "counts alone at or above " + t[j] + ", n " + n);
                assertEquals(expectedMass, mass[j], 1e-5 * Math.max(1, expectedMass), "mass at or above " + t[j]);
            }
        }
    }

    /**
     * The indices in {@code [lo, hi)}, in order, where few and where most values match, into a buffer of exactly
     * their number; the smallest value; a walk that runs out at the right index, or leaves what it did not spend.
     */
    @ParameterizedTest
    @ValueSource(ints = {1, 16, 17, 63, 64, 65, 1000})
    void indicesBetweenMinAndWalk(int n) {
        float[] a = gaussian(n);
        for (float[] range : new float[][] {{-0.1f, 0.1f}, {-3f, 3f}, {0f, Float.POSITIVE_INFINITY}}) {
            int expected = 0;
            for (float v : a) {
                expected += v >= range[0] && v < range[1] ? 1 : 0;
            }
            int[] into = new int[expected];
            assertEquals(expected, VectorMath.indicesBetween(a, n, range[0], range[1], into));
            for (int r = 1; r < expected; r++) {
                assertTrue(into[r] > into[r - 1], "indices in order");
            }
            for (int i : into) {
                assertTrue(a[i] >= range[0] && a[i] < range[1], "index " + i + " is in the range");
            }
        }
        float min = Float.POSITIVE_INFINITY;
        for (float v : a) {
            min = Math.min(min, v);
        }
        assertEquals(min, VectorMath.min(a, 0, n), "min of " + n);
        float[] w = new float[n];
        for (int i = 0; i < n; i++) {
            w[i] = 0.5f + random.nextFloat();
        }
        double total = 0;
        for (int i = 0; i < n; i++) {
            total += a[i] >= 0f ? w[i] : 0;
        }
        for (double fraction : new double[] {0.0001, 0.3, 0.7, 0.9999}) {
            double u = fraction * total;
            int expectedIndex = -1;
            double left = u;
            for (int i = 0; i < n && expectedIndex < 0; i++) {
                if (a[i] >= 0f) {
                    left -= w[i];
                    if (left <= 0) {
                        expectedIndex = i;
                    }
                }
            }
            double[] holder = {u};
            int index = VectorMath.walk(a, w, n, 0f, holder);
            // the block sums round otherwise than the loop's only within a float's precision of a boundary
            assertEquals(expectedIndex, index, "walk to " + fraction + " of the weights, n " + n);
        }
        double[] holder = {total + 10};
        assertEquals(-1, VectorMath.walk(a, w, n, 0f, holder), "a walk past every weight");
        assertEquals(10, holder[0], 1e-3, "what it did not spend");
    }
}
