import io.github.attentionsinks.AttentionSinkModel;
import io.github.attentionsinks.Session;
import io.github.attentionsinks.cache.CacheConfig;
import java.nio.file.Path;

/**
 * One session reads the same prompt of ROWS tokens REPS times after 8 tokens (rewound after each), after the model's
 * JIT warm-up: the mean cost of a prompt row where a step reads many, on a model directory (the SmolLM-135M shape,
 * random float32 weights, in docs/benchmarks.md "Cache buffers kept for the next conversation"):
 *
 * <pre>
 * javac -cp examples/target/attention-sinks.jar -d /tmp/pl docs/bench/PrefillLoop.java
 * java --add-modules jdk.incubator.vector -Xmx3g -cp examples/target/attention-sinks.jar:/tmp/pl PrefillLoop \
 *     MODEL_DIR 128 60
 * </pre>
 */
public class PrefillLoop {
    public static void main(String[] args) throws Exception {
        int rows = Integer.parseInt(args[1]);
        int reps = Integer.parseInt(args[2]);
        try (AttentionSinkModel m = AttentionSinkModel.builder().modelPath(Path.of(args[0])).device("cpu").load()) {
            m.warmUp();
            int vocab = m.vocabSize();
            try (Session s = m.newSession(CacheConfig.sinks(4, 1020))) {
                int[] ids = new int[rows];
                for (int i = 0; i < rows; i++) {
                    ids[i] = (i * 7919 + 13) % vocab;
                }
                s.append(new int[] {1, 2, 3, 4, 5, 6, 7, 8});
                long t0 = System.nanoTime();
                for (int k = 0; k < reps; k++) {
                    s.append(ids);
                    s.rewind(rows);
                }
                System.out.printf("%d rows: %.3f ms a row%n", rows, (System.nanoTime() - t0) / 1e6 / reps / rows);
            }
        }
    }
}
