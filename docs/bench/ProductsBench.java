import io.github.attentionsinks.ComputeDtype;
import io.github.attentionsinks.kernels.PackedMatrix;
import io.github.attentionsinks.kernels.WeightKernels;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * The weight products of one SmolLM-135M-shaped step on the library's Java kernels, without the rest of the model:
 * 30 layers of q/k/v (960 × 576), output (576 × 576), MLP input (3072 × 576) and output (576 × 1536), then the
 * lm_head (49152 × 576), random weights, on two threads. For each row count given, per round: the layers' products
 * and the lm_head's in ms, and the multiply-adds per second. Used in docs/benchmarks.md ("Float16 products widened in
 * registers"):
 *
 * <pre>
 * javac -cp examples/target/attention-sinks.jar -d /tmp/pb docs/bench/ProductsBench.java
 * java --add-modules jdk.incubator.vector -Xmx6g -cp examples/target/attention-sinks.jar:/tmp/pb ProductsBench float16 1,8,32 12
 * </pre>
 */
public class ProductsBench {
    public static void main(String[] args) {
        ComputeDtype dtype = ComputeDtype.parse(args[0]);
        int[] rowCounts = Arrays.stream(args[1].split(",")).mapToInt(Integer::parseInt).toArray();
        int rounds = Integer.parseInt(args[2]);
        try (WeightKernels kernels = WeightKernels.select(WeightKernels.Choice.JAVA, dtype, false, 2)) {
            Random random = new Random(1);
            int[][] shapes = {{960, 576}, {576, 576}, {3072, 576}, {576, 1536}};
            List<PackedMatrix> layers = new ArrayList<>();
            for (int l = 0; l < 30; l++) {
                for (int[] shape : shapes) {
                    layers.add(kernels.pack(gaussian(random, shape[0] * shape[1]), shape[0], shape[1], false));
                }
            }
            PackedMatrix head = kernels.pack(gaussian(random, 49152 * 576), 49152, 576, false);
            int maxRows = Arrays.stream(rowCounts).max().getAsInt();
            float[] x = gaussian(random, maxRows * 1536);
            float[] y = new float[maxRows * 49152];
            for (int round = 0; round < rounds; round++) {
                StringBuilder line = new StringBuilder("round " + round);
                for (int rows : rowCounts) {
                    long t0 = System.nanoTime();
                    for (PackedMatrix m : layers) {
                        m.multiply(x, rows, y);
                    }
                    long t1 = System.nanoTime();
                    head.multiply(x, rows, y);
                    long t2 = System.nanoTime();
                    line.append(String.format("  rows %d: layers %.2f head %.2f ms (%.1f GMAC/s)", rows,
                            (t1 - t0) / 1e6, (t2 - t1) / 1e6, 134.5e6 * rows / (t2 - t0)));
                }
                System.out.println(line);
            }
        }
    }

    private static float[] gaussian(Random random, int n) {
        float[] values = new float[n];
        for (int i = 0; i < n; i++) {
            values[i] = (float) (random.nextGaussian() * 0.02);
        }
        return values;
    }
}
