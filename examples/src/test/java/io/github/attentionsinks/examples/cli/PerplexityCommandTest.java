package io.github.attentionsinks.examples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.attentionsinks.AttentionSinkModel;
import io.github.attentionsinks.Session;
import io.github.attentionsinks.cache.CacheConfig;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code perplexity} on stories260K: the CSV format, nll against logits computed independently of the command (one
 * batched forward pass, our own log-softmax), mode equality before the cache fills, and flat sink memory.
 */
class PerplexityCommandTest {
    /** Past 512 entries, where a dense cache's buffers first grow (SinkCache starts them at 512). */
    static final int ROWS = 600;
    static final String STORY = """
            Once upon a time, there was a little girl named Lily. She loved to play outside in the park with her \
            friends. One day, she saw a big red ball under a tree. She wanted to play with it, but it was too high. \
            Lily asked her mom for help. Her mom smiled and said, "Let's try together." They jumped and jumped, and \
            at last the ball fell down. Lily was very happy. She hugged her mom and said thank you. Then she ran to \
            her friend Tom and showed him the ball. Tom wanted to play too, so they threw the ball back and forth \
            until the sun went down. When it was time to go home, Lily gave the ball to Tom. "You can keep it for \
            today," she said. Tom was so happy that he gave Lily a big hug. The next day, Tom came to the park with \
            the ball and a small blue bird. The bird sang a happy song. Lily and Tom danced and laughed. They played \
            all day long. At night, Lily told her dad about the ball, the bird and her good friend Tom. Her dad said, \
            "Sharing makes everyone happy." Lily smiled and went to sleep. She dreamed of the park, the red ball and \
            the little blue bird that sang for her and Tom. The end. One day, a boy named Ben went to the beach with \
            his dog. The dog liked to dig in the sand. Ben built a big castle with a tall tower.
            """;

    @TempDir
    static Path dir;
    static Path textFile;
    static int[] ids;
    static List<double[]> dense;
    static List<double[]> sinks;
    static List<double[]> windowed;

    @BeforeAll
    static void runAllModes() throws Exception {
        textFile = dir.resolve("story.txt");
        String text = STORY.repeat(2);
        Files.writeString(textFile, text, StandardCharsets.UTF_8);
        try (AttentionSinkModel model = AttentionSinkModel.builder().modelPath(CliRun.stories()).device("cpu").load()) {
            ids = model.tokenizer().encode(text, true);
        }
        assertTrue(ids.length > ROWS + 1, "the story must be longer than the rows checked: " + ids.length + " tokens");
        dense = run("dense");
        sinks = run("sinks", "--attention-sink-size", "4", "--window-size", "16");
        windowed = run("windowed", "--window-size", "16");
    }

    static List<double[]> run(String mode, String... cacheArgs) throws Exception {
        Path csv = dir.resolve(mode + ".csv");
        List<String> args = new ArrayList<>(List.of("perplexity", "--model", CliRun.stories().toString(), "--device",
                "cpu", "--mode", mode, "--text-file", textFile.toString(), "--num-tokens", Integer.toString(ROWS),
                "--output", csv.toString()));
        args.addAll(List.of(cacheArgs));
        CliRun run = CliRun.of(args.toArray(String[]::new));
        assertEquals(0, run.exitCode(), run::toString);
        assertEquals("", run.out(), "with --output nothing goes to stdout");
        List<String> lines = Files.readAllLines(csv);
        assertEquals("input_length,nll,ppl,overall_ppl,memory_bytes,latency_ms", lines.get(0));
        List<double[]> rows = new ArrayList<>();
        for (String line : lines.subList(1, lines.size())) {
            String[] cells = line.split(",");
            assertEquals(6, cells.length, line);
            double[] row = new double[6];
            for (int c = 0; c < 6; c++) {
                row[c] = Double.parseDouble(cells[c]);
            }
            rows.add(row);
        }
        return rows;
    }

    @Test
    void oneRowPerPredictedTokenWithConsistentPerplexities() {
        for (List<double[]> rows : List.of(dense, sinks, windowed)) {
            assertEquals(ROWS, rows.size());
            double sum = 0;
            for (int i = 0; i < ROWS; i++) {
                double[] r = rows.get(i);
                assertEquals(i + 1, r[0], "input_length");
                assertEquals(Math.exp(r[1]), r[2], 1e-5 * r[2], "ppl = exp(nll)");
                sum += r[1];
                assertEquals(Math.exp(sum / (i + 1)), r[3], 1e-5 * r[3], "overall_ppl = exp(mean nll)");
                assertTrue(r[1] >= 0 && r[4] > 0 && r[5] >= 0);
            }
        }
    }

