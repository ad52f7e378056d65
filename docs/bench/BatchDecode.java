import io.github.attentionsinks.AttentionSinkModel;
import io.github.attentionsinks.Session;
import io.github.attentionsinks.cache.CacheConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * N sessions, each after a 60-token prompt, decode one token a step for STEPS steps (batched through
 * {@link AttentionSinkModel#appendBatch} when N > 1), then rewind; REPS times, printing ms a step. The decode steps
 * alone, without the chat path, the decode loop or sampling, to set beside {@code ProductsBench} (the same steps'
 * weight products) and a chat round. Used in docs/benchmarks.md ("Tiles in four columns"):
 *
 * <pre>
 * javac -cp examples/target/attention-sinks.jar -d /tmp/bd docs/bench/BatchDecode.java
 * java --add-modules jdk.incubator.vector -Xmx3g -cp examples/target/attention-sinks.jar:/tmp/bd BatchDecode \
 *     MODEL_DIR 8 100 6
 * </pre>
 */
public class BatchDecode {
    public static void main(String[] a) throws Exception {
        int n = Integer.parseInt(a[1]);
        int steps = Integer.parseInt(a[2]);
        int reps = Integer.parseInt(a[3]);
        try (AttentionSinkModel m = AttentionSinkModel.builder().modelPath(Path.of(a[0])).device("cpu").load()) {
            m.warmUp();
            int vocab = m.vocabSize();
            List<Session> sessions = new ArrayList<>();
            for (int s = 0; s < n; s++) {
                Session session = m.newSession(CacheConfig.sinks(4, 1020));
                int[] prompt = new int[60];
                for (int i = 0; i < prompt.length; i++) {
                    prompt[i] = (i * 31 + 7 + s * 13) % vocab;
                }
                session.append(prompt);
                sessions.add(session);
            }
            for (int r = 0; r < reps; r++) {
                long t0 = System.nanoTime();
                for (int k = 0; k < steps; k++) {
                    List<int[]> feeds = new ArrayList<>();
                    for (int s = 0; s < n; s++) {
                        feeds.add(new int[] {(k * 7 + s * 11 + 5) % vocab});
                    }
                    if (n == 1) {
                        sessions.get(0).append(feeds.get(0));
                    } else {
                        m.appendBatch(sessions, feeds);
                    }
                }
                long elapsed = System.nanoTime() - t0;
                for (Session session : sessions) {
                    session.rewind(steps);
                }
                System.out.printf("rep %d: %.2f ms a step%n", r, elapsed / 1e6 / steps);
            }
            for (Session session : sessions) {
                session.close();
            }
        }
    }
}
