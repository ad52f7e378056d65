package io.github.attentionsinks.examples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code bench} end to end at toy sizes (no timings are asserted): positions, cache bounds, synthetic weights. */
class BenchCommandTest {
    @Test
    void measuresEachModelModeAndPositionWithBoundedSinkCache() {
        CliRun run = CliRun.of("bench", "--model", CliRun.stories().toString(), "--synthetic", "tiny", "--device", "cpu",
                "--modes", "sinks,dense", "--positions", "40,80", "--dense-max-position", "50", "--measure-tokens", "4",
                "--warmup-tokens", "2", "--attention-sink-size", "4", "--window-size", "16", "--feed-chunk", "7");
        assertEquals(0, run.exitCode(), run::toString);
        List<String[]> rows = Arrays.stream(run.out().split("\n"))
                .filter(l -> l.startsWith("| ") && !l.startsWith("| model"))
                .map(l -> Arrays.stream(l.split("\\|")).map(String::strip).skip(1).toArray(String[]::new))
                .toList();
        // Per model: sinks at 40 and 80, dense at 40 only (80 > --dense-max-position).
        assertEquals(6, rows.size(), run::toString);
        for (String[] r : rows) {
            int position = Integer.parseInt(r[2]);
            int cacheTokens = Integer.parseInt(r[7]);
            if (r[1].startsWith("sinks")) {
                assertTrue(position >= 40 && cacheTokens == 20, "sinks cache holds S + W = 20: " + String.join("|", r));
            } else {
                assertEquals("dense", r[1]);
                assertEquals(40, position);
                assertEquals(40 + 4, cacheTokens, "dense keeps every token: " + String.join("|", r));
            }
        }
        assertTrue(rows.stream().anyMatch(r -> r[0].equals("synthetic tiny")), run::toString);
        assertTrue(run.err().contains("position 80 skipped"), run::toString);
    }

    @Test
    void measuresSeveralSessionsSteppedApartAndBatched() {
        CliRun run = CliRun.of("bench", "--model", CliRun.stories().toString(), "--device", "cpu", "--modes", "sinks",
                "--positions", "30", "--measure-tokens", "3", "--warmup-tokens", "1", "--attention-sink-size", "4",
                "--window-size", "16", "--sessions", "3");
        assertEquals(0, run.exitCode(), run::toString);
        List<String[]> rows = Arrays.stream(run.out().split("\n"))
                .filter(l -> l.startsWith("| ") && l.split("\\|").length == 10 && !l.startsWith("| model"))
                .map(l -> Arrays.stream(l.split("\\|")).map(String::strip).skip(1).toArray(String[]::new))
                .toList();
        assertEquals(1, rows.size(), run::toString);
        assertEquals("30", rows.get(0)[2]);
        assertEquals("3", rows.get(0)[3], "sessions");
        assertTrue(run.err().contains("3 sessions: a round of one token each"), run::toString);
        assertEquals(2, CliRun.of("bench", "--model", CliRun.stories().toString(), "--sessions", "0").exitCode());
    }
}
