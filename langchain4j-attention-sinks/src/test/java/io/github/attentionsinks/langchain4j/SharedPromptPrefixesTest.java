package io.github.attentionsinks.langchain4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.UserMessage;
import io.github.attentionsinks.SchedulerArrivals;
import io.github.attentionsinks.Session;
import io.github.attentionsinks.cache.CacheConfig;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * New conversations copy the prompt beginning they share with an earlier one (stories260K, greedy, S = 4, W = 128,
 * under the plain template): what is copied, and that replies are those of a chat model that encodes every prompt
 * itself, over turns that evict.
 */
class SharedPromptPrefixesTest {
    static final String SYSTEM = "You are a storyteller. You tell short and happy stories about the animals of the "
            + "forest to children before they go to sleep.";

    @Test
    void laterConversationsCopyTheSharedBeginningAndReplyAsWithout() {
        try (AttentionSinkChatModel shared = StoriesChat.blocking().build();
             AttentionSinkChatModel plain = StoriesChat.blocking().sharePromptPrefixes(false).build()) {
            int systemTokens = StoriesChat.model().tokenizer().encode(SYSTEM, false).length;
            for (String animal : List.of("cat", "dog", "fox")) {
                List<ChatMessage> a = new ArrayList<>(List.of(SystemMessage.from(SYSTEM),
                        UserMessage.from("Tell me about a " + animal + ".")));
                List<ChatMessage> b = new ArrayList<>(a);
                for (int turn = 0; turn < 4; turn++) {
                    String id = "conversation-" + animal;
                    AiMessage withSharing = shared.chat(StoriesChat.request(id, a)).aiMessage();
                    AiMessage without = plain.chat(StoriesChat.request(id, b)).aiMessage();
                    assertEquals(without.text(), withSharing.text(), animal + ", turn " + turn);
                    ChatSessionStats stats = shared.sessionStats(id).orElseThrow();
                    ChatSessionStats plainStats = plain.sessionStats(id).orElseThrow();
                    assertEquals(0, plainStats.lastSharedTokens());
                    assertEquals(plainStats.lastInputTokens(), stats.lastInputTokens() + stats.lastSharedTokens(),
                            animal + ", turn " + turn + ": tokens copied and encoded make the prompt");
                    if (turn > 0) {
                        assertEquals(0, stats.lastSharedTokens(), animal + ": a turn that continues copies nothing");
                    } else if (animal.equals("cat")) {
                        assertEquals(0, stats.lastSharedTokens(), "the first conversation encodes the beginning");
                    } else {
                        assertTrue(stats.lastSharedTokens() > systemTokens && stats.lastInputTokens() > 0,
                                animal + ": copied " + stats.lastSharedTokens() + ", encoded "
                                + stats.lastInputTokens() + ", the system prompt being " + systemTokens + " tokens");
                    }
                    a.add(withSharing);
                    b.add(without);
                    a.add(UserMessage.from("Next"));
                    b.add(UserMessage.from("Next"));
                }
                assertTrue(shared.sessionStats("conversation-" + animal).orElseThrow().streamLength() > 132,
                        "the conversations evicted");
            }
        }
    }

    /** On the shared decode loop and on worker threads alike. */
    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void anotherSystemPromptIsEncodedOnceThenShared(boolean batchedDecoding) {
        try (AttentionSinkChatModel chat = StoriesChat.blocking().batchedDecoding(batchedDecoding).build()) {
            for (String system : List.of(SYSTEM, "You are a helpful assistant who answers in one short sentence.")) {
                for (int c = 0; c < 2; c++) {
                    String id = system.length() + "-" + c;
                    chat.chat(StoriesChat.request(id, List.of(SystemMessage.from(system),
                            UserMessage.from("Hello number " + c))));
                    int copied = chat.sessionStats(id).orElseThrow().lastSharedTokens();
                    assertTrue(c == 0 ? copied == 0 : copied > 0, system + ", conversation " + c + ": " + copied);
                }
            }
            // Without a system message the template's own beginning (BOS) is shorter than what is worth keeping.
            chat.chat(StoriesChat.request("no-system", List.of(UserMessage.from("Hello"))));
            chat.chat(StoriesChat.request("no-system-2", List.of(UserMessage.from("Hello"))));
            assertEquals(0, chat.sessionStats("no-system-2").orElseThrow().lastSharedTokens());
        }
    }

