package io.github.attentionsinks.examples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * Every command's {@code --help} renders as written. Picocli formats option descriptions with {@code String.format};
 * a stray percent sign prints "[picocli WARN] Could not format ..." to the process's standard error and shows the
 * raw text, {@code %n} included.
 */
class UsageHelpTest {

    @Test
    void everyCommandsHelpRendersWithoutFormatWarnings() {
        for (String command : new String[] {"generate", "chat", "perplexity", "bench", "bench-chat", "plot"}) {
            PrintStream systemErr = System.err;
            ByteArrayOutputStream warnings = new ByteArrayOutputStream();
            CliRun run;
            try {
                System.setErr(new PrintStream(warnings, true, StandardCharsets.UTF_8));
                run = CliRun.of(command, "--help");
            } finally {
                System.setErr(systemErr);
            }
            assertEquals(0, run.exitCode(), run::toString);
            String warned = warnings.toString(StandardCharsets.UTF_8);
            assertFalse(warned.contains("picocli WARN"), command + ": " + warned);
            assertFalse(run.out().contains("%n"), command + ": " + run.out());
            assertTrue(run.out().contains("Usage: attention-sinks " + command), run::toString);
        }
        String benchHelp = CliRun.of("bench", "--help").out().replaceAll("\\s+", " ");
        assertTrue(benchHelp.contains("logits move by under 0.5% of their range"), benchHelp);
    }
}
