import io.github.attentionsinks.AttentionSinkModel;
import io.github.attentionsinks.Session;
import io.github.attentionsinks.cache.CacheConfig;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * One session on MODEL_DIR (sinks 4 + 1020) fed TOKENS tokens one at a time ({@code append} of one id, as a decoding
 * stream is): prints the median, 99th percentile and longest step, the bytes its cache holds at the end, and the
 * steps at every 256th token from 1,280 on, where a window moving back within its buffers shows (every 1,280 tokens
 * with buffers of 2,304 entries, every 256 with 1,280). Used in docs/benchmarks.md ("Caches sized for their turns"):
 *
 * <pre>
 * javac -cp examples/target/attention-sinks.jar -d /tmp/wm docs/bench/WindowMoves.java
 * java --add-modules jdk.incubator.vector -Xmx3g -cp examples/target/attention-sinks.jar:/tmp/wm WindowMoves \
 *     MODEL_DIR 3900
 * </pre>
 */
public class WindowMoves {
    public static void main(String[] args) throws Exception {
        int n = Integer.parseInt(args[1]);
        try (AttentionSinkModel model = AttentionSinkModel.builder().modelPath(Path.of(args[0])).load();
                Session session = model.newSession(CacheConfig.sinks(4, 1020))) {
            long[] nanos = new long[n];
            for (int t = 0; t < n; t++) {
                long t0 = System.nanoTime();
                session.append(100 + t % 1000);
                nanos[t] = System.nanoTime() - t0;
            }
            long[] sorted = nanos.clone();
            Arrays.sort(sorted);
            System.out.printf("median %.2f ms, p99 %.2f, max %.2f; cache bytes %d%n", sorted[n / 2] / 1e6,
                    sorted[n * 99 / 100] / 1e6, sorted[n - 1] / 1e6, session.cacheBytes());
            StringBuilder steps = new StringBuilder("steps at multiples of 256 from 1280 (ms):");
            for (int t = 1280; t < n; t += 256) {
                steps.append(String.format(" %d: %.1f", t, nanos[t] / 1e6));
            }
            System.out.println(steps);
        }
    }
}
