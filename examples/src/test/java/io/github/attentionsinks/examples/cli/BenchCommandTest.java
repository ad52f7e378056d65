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
    void measuresServingSeveralSessionsOnOneScheduler() {
        CliRun run = serving("1,3", "50");
        assertEquals(0, run.exitCode(), run::toString);
        List<String[]> serving = table(run.out(), "| model | cache | position | sessions |");
        assertEquals(2, serving.size(), run::toString);
        assertEquals("1", serving.get(0)[3]);
        assertEquals("1.00x", serving.get(0)[5], "one session against itself");
        assertEquals("3", serving.get(1)[3]);
        List<String[]> firstToken = table(run.out(), "| model | cache | position | first token");
        assertEquals(1, firstToken.size(), run::toString);
        assertEquals("50", firstToken.get(0)[5]);
        assertTrue(Double.parseDouble(firstToken.get(0)[6]) > 0, "the long prompt's reading speed: " + run);
        assertTrue(run.err().contains("3 sessions on one scheduler"), run::toString);
        assertEquals(2, CliRun.of("bench", "--model", CliRun.stories().toString(), "--sessions", "0").exitCode());
    }

    @Test
    void withoutOneSessionTheRatioIsLeftOut() {
        CliRun run = serving("2", "20");
        assertEquals(0, run.exitCode(), run::toString);
        List<String[]> serving = table(run.out(), "| model | cache | position | sessions |");
        assertEquals(1, serving.size(), run::toString);
        assertEquals("2", serving.get(0)[3]);
        assertEquals("–", serving.get(0)[5], "no one-session row to compare with (it printed NaNx)");
    }

    /** {@code bench} serving {@code sessions} on stories260K at position 30, with a prefill of {@code prefill}. */
    private static CliRun serving(String sessions, String prefill) {
        return CliRun.of("bench", "--model", CliRun.stories().toString(), "--device", "cpu", "--modes", "sinks",
                "--positions", "30", "--measure-tokens", "4", "--warmup-tokens", "1", "--attention-sink-size", "4",
                "--window-size", "16", "--sessions", sessions, "--prefill-tokens", prefill);
    }

    /** The data rows of the Markdown table whose header starts with {@code header}. */
    private static List<String[]> table(String out, String header) {
        List<String> lines = Arrays.asList(out.split("\n"));
        int start = -1;
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).startsWith(header)) {
                start = i + 2;
            }
        }
        assertTrue(start > 0, "no table " + header + " in\n" + out);
        List<String[]> rows = new java.util.ArrayList<>();
        for (int i = start; i < lines.size() && lines.get(i).startsWith("| "); i++) {
            rows.add(Arrays.stream(lines.get(i).split("\\|")).map(String::strip).skip(1).toArray(String[]::new));
        }
        return rows;
    }
}
