package io.github.attentionsinks.examples.assistant;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@code assistant.memory-max-messages} keeps a sliding window of messages in Redis (LangChain4j's
 * {@code MessageWindowChatMemory}), and the model's session keeps continuing while old messages slide out.
 */
class MemoryWindowTest {

    @Test
    void oldMessagesSlideOutAndTheSessionContinues() {
        try (RunningApp app = RunningApp.start(Map.of("assistant.memory-max-messages", "4"))) {
            ApiClient api = app.client();
            String id = api.create();
            List<String> texts = List.of("Tell me a story.", "What happened next?", "Who was there?", "How did it end?");
            JsonNode done = null;
            for (int i = 0; i < texts.size(); i++) {
                done = api.send(id, texts.get(i)).done();
                assertEquals(Math.min(i + 1, 2), done.get("turns").asInt(), done.toString());
                if (i > 0) {
                    assertEquals("CONTINUED", done.get("session").asText(), "turn " + (i + 1) + ": " + done);
                }
            }
            List<Map<String, String>> history = api.messages(id);
            assertEquals(4, history.size());
            assertEquals(texts.get(2), history.get(0).get("text"));
            assertEquals(texts.get(3), history.get(2).get("text"));
        }
    }
}
