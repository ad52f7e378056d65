import io.github.attentionsinks.AttentionSinkModel;
import io.github.attentionsinks.Session;
import io.github.attentionsinks.cache.CacheConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * USERS sessions, each after a 24-token beginning, read ROWS prompt tokens each in one batched step, then rewind them,
 * REPS times after the model's JIT warm-up; every tenth step's time: what the step that reads eight new conversations'
 * prompts costs without the chat path around it. Used in docs/benchmarks.md ("The chat warm-up's replies
 * lengthened"):
 *
 * <pre>
 * javac -cp examples/target/attention-sinks.jar -d /tmp/pbatch docs/bench/PrefillBatch.java
 * java --add-modules jdk.incubator.vector -Xmx3g -cp examples/target/attention-sinks.jar:/tmp/pbatch PrefillBatch \
 *     MODEL_DIR 8 18 60
 * </pre>
 */
public class PrefillBatch {
    public static void main(String[] a) throws Exception {
        int users = Integer.parseInt(a[1]);
        int rows = Integer.parseInt(a[2]);
        int reps = Integer.parseInt(a[3]);
        try (AttentionSinkModel m = AttentionSinkModel.builder().modelPath(Path.of(a[0])).device("cpu").load()) {
            m.warmUp();
            int vocab = m.vocabSize();
            List<Session> sessions = new ArrayList<>();
            List<int[]> feeds = new ArrayList<>();
            for (int u = 0; u < users; u++) {
                Session s = m.newSession(CacheConfig.sinks(4, 1020));
                s.append(new int[24]);
                sessions.add(s);
                int[] ids = new int[rows];
                for (int i = 0; i < rows; i++) {
                    ids[i] = (i * 7919 + u * 31 + 13) % vocab;
                }
                feeds.add(ids);
            }
            for (int r = 0; r < reps; r++) {
                long t0 = System.nanoTime();
                m.appendBatch(sessions, feeds);
                long t1 = System.nanoTime();
                for (Session s : sessions) {
                    s.rewind(rows);
                }
                if (r % 10 == 9) {
                    System.out.printf("step %d: %.1f ms (%.2f ms a row)%n", r, (t1 - t0) / 1e6,
                            (t1 - t0) / 1e6 / (users * rows));
                }
            }
            sessions.forEach(Session::close);
        }
    }
}
