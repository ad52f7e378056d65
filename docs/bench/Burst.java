import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.model.chat.request.ChatRequest;
import io.github.attentionsinks.langchain4j.AttentionSinkChatModel;
import io.github.attentionsinks.langchain4j.AttentionSinkChatRequestParameters;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Eight new conversations at once, each round with a system prompt no conversation has used yet (the text of
 * SYSTEM_FILE after "Shop N. "), one reply token each: how long until all are answered, and the first turn's p50.
 * Used in docs/benchmarks.md ("Shared prompt beginnings"):
 *
 * <pre>
 * javac -cp examples/target/attention-sinks.jar -d /tmp/burst docs/bench/Burst.java
 * java --add-modules jdk.incubator.vector -Xmx3g -cp examples/target/attention-sinks.jar:/tmp/burst Burst MODEL_DIR SYSTEM_FILE
 * </pre>
 */
public class Burst {
    public static void main(String[] args) throws Exception {
        String base = Files.readString(Path.of(args[1])).strip();
        try (AttentionSinkChatModel chat = AttentionSinkChatModel.builder().modelPath(Path.of(args[0])).maxSessions(64)
                .build()) {
            for (int round = 0; round < 3; round++) {
                String system = "Shop " + round + ". " + base;
                ExecutorService pool = Executors.newFixedThreadPool(8);
                List<Future<Double>> turns = new ArrayList<>();
                long t0 = System.nanoTime();
                for (int u = 0; u < 8; u++) {
                    String id = "r" + round + "u" + u;
                    String text = "Hello " + u;
                    turns.add(pool.submit(() -> {
                        long start = System.nanoTime();
                        chat.chat(ChatRequest.builder()
                                .messages(List.of(SystemMessage.from(system), UserMessage.from(text)))
                                .parameters(AttentionSinkChatRequestParameters.builder().memoryId(id)
                                        .maxOutputTokens(1).build())
                                .build());
                        return (System.nanoTime() - start) / 1e6;
                    }));
                }
                List<Double> ms = new ArrayList<>();
                for (Future<Double> t : turns) {
                    ms.add(t.get());
                }
                pool.shutdown();
                Collections.sort(ms);
                System.out.printf("round %d: 8 new conversations with a new system prompt: all done in %.0f ms, "
                        + "first turn p50 %.0f ms, max %.0f ms%n", round, (System.nanoTime() - t0) / 1e6, ms.get(4),
                        ms.get(7));
            }
        }
    }
}
