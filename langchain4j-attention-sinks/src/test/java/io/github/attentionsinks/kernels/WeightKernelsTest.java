package io.github.attentionsinks.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.attentionsinks.ComputeDtype;
import io.github.attentionsinks.InvalidSettingException;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The Java kernels against products computed here in double precision, on shapes that exercise the edges: outputs
 * not a multiple of a tile, inputs not a multiple of an int8 block, row counts that take every pass (eight, four, two
 * and one rows), products large enough to be split across threads. The surefire JVM runs with
 * {@code --add-modules jdk.incubator.vector}.
 */
class WeightKernelsTest {
    private static WeightKernels float32;
    private static WeightKernels int8;
    private static WeightKernels float16;

    @BeforeAll
    static void kernels() {
        float32 = WeightKernels.select(WeightKernels.Choice.JAVA, ComputeDtype.FLOAT32, false, 2);
        int8 = WeightKernels.select(WeightKernels.Choice.AUTO, ComputeDtype.INT8, false, 2);
        float16 = WeightKernels.select(WeightKernels.Choice.JAVA, ComputeDtype.FLOAT16, false, 2);
    }

    @AfterAll
    static void close() {
        float32.close();
        int8.close();
        float16.close();
    }

    @ParameterizedTest
    @CsvSource({"1, 1, 1", "3, 17, 5", "64, 32, 1", "100, 37, 2", "960, 576, 1", "961, 577, 3", "3072, 576, 8",
        "576, 1536, 5", "130, 70, 15", "7, 300, 1020"})
    void float32ProductsMatchDoublePrecision(int out, int in, int rows) {
        Random random = new Random(out * 31L + in * 7L + rows);
        for (boolean inOut : new boolean[] {false, true}) {
            float[] w = values(random, out * in);
            float[] x = values(random, rows * in);
            float[] y = float32.pack(w, out, in, inOut).multiply(x, rows);
            assertEquals(rows * out, y.length);
            for (int m = 0; m < rows; m++) {
                for (int o = 0; o < out; o++) {
                    double expected = 0;
                    double magnitude = 0;
                    for (int i = 0; i < in; i++) {
                        double wi = inOut ? w[i * out + o] : w[o * in + i];
                        expected += x[m * in + i] * wi;
                        magnitude += Math.abs(x[m * in + i] * wi);
                    }
                    // float32 accumulation in another order: a few ulps of the sum of magnitudes
                    double bound = 1e-6 * magnitude + 1e-30;
                    float actual = y[m * out + o];
                    assertTrue(Math.abs(actual - expected) <= bound, "out " + o + " row " + m + " (" + out + "x" + in
                            + ", inOut " + inOut + "): " + actual + " vs " + expected);
                }
            }
        }
    }

    /**
     * A row's float32 products are the same floats whichever multi-row pass takes it: two, four, eight or ten rows
     * (with AVX-512 six a pass, then four over each half of a tile or two over the whole tile; without it four over
     * each half and two over the whole tile)
     * against the same rows among twelve (two six-row passes). Every pass adds an output's inputs in order, so a
     * session's logits do not move with the number of sessions beside it in a step. One row left over is excepted: the
     * single-row pass adds even and odd inputs apart.
     */
    @ParameterizedTest
    @CsvSource({"2", "4", "8", "10"})
    void float32RowsAreTheSameFloatsInEveryMultiRowPass(int rows) {
        int out = 3072;
        int in = 576;
        Random random = new Random(rows);
        PackedMatrix packed = float32.pack(values(random, out * in), out, in, false);
        float[] x = values(random, 12 * in);
        float[] alone = packed.multiply(Arrays.copyOf(x, rows * in), rows);
        float[] amongTwelve = packed.multiply(x, 12);
        for (int m = 0; m < rows; m++) {
            for (int o = 0; o < out; o++) {
                assertEquals(Float.floatToRawIntBits(amongTwelve[m * out + o]),
                        Float.floatToRawIntBits(alone[m * out + o]),
                        "row " + m + " of " + rows + ", output " + o);
            }
        }
    }

