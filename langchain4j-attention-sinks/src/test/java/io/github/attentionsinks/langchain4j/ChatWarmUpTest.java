package io.github.attentionsinks.langchain4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.model.chat.listener.ChatModelListener;
import dev.langchain4j.model.chat.listener.ChatModelRequestContext;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The chat warm-up's throwaway conversations (stories260K, greedy, S = 4, W = 128) leave no conversation and no
 * listener call behind, only the prompt beginning of a conversation without a system message, and replies afterwards
 * are those of a chat model that never warmed up; also when its time runs out mid-turn.
 */
class ChatWarmUpTest {
    /**
     * A template whose every prompt begins with the same system turn, longer than a kept beginning's minimum, as a
     * template's default system prompt is: the warm-up's conversations keep it.
     */
    static final String TEMPLATE = "{{ 'System: You are a storyteller. You tell short and happy stories about the "
            + "animals of the forest.\\n' }}{% for m in messages %}{{ m.role }}: {{ m.content }}\\n{% endfor %}"
            + "{% if add_generation_prompt %}assistant:{% endif %}";

    @Test
    void leavesNoConversationKeepsTheTemplatesBeginningAndRepliesAsWithout() {
        try (AttentionSinkChatModel warmed = StoriesChat.blocking().chatTemplate(TEMPLATE).warmUp(false).build();
             AttentionSinkChatModel plain = StoriesChat.blocking().chatTemplate(TEMPLATE).warmUp(false).build()) {
            assertEquals(0, warmed.engine.keptBeginnings());
            assertEquals(3 * ChatWarmUp.TURNS, ChatWarmUp.warm(warmed.engine, 3, 60_000));
            assertEquals(0, warmed.engine.sessionIds().size(), "the throwaway conversations are evicted");
            assertEquals(1, warmed.engine.keptBeginnings(), "the template's system turn stays kept");
            for (int c = 0; c < 2; c++) {
                String id = "after-" + c;
                var request = StoriesChat.request(id, List.of(UserMessage.from("Tell me about a fox number " + c)));
                assertEquals(plain.chat(request).aiMessage().text(), warmed.chat(request).aiMessage().text(),
                        "conversation " + c);
                int copied = warmed.sessionStats(id).orElseThrow().lastSharedTokens();
                assertTrue(copied > 0, "conversation " + c + " copied " + copied + ": the first one too");
                if (c == 0) {
                    assertEquals(0, plain.sessionStats(id).orElseThrow().lastSharedTokens(),
                            "without the warm-up the first conversation encodes the beginning");
                }
            }
        }
    }

    @Test
    void turnsPastTheTimeAreCancelledAndTheEngineServesAsBefore() throws InterruptedException {
        try (AttentionSinkChatModel warmed = StoriesChat.blocking().warmUp(false).build();
             AttentionSinkChatModel plain = StoriesChat.blocking().warmUp(false).build()) {
            assertEquals(0, ChatWarmUp.warm(warmed.engine, 4, 0), "no time: no turn waited for");
            for (int i = 0; i < 200 && !warmed.engine.sessionIds().isEmpty(); i++) {
                Thread.sleep(50); // cancelled turns end within a step, then their sessions are evicted
            }
            assertEquals(0, warmed.engine.sessionIds().size());
            var request = StoriesChat.request("after", List.of(UserMessage.from("Once upon a time")));
            assertEquals(plain.chat(request).aiMessage().text(), warmed.chat(request).aiMessage().text());
        }
    }

    @Test
    void noListenerHearsTheWarmUp() {
        AtomicInteger requests = new AtomicInteger();
        ChatModelListener listener = new ChatModelListener() {
            @Override
            public void onRequest(ChatModelRequestContext context) {
                requests.incrementAndGet();
            }
        };
        try (AttentionSinkChatModel chat = StoriesChat.blocking().listeners(listener).warmUp(false).build()) {
            assertEquals(2 * ChatWarmUp.TURNS, ChatWarmUp.warm(chat.engine, 2, 60_000));
            assertEquals(0, requests.get());
            chat.chat(StoriesChat.request("after", List.of(UserMessage.from("Once upon a time"))));
            assertEquals(1, requests.get(), "the listener is attached");
        }
    }
}
