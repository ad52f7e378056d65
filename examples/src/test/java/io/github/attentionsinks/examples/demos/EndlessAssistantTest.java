package io.github.attentionsinks.examples.demos;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * EndlessAssistant in-process on stories260K: two users, twelve interleaved turns each, S = 4, W = 64. The
 * conversations run well past the 68-token cache, yet every later turn encodes less than the user's first turn
 * (a rebuild would re-encode the whole remembered history, far more) and no cache ever holds more than 68 tokens.
 */
class EndlessAssistantTest {
    @Test
    void laterTurnsEncodeOnlyTheirNewMessageAndTheCacheStaysBounded() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        List<EndlessAssistant.TurnStats> turns = new ArrayList<>();
        EndlessAssistant.Options options = new EndlessAssistant.Options(Shared.stories().toString(), "cpu", "float32",
                12, 2, 4, 64, 16, null, 10, null, null);

        EndlessAssistant.Summary summary = EndlessAssistant.run(options, out, turns::add);
        String printed = bytes.toString(StandardCharsets.UTF_8);

        assertEquals(24, turns.size(), printed);
        assertEquals(List.of("alice", "bob"), List.copyOf(summary.firstTurnInput().keySet()));
        long streamed = 0;
        for (EndlessAssistant.TurnStats t : turns) {
            int first = summary.firstTurnInput().get(t.user());
            if (t.turn() > 1) {
                assertTrue(t.inputTokens() < first, t + " encoded as much as the first turn (" + first + "): " + printed);
            }
            assertTrue(t.cacheLength() <= 68, t + " holds more than S + W = 68 tokens");
            assertTrue(t.outputTokens() > 0, t.toString());
            streamed += t.inputTokens() + t.outputTokens();
            assertTrue(printed.contains(String.format("(%s turn %d: %d tokens in, %d out; cache %d/68;", t.user(),
                    t.turn(), t.inputTokens(), t.outputTokens(), t.cacheLength())), "stats line of " + t);
        }
        assertTrue(streamed > 4 * 68, "the conversations ran far past the cache: " + streamed + " tokens");
        assertEquals(68, summary.maxCacheLength(), "the caches filled up to S + W and no further");
        assertEquals(Map.of("alice", 1, "bob", 1), summary.rebuilds(), "only each user's first turn built a session");
        assertTrue(printed.contains("[alice #12] "), printed);
        assertTrue(printed.contains("[summary] 2 users x 12 turns"), printed);
    }
}
