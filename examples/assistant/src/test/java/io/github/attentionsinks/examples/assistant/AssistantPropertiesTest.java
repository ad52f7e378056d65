package io.github.attentionsinks.examples.assistant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** {@code assistant.*} defaults, refusals that name the property, and the id form. */
class AssistantPropertiesTest {

    @Test
    void defaults() {
        AssistantProperties p = new AssistantProperties(null, null, null, null, null, null);
        assertEquals(4000, p.maxMessageChars());
        assertEquals(200, p.memoryMaxMessages());
        assertEquals("", p.systemMessage());
        assertEquals(Duration.ofMinutes(10), p.replyTimeout());
        assertEquals(Duration.ofSeconds(5), p.retryAfter());
        assertEquals("assistant:conversation:", p.keyPrefix());
    }

    @Test
    void badValuesNameTheProperty() {
        IllegalArgumentException zero = assertThrows(IllegalArgumentException.class,
                () -> new AssistantProperties(0, null, null, null, null, null));
        assertEquals("assistant.max-message-chars must be >= 1, was 0 (the default is 4000)", zero.getMessage());
        IllegalArgumentException one = assertThrows(IllegalArgumentException.class,
                () -> new AssistantProperties(null, 1, null, null, null, null));
        assertTrue(one.getMessage().startsWith("assistant.memory-max-messages must be >= 2"), one.getMessage());
    }

    @Test
    void idsAreWellFormedAndOthersAreNot() {
        String id = ConversationIds.newId();
        assertEquals(27, id.length());
        assertTrue(ConversationIds.isWellFormed(id));
        assertTrue(!ConversationIds.isWellFormed(id.substring(1)) && !ConversationIds.isWellFormed(id + "A")
                && !ConversationIds.isWellFormed(null) && !ConversationIds.isWellFormed(id.substring(1) + "/"));
    }
}