    /**
     * Float16 against the product with the weights rounded to float16 computed here in double precision. The
     * weights span normal and subnormal float16 values, zeros and both signs; each is decoded here from its rounding
     * by libtorch-independent arithmetic: the rounding is checked separately against libtorch's. The passes of four
     * and eight rows read a half's inputs a quarter apart and the last {@code in % 4} after them: input counts here
     * are multiples of four and not, and fewer than four. From 64 rows on the tiles are widened to float32 first
     * (64–70 rows here), except for more than 4,096 inputs (4,100 here).
     */
    @ParameterizedTest
    @CsvSource({"1, 1, 1", "3, 17, 5", "64, 32, 1", "100, 37, 2", "961, 577, 3", "3072, 576, 8", "576, 1536, 5",
        "130, 70, 15", "96, 41, 4", "70, 64, 9", "200, 33, 31", "150, 45, 12", "65, 30, 7", "80, 20, 6", "40, 3, 12",
        "70, 43, 8", "130, 70, 64", "70, 43, 67", "65, 3, 70", "200, 576, 65", "40, 4100, 64"})
    void float16ProductsMatchDoublePrecision(int out, int in, int rows) {
        Random random = new Random(out * 17L + in * 3L + rows);
        for (boolean inOut : new boolean[] {false, true}) {
            float[] w = values(random, out * in);
            for (int i = 0; i < w.length; i += 7) {
                w[i] *= i % 2 == 0 ? 1e-6f : 0f; // subnormal float16 values, and exact zeros
            }
            float[] x = values(random, rows * in);
            float[] y = float16.pack(w, out, in, inOut).multiply(x, rows);
            assertFloat16Product(w, out, in, inOut, x, rows, y, 1e-30, out + "x" + in + ", inOut " + inOut);
        }
    }

    /**
     * The float16 kernels scale inputs by 2^56 and sums by 2^(56 − lift) to make up their stored weights' 2^(lift −
     * 112) ({@link Float16Products}): rows of inputs from 1e-16 to 1e16 in magnitude still match double precision, in
     * every pass (nine rows: eight and one).
     */
    @Test
    void float16ProductsKeepLargeAndSmallInputs() {
        int out = 64;
        int in = 48;
        int rows = 9;
        Random random = new Random(11);
        float[] w = values(random, out * in);
        float[] x = values(random, rows * in);
        for (int m = 0; m < rows; m++) {
            for (int i = 0; i < in; i++) {
                x[m * in + i] *= (float) Math.pow(10, 4 * m - 16);
            }
        }
        float[] y = float16.pack(w, out, in, false).multiply(x, rows);
        assertFloat16Product(w, out, in, false, x, rows, y, 0, "inputs from 1e-16 to 1e16");
    }

    /**
     * Float16 weights are stored times 2^lift ({@link Float16Products.Tiles}): as many binades, up to ten, as keep the
     * largest finite weight finite, so that at ten no stored weight is a float16 subnormal (a float32 subnormal once
     * widened, which Intel cores multiply through a microcode assist). Products match double precision at every lift,
     * subnormal weights among them (nine rows: the eight-row pass and the one-row pass over a half).
     */
    @ParameterizedTest
    @CsvSource({"63, 10", "64, 9", "100, 9", "40000, 0", "65504, 0", "Infinity, 10"})
    void float16WeightsAreStoredRaisedOutOfSubnormals(float planted, int lift) {
        int out = 70;
        int in = 40;
        Random random = new Random(lift);
        float[] w = values(random, out * in);
        for (int i = 0; i < w.length; i += 5) {
            w[i] *= 1e-6f; // float16 subnormals
        }
        w[17] = planted;
        Float16Products.Tiles packed = Float16Products.pack(java.nio.FloatBuffer.wrap(w), out, in, false);
        assertEquals(lift, packed.lift(), "largest weight " + planted);
        int subnormals = 0;
        for (short[] tile : packed.tiles()) {
            for (short h : tile) {
                subnormals += (h & 0x7c00) == 0 && (h & 0x3ff) != 0 ? 1 : 0;
            }
        }
        if (lift == Float16Products.MAX_LIFT) {
            assertEquals(0, subnormals, "float16 subnormals stored at lift " + lift);
        }
        if (Float.isInfinite(planted)) {
            return;
        }
        for (int rows : new int[] {1, 2, 9}) {
            float[] x = values(random, rows * in);
            float[] y = float16.pack(w, out, in, false).multiply(x, rows);
            assertFloat16Product(w, out, in, false, x, rows, y, 1e-30, "lift " + lift + ", rows " + rows);
        }
    }

