package io.github.attentionsinks.examples.assistant;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.EnableConfigurationProperties;

/**
 * The web assistant: a chat page and an HTTP API (Server-Sent Events) over the starter's
 * {@code AttentionSinkStreamingChatModel}, with each conversation's messages in Redis.
 *
 * <pre>
 * java -jar examples/target/attention-sinks-assistant.jar [--server.port=8080] [--spring.data.redis.host=localhost]
 *      [--langchain4j.attention-sinks.model=DIR|ID]
 * </pre>
 */
@SpringBootApplication
@EnableConfigurationProperties(AssistantProperties.class)
public class AssistantApplication {

    /** Starts the assistant; DJL is kept offline and its usage tracking off unless the caller set them. */
    public static void main(String[] args) {
        offlineDefaults();
        SpringApplication.run(AssistantApplication.class, args);
    }

    /** DJL must not download natives nor call home: the same defaults as the CLI. */
    static void offlineDefaults() {
        if (System.getProperty("ai.djl.offline") == null) {
            System.setProperty("ai.djl.offline", "true");
        }
        if (System.getProperty("OPT_OUT_TRACKING") == null) {
            System.setProperty("OPT_OUT_TRACKING", "true");
        }
    }
}
