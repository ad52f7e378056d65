import io.github.attentionsinks.generate.GenerationParams;
import io.github.attentionsinks.generate.Sampler;
import java.util.Random;

/**
 * One sampler drawing tokens from 16 rows of 49,152 random logits (Gaussian, standard deviation STD: 0.5 is about what
 * the SmolLM-135M shape with random weights gives, 0.48), at temperature 0.7 and top-p 0.9, with top-k TOP_K (0 for
 * none); ms a row, per round of 400 draws (each of a copy of its row, as the decode loop's rows are modified).
 * Used in docs/benchmarks.md ("The 8-user round step by step"):
 *
 * <pre>
 * javac -cp examples/target/attention-sinks.jar -d /tmp/samp docs/bench/SampleBench.java
 * java --add-modules jdk.incubator.vector -cp examples/target/attention-sinks.jar:/tmp/samp SampleBench 0.5 0
 * </pre>
 */
public class SampleBench {
    public static void main(String[] args) {
        int vocab = 49152;
        double std = Double.parseDouble(args[0]);
        Random random = new Random(1);
        float[][] rows = new float[16][vocab];
        for (float[] row : rows) {
            for (int i = 0; i < vocab; i++) {
                row[i] = (float) (random.nextGaussian() * std);
            }
        }
        GenerationParams params = GenerationParams.builder().temperature(0.7).topP(0.9)
                .topK(Integer.parseInt(args[1])).seed(1L).build();
        Sampler sampler = new Sampler(params, vocab, 64);
        long sum = 0;
        for (int round = 0; round < 10; round++) {
            long t0 = System.nanoTime();
            for (int k = 0; k < 400; k++) {
                sum += sampler.next(rows[k % 16].clone());
            }
            System.out.printf("round %d: %.3f ms a row%n", round, (System.nanoTime() - t0) / 400 / 1e6);
        }
        System.out.println("(sum of the tokens drawn: " + sum + ")");
    }
}
