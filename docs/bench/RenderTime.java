import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.UserMessage;
import io.github.attentionsinks.langchain4j.ChatTemplate;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * How long {@link ChatTemplate#render} takes for one user message with a model's chat template (from its
 * {@code tokenizer_config.json}), in rounds of 200 then 1,000 renders on one thread: the first rounds show a fresh
 * JVM's cost, the last the JIT-compiled one. Used in docs/benchmarks.md ("Chat templates parsed once"):
 *
 * <pre>
 * javac -cp examples/target/attention-sinks.jar -d /tmp/rt docs/bench/RenderTime.java
 * java -cp examples/target/attention-sinks.jar:/tmp/rt RenderTime ../shared/tokenizers/smollm2-instruct
 * </pre>
 */
public class RenderTime {
    public static void main(String[] args) throws Exception {
        Path config = Path.of(args[0]).resolve("tokenizer_config.json");
        String source = new com.fasterxml.jackson.databind.ObjectMapper().readTree(Files.readString(config))
                .get("chat_template").asText();
        ChatTemplate template = ChatTemplate.of(source, "", "");
        List<ChatMessage> messages = List.of(UserMessage.from("Tell me something about the number 33, please."));
        for (int round = 0; round < 8; round++) {
            int n = round < 4 ? 200 : 1000;
            long t0 = System.nanoTime();
            for (int i = 0; i < n; i++) {
                template.render(messages, List.of(), true);
            }
            System.out.printf("%d renders: %.3f ms each%n", n, (System.nanoTime() - t0) / 1e6 / n);
        }
    }
}
