package io.github.attentionsinks.examples.assistant;

import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.ChatMessageDeserializer;
import dev.langchain4j.data.message.ChatMessageSerializer;
import dev.langchain4j.store.memory.chat.ChatMemoryStore;
import java.util.List;
import java.util.Optional;
import org.springframework.data.redis.core.StringRedisTemplate;
import org.springframework.stereotype.Component;

/**
 * A LangChain4j {@link ChatMemoryStore} in Redis: one string key per conversation holding its messages as
 * LangChain4j's JSON ({@link ChatMessageSerializer}). A conversation exists while its key does; every write replaces
 * the whole list in one {@code SET}, so a turn is stored completely or not at all, and a conversation deleted while
 * a reply was being generated is not brought back by that reply ({@code SET ... XX}).
 */
@Component
public class RedisChatMemoryStore implements ChatMemoryStore {
    private final StringRedisTemplate redis;
    private final String keyPrefix;

    public RedisChatMemoryStore(StringRedisTemplate redis, AssistantProperties properties) {
        this.redis = redis;
        this.keyPrefix = properties.keyPrefix();
    }

    /** Creates a conversation holding {@code initial} (a system message, or nothing); false if the id is taken. */
    public boolean create(String id, List<ChatMessage> initial) {
        return Boolean.TRUE.equals(redis.opsForValue().setIfAbsent(key(id), ChatMessageSerializer.messagesToJson(initial)));
    }

    /** The conversation's messages, or empty when there is no such conversation. */
    public Optional<List<ChatMessage>> find(String id) {
        String json = redis.opsForValue().get(key(id));
        return json == null ? Optional.empty() : Optional.of(ChatMessageDeserializer.messagesFromJson(json));
    }

    /** The messages of {@code memoryId}; empty for an unknown conversation, as {@link ChatMemoryStore} specifies. */
    @Override
    public List<ChatMessage> getMessages(Object memoryId) {
        return find(memoryId.toString()).orElse(List.of());
    }

    /**
     * Replaces the conversation's messages.
     *
     * @throws ConversationNotFoundException when the conversation was deleted meanwhile (nothing is written)
     */
    @Override
    public void updateMessages(Object memoryId, List<ChatMessage> messages) {
        String id = memoryId.toString();
        Boolean written = redis.opsForValue().setIfPresent(key(id), ChatMessageSerializer.messagesToJson(messages));
        if (!Boolean.TRUE.equals(written)) {
            throw new ConversationNotFoundException(id);
        }
    }

    @Override
    public void deleteMessages(Object memoryId) {
        delete(memoryId.toString());
    }

    /** Deletes the conversation; false if there was none. */
    public boolean delete(String id) {
        return Boolean.TRUE.equals(redis.delete(key(id)));
    }

    private String key(String id) {
        return keyPrefix + id;
    }
}