    /**
     * {@code y} against {@code x·Wᵀ} computed here in double precision with {@code W} ({@code [out, in]}, or
     * {@code [in, out]} when {@code inOut}) rounded to float16: each output within 1e-6 of the sum of its products'
     * magnitudes, plus {@code floor}.
     */
    private static void assertFloat16Product(float[] w, int out, int in, boolean inOut, float[] x, int rows, float[] y,
            double floor, String what) {
        for (int m = 0; m < rows; m++) {
            for (int o = 0; o < out; o++) {
                double expected = 0;
                double magnitude = 0;
                for (int i = 0; i < in; i++) {
                    double wi = halfValue(Float16Bits.fromFloat(inOut ? w[i * out + o] : w[o * in + i]));
                    expected += x[m * in + i] * wi;
                    magnitude += Math.abs(x[m * in + i] * wi);
                }
                float actual = y[m * out + o];
                assertTrue(Math.abs(actual - expected) <= 1e-6 * magnitude + floor, what + ": out " + o + " row " + m
                        + ": " + actual + " vs " + expected);
            }
        }
    }

    /** The value of float16 bits, by the format's definition. */
    private static double halfValue(short bits) {
        int sign = (bits >> 15) & 1;
        int exponent = (bits >> 10) & 0x1f;
        int mantissa = bits & 0x3ff;
        double magnitude = exponent == 0 ? mantissa * Math.pow(2, -24)
                : exponent == 31 ? (mantissa == 0 ? Double.POSITIVE_INFINITY : Double.NaN)
                : (1 + mantissa / 1024.0) * Math.pow(2, exponent - 15);
        return sign == 1 ? -magnitude : magnitude;
    }

    /**
     * Int8 against the product with weights quantized as specified (per output and block of 32 inputs: scale =
     * max|w| / 127, q = round(w / scale)), computed here; and within half a quantization step per weight of the
     * float32 product.
     */
    @ParameterizedTest
    @CsvSource({"1, 1, 1", "3, 17, 5", "64, 32, 1", "100, 37, 2", "961, 577, 3", "3072, 576, 8", "576, 1536, 5",
        "130, 70, 15", "96, 41, 4", "70, 64, 9", "200, 33, 31", "130, 70, 64", "70, 43, 67", "65, 3, 70",
        "40, 4100, 64"})
    void int8ProductsMatchTheQuantizationRule(int out, int in, int rows) {
        Random random = new Random(out * 13L + in * 5L + rows);
        for (boolean inOut : new boolean[] {false, true}) {
            float[] w = values(random, out * in);
            float[] x = values(random, rows * in);
            float[] y = int8.pack(w, out, in, inOut).multiply(x, rows);
            for (int o = 0; o < out; o++) {
                double[] dequantized = new double[in];
                double[] step = new double[in];
                for (int b = 0; b < in; b += 32) {
                    double max = 0;
                    for (int i = b; i < Math.min(in, b + 32); i++) {
                        max = Math.max(max, Math.abs(inOut ? w[i * out + o] : w[o * in + i]));
                    }
                    float scale = (float) max / 127f;
                    for (int i = b; i < Math.min(in, b + 32); i++) {
                        float wi = inOut ? w[i * out + o] : w[o * in + i];
                        dequantized[i] = scale == 0 ? 0 : Math.round(wi * (1f / scale)) * (double) scale;
                        step[i] = scale;
                    }
                }
                for (int m = 0; m < rows; m++) {
                    double expected = 0;
                    double exact = 0;
                    double magnitude = 0;
                    double quantizationBound = 0;
                    for (int i = 0; i < in; i++) {
                        double xi = x[m * in + i];
                        expected += xi * dequantized[i];
                        exact += xi * (inOut ? w[i * out + o] : w[o * in + i]);
                        magnitude += Math.abs(xi * dequantized[i]);
                        quantizationBound += Math.abs(xi) * step[i] / 2;
                    }
                    float actual = y[m * out + o];
                    assertTrue(Math.abs(actual - expected) <= 1e-6 * magnitude + 1e-30, "out " + o + " row " + m
                            + ": " + actual + " vs " + expected);
                    assertTrue(Math.abs(actual - exact) <= quantizationBound * 1.0001 + 1e-6 * magnitude,
                            "out " + o + " row " + m + ": off the float32 product by more than half a step per weight");
                }
            }
        }
    }