    /**
     * Conversations that start at the same moment encode their shared beginning once: one of them encodes it, the
     * others wait for it and copy it; their replies are those of a chat model that encodes every prompt itself. On the
     * decode loop, whose steps wait for turns on their way ({@code DecodeScheduler.Arrival}, here for up to a
     * minute), the waiting turns are not waited for while the beginning is encoded, and no turn was ever late.
     */
    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void conversationsStartingTogetherEncodeTheBeginningOnce(boolean batchedDecoding) throws Exception {
        int users = 6;
        try (AttentionSinkChatModel shared = StoriesChat.blocking().batchedDecoding(batchedDecoding).build();
             AttentionSinkChatModel plain = StoriesChat.blocking().sharePromptPrefixes(false).build()) {
            if (batchedDecoding) {
                SchedulerArrivals.setGatherNanos(shared.engine.scheduler(), TimeUnit.MINUTES.toNanos(1));
            }
            int systemTokens = StoriesChat.model().tokenizer().encode(SYSTEM, false).length;
            java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(users);
            java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
            List<java.util.concurrent.Future<String>> replies = new ArrayList<>();
            for (int u = 0; u < users; u++) {
                String id = "together-" + u;
                List<ChatMessage> messages = List.of(SystemMessage.from(SYSTEM), UserMessage.from("Hello " + u));
                replies.add(pool.submit(() -> {
                    go.await();
                    return shared.chat(StoriesChat.request(id, messages)).aiMessage().text();
                }));
            }
            go.countDown();
            int encoders = 0;
            for (int u = 0; u < users; u++) {
                String id = "together-" + u;
                String reply = replies.get(u).get(60, java.util.concurrent.TimeUnit.SECONDS);
                String expected = plain.chat(StoriesChat.request(id, List.of(SystemMessage.from(SYSTEM),
                        UserMessage.from("Hello " + u)))).aiMessage().text();
                assertEquals(expected, reply, "conversation " + u);
                ChatSessionStats stats = shared.sessionStats(id).orElseThrow();
                assertEquals(plain.sessionStats(id).orElseThrow().lastInputTokens(),
                        stats.lastInputTokens() + stats.lastSharedTokens(), "conversation " + u);
                if (stats.lastSharedTokens() == 0) {
                    encoders++;
                } else {
                    assertTrue(stats.lastSharedTokens() > systemTokens, "conversation " + u + ": " + stats);
                }
            }
            pool.shutdown();
            assertEquals(1, encoders, "conversations that encoded the beginning themselves");
            if (batchedDecoding) {
                assertEquals(0, shared.engine.scheduler().arrivalsLate());
            }
        }
    }

    /**
     * A beginning longer than the cache (S + W) is not shared: encoding it would evict part of it, and an evicted
     * cache cannot be copied. A rebuild of a prompt longer than the cache feeds only its first S and last W tokens,
     * so at most the S sinks agree with the beginning, fewer than {@link SharedPrefixes#MIN_TOKENS}. The same system
     * prompt is shared with a cache that holds it.
     */
    @Test
    void aBeginningLongerThanTheCacheIsNotShared() {
        String longSystem = (SYSTEM + " ").repeat(6);
        List<ChatMessage> messages = List.of(SystemMessage.from(longSystem), UserMessage.from("Hello"));
        int systemTokens = StoriesChat.model().tokenizer().encode(longSystem, false).length;
        CacheConfig small = CacheConfig.sinks(4, 128);
        assertTrue(systemTokens > small.capacity(), "the system prompt must outgrow the small cache: " + systemTokens);
        ChatTemplate template = ChatTemplate.forModel(StoriesChat.model().directory(),
                StoriesChat.model().tokenizerConfig());
        for (CacheConfig cache : List.of(small, CacheConfig.sinks(4, 1020))) {
            FeedPlanner planner = new FeedPlanner(template, StoriesChat.model().tokenizer(), cache, true);
            FeedPlanner.Plan plan = planner.plan(null, 0, null, new CacheTranscript(cache), messages, List.of(), "x");
            assertTrue(plan.rebuild(), cache.toString());
            if (cache == small) {
                assertTrue(plan.shareable() < SharedPrefixes.MIN_TOKENS, "longer than " + cache + ": "
                        + plan.shareable());
            } else {
                assertTrue(plan.shareable() > systemTokens, cache + ": " + plan.shareable());
            }
        }
    }

    /**
     * A planner keeps the probes of each system prompt it has seen: a first turn with another system prompt, or
     * another ordering of turns, gets the beginning a planner that never saw the others finds.
     */
    @Test
    void eachSystemPromptGetsItsOwnBeginningFromAPlannerThatSawOthers() {
        ChatTemplate template = ChatTemplate.forModel(StoriesChat.model().directory(),
                StoriesChat.model().tokenizerConfig());
        CacheConfig cache = CacheConfig.sinks(4, 1020);
        FeedPlanner seen = new FeedPlanner(template, StoriesChat.model().tokenizer(), cache, true);
        List<List<ChatMessage>> firstTurns = List.of(
                List.of(SystemMessage.from(SYSTEM), UserMessage.from("Hello")),
                List.of(SystemMessage.from("You tell short stories about a cat."), UserMessage.from("Hello")),
                List.of(SystemMessage.from(SYSTEM), UserMessage.from("Tell me about the sea.")),
                List.of(UserMessage.from("Hello")),
                List.of(SystemMessage.from("You tell short stories about a cat."), UserMessage.from("A dog?")));
        List<Integer> lengths = new ArrayList<>();
        for (List<ChatMessage> messages : firstTurns) {
            FeedPlanner fresh = new FeedPlanner(template, StoriesChat.model().tokenizer(), cache, true);
            int expected = fresh.plan(null, 0, null, new CacheTranscript(cache), messages, List.of(), "x")
                    .shareable();
            int got = seen.plan(null, 0, null, new CacheTranscript(cache), messages, List.of(), "x").shareable();
            assertEquals(expected, got, messages.toString());
            lengths.add(got);
        }
        assertNotEquals(lengths.get(0), lengths.get(1), "two system prompts, two beginnings");
    }

