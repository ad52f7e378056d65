package io.github.attentionsinks.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link CacheReads}' grouped forms (several query heads over the same cache rows, read in place from native memory):
 * every score equals what the one-query forms give within 1e-6 (relative; the same operations, but the Vector API sums
 * a vector's lanes in another order before C2 has compiled a loop than after, and the two forms are separate loops),
 * every weighted sum within 1e-6 of the sum of its products' sizes (the three-head kernel adds the rows in another
 * order, two runs at once), and each is within 1e-5 (relative) of a double-precision loop written here. The float16
 * forms give what the float32 forms give over the same values. Group sizes 1 to 7 take every split into the three-head
 * kernels, pairs and singles; heads of one, two, four and five vectors take the general loops and, at four vectors,
 * the kernels' own form; 1, 2, 36 and 37 rows split into two runs of equal and unequal lengths, or into one.
 */
class CacheReadsTest {
    private final Random random = new Random(11);

    @BeforeEach
    void needsInPlaceLoads() {
        assumeTrue(CacheReads.AVAILABLE, "in-place cache reads need vector loads from buffers (JDK 17, 18) or segments (19+)");
    }

    @ParameterizedTest
    @CsvSource({"1, 37", "2, 37", "4, 37", "5, 37", "4, 36", "4, 2", "4, 1"})
    void groupedScoresAndSumsEqualOneHeadAtATime(int vectors, int keys) {
        int dim = vectors * VectorMath.lanes();
        int skip = 3; // rows before the first one read, so that the byte offset is not zero
        ByteBuffer rows = ByteBuffer.allocateDirect((skip + keys) * dim * Float.BYTES).order(ByteOrder.nativeOrder());
        float[] values = gaussian((skip + keys) * dim);
        rows.asFloatBuffer().put(values);
        int rowByte = skip * dim * Float.BYTES;
        for (int group = 1; group <= 7; group++) {
            String what = group + " heads of " + dim + " over " + keys + " rows";
            float[] q = gaussian(5 + group * dim);
            int stride = keys + 4;
            float[] grouped = new float[2 + group * stride];
            CacheReads.groupScores(q, 5, group, rows, rowByte, keys, dim, 0.125f, grouped, 2, stride);
            for (int c = 0; c < group; c++) {
                float[] one = new float[keys];
                CacheReads.scores(q, 5 + c * dim, rows, rowByte, keys, dim, 0.125f, one, 0);
                for (int j = 0; j < keys; j++) {
                    float score = grouped[2 + c * stride + j];
                    assertEquals(one[j], score, 1e-6f * Math.max(1f, Math.abs(one[j])),
                            what + ": score of query " + c + ", key " + j);
                    close(0.125 * dot(q, 5 + c * dim, values, (skip + j) * dim, dim), score, what + ": score");
                }
            }
            // Weights from p[1 + h·stride], sums at out[3 + h·(dim + 2)]: strides as a decoder's partial slots.
            float[] p = gaussian(1 + group * stride);
            int outStride = dim + 2;
            float[] out = gaussian(3 + group * outStride);
            float[] before = out.clone();
            CacheReads.groupWeightedSums(p, 1, stride, group, keys, rows, rowByte, dim, out, 3, outStride);
            for (int h = 0; h < group; h++) {
                float[] one = new float[dim];
                System.arraycopy(before, 3 + h * outStride, one, 0, dim);
                CacheReads.addWeightedSum(p, 1 + h * stride, keys, rows, rowByte, dim, one, 0);
                for (int d = 0; d < dim; d++) {
                    float sum = out[3 + h * outStride + d];
                    double expected = before[3 + h * outStride + d];
                    double sizes = Math.abs(expected);
                    for (int j = 0; j < keys; j++) {
                        expected += (double) p[1 + h * stride + j] * values[(skip + j) * dim + d];
                        sizes += Math.abs((double) p[1 + h * stride + j] * values[(skip + j) * dim + d]);
                    }
                    // Three heads of four vectors add the rows in another order (two runs at once).
                    assertEquals(one[d], sum, 1e-6f * Math.max(1f, (float) sizes),
                            what + ": head " + h + ", element " + d);
                    close(expected, sum, what + ": weighted sum");
                }
                assertEquals(before[3 + h * outStride + dim], out[3 + h * outStride + dim],
                        what + ": the slot past head " + h + " is untouched");
            }
        }
    }

