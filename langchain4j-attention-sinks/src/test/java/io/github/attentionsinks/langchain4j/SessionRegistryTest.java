package io.github.attentionsinks.langchain4j;

import static io.github.attentionsinks.langchain4j.StoriesChat.request;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/** Sessions per memory id: concurrency, ordering, eviction, rebuilds and requests without an id. */
class SessionRegistryTest {

    private static boolean await(CountDownLatch latch, long seconds) {
        try {
            return latch.await(seconds, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /**
     * What {@code submit} says decides whether a chat turn is announced to the decode loop from the caller's thread:
     * only a request that a worker takes up at once, not one behind its id's earlier requests or waiting for a worker.
     */
    @Test
    void submitSaysWhetherAWorkerTakesTheRequestUpAtOnce() throws InterruptedException {
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch started = new CountDownLatch(2);
        SessionRegistry.Request<SessionRegistry.State> blocking = new SessionRegistry.Request<>() {
            @Override
            public Runnable run(SessionRegistry.State state, Object key) {
                started.countDown();
                await(release, 30);
                return null;
            }

            @Override
            public void refuse(Throwable error) {}
        };
        CountDownLatch ran = new CountDownLatch(2);
        SessionRegistry.Request<SessionRegistry.State> quick = new SessionRegistry.Request<>() {
            @Override
            public Runnable run(SessionRegistry.State state, Object key) {
                ran.countDown();
                return null;
            }

            @Override
            public void refuse(Throwable error) {}
        };
        try (SessionRegistry<SessionRegistry.State> registry = new SessionRegistry<>(
                new SessionRegistry.Limits(2, 16, Duration.ofMinutes(5), 100), () -> () -> {})) {
            assertTrue(registry.submit("a", s -> false, blocking), "an idle id and a free worker");
            assertFalse(registry.submit("a", s -> false, quick), "behind the id's running request");
            assertTrue(registry.submit("b", s -> false, blocking), "another id, the second worker");
            assertTrue(await(started, 30));
            assertFalse(registry.submit("c", s -> false, quick), "both workers busy");
            release.countDown();
            assertTrue(await(ran, 30), "the requests that waited ran");
            boolean takenUp = false;
            for (int i = 0; i < 100 && !takenUp; i++) { // the workers' tasks end just after their requests ran
                takenUp = registry.submit("d" + i, s -> false, quick);
                if (!takenUp) {
                    Thread.sleep(50);
                }
            }
            assertTrue(takenUp, "a worker free again takes a new id's request up at once");
        }
    }

    @Test
    void differentMemoryIdsRunAtTheSameTime() {
        try (AttentionSinkStreamingChatModel chat = StoriesChat.streaming().maxBatchSize(2).build()) {
            CountDownLatch bStreaming = new CountDownLatch(1);
            AtomicBoolean sawB = new AtomicBoolean();
            // A waits inside its first partial until B streams: only possible if B runs while A is mid-reply.
            StoriesChat.Collector a = new StoriesChat.Collector((p, ctx) -> {
                if (!sawB.get()) {
                    sawB.set(await(bStreaming, 60));
                }
            });
            StoriesChat.Collector b = new StoriesChat.Collector((p, ctx) -> bStreaming.countDown());
            chat.chat(request("a", List.of(UserMessage.from("Hello from A"))), a);
            chat.chat(request("b", List.of(UserMessage.from("Hello from B"))), b);
            a.await();
            b.await();
            assertTrue(sawB.get(), "B streamed while A was waiting in its handler");
            assertEquals(Set.of("a", "b"), chat.sessionIds());
        }
    }

    @Test
    void aFullQueueRefusesAtOnceAndAcceptsAgainOnceItDrains() {
        try (AttentionSinkStreamingChatModel chat = StoriesChat.streaming().maxBatchSize(1).maxQueuedRequests(2)
                .build()) {
            CountDownLatch release = new CountDownLatch(1);
            StoriesChat.Collector first = new StoriesChat.Collector((p, ctx) -> await(release, 60));
            StoriesChat.Collector second = new StoriesChat.Collector();
            chat.chat(request("q1", List.of(UserMessage.from("one"))), first);
            chat.chat(request("q2", List.of(UserMessage.from("two"))), second);
            io.github.attentionsinks.CapacityExceededException refused = org.junit.jupiter.api.Assertions.assertThrows(
                    io.github.attentionsinks.CapacityExceededException.class,
                    () -> chat.chat(request("q3", List.of(UserMessage.from("three"))), new StoriesChat.Collector()));
            assertTrue(refused.getMessage().contains("maxQueuedRequests"), refused.getMessage());
            assertEquals(Set.of("q1", "q2"), chat.sessionIds(), "the refused request opened no session");
            release.countDown();
            first.await();
            second.await();
            StoriesChat.Collector later = new StoriesChat.Collector();
            chat.chat(request("q3", List.of(UserMessage.from("three"))), later);
            later.await();
        }
    }

    @Test
    void requestsOfOneMemoryIdRunOneAfterAnotherInArrivalOrder() {
        try (AttentionSinkStreamingChatModel chat = StoriesChat.streaming().maxBatchSize(4).build()) {
            List<String> events = new CopyOnWriteArrayList<>();
            CountDownLatch anotherStarted = new CountDownLatch(1);
            AtomicBoolean overlapped = new AtomicBoolean();
            int n = 4;
            StoriesChat.Collector[] collectors = new StoriesChat.Collector[n];
            for (int i = 0; i < n; i++) {
                int id = i;
                AtomicBoolean started = new AtomicBoolean();
                collectors[i] = new StoriesChat.Collector((p, ctx) -> {
                    if (started.compareAndSet(false, true)) {
                        events.add("start " + id);
                        if (id == 0) {
                            // Give the other requests every chance to start: they must not.
                            overlapped.set(await(anotherStarted, 2));
                        } else {
                            anotherStarted.countDown();
                        }
                    }
                }) {
                    @Override
                    public void onCompleteResponse(ChatResponse response) {
                        events.add("end " + id);
                        super.onCompleteResponse(response);
                    }
                };
            }
            for (int i = 0; i < n; i++) {
                chat.chat(request("same", List.of(UserMessage.from("Message number " + i))), collectors[i]);
            }
            for (StoriesChat.Collector c : collectors) {
                c.await();
            }
            assertFalse(overlapped.get(), "a second request of the same id started during the first");
            assertEquals(List.of("start 0", "end 0", "start 1", "end 1", "start 2", "end 2", "start 3", "end 3"),
                    events);
            assertEquals(n, chat.sessionStats("same").orElseThrow().turns());
        }
    }

    @Test
    void leastRecentlyUsedSessionsAreEvictedAndTheEvictApiFreesSessions() {
        try (AttentionSinkChatModel chat = StoriesChat.blocking().maxSessions(2).build()) {
            UserMessage hello = UserMessage.from("Hello");
            ChatResponse a1 = chat.chat(request("a", List.of(hello)));
            chat.chat(request("b", List.of(hello)));
            chat.chat(request("c", List.of(hello)));
            assertEquals(Set.of("b", "c"), chat.sessionIds());
            assertTrue(chat.sessionStats("a").isEmpty());

            assertTrue(chat.evictSession("b"));
            assertFalse(chat.evictSession("b"));
            assertFalse(chat.evictSession("never-seen"));
            assertEquals(Set.of("c"), chat.sessionIds());

            // An evicted conversation comes back by rebuilding from its messages.
            List<ChatMessage> history = List.of(hello, a1.aiMessage(), UserMessage.from("And then?"));
            ChatResponse a2 = chat.chat(request("a", history));
            ChatSessionStats stats = chat.sessionStats("a").orElseThrow();
            assertEquals(1, stats.turns());
            assertEquals(1, stats.rebuilds());
            assertEquals(StoriesChat.model().tokenizer().encode("<s>User: Hello\nAssistant: " + a1.aiMessage().text()
                    + "\nUser: And then?\nAssistant:", false).length, a2.tokenUsage().inputTokenCount());

            chat.evictAllSessions();
            assertEquals(Set.of(), chat.sessionIds());
        }
    }

    @Test
    void idleSessionsAreClosedAfterTheTimeout() {
        try (AttentionSinkChatModel chat = StoriesChat.blocking().sessionIdleTimeout(Duration.ofMillis(200))
                .build()) {
            chat.chat(request("idle", List.of(UserMessage.from("Hi"))));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (!chat.sessionIds().isEmpty() && System.nanoTime() < deadline) {
                Thread.onSpinWait();
                try {
                    Thread.sleep(20);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
            assertEquals(Set.of(), chat.sessionIds());
            assertTrue(chat.chat(request("idle", List.of(UserMessage.from("Hi again")))).tokenUsage()
                    .outputTokenCount() > 0);
        }
    }

    @Test
    void evictingABusySessionTakesEffectAfterItsQueuedRequests() {
        try (AttentionSinkStreamingChatModel chat = StoriesChat.streaming().build()) {
            CountDownLatch release = new CountDownLatch(1);
            StoriesChat.Collector busy = new StoriesChat.Collector((p, ctx) -> await(release, 60));
            UserMessage u1 = UserMessage.from("Hello");
            chat.chat(request("e", List.of(u1)), busy);
            assertTrue(chat.evictSession("e"));
            release.countDown();
            ChatResponse r1 = busy.await();
            StoriesChat.Collector next = new StoriesChat.Collector();
            chat.chat(request("e", List.of(u1, r1.aiMessage(), UserMessage.from("More"))), next);
            next.await();
            ChatSessionStats stats = chat.sessionStats("e").orElseThrow();
            assertEquals(1, stats.turns(), "a fresh session after the eviction");
            assertEquals(1, stats.rebuilds());
        }
    }

    @Test
    void aTemplateThatSpacesRepliesDifferentlyStillContinuesTheSession() {
        // Two spaces after "Assistant:" for past replies, none in the generation prompt: the rendered reply never
        // equals the fed one in its leading white space, and only there.
        String template = "{{ bos_token }}{% for m in messages %}{% if m.role == 'user' %}User: {{ m.content }}\n"
                + "{% else %}Assistant:  {{ m.content }}\n{% endif %}{% endfor %}"
                + "{% if add_generation_prompt %}Assistant:{% endif %}";
        try (AttentionSinkChatModel chat = StoriesChat.blocking().chatTemplate(template).build()) {
            UserMessage u1 = UserMessage.from("Hi");
            ChatResponse r1 = chat.chat(request("w", List.of(u1)));
            UserMessage u2 = UserMessage.from("Next");
            ChatResponse r2 = chat.chat(request("w", List.of(u1, r1.aiMessage(), u2)));
            assertEquals(1, chat.sessionStats("w").orElseThrow().rebuilds());
            assertTrue(r2.tokenUsage().inputTokenCount() <= StoriesChat.nextTurnTokens(), r2.tokenUsage().toString());
        }
    }

    @Test
    void editedHistoryRebuildsTheSession() {
        try (AttentionSinkChatModel chat = StoriesChat.blocking().build()) {
            UserMessage u1 = UserMessage.from("Hi");
            ChatResponse r1 = chat.chat(request("r", List.of(u1)));
            UserMessage u2 = UserMessage.from("Next");
            ChatResponse r2 = chat.chat(request("r", List.of(u1, r1.aiMessage(), u2)));
            assertEquals(1, chat.sessionStats("r").orElseThrow().rebuilds());
            assertTrue(r2.tokenUsage().inputTokenCount() <= StoriesChat.nextTurnTokens());

            AiMessage edited = AiMessage.from("an edited reply");
            ChatResponse r3 = chat.chat(request("r", List.of(u1, edited, u2)));
            assertEquals(2, chat.sessionStats("r").orElseThrow().rebuilds());
            assertEquals(StoriesChat.model().tokenizer().encode(
                    "<s>User: Hi\nAssistant: an edited reply\nUser: Next\nAssistant:", false).length,
                    r3.tokenUsage().inputTokenCount());
        }
    }

    @Test
    void aRebuildLongerThanTheCacheFeedsOnlySinksAndWindow() {
        try (AttentionSinkChatModel chat = StoriesChat.blocking().build()) {
            String longText = "The little dog ran to the park and played with a red ball all day long. ".repeat(10);
            int full = StoriesChat.model().tokenizer().encode("<s>User: " + longText + "\nAssistant:", false).length;
            assertTrue(full > 4 + 128, "the prompt is longer than the cache: " + full);
            ChatResponse r = chat.chat(request("long", List.of(UserMessage.from(longText))));
            assertEquals(4 + 128, r.tokenUsage().inputTokenCount());
            assertEquals(4 + 128, chat.sessionStats("long").orElseThrow().cacheLength());
        }
    }

    @Test
    void requestsWithoutMemoryIdAreMatchedByContent() {
        try (AttentionSinkChatModel chat = StoriesChat.blocking().build()) {
            UserMessage u1 = UserMessage.from("Hi");
            ChatResponse r1 = chat.chat(u1);
            assertEquals(1, chat.sessionIds().size());
            Object anonymous = chat.sessionIds().iterator().next();
            ChatResponse r2 = chat.chat(ChatRequest.builder()
                    .messages(u1, r1.aiMessage(), UserMessage.from("Next")).build());
            assertEquals(Set.of(anonymous), chat.sessionIds(), "the continuation reused the session");
            assertEquals(2, chat.sessionStats(anonymous).orElseThrow().turns());
            assertTrue(r2.tokenUsage().inputTokenCount() <= StoriesChat.nextTurnTokens());
            chat.chat(UserMessage.from("Something else"));
            assertEquals(2, chat.sessionIds().size(), "an unrelated conversation gets its own session");
        }
    }
}
