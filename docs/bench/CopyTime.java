import io.github.attentionsinks.AttentionSinkModel;
import io.github.attentionsinks.Session;
import io.github.attentionsinks.cache.CacheConfig;
import java.nio.file.Path;
import java.util.*;
import java.util.concurrent.*;
/**
 * Copies of a kept 24-token prompt beginning into new sessions, eight a round on THREADS threads, six rounds: each
 * copy's time, which is mostly the new cache's memory faulting in (docs/benchmarks.md, "Turns that come together
 * step together"):
 *
 * <pre>
 * javac -cp examples/target/attention-sinks.jar -d /tmp/cp docs/bench/CopyTime.java
 * java --add-modules jdk.incubator.vector -cp examples/target/attention-sinks.jar:/tmp/cp CopyTime MODEL_DIR THREADS
 * </pre>
 */
public class CopyTime {
    public static void main(String[] a) throws Exception {
        int threads = Integer.parseInt(a[1]);
        try (AttentionSinkModel m = AttentionSinkModel.builder().modelPath(Path.of(a[0])).device("cpu").load()) {
            CacheConfig c = CacheConfig.sinks(4, 1020);
            Session fed = m.newSession(c);
            int[] ids = new int[24]; for (int i = 0; i < 24; i++) ids[i] = 100 + i;
            fed.append(ids);
            Session kept = fed.copyFirst(24);
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            for (int round = 0; round < 6; round++) {
                List<Session> made = Collections.synchronizedList(new ArrayList<>());
                List<Future<Double>> fs = new ArrayList<>();
                long t0 = System.nanoTime();
                for (int t = 0; t < 8; t++) fs.add(pool.submit(() -> {
                    Session s = m.newSession(c); made.add(s);
                    long c0 = System.nanoTime();
                    s.startFrom(kept, 24);
                    return (System.nanoTime() - c0) / 1e6;
                }));
                StringBuilder b = new StringBuilder();
                for (Future<Double> f : fs) b.append(String.format("%.1f ", f.get()));
                System.out.printf("round %d: all %.1f ms; each %s%n", round, (System.nanoTime() - t0) / 1e6, b);
                for (Session s : made) s.close();
            }
            pool.shutdown();
        }
    }
}
