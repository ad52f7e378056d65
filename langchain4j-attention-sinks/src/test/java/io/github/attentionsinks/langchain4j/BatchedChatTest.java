package io.github.attentionsinks.langchain4j;

import static io.github.attentionsinks.langchain4j.StoriesChat.request;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.model.chat.response.ChatResponse;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Conversations that generate at the same time share the decode loop (batched steps) by default: their replies,
 * turn after turn and past eviction, are those of the same conversations decoded one by one
 * ({@code batchedDecoding(false)}), and what each session encodes is unchanged.
 */
class BatchedChatTest {
    static final String[] USERS = {"ann", "bo", "cy", "di"};

    /** Four conversations, three turns each; the turns of different users are submitted together. */
    static List<String> converse(AttentionSinkStreamingChatModel chat) {
        List<String> log = new ArrayList<>();
        List<List<ChatMessage>> histories = new ArrayList<>();
        for (String ignored : USERS) {
            histories.add(new ArrayList<>());
        }
        for (int turn = 0; turn < 3; turn++) {
            List<StoriesChat.Collector> collectors = new ArrayList<>();
            for (int u = 0; u < USERS.length; u++) {
                histories.get(u).add(UserMessage.from(USERS[u] + " asks about the " + (turn == 0 ? "dog" : "cat")
                        + " in part " + turn + (u == 2 ? ": a much longer question that makes a longer prompt" : "")));
                StoriesChat.Collector c = new StoriesChat.Collector();
                collectors.add(c);
                chat.chat(request(USERS[u], List.copyOf(histories.get(u))), c);
            }
            for (int u = 0; u < USERS.length; u++) {
                ChatResponse r = collectors.get(u).await();
                histories.get(u).add(r.aiMessage());
                log.add(USERS[u] + " " + turn + ": " + r.aiMessage().text() + " | in " + r.tokenUsage()
                        .inputTokenCount() + ", out " + r.tokenUsage().outputTokenCount() + ", "
                        + r.finishReason() + " | streamed " + collectors.get(u).text().equals(r.aiMessage().text()));
            }
        }
        return log;
    }

    @Test
    void concurrentConversationsReplyAsIfDecodedOneByOne() {
        List<String> batched;
        List<String> separate;
        try (AttentionSinkStreamingChatModel chat = StoriesChat.streaming().maxNewTokens(40).maxBatchSize(4)
                .build()) {
            batched = converse(chat);
        }
        try (AttentionSinkStreamingChatModel chat = StoriesChat.streaming().maxNewTokens(40).maxBatchSize(4)
                .batchedDecoding(false).build()) {
            separate = converse(chat);
        }
        assertEquals(separate, batched);
    }

    @Test
    void aLongPromptChunkBelowThePrefillChunkIsRefusedByName() {
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> StoriesChat.streaming().prefillChunk(32).longPromptChunk(16).build());
        assertEquals("longPromptChunk must be >= prefillChunk (32), got 16", e.getMessage());
    }
}
