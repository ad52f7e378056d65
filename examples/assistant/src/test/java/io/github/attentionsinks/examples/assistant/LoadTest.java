package io.github.attentionsinks.examples.assistant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Many users at once over HTTP: every turn of every user completes with no error, and the process's resident memory
 * stays flat once warm. Prints time to first token (p50/p95), tokens/s and RSS; asserts no timing.
 *
 * <p>In the suite: 6 users x 3 turns of 16 tokens. The documented benchmark (docs/assistant.md) is the same test with
 * {@code -Dassistant.load.users=32 -Dassistant.load.turns=20 -Dassistant.load.maxNewTokens=32}.
 */
class LoadTest {
    private static final int USERS = Integer.getInteger("assistant.load.users", 6);
    private static final int TURNS = Integer.getInteger("assistant.load.turns", 3);
    private static final int MAX_NEW_TOKENS = Integer.getInteger("assistant.load.maxNewTokens", 16);
    private static final String[] FOLLOW_UPS = {"What happened next?", "Tell me more.", "Who did they meet?",
        "Was everyone happy?", "Where did they go then?", "How did it end?"};

    private record TurnResult(long firstTokenNanos, long totalNanos, int outputTokens) {}

    @Test
    void manyUsersManyTurnsNoErrorsAndFlatMemory() throws Exception {
        try (RunningApp app = RunningApp.start(Map.of(
                "langchain4j.attention-sinks.max-new-tokens", Integer.toString(MAX_NEW_TOKENS),
                "langchain4j.attention-sinks.window-size", "508",
                "langchain4j.attention-sinks.max-queued-requests", Integer.toString(2 * USERS),
                "langchain4j.attention-sinks.max-sessions", Integer.toString(USERS)))) {
            ApiClient api = app.client();
            ConcurrentLinkedQueue<TurnResult> results = new ConcurrentLinkedQueue<>();
            ConcurrentLinkedQueue<String> errors = new ConcurrentLinkedQueue<>();
            AtomicInteger finished = new AtomicInteger();
            long[] rssWarm = {-1};
            int warmAfter = USERS * Math.max(1, TURNS / 4); // a quarter of the turns: JIT, heap and caches grown
            long start = System.nanoTime();
            ExecutorService users = Executors.newFixedThreadPool(USERS);
            List<Future<?>> futures = new ArrayList<>();
            for (int u = 0; u < USERS; u++) {
                int user = u;
                futures.add(users.submit(() -> {
                    String id = api.create();
                    for (int t = 0; t < TURNS; t++) {
                        String text = t == 0 ? "Tell me a story about friend number " + user + "."
                                : FOLLOW_UPS[(user + t) % FOLLOW_UPS.length];
                        try {
                            results.add(turn(api, id, text));
                        } catch (RuntimeException | AssertionError e) {
                            errors.add("user " + user + " turn " + t + ": " + e);
                        }
                        if (finished.incrementAndGet() == warmAfter) {
                            rssWarm[0] = rss();
                        }
                    }
                    int stored = api.messages(id).size();
                    if (stored != 2 * TURNS) {
                        errors.add("user " + user + ": " + stored + " messages stored, expected " + 2 * TURNS);
                    }
                    return null;
                }));
            }
            for (Future<?> f : futures) {
                f.get(30, TimeUnit.MINUTES);
            }
            users.shutdown();
            double wall = (System.nanoTime() - start) / 1e9;
            long rssEnd = rss();

            List<Long> ttft = new ArrayList<>();
            double tokens = 0;
            List<Double> perTurnRate = new ArrayList<>();
            for (TurnResult r : results) {
                ttft.add(r.firstTokenNanos());
                tokens += r.outputTokens();
                perTurnRate.add(r.outputTokens() / (r.totalNanos() / 1e9));
            }
            Collections.sort(ttft);
            Collections.sort(perTurnRate);
            System.out.printf(Locale.ROOT, "[assistant load] %d users x %d turns, %d max new tokens, %d CPU cores: "
                            + "%d turns ok, %d errors in %.1f s; time to first token p50 %.0f ms, p95 %.0f ms; "
                            + "tokens/s per turn p50 %.1f; aggregate %.1f tokens/s; RSS after %d turns %d MiB, at end %d MiB%n",
                    USERS, TURNS, MAX_NEW_TOKENS, Runtime.getRuntime().availableProcessors(), results.size(),
                    errors.size(), wall, pct(ttft, 50) / 1e6, pct(ttft, 95) / 1e6,
                    perTurnRate.isEmpty() ? 0 : perTurnRate.get(perTurnRate.size() / 2), tokens / wall, warmAfter,
                    rssWarm[0] >> 20, rssEnd >> 20);
            assertEquals(List.of(), List.copyOf(errors));
            assertEquals(USERS * TURNS, results.size());
            // Generous: flat means no growth with turns; 25 % plus 200 MiB of allocator and GC slack.
            assertTrue(rssEnd <= rssWarm[0] * 1.25 + (200L << 20),
                    "resident memory grew from " + (rssWarm[0] >> 20) + " MiB to " + (rssEnd >> 20) + " MiB");
        }
    }

    private static TurnResult turn(ApiClient api, String id, String text) {
        long start = System.nanoTime();
        long first = -1;
        try (ApiClient.EventStream stream = api.stream(id, text)) {
            if (stream.status() != 200) {
                throw new AssertionError("status " + stream.status() + ": " + stream.errorBody());
            }
            for (ApiClient.Event e = stream.next(); e != null; e = stream.next()) {
                if (e.name().equals("token") && first < 0) {
                    first = System.nanoTime() - start;
                } else if (e.name().equals("done")) {
                    JsonNode done = ApiClient.JSON.readTree(e.data());
                    return new TurnResult(first < 0 ? System.nanoTime() - start : first, System.nanoTime() - start,
                            done.get("outputTokens").asInt());
                } else if (e.name().equals("error")) {
                    throw new AssertionError("error event: " + e.data());
                }
            }
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        throw new AssertionError("the stream ended without done");
    }

    private static long pct(List<Long> sorted, int p) {
        return sorted.isEmpty() ? 0 : sorted.get(Math.min(sorted.size() - 1, sorted.size() * p / 100));
    }

    /** This process's resident set size (the server runs in it). */
    /**
     * Resident memory after a full collection. Without one, the samples mostly told how far the collector had grown
     * its young generation: in 18 turns over 2.4 s, from 501 to 666 MiB in one run, 690 to 1145 MiB in another, with
     * the same code. A full collection gives back what the heap does not hold, so growth here is what the turns kept.
     */
    private static long rss() {
        System.gc();
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        throw new IllegalStateException("no VmRSS in /proc/self/status");
    }
}
