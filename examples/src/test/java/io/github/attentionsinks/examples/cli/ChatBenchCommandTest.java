package io.github.attentionsinks.examples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code bench-chat} end to end on stories260K (no timings are asserted): one row per number of users. */
class ChatBenchCommandTest {
    @Test
    void measuresConcurrentConversationsThroughTheChatModel() {
        CliRun run = CliRun.of("bench-chat", "--model", CliRun.stories().toString(), "--device", "cpu", "--users", "1,3",
                "--turns", "2", "--max-tokens", "5", "--rounds", "2");
        assertEquals(0, run.exitCode(), run::toString);
        List<String[]> rows = Arrays.stream(run.out().split("\n"))
                .filter(l -> l.startsWith("| ") && !l.startsWith("| model"))
                .map(l -> Arrays.stream(l.split("\\|")).map(String::strip).skip(1).toArray(String[]::new))
                .toList();
        assertEquals(2, rows.size(), "the warm-up round is not in the table: " + run);
        assertEquals("1", rows.get(0)[1]);
        assertEquals("1.00x", rows.get(0)[6], "one user against itself");
        assertEquals("3", rows.get(1)[1]);
        for (String[] r : rows) {
            int users = Integer.parseInt(r[1]);
            int tokens = Integer.parseInt(r[3]);
            assertTrue(tokens >= users * 2 && tokens <= users * 2 * 5,
                    "each of " + users + " users had 2 replies of 1 to 5 tokens: " + String.join("|", r));
            assertTrue(Long.parseLong(r[9]) >= 0 && Long.parseLong(r[10]) >= 0, "collections and their ms: "
                    + String.join("|", r));
        }
        assertTrue(run.err().contains("round 0 (warm-up), 3 user(s) x 2 turns"), run::toString);
    }

    @Test
    void samplesWhenAskedTo() {
        CliRun run = CliRun.of("bench-chat", "--model", CliRun.stories().toString(), "--device", "cpu", "--users", "2",
                "--turns", "1", "--max-tokens", "4", "--rounds", "1", "--temperature", "0.8", "--top-p", "0.9");
        assertEquals(0, run.exitCode(), run::toString);
        assertTrue(run.out().lines().anyMatch(l -> l.startsWith("| ") && l.contains("| 2 |")), run::toString);
    }

    @Test
    void refusesASyntheticModelWithoutATokenizerAndBadCounts() {
        assertEquals(2, CliRun.of("bench-chat", "--synthetic", "tiny").exitCode());
        assertEquals(2, CliRun.of("bench-chat", "--model", CliRun.stories().toString(), "--users", "0").exitCode());
        assertEquals(2, CliRun.of("bench-chat", "--model", CliRun.stories().toString(), "--synthetic", "tiny")
                .exitCode());
        assertEquals(2, CliRun.of("bench-chat", "--model", CliRun.stories().toString(), "--temperature", "-1")
                .exitCode());
        assertEquals(2, CliRun.of("bench-chat", "--model", CliRun.stories().toString(), "--top-p", "0").exitCode());
    }
}
