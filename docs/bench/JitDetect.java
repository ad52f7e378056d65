import io.github.attentionsinks.AttentionSinkModel;
import io.github.attentionsinks.Session;
import io.github.attentionsinks.cache.CacheConfig;
import io.github.attentionsinks.langchain4j.AttentionSinkChatModel;
import java.nio.file.Path;
/**
 * A fresh JVM's chat model (warm-up included), then eight conversations of one 48-token turn at once: their rate,
 * about 250 tokens/s on the SmolLM-135M shape here, and a tenth of that if the multi-row kernels ran outside C2's
 * code (docs/benchmarks.md, "Turns that come together step together"); run it in a loop to look for such a JVM:
 *
 * <pre>
 * javac -cp examples/target/attention-sinks.jar -d /tmp/jd docs/bench/JitDetect.java
 * java --add-modules jdk.incubator.vector -cp examples/target/attention-sinks.jar:/tmp/jd JitDetect MODEL_DIR
 * </pre>
 */
public class JitDetect {
    public static void main(String[] a) throws Exception {
        AttentionSinkChatModel chat = AttentionSinkChatModel.builder().modelPath(Path.of(a[0])).build();
        long t0 = System.nanoTime();
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(8);
        java.util.List<java.util.concurrent.Future<?>> fs = new java.util.ArrayList<>();
        for (int u = 0; u < 8; u++) { int user = u; fs.add(pool.submit(() -> chat.chat(dev.langchain4j.model.chat.request.ChatRequest.builder()
            .messages(java.util.List.of(dev.langchain4j.data.message.UserMessage.from("Hello number " + user)))
            .parameters(io.github.attentionsinks.langchain4j.AttentionSinkChatRequestParameters.builder().memoryId("u" + user).maxOutputTokens(48).build()).build()))); }
        for (var f : fs) f.get();
        double s = (System.nanoTime() - t0) / 1e9;
        System.out.printf("8x48 tokens in %.2f s (%.0f tokens/s)%n", s, 8 * 48 / s);
        pool.shutdown(); chat.close();
    }
}
