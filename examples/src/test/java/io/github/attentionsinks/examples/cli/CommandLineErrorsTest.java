package io.github.attentionsinks.examples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Usage errors exit 2 naming the option; other errors exit 1 with one line naming the file or value. */
class CommandLineErrorsTest {
    static final String MODEL = CliRun.stories().toString();

    private static void assertUsageError(String expectedInMessage, String... args) {
        CliRun run = CliRun.of(args);
        assertEquals(2, run.exitCode(), run::toString);
        assertEquals("", run.out(), run::toString);
        assertTrue(run.err().startsWith("error: ") && run.err().contains(expectedInMessage), run::toString);
    }

    @Test
    void badArgumentsExitWithTwo() {
        assertUsageError("a subcommand is required");
        assertUsageError("Unknown option: '--bogus'", "generate", "--model", MODEL, "--prompt", "x",
                "--max-new-tokens", "4", "--bogus");
        assertUsageError("--max-new-tokens", "generate", "--model", MODEL, "--prompt", "x");
        assertUsageError("mutually exclusive", "generate", "--model", MODEL, "--prompt", "x", "--prompt-token-ids",
                "ids.json", "--max-new-tokens", "4");
        assertUsageError("--attention-sink-size must be >= 0, got -1", "generate", "--model", MODEL, "--prompt", "x",
                "--max-new-tokens", "4", "--attention-sink-size", "-1");
        assertUsageError("--window-size must be >= 1, got 0", "generate", "--model", MODEL, "--prompt", "x",
                "--max-new-tokens", "4", "--window-size", "0");
        assertUsageError("unknown mode 'ring'", "generate", "--model", MODEL, "--prompt", "x", "--max-new-tokens",
                "4", "--mode", "ring");
        assertUsageError("--max-new-tokens must be >= 1, got 0", "generate", "--model", MODEL, "--prompt", "x",
                "--max-new-tokens", "0");
        assertUsageError("--temperature must be >= 0", "generate", "--model", MODEL, "--prompt", "x",
                "--max-new-tokens", "4", "--temperature", "-1");
        assertUsageError("--top-p must be in (0, 1]", "generate", "--model", MODEL, "--prompt", "x",
                "--max-new-tokens", "4", "--top-p", "1.5");
        assertUsageError("--prompt is empty", "generate", "--model", MODEL, "--prompt", "", "--max-new-tokens", "4");
        assertUsageError("unknown device 'tpu'", "generate", "--model", MODEL, "--prompt", "x", "--max-new-tokens",
                "4", "--device", "tpu");
        assertUsageError("'many' is not an int", "generate", "--model", MODEL, "--prompt", "x",
                "--max-new-tokens", "many");
        assertUsageError("--mode", "perplexity", "--model", MODEL, "--text-file", "story.txt");
        assertUsageError("mutually exclusive", "perplexity", "--model", MODEL, "--mode", "sinks", "--text-file", "a",
                "--token-ids-file", "b");
        assertUsageError("--num-tokens must be >= 1, got 0", "perplexity", "--model", MODEL, "--mode", "dense",
                "--text-file", "a", "--num-tokens", "0");
        assertUsageError("give --model DIR and/or --synthetic", "bench");
        assertUsageError("unknown synthetic model 'gpt-5'", "bench", "--synthetic", "gpt-5");
    }

    @Test
    void failuresExitWithOneAndOneLineNamingTheCulprit(@TempDir Path dir) throws Exception {
        Path missing = dir.resolve("no-such-model");
        CliRun run = CliRun.of("generate", "--model", missing.toString(), "--prompt", "x", "--max-new-tokens", "4");
        assertEquals(1, run.exitCode(), run::toString);
        assertEquals("error: " + missing + ": model directory not found (expected a Hugging Face checkpoint "
                + "directory, or a Hub id such as HuggingFaceTB/SmolLM2-135M-Instruct)\n", run.err());

        Path ids = dir.resolve("ids.json");
        Files.writeString(ids, "[1, 403, 9999]");
        run = CliRun.of("perplexity", "--model", MODEL, "--device", "cpu", "--mode", "sinks", "--token-ids-file",
                ids.toString());
        assertEquals(1, run.exitCode(), run::toString);
        assertEquals("error: " + ids + ": token id 9999 at index 2 is outside the model's vocabulary [0, 512)\n",
                run.err());
        assertEquals("", run.out(), "no CSV header before the input is known to be good");

        Files.writeString(ids, "[1, 403,");
        run = CliRun.of("generate", "--model", MODEL, "--device", "cpu", "--prompt-token-ids", ids.toString(),
                "--max-new-tokens", "4");
        assertEquals(1, run.exitCode(), run::toString);
        assertTrue(run.err().startsWith("error: " + ids + ": malformed JSON"), run::toString);
        assertFalse(run.err().contains("\tat "), "no stack trace without --verbose");

        run = CliRun.of("generate", "--verbose", "--model", missing.toString(), "--prompt", "x", "--max-new-tokens", "4");
        assertEquals(1, run.exitCode(), run::toString);
        assertTrue(run.err().contains("\tat "), "--verbose prints the stack trace: " + run);
    }

    @Test
    void withoutModelTheDefaultHubIdIsUsedAndOfflineSaysHowToGetIt() {
        // Surefire sets HF_HUB_OFFLINE=1 and points HF_HUB_CACHE at an empty folder: the default id misses offline.
        CliRun run = CliRun.of("generate", "--prompt", "x", "--max-new-tokens", "4", "--device", "cpu");
        assertEquals(1, run.exitCode(), run::toString);
        assertTrue(run.err().contains(ModelOptions.DEFAULT_MODEL) && run.err().contains("HF_HUB_OFFLINE"),
                run::toString);
    }

    @Test
    void helpExitsWithZero() {
        for (String command : new String[] {"generate", "chat", "perplexity", "bench", "plot"}) {
            CliRun run = CliRun.of(command, "--help");
            assertEquals(0, run.exitCode(), run::toString);
            assertTrue(run.out().startsWith("Usage: attention-sinks " + command), run::toString);
        }
    }
}
