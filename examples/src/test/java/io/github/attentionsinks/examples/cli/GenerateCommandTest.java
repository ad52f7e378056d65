package io.github.attentionsinks.examples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.github.attentionsinks.config.Json;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code generate} on stories260K against llama2.c's own greedy output (reference-greedy.json). */
class GenerateCommandTest {
    static JsonNode reference;

    @BeforeAll
    static void readReference() {
        reference = Json.readTree(CliRun.stories().resolve("reference-greedy.json"));
    }

    @Test
    void greedyStdoutIsExactlyTheReferenceContinuation() {
        CliRun run = CliRun.of("generate", "--model", CliRun.stories().toString(), "--device", "cpu",
                "--prompt", reference.get("prompt").asText(), "--max-new-tokens", "64", "--temperature", "0");
        assertEquals(0, run.exitCode(), run::toString);
        // prompt + stdout is the whole text: stdout holds the continuation only, nothing else.
        assertEquals(reference.get("generated_text").asText(), run.out());
        assertTrue(run.err().contains("[generate] 64 tokens"), run::toString);
    }

    @Test
    void promptTokenIdsAndPrintTokenIdsGiveTheReferenceIds(@TempDir Path dir) throws Exception {
        Path prompt = dir.resolve("prompt.json");
        Files.writeString(prompt, reference.get("prompt_token_ids").toString());
        // No --temperature: stories260K's generation_config.json does not sample, so the default is greedy.
        CliRun run = CliRun.of("generate", "--model", CliRun.stories().toString(), "--device", "cpu",
                "--prompt-token-ids", prompt.toString(), "--max-new-tokens", "64", "--print-token-ids");
        assertEquals(0, run.exitCode(), run::toString);
        JsonNode printed = Json.MAPPER.readTree(run.out());
        assertEquals(reference.get("generated_token_ids"), printed);
        assertTrue(run.out().endsWith("]\n"), "one JSON array then a newline");
    }

    @Test
    void windowedAndDenseModesAlsoMatchBeforeTheCacheFills() {
        // 69 tokens fit a 1020-token window: every mode must give the same greedy text.
        for (String mode : new String[] {"dense", "windowed"}) {
            CliRun run = CliRun.of("generate", "--model", CliRun.stories().toString(), "--device", "cpu", "--mode", mode,
                    "--prompt", reference.get("prompt").asText(), "--max-new-tokens", "64", "--temperature", "0");
            assertEquals(0, run.exitCode(), run::toString);
            assertEquals(reference.get("generated_text").asText(), run.out(), mode);
        }
    }

    @Test
    void stopStringEndsTheContinuationBeforeIt() {
        CliRun run = CliRun.of("generate", "--model", CliRun.stories().toString(), "--device", "cpu",
                "--prompt", reference.get("prompt").asText(), "--max-new-tokens", "64", "--temperature", "0",
                "--stop", "Lily.");
        assertEquals(0, run.exitCode(), run::toString);
        assertEquals(", there was a little girl named ", run.out());
        assertTrue(run.err().contains("finish: stop_string"), run::toString);
    }
}
