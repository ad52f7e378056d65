import io.github.attentionsinks.AttentionSinkModel;
import io.github.attentionsinks.Session;
import io.github.attentionsinks.cache.CacheConfig;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * One session with CACHED tokens in its cache (sinks 4 + 4,092, so nothing is evicted) reads the same prompt of ROWS
 * tokens REPS times, rewound after each, after the model's JIT warm-up and three unmeasured reads: the median and best
 * time of such a step. With a long cache, a long prompt's step spends much of its time in attention, whose arithmetic
 * grows with the cache. Used in docs/benchmarks.md ("Prompt attention's kernels at the cores' speed"):
 *
 * <pre>
 * javac -cp examples/target/attention-sinks.jar -d /tmp/pc docs/bench/PromptAfterCache.java
 * java --add-modules jdk.incubator.vector -Xmx3g -cp examples/target/attention-sinks.jar:/tmp/pc PromptAfterCache \
 *     MODEL_DIR 256 12 1000
 * </pre>
 */
public class PromptAfterCache {
    public static void main(String[] args) throws Exception {
        int rows = Integer.parseInt(args[1]);
        int reps = Integer.parseInt(args[2]);
        int cached = Integer.parseInt(args[3]);
        try (AttentionSinkModel m = AttentionSinkModel.builder().modelPath(Path.of(args[0])).device("cpu").load()) {
            m.warmUp();
            int vocab = m.vocabSize();
            try (Session s = m.newSession(CacheConfig.sinks(4, 4092))) {
                int[] before = new int[cached];
                for (int i = 0; i < cached; i++) {
                    before[i] = (i * 131 + 5) % vocab;
                }
                if (cached > 0) {
                    s.append(before);
                }
                int[] ids = new int[rows];
                for (int i = 0; i < rows; i++) {
                    ids[i] = (i * 7919 + 13) % vocab;
                }
                for (int k = 0; k < 3; k++) {
                    s.append(ids);
                    s.rewind(rows);
                }
                double[] ms = new double[reps];
                for (int k = 0; k < reps; k++) {
                    long t0 = System.nanoTime();
                    s.append(ids);
                    ms[k] = (System.nanoTime() - t0) / 1e6;
                    s.rewind(rows);
                }
                Arrays.sort(ms);
                System.out.printf("%d rows after %d cached: median %.1f ms, best %.1f%n", rows, cached,
                        ms[reps / 2], ms[0]);
            }
        }
    }
}