    /**
     * The float16 forms read rows of float16 values and compute what the float32 forms compute over those values
     * widened: within 1e-6 (relative) of them and 1e-5 of double precision, for 1 to 7 heads of one to five vectors.
     */
    @ParameterizedTest
    @ValueSource(ints = {1, 2, 4, 5})
    void halfRowsGiveWhatTheirFloatValuesGive(int vectors) {
        int dim = vectors * VectorMath.lanes();
        int keys = 37;
        int skip = 3;
        float[] values = gaussian((skip + keys) * dim);
        ByteBuffer halves = ByteBuffer.allocateDirect(values.length * 2).order(ByteOrder.nativeOrder());
        ByteBuffer floats = ByteBuffer.allocateDirect(values.length * Float.BYTES).order(ByteOrder.nativeOrder());
        for (int i = 0; i < values.length; i++) {
            short bits = Float16Bits.fromFloat(values[i] * 3);
            values[i] = Float16Bits.toFloat(bits);
            halves.putShort(i * 2, bits);
            floats.putFloat(i * Float.BYTES, values[i]);
        }
        for (int group = 1; group <= 7; group++) {
            String what = group + " float16 heads of " + dim;
            float[] q = gaussian(5 + group * dim);
            int stride = keys + 4;
            float[] fromHalves = new float[2 + group * stride];
            float[] fromFloats = new float[2 + group * stride];
            CacheReads.groupScoresHalves(q, 5, group, halves, skip * dim * 2, keys, dim, 0.125f, fromHalves, 2,
                    stride);
            CacheReads.groupScores(q, 5, group, floats, skip * dim * Float.BYTES, keys, dim, 0.125f, fromFloats, 2,
                    stride);
            for (int c = 0; c < group; c++) {
                for (int j = 0; j < keys; j++) {
                    float score = fromHalves[2 + c * stride + j];
                    float expected = fromFloats[2 + c * stride + j];
                    assertEquals(expected, score, 1e-6f * Math.max(1f, Math.abs(expected)),
                            what + ": score of query " + c + ", key " + j);
                    close(0.125 * dot(q, 5 + c * dim, values, (skip + j) * dim, dim), score, what + ": score");
                }
            }
            float[] p = gaussian(1 + group * stride);
            int outStride = dim + 2;
            float[] sumsFromHalves = gaussian(3 + group * outStride);
            float[] before = sumsFromHalves.clone();
            float[] sumsFromFloats = sumsFromHalves.clone();
            CacheReads.groupWeightedSumsHalves(p, 1, stride, group, keys, halves, skip * dim * 2, dim, sumsFromHalves,
                    3, outStride);
            CacheReads.groupWeightedSums(p, 1, stride, group, keys, floats, skip * dim * Float.BYTES, dim,
                    sumsFromFloats, 3, outStride);
            for (int h = 0; h < group; h++) {
                for (int d = 0; d < dim; d++) {
                    int at = 3 + h * outStride + d;
                    double expected = before[at];
                    double sizes = Math.abs(expected);
                    for (int j = 0; j < keys; j++) {
                        expected += (double) p[1 + h * stride + j] * values[(skip + j) * dim + d];
                        sizes += Math.abs((double) p[1 + h * stride + j] * values[(skip + j) * dim + d]);
                    }
                    // The float32 kernel for three heads of four vectors adds the rows in another order.
                    assertEquals(sumsFromFloats[at], sumsFromHalves[at], 1e-6f * Math.max(1f, (float) sizes),
                            what + ": head " + h + ", element " + d);
                    close(expected, sumsFromHalves[at], what + ": weighted sum");
                }
                assertEquals(before[3 + h * outStride + dim], sumsFromHalves[3 + h * outStride + dim],
                        what + ": the slot past head " + h + " is untouched");
            }
        }
    }

