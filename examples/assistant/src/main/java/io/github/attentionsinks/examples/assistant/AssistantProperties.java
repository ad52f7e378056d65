package io.github.attentionsinks.examples.assistant;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * The assistant's own settings ({@code assistant.*}); the model's are the starter's
 * ({@code langchain4j.attention-sinks.*}).
 *
 * @param maxMessageChars longest user message accepted, in characters; longer ones are answered 413
 * @param memoryMaxMessages messages kept per conversation in Redis (a sliding window: older ones are dropped)
 * @param systemMessage a system message put before every conversation; empty for none
 * @param replyTimeout longest a streamed reply may take before it is cancelled
 * @param retryAfter what {@code Retry-After} tells a refused client (capacity exceeded, Redis unavailable)
 * @param keyPrefix prefix of the Redis keys holding conversations
 */
@ConfigurationProperties("assistant")
public record AssistantProperties(Integer maxMessageChars, Integer memoryMaxMessages, String systemMessage,
        Duration replyTimeout, Duration retryAfter, String keyPrefix) {

    /** Fills in defaults and refuses values that cannot work, naming the property and the fix. */
    public AssistantProperties {
        maxMessageChars = positive("assistant.max-message-chars", maxMessageChars, 4000);
        memoryMaxMessages = positive("assistant.memory-max-messages", memoryMaxMessages, 200);
        if (memoryMaxMessages < 2) {
            throw new IllegalArgumentException("assistant.memory-max-messages must be >= 2 (a message and its reply), "
                    + "was " + memoryMaxMessages);
        }
        systemMessage = systemMessage == null ? "" : systemMessage;
        replyTimeout = replyTimeout == null ? Duration.ofMinutes(10) : replyTimeout;
        retryAfter = retryAfter == null ? Duration.ofSeconds(5) : retryAfter;
        keyPrefix = keyPrefix == null ? "assistant:conversation:" : keyPrefix;
    }

    private static int positive(String name, Integer value, int fallback) {
        if (value == null) {
            return fallback;
        }
        if (value < 1) {
            throw new IllegalArgumentException(name + " must be >= 1, was " + value + " (the default is " + fallback + ")");
        }
        return value;
    }
}
