package io.github.attentionsinks.langchain4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.langchain4j.memory.chat.MessageWindowChatMemory;
import dev.langchain4j.service.AiServices;
import dev.langchain4j.service.MemoryId;
import dev.langchain4j.service.Result;
import dev.langchain4j.service.SystemMessage;
import dev.langchain4j.service.TokenStream;
import dev.langchain4j.service.UserMessage;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * AiServices with {@code @MemoryId} and a sliding MessageWindowChatMemory: two users interleaved over many turns.
 * Each turn must encode only its new message (plus the previous reply's end), never the history, and each
 * session's cache stays within S + W = 4 + 128 tokens while the conversations run far past it.
 */
class AiServicesMemoryTest {
    static final int S = 4;
    static final int W = 128;

    interface Storyteller {
        @SystemMessage("You tell short stories.")
        Result<String> chat(@MemoryId String user, @UserMessage String message);
    }

    interface StreamingStoryteller {
        @SystemMessage("You tell short stories.")
        TokenStream chat(@MemoryId String user, @UserMessage String message);
    }

    /** Upper bound for one turn: the new message as the fallback template shows it, plus the last reply's end. */
    static int newMessageBound(String message) {
        // "\nUser: <message>\nAssistant:" after the previous reply, plus its last token that was never fed.
        return StoriesChat.model().tokenizer().encode("\nUser: " + message + "\nAssistant:", false).length + 1;
    }

    @Test
    void twoUsersOverFiftyTurnsEachEncodeOnlyTheirNewMessage() {
        try (AttentionSinkChatModel model = StoriesChat.blocking().attentionSinkSize(S).windowSize(W).maxNewTokens(12)
                .build()) {
            Storyteller teller = AiServices.builder(Storyteller.class)
                    .chatModel(model)
                    .chatMemoryProvider(id -> MessageWindowChatMemory.withMaxMessages(6))
                    .chatRequestTransformer(AttentionSinks.memoryIdTransformer())
                    .build();
            int turns = 55;
            String[] users = {"alice", "bob"};
            long maxInput = 0;
            for (int t = 0; t < turns; t++) {
                for (String user : users) {
                    String message = (user.equals("alice") ? "Tell me about the dog " : "What did the cat do ") + t;
                    Result<String> result = teller.chat(user, message);
                    ChatSessionStats stats = model.sessionStats(user).orElseThrow();
                    int input = result.tokenUsage().inputTokenCount();
                    assertEquals(stats.lastInputTokens(), input);
                    assertTrue(stats.cacheLength() <= S + W, user + " turn " + t + ": cache " + stats.cacheLength());
                    if (t > 0) {
                        assertTrue(input <= newMessageBound(message),
                                user + " turn " + t + " encoded " + input + " tokens for \"" + message + "\"");
                        maxInput = Math.max(maxInput, input);
                    }
                    assertEquals(t + 1, stats.turns());
                    assertEquals(1, stats.rebuilds(), user + ": only the first turn builds the session");
                }
            }
            for (String user : users) {
                ChatSessionStats stats = model.sessionStats(user).orElseThrow();
                assertTrue(stats.streamLength() > 10L * (S + W), "the stream ran far past the cache: " + stats);
                assertEquals(S + W, stats.cacheLength());
            }
            assertTrue(maxInput < 40, "per-turn input stays small: " + maxInput);
        }
    }

    @Test
    void streamingAiServiceKeepsSessionsPerUserToo() throws Exception {
        try (AttentionSinkStreamingChatModel model = StoriesChat.streaming().build()) {
            StreamingStoryteller teller = AiServices.builder(StreamingStoryteller.class)
                    .streamingChatModel(model)
                    .chatMemoryProvider(id -> MessageWindowChatMemory.withMaxMessages(4))
                    .chatRequestTransformer(AttentionSinks.memoryIdTransformer())
                    .build();
            for (int t = 0; t < 12; t++) {
                for (String user : new String[] {"carol", "dave"}) {
                    String message = "Turn " + t + " for " + user;
                    StringBuilder streamed = new StringBuilder();
                    CompletableFuture<dev.langchain4j.model.chat.response.ChatResponse> done =
                            new CompletableFuture<>();
                    teller.chat(user, message)
                            .onPartialResponse(streamed::append)
                            .onCompleteResponse(done::complete)
                            .onError(done::completeExceptionally)
                            .start();
                    var response = done.get(120, TimeUnit.SECONDS);
                    assertEquals(response.aiMessage().text(), streamed.toString());
                    if (t > 0) {
                        assertTrue(response.tokenUsage().inputTokenCount() <= newMessageBound(message));
                    }
                }
            }
            assertEquals(1, model.sessionStats("carol").orElseThrow().rebuilds());
            assertEquals(1, model.sessionStats("dave").orElseThrow().rebuilds());
        }
    }

    @Test
    void cancellingAStreamMidReplyKeepsTheConversationFlowing() throws Exception {
        try (AttentionSinkStreamingChatModel model = StoriesChat.streaming().maxNewTokens(24).build()) {
            StreamingStoryteller teller = AiServices.builder(StreamingStoryteller.class)
                    .streamingChatModel(model)
                    .chatMemoryProvider(id -> MessageWindowChatMemory.withMaxMessages(6))
                    .chatRequestTransformer(AttentionSinks.memoryIdTransformer())
                    .build();
            for (int t = 0; t < 21; t++) { // the last turn (20) is not cancelled, so the stats below are final
                String message = "Story part " + t;
                CompletableFuture<dev.langchain4j.model.chat.response.ChatResponse> done = new CompletableFuture<>();
                java.util.concurrent.atomic.AtomicInteger partials = new java.util.concurrent.atomic.AtomicInteger();
                boolean cancelThisTurn = t % 3 == 1;
                teller.chat("eve", message)
                        .onPartialResponseWithContext((partial, ctx) -> {
                            if (partials.incrementAndGet() == 2 && cancelThisTurn) {
                                ctx.streamingHandle().cancel();
                                done.complete(null);
                            }
                        })
                        .onCompleteResponse(done::complete)
                        .onError(done::completeExceptionally)
                        .start();
                var response = done.get(120, TimeUnit.SECONDS);
                if (cancelThisTurn) {
                    continue;
                }
                assertTrue(response != null);
                if (t > 0) {
                    assertTrue(response.tokenUsage().inputTokenCount() <= newMessageBound(message) + 1,
                            "turn " + t + " encoded " + response.tokenUsage().inputTokenCount());
                }
            }
            ChatSessionStats stats = model.sessionStats("eve").orElseThrow();
            assertEquals(1, stats.rebuilds(), "cancellations never forced a rebuild: " + stats);
            assertTrue(stats.cacheLength() <= S + W);
        }
    }
}