    /**
     * Keys in blocks ({@link CacheReads#groupScoresHalfBlocks} for float16 keys, {@link CacheReads#groupScoresBlocks}
     * for float32 ones): the scores equal those from the same keys in rows ({@link CacheReads#groupScoresHalves},
     * {@link CacheReads#groupScores}) within 1e-6 of the sum of their products' sizes (the same products summed in
     * another order) and double precision within 1e-5, for 1 to 7 queries of one to five vectors, over one to four blocks
     * (the float32 kernels read two runs of them at once) from the second block of a buffer; the slots past the
     * blocks' scores are untouched.
     */
    @ParameterizedTest
    @CsvSource({"true, 1, 3", "true, 2, 3", "true, 4, 3", "true, 5, 3", "false, 1, 3", "false, 2, 3", "false, 4, 3",
        "false, 5, 3", "false, 4, 1", "false, 4, 2", "false, 4, 4", "false, 1, 4"})
    void blocksGiveWhatRowsGive(boolean halves, int vectors, int blocks) {
        int dim = vectors * VectorMath.lanes();
        int b = CacheReads.keyBlock();
        int keys = (1 + blocks) * b;
        int size = halves ? 2 : 4;
        float[] values = gaussian(keys * dim);
        ByteBuffer rows = ByteBuffer.allocateDirect(values.length * size).order(ByteOrder.nativeOrder());
        ByteBuffer turned = ByteBuffer.allocateDirect(values.length * size).order(ByteOrder.nativeOrder());
        for (int key = 0; key < keys; key++) {
            for (int d = 0; d < dim; d++) {
                int inRows = (key * dim + d) * size;
                int inBlocks = ((key / b * dim + d) * b + key % b) * size;
                if (halves) {
                    short bits = Float16Bits.fromFloat(values[key * dim + d] * 3);
                    values[key * dim + d] = Float16Bits.toFloat(bits);
                    rows.putShort(inRows, bits);
                    turned.putShort(inBlocks, bits);
                } else {
                    float v = values[key * dim + d] * 3;
                    values[key * dim + d] = v;
                    rows.putFloat(inRows, v);
                    turned.putFloat(inBlocks, v);
                }
            }
        }
        for (int group = 1; group <= 7; group++) {
            String what = group + " queries of " + dim + " against " + blocks + " " + (halves ? "float16" : "float32")
                    + " blocks";
            float[] q = gaussian(5 + group * dim);
            int stride = blocks * b + 4;
            float[] fromBlocks = new float[2 + group * stride];
            java.util.Arrays.fill(fromBlocks, 7f);
            float[] fromRows = new float[2 + group * stride];
            int at = b * dim * size;
            if (halves) {
                CacheReads.groupScoresHalfBlocks(q, 5, group, turned, at, blocks, dim, 0.125f, fromBlocks, 2, stride);
                CacheReads.groupScoresHalves(q, 5, group, rows, at, blocks * b, dim, 0.125f, fromRows, 2, stride);
            } else {
                CacheReads.groupScoresBlocks(q, 5, group, turned, at, blocks, dim, 0.125f, fromBlocks, 2, stride);
                CacheReads.groupScores(q, 5, group, rows, at, blocks * b, dim, 0.125f, fromRows, 2, stride);
            }
            for (int c = 0; c < group; c++) {
                for (int j = 0; j < blocks * b; j++) {
                    float expected = fromRows[2 + c * stride + j];
                    float score = fromBlocks[2 + c * stride + j];
                    // Summed in another order: apart by float32 rounding of the products' sizes, not the score's.
                    double sizes = 0;
                    for (int d = 0; d < dim; d++) {
                        sizes += Math.abs(0.125 * q[5 + c * dim + d] * values[(b + j) * dim + d]);
                    }
                    assertEquals(expected, score, 1e-6f * Math.max(1f, (float) sizes),
                            what + ": score of query " + c + ", key " + j);
                    close(0.125 * dot(q, 5 + c * dim, values, (b + j) * dim, dim), score, what + ": score");
                }
                for (int j = blocks * b; j < stride; j++) {
                    assertEquals(7f, fromBlocks[2 + c * stride + j], what + ": slot " + j + " past the blocks");
                }
            }
        }
    }

    private float[] gaussian(int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) random.nextGaussian();
        }
        return a;
    }

    private static double dot(float[] a, int aOff, float[] b, int bOff, int n) {
        double sum = 0;
        for (int i = 0; i < n; i++) {
            sum += (double) a[aOff + i] * b[bOff + i];
        }
        return sum;
    }

    private static void close(double expected, float actual, String what) {
        assertEquals(expected, actual, 1e-5 * Math.max(1, Math.abs(expected)), what);
    }
}
