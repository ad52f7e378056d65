package io.github.attentionsinks.examples.demos;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * EndlessGeneration in-process on stories260K: 600 sampled tokens with S = 4, W = 64. Once full the cache stays at
 * 68 tokens, and the native tensors the model holds (weights plus cache) weigh the same at token 200 and 600.
 */
class EndlessGenerationTest {
    private static EndlessGeneration.Options options(long maxTokens) {
        return new EndlessGeneration.Options(Shared.stories().toString(), "cpu", "float32", "Once upon a time", 4, 64,
                maxTokens, 100, 0.8, 0.95, 1.1, 42L);
    }

    @Test
    void cacheAndNativeMemoryStayFlatOverSixHundredTokens() {
        ByteArrayOutputStream text = new ByteArrayOutputStream();
        List<EndlessGeneration.Checkpoint> checkpoints = new ArrayList<>();

        EndlessGeneration.Summary summary = EndlessGeneration.run(options(600),
                new PrintStream(text, true, StandardCharsets.UTF_8), checkpoints::add, () -> false);

        assertEquals(600, summary.tokens());
        assertEquals(68, summary.maxCacheLength(), "the cache fills to S + W = 68 and never passes it");
        assertEquals(6, checkpoints.size(), checkpoints::toString);
        long promptTokens = checkpoints.get(0).streamLength() - 100;
        assertTrue(promptTokens > 1, "the prompt was fed: " + checkpoints);
        for (int i = 0; i < checkpoints.size(); i++) {
            EndlessGeneration.Checkpoint c = checkpoints.get(i);
            assertEquals(100L * (i + 1), c.tokens());
            assertEquals(68, c.cacheLength(), c.toString());
            assertEquals(promptTokens + c.tokens(), c.streamLength(), c.toString());
        }
        assertEquals(checkpoints.get(1).liveTensorBytes(), checkpoints.get(5).liveTensorBytes(),
                "native tensors at token 200 and 600: " + checkpoints);
        String generated = text.toString(StandardCharsets.UTF_8);
        assertTrue(generated.startsWith("Once upon a time"), generated);
        assertTrue(generated.length() > 600, "600 tokens of text: " + generated);
        assertEquals(summary.last(), checkpoints.get(5));
    }

    @Test
    void stopsWhenAsked() {
        int[] polls = {0};
        EndlessGeneration.Summary summary = EndlessGeneration.run(options(Long.MAX_VALUE),
                new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8), c -> {},
                () -> ++polls[0] > 50);
        assertEquals(50, summary.tokens(), "the loop checks the stop flag before every token");
    }
}
