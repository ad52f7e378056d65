package io.github.attentionsinks.spring.aiservice;

import dev.langchain4j.memory.chat.ChatMemoryProvider;
import dev.langchain4j.memory.chat.MessageWindowChatMemory;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.annotation.Bean;

/**
 * A user's application: LangChain4j's Spring Boot starter finds the {@code @AiService} interfaces of this package and
 * wires them to the auto-configured attention-sink chat models and this chat memory provider.
 */
@SpringBootApplication
public class StoryApp {
    @Bean
    ChatMemoryProvider chatMemoryProvider() {
        return memoryId -> MessageWindowChatMemory.builder().id(memoryId).maxMessages(10).build();
    }
}