    /**
     * The gated product ({@link PackedMatrix#multiplyGated}) equals the plain product followed by the activation
     * ({@link VectorMath#siluGate}, {@link VectorMath#geluTanhGate}) within 1e-5 (relative, absolute below 1), as both
     * are within that of double precision, for every precision, at row counts of every pass and products small enough
     * to stay on one thread or split across both. Not bit for bit, though the operations are the same: the Vector
     * API's exp and tanh run lane by lane in Java ({@code Math.tanh}) until C2 compiles a loop and as the compiled
     * intrinsic after, and the two loops reach C2 at different times in a full test run. GELU-tanh's {@code 1 + tanh}
     * near −1 magnifies the difference: one output was −0.003768051 one way and −0.0037697193 the other. Outputs that
     * are not two halves of whole tiles are refused.
     */
    @ParameterizedTest
    @CsvSource({"1, 40, 1", "2, 576, 8", "3, 576, 1", "4, 70, 13", "24, 576, 8", "24, 576, 1"})
    void gatedProductsEqualTheProductThenTheActivation(int gateTiles, int in, int rows) {
        int half = gateTiles * VectorProducts.TILE;
        int out = 2 * half;
        Random random = new Random(half * 5L + in + rows);
        float[] w = values(random, out * in);
        float[] x = values(random, rows * in);
        for (WeightKernels kernels : new WeightKernels[] {float32, float16, int8}) {
            PackedMatrix matrix = kernels.pack(w, out, in, false);
            assertTrue(matrix.gatesByTile());
            float[] y = new float[rows * matrix.stride()];
            matrix.multiply(x, rows, y);
            for (PackedMatrix.Gate gate : PackedMatrix.Gate.values()) {
                String what = kernels.describe() + " " + gate + ", " + gateTiles + " gate tiles, " + rows + " rows";
                float[] expected = new float[rows * half];
                for (int m = 0; m < rows; m++) {
                    int at = m * matrix.stride();
                    if (gate == PackedMatrix.Gate.SILU) {
                        VectorMath.siluGate(y, at, at + half, expected, m * half, half);
                    } else {
                        VectorMath.geluTanhGate(y, at, at + half, expected, m * half, half);
                    }
                    for (int o = 0; o < half; o++) {
                        double g = y[at + o];
                        double act = gate == PackedMatrix.Gate.SILU ? g / (1 + Math.exp(-g))
                                : 0.5 * g * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (g + 0.044715 * g * g * g)));
                        double e = act * y[at + half + o];
                        assertEquals(e, expected[m * half + o], 1e-5 * Math.max(1, Math.abs(e)), what);
                    }
                }
                float[] gated = new float[rows * half];
                matrix.multiplyGated(x.clone(), rows, new float[rows * matrix.stride()], gate, gated);
                for (int i = 0; i < expected.length; i++) {
                    assertEquals(expected[i], gated[i], 1e-5f * Math.max(1f, Math.abs(expected[i])), what + ", " + i);
                }
            }
        }
        PackedMatrix odd = float32.pack(values(random, 3 * VectorProducts.TILE * 8), 3 * VectorProducts.TILE, 8,
                false);
        assertFalse(odd.gatesByTile());
        assertThrows(IllegalStateException.class,
                () -> odd.multiplyGated(new float[8], 1, new float[odd.stride()], PackedMatrix.Gate.SILU,
                        new float[odd.stride()]));
    }

    @Test
    void aZeroBlockStaysZero() {
        float[] w = new float[2 * 64];
        w[64 + 40] = 3f; // output 1, input 40: block 1 only
        float[] x = new float[64];
        Arrays.fill(x, 1f);
        float[] y = int8.pack(w, 2, 64, false).multiply(x, 1);
        assertEquals(0f, y[0]);
        assertEquals(3f, y[1], 1e-6f);
    }

    @Test
    void concurrentCallersGetTheirOwnProducts() throws Exception {
        Random random = new Random(5);
        int out = 2048;
        int in = 256;
        PackedMatrix matrix = float32.pack(values(random, out * in), out, in, false);
        float[][] inputs = new float[4][];
        float[][] expected = new float[4][];
        for (int t = 0; t < 4; t++) {
            inputs[t] = values(random, in);
            expected[t] = matrix.multiply(inputs[t], 1);
        }
        Thread[] threads = new Thread[4];
        Throwable[] failures = new Throwable[4];
        for (int t = 0; t < 4; t++) {
            int index = t;
            threads[t] = new Thread(() -> {
                try {
                    for (int r = 0; r < 200; r++) {
                        float[] y = matrix.multiply(inputs[index], 1);
                        if (!Arrays.equals(expected[index], y)) {
                            throw new AssertionError("thread " + index + " got another product in round " + r);
                        }
                    }
                } catch (Throwable e) {
                    failures[index] = e;
                }
            });
            threads[t].start();
        }
        for (Thread thread : threads) {
            thread.join();
        }
        for (Throwable failure : failures) {
            if (failure != null) {
                throw new AssertionError(failure);
            }
        }
    }

    @Test
    void settingsAndTheirRules() {
        assertEquals(WeightKernels.Choice.AUTO, WeightKernels.Choice.parse(null));
        assertEquals(WeightKernels.Choice.JAVA, WeightKernels.Choice.parse(" Java "));
        assertEquals(WeightKernels.Choice.LIBTORCH, WeightKernels.Choice.parse("libtorch"));
        InvalidSettingException unknown = assertThrows(InvalidSettingException.class,
                () -> WeightKernels.Choice.parse("mkl"));
        assertEquals("kernels", unknown.setting());
        assertTrue(unknown.getMessage().contains("'mkl'") && unknown.getMessage().contains("libtorch"));

        assertNull(WeightKernels.select(WeightKernels.Choice.LIBTORCH, ComputeDtype.FLOAT32, false, 2));
        assertNull(WeightKernels.select(WeightKernels.Choice.AUTO, ComputeDtype.FLOAT32, true, 2));
        assertNull(WeightKernels.select(WeightKernels.Choice.AUTO, ComputeDtype.FLOAT16, true, 2));
        InvalidSettingException gpuInt8 = assertThrows(InvalidSettingException.class,
                () -> WeightKernels.select(WeightKernels.Choice.AUTO, ComputeDtype.INT8, true, 2));
        assertEquals("dtype", gpuInt8.setting());
        InvalidSettingException libtorchInt8 = assertThrows(InvalidSettingException.class,
                () -> WeightKernels.select(WeightKernels.Choice.LIBTORCH, ComputeDtype.INT8, false, 2));
        assertEquals("kernels", libtorchInt8.setting());
        InvalidSettingException javaOnGpu = assertThrows(InvalidSettingException.class,
                () -> WeightKernels.select(WeightKernels.Choice.JAVA, ComputeDtype.FLOAT16, true, 2));
        assertEquals("kernels", javaOnGpu.setting());
        assertTrue(javaOnGpu.getMessage().contains("GPU"), javaOnGpu.getMessage());
        // auto picks the Java kernels for float32 and float16 on a CPU when the module is there (this JVM has it)
        for (ComputeDtype dtype : new ComputeDtype[] {ComputeDtype.FLOAT32, ComputeDtype.FLOAT16}) {
            try (WeightKernels auto = WeightKernels.select(WeightKernels.Choice.AUTO, dtype, false, 2)) {
                assertTrue(auto != null, dtype.canonicalName());
            }
        }
        try (WeightKernels half = WeightKernels.select(WeightKernels.Choice.JAVA, ComputeDtype.FLOAT16, false, 2)) {
            assertEquals(WeightKernels.Precision.FLOAT16, half.precision());
            assertEquals(2L * 64 * 10, half.packedBytes(64, 10), "two bytes a weight, outputs padded to tiles");
        }
    }

    /**
     * Packing rounds float32 to float16 as libtorch's conversion does (nearest even): ties, the largest finite value
     * and overflow, subnormals and underflow, signed zeros.
     */
    @Test
    void float16RoundingMatchesLibtorch() {
        Random random = new Random(9);
        float[] values = new float[4096];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) (random.nextGaussian() * Math.pow(2, random.nextInt(40) - 28));
        }
        float[] edges = {0f, -0f, 65504f, 65519f, 65520f, -70000f, 1f + 0x1p-11f, 1f + 0x1p-11f + 0x1p-23f,
            1f + 3 * 0x1p-11f, 0x1p-24f, 0x1p-25f, 0x1.8p-25f, 0x1p-26f, 6.1e-5f, 5.9e-8f, Float.MIN_VALUE};
        System.arraycopy(edges, 0, values, 0, edges.length);
        io.github.attentionsinks.runtime.DjlRuntime.engine();
        try (ai.djl.ndarray.NDManager manager = ai.djl.ndarray.NDManager.newBaseManager()) {
            float[] libtorch = manager.create(values).toType(ai.djl.ndarray.types.DataType.FLOAT16, false)
                    .toType(ai.djl.ndarray.types.DataType.FLOAT32, false).toFloatArray();
            for (int i = 0; i < values.length; i++) {
                double ours = halfValue(Float16Bits.fromFloat(values[i]));
                assertEquals(Double.doubleToLongBits(libtorch[i]), Double.doubleToLongBits(ours),
                        "float16 of " + values[i] + ": libtorch " + libtorch[i] + ", packed " + ours);
            }
        }
    }

    private static float[] values(Random random, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) random.nextGaussian();
        }
        return v;
    }
}
