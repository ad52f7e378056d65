import io.github.attentionsinks.AttentionSinkModel;
import io.github.attentionsinks.Session;
import io.github.attentionsinks.cache.CacheConfig;
import java.nio.file.Path;

/**
 * One session reads prompt chunks of 1 to 128 tokens after 8 tokens (best of 5 each, the third of three rounds,
 * after the model's JIT warm-up): what a prompt row costs where a step reads many, on a model directory (the
 * SmolLM-135M shape, random float32 weights, in docs/benchmarks.md "The chat path warmed up too"):
 *
 * <pre>
 * javac -cp examples/target/attention-sinks.jar -d /tmp/pr docs/bench/PrefillRows.java
 * java --add-modules jdk.incubator.vector -cp examples/target/attention-sinks.jar:/tmp/pr PrefillRows MODEL_DIR
 * </pre>
 */
public class PrefillRows {
    public static void main(String[] a) throws Exception {
        try (AttentionSinkModel m = AttentionSinkModel.builder().modelPath(Path.of(a[0])).device("cpu").load()) {
            m.warmUp();
            int vocab = m.vocabSize();
            for (int round = 0; round < 3; round++) {
                for (int n : new int[] {1, 8, 16, 24, 32, 48, 64, 96, 128}) {
                    try (Session s = m.newSession(CacheConfig.sinks(4, 1020))) {
                        int[] ids = new int[n];
                        for (int i = 0; i < n; i++) {
                            ids[i] = (i * 7919 + 13) % vocab;
                        }
                        s.append(new int[] {1, 2, 3, 4, 5, 6, 7, 8});
                        long best = Long.MAX_VALUE;
                        for (int k = 0; k < 5; k++) {
                            long t0 = System.nanoTime();
                            s.append(ids);
                            best = Math.min(best, System.nanoTime() - t0);
                            s.rewind(n);
                        }
                        if (round == 2) {
                            System.out.printf("rows %3d: %.1f ms, %.2f ms a row%n", n, best / 1e6, best / 1e6 / n);
                        }
                    }
                }
            }
        }
    }
}