    /**
     * The store: the longest kept beginning that leaves a token to feed is used, and beyond {@link
     * SharedPrefixes#CAPACITY} the least recently used is given up.
     */
    @Test
    void theLongestBeginningIsUsedAndTheLeastRecentlyUsedGivenUp() {
        CacheConfig cache = CacheConfig.sinks(4, 128);
        int[] ids = new int[40];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = 100 + i;
        }
        try (SharedPrefixes prefixes = new SharedPrefixes();
             Session fed = StoriesChat.model().newSession(cache);
             Session target = StoriesChat.model().newSession(cache)) {
            fed.append(ids);
            prefixes.offer(fed, ids, 10);
            prefixes.offer(fed, ids, 20);
            prefixes.offer(fed, ids, SharedPrefixes.MIN_TOKENS - 1); // too short to keep
            assertEquals(2, prefixes.size());
            assertEquals(20, prefixes.startFrom(target, ids));
            target.reset();
            assertEquals(10, prefixes.startFrom(target, Arrays.copyOf(ids, 20)), "20 would leave nothing to feed");
            target.reset();
            int[] other = ids.clone();
            other[15] = 7;
            assertEquals(10, prefixes.startFrom(target, other), "the 20-token beginning differs at token 15");
            target.reset();
            for (int n = 11; n < 11 + SharedPrefixes.CAPACITY - 1; n++) {
                prefixes.offer(fed, ids, n);
            }
            assertEquals(SharedPrefixes.CAPACITY, prefixes.size());
            // 10 was used last of the first two: 20 is given up first
            assertEquals(10 + SharedPrefixes.CAPACITY - 1, prefixes.startFrom(target, ids));
            target.reset();
            assertEquals(10, prefixes.startFrom(target, Arrays.copyOf(ids, 11)));
            target.reset();
            SharedPrefixes.Start whole = prefixes.start(target, Arrays.copyOf(ids, 30), 30, null);
            assertEquals(13, whole.copied());
            assertTrue(!whole.encodes(), "a prompt that is all beginning is not encoded for the others");
            target.reset();
            SharedPrefixes.Start longer = prefixes.start(target, ids, 30, null);
            assertTrue(longer.encodes() && longer.copied() == 13, "the 30-token beginning is this turn's to encode");
            prefixes.release(longer);
        }
    }

    /**
     * Copies run outside the store's lock, side by side: a beginning given up while turns copy it (the store cleared,
     * as the warm-up and {@code evictAllSessions} do) is closed only once the last of them is done. Four threads copy
     * while another clears and keeps the beginning again, 200 times; every copy that got the beginning continues as
     * the session it was copied from (a copy from a closed cache fails, or reads freed memory).
     */
    @Test
    void aBeginningGivenUpWhileTurnsCopyItIsClosedAfterTheirCopies() throws Exception {
        CacheConfig cache = CacheConfig.sinks(4, 128);
        int[] ids = new int[21];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = 200 + 3 * i;
        }
        try (SharedPrefixes prefixes = new SharedPrefixes(); Session fed = StoriesChat.model().newSession(cache)) {
            fed.append(Arrays.copyOf(ids, 20));
            float[] expected = fed.append(ids[20]);
            fed.rewind(1);
            prefixes.offer(fed, ids, 20);
            java.util.concurrent.atomic.AtomicBoolean done = new java.util.concurrent.atomic.AtomicBoolean();
            java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(4);
            List<java.util.concurrent.Future<Integer>> copiers = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                copiers.add(pool.submit(() -> {
                    int copies = 0;
                    try (Session target = StoriesChat.model().newSession(cache)) {
                        while (!done.get()) {
                            target.reset();
                            if (prefixes.startFrom(target, ids) == 20) {
                                org.junit.jupiter.api.Assertions.assertArrayEquals(expected, target.append(ids[20]),
                                        1e-5f, "copy " + copies);
                                copies++;
                            }
                        }
                    }
                    return copies;
                }));
            }
            for (int round = 0; round < 200; round++) {
                prefixes.clear();
                prefixes.offer(fed, ids, 20);
                Thread.sleep(1);
            }
            done.set(true);
            int copies = 0;
            for (java.util.concurrent.Future<Integer> copier : copiers) {
                copies += copier.get(60, TimeUnit.SECONDS);
            }
            pool.shutdown();
            assertTrue(copies > 0, "copies made while the beginning came and went: " + copies);
        }
    }
}
