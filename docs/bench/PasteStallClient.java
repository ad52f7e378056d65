import io.github.attentionsinks.langchain4j.AttentionSinkStreamingChatModel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * How long a conversation that is streaming a long reply waits between two of its tokens while its own cache and
 * another conversation's grow: each round one new conversation asks for a 600-token reply (its cache grows past 512
 * entries), and a second after it started another new conversation sends a 9,000-character paste (more than the
 * SmolLM-135M shape's 1,024-token cache: its cache grows to 1,024 entries and then to its largest). Prints, per round,
 * the reply's gaps between tokens (median, 99th percentile, longest) and the paste's first token. Used in
 * docs/benchmarks.md ("Cache growth faulted in ahead"):
 *
 * <pre>
 * javac -cp examples/target/attention-sinks.jar -d /tmp/ps docs/bench/PasteStallClient.java docs/bench/LongPasteClient.java
 * java --add-modules jdk.incubator.vector -Xmx3g -cp examples/target/attention-sinks.jar:/tmp/ps PasteStallClient MODEL_DIR
 * </pre>
 */
public class PasteStallClient {
    static AttentionSinkStreamingChatModel model;

    public static void main(String[] a) throws Exception {
        model = AttentionSinkStreamingChatModel.builder().modelPath(Path.of(a[0])).build();
        String paste = LongPasteClient.paste();
        for (int round = 0; round < 3; round++) {
            List<Long> arrivals = Collections.synchronizedList(new ArrayList<>());
            CompletableFuture<Double> replyDone = new CompletableFuture<>();
            LongPasteClient.stream(model, "reply-" + round, "Tell me a very long story about a dragon.", 600,
                    arrivals::add, replyDone);
            Thread.sleep(1000);
            CompletableFuture<Double> pasteDone = new CompletableFuture<>();
            List<Long> pasteArrivals = Collections.synchronizedList(new ArrayList<>());
            long pasteSent = System.nanoTime();
            LongPasteClient.stream(model, "paste-" + round, paste, 8, pasteArrivals::add, pasteDone);
            pasteDone.get();
            replyDone.get();
            List<Double> gaps = new ArrayList<>();
            for (int i = 1; i < arrivals.size(); i++) {
                gaps.add((arrivals.get(i) - arrivals.get(i - 1)) / 1e6);
            }
            Collections.sort(gaps);
            System.out.printf("round %d: reply of %d pieces, gaps median %.1f ms, p99 %.1f ms, longest %.1f ms; "
                    + "paste's first token %.0f ms%n", round, arrivals.size(), gaps.get(gaps.size() / 2),
                    gaps.get((int) (gaps.size() * 0.99)), gaps.get(gaps.size() - 1),
                    (pasteArrivals.get(0) - pasteSent) / 1e6);
        }
        System.exit(0);
    }
}