    @Test
    void denseNllEqualsAnIndependentLogSoftmaxOfBatchedLogits() {
        try (AttentionSinkModel model = AttentionSinkModel.builder().modelPath(CliRun.stories()).device("cpu").load();
                Session session = model.newSession(CacheConfig.dense())) {
            int[] fed = java.util.Arrays.copyOf(ids, ROWS);
            float[][] logits = session.appendAll(fed);
            double maxDiff = 0;
            for (int i = 0; i < ROWS; i++) {
                double expected = -logSoftmax(logits[i])[ids[i + 1]];
                maxDiff = Math.max(maxDiff, Math.abs(expected - dense.get(i)[1]));
            }
            assertTrue(maxDiff < 1e-4, "max |nll - independent nll| = " + maxDiff);
        }
    }

    @Test
    void boundedModesEqualDenseUntilTheCacheFillsThenDiffer() {
        for (int i = 0; i < 20; i++) { // input_length <= S + W = 20: nothing evicted yet
            assertEquals(dense.get(i)[1], sinks.get(i)[1], 1e-5, "sinks row " + (i + 1));
        }
        for (int i = 0; i < 16; i++) { // input_length <= W = 16
            assertEquals(dense.get(i)[1], windowed.get(i)[1], 1e-5, "windowed row " + (i + 1));
        }
        assertTrue(maxDiff(dense, sinks, 20) > 1e-3, "sinks must evict once 20 tokens are cached");
        assertTrue(maxDiff(dense, windowed, 16) > 1e-3, "windowed must evict once 16 tokens are cached");
    }

    /**
     * Bounded modes' memory never grows once the window fills, and is flat but for one step down: a cache this small
     * starts at its largest buffers (room for a whole chunk past the window, fewer entries than a new cache's usual
     * 512) and goes back to the window's own size when the window first moves back within them (SinkCache), by row
     * 50 or so here. Dense memory grows.
     */
    @Test
    void sinkMemoryIsFlatOnceTheWindowFillsWhileDenseGrows() {
        assertBoundedAndFlat("sinks", sinks, 20);
        assertBoundedAndFlat("windowed", windowed, 16);
        assertTrue(dense.get(ROWS - 1)[4] > dense.get(0)[4],
                "dense memory grows: " + dense.get(0)[4] + " -> " + dense.get(ROWS - 1)[4]);
        assertTrue(dense.get(ROWS - 1)[4] > sinks.get(20)[4]);
    }

    /** From row {@code full} on: never above that row's memory, at most one step down, flat from row 100. */
    private static void assertBoundedAndFlat(String mode, List<double[]> rows, int full) {
        double atFull = rows.get(full)[4];
        double last = rows.get(ROWS - 1)[4];
        int steps = 0;
        for (int i = full; i < ROWS; i++) {
            double memory = rows.get(i)[4];
            assertTrue(memory <= atFull, mode + " memory_bytes at row " + (i + 1) + ": " + memory + " > " + atFull);
            if (i > full && memory != rows.get(i - 1)[4]) {
                steps++;
            }
            if (i >= 100) {
                assertEquals(last, memory, mode + " memory_bytes at row " + (i + 1));
            }
        }
        assertTrue(steps <= 1, mode + " memory changed " + steps + " times after the window filled");
    }

    @Test
    void tokenIdsFileIsUsedAsIsAndWithoutOutputCsvGoesToStdout() throws Exception {
        Path file = dir.resolve("ids.json");
        StringBuilder json = new StringBuilder("[");
        for (int i = 1; i <= 11; i++) { // the story without its BOS
            json.append(i > 1 ? "," : "").append(ids[i]);
        }
        Files.writeString(file, json.append("]").toString());
        CliRun run = CliRun.of("perplexity", "--model", CliRun.stories().toString(), "--device", "cpu", "--mode",
                "dense", "--token-ids-file", file.toString());
        assertEquals(0, run.exitCode(), run::toString);
        String[] lines = run.out().split("\n");
        assertEquals(11, lines.length, "header + 10 rows");
        assertEquals(PerplexityCommand.HEADER, lines[0]);
        try (AttentionSinkModel model = AttentionSinkModel.builder().modelPath(CliRun.stories()).device("cpu").load();
                Session session = model.newSession(CacheConfig.dense())) {
            float[][] logits = session.appendAll(java.util.Arrays.copyOfRange(ids, 1, 11));
            for (int r = 0; r < 10; r++) {
                double nll = Double.parseDouble(lines[r + 1].split(",")[1]);
                assertEquals(-logSoftmax(logits[r])[ids[r + 2]], nll, 1e-4, "row " + (r + 1));
            }
        }
    }

    private static double maxDiff(List<double[]> a, List<double[]> b, int from) {
        double max = 0;
        for (int i = from; i < ROWS; i++) {
            max = Math.max(max, Math.abs(a.get(i)[1] - b.get(i)[1]));
        }
        return max;
    }

    /** log softmax with log-sum-exp around the maximum, in double. */
    private static double[] logSoftmax(float[] logits) {
        double max = Double.NEGATIVE_INFINITY;
        for (float v : logits) {
            max = Math.max(max, v);
        }
        double sum = 0;
        for (float v : logits) {
            sum += Math.exp(v - max);
        }
        double logZ = max + Math.log(sum);
        double[] out = new double[logits.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = logits[i] - logZ;
        }
        return out;
    }
}
