package io.github.attentionsinks.examples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Ids are ids: {@code perplexity --token-ids-file} and {@code generate --prompt-token-ids} run on a copy of stories260K
 * without tokenizer.json and give what they give with it; anything that needs text names the missing file.
 */
class TokenIdsWithoutTokenizerTest {
    static final Path ROOT = Path.of("target", "test-models", "ids-only");
    static Path noTokenizer;
    static Path idsFile;

    @BeforeAll
    static void copyWithoutTokenizer() throws Exception {
        noTokenizer = ROOT.resolve("stories260K-no-tokenizer");
        Files.createDirectories(noTokenizer);
        for (String f : List.of("config.json", "generation_config.json", "model.safetensors", "tokenizer_config.json")) {
            Files.copy(CliRun.stories().resolve(f), noTokenizer.resolve(f), StandardCopyOption.REPLACE_EXISTING);
        }
        Files.deleteIfExists(noTokenizer.resolve("tokenizer.json"));
        idsFile = ROOT.resolve("ids.json");
        // Arbitrary in-vocabulary ids (stories260K has 512): BOS, then a fixed walk through the table.
        StringBuilder ids = new StringBuilder("[1");
        for (int i = 0; i < 40; i++) {
            ids.append(", ").append(3 + (i * 37) % 500);
        }
        Files.writeString(idsFile, ids.append("]").toString());
    }

    @Test
    void perplexityOverTokenIdsNeedsNoTokenizer() throws Exception {
        Path without = ROOT.resolve("without.csv");
        Path with = ROOT.resolve("with.csv");
        CliRun a = CliRun.of("perplexity", "--model", noTokenizer.toString(), "--device", "cpu", "--mode", "dense",
                "--token-ids-file", idsFile.toString(), "--output", without.toString());
        assertEquals(0, a.exitCode(), a::toString);
        CliRun b = CliRun.of("perplexity", "--model", CliRun.stories().toString(), "--device", "cpu", "--mode", "dense",
                "--token-ids-file", idsFile.toString(), "--output", with.toString());
        assertEquals(0, b.exitCode(), b::toString);
        List<String> rowsWithout = Files.readAllLines(without);
        List<String> rowsWith = Files.readAllLines(with);
        assertEquals(41, rowsWithout.size(), "header + 40 rows");
        // Compare the nll column only: memory and latency vary from run to run.
        for (int i = 1; i < rowsWith.size(); i++) {
            assertEquals(rowsWith.get(i).split(",")[1], rowsWithout.get(i).split(",")[1], "row " + i);
        }
    }

    @Test
    void generateFromTokenIdsNeedsNoTokenizerWhenPrintingIds() {
        CliRun without = CliRun.of("generate", "--model", noTokenizer.toString(), "--device", "cpu",
                "--prompt-token-ids", idsFile.toString(), "--max-new-tokens", "8", "--print-token-ids");
        assertEquals(0, without.exitCode(), without::toString);
        CliRun with = CliRun.of("generate", "--model", CliRun.stories().toString(), "--device", "cpu",
                "--prompt-token-ids", idsFile.toString(), "--max-new-tokens", "8", "--print-token-ids");
        assertEquals(0, with.exitCode(), with::toString);
        assertTrue(without.out().trim().startsWith("["), without.out());
        assertEquals(with.out(), without.out());
    }

    @Test
    void textNeedsTheTokenizerAndTheErrorNamesIt() {
        CliRun printText = CliRun.of("generate", "--model", noTokenizer.toString(), "--device", "cpu",
                "--prompt-token-ids", idsFile.toString(), "--max-new-tokens", "4");
        assertNotEquals(0, printText.exitCode());
        assertTrue(printText.err().contains(noTokenizer.resolve("tokenizer.json").toString())
                && printText.err().contains("--print-token-ids"), printText::toString);
        CliRun stop = CliRun.of("generate", "--model", noTokenizer.toString(), "--device", "cpu",
                "--prompt-token-ids", idsFile.toString(), "--max-new-tokens", "4", "--print-token-ids", "--stop", "x");
        assertNotEquals(0, stop.exitCode());
        assertTrue(stop.err().contains("tokenizer.json"), stop::toString);
        CliRun prompt = CliRun.of("generate", "--model", noTokenizer.toString(), "--device", "cpu",
                "--prompt", "Once", "--max-new-tokens", "4");
        assertNotEquals(0, prompt.exitCode());
        assertTrue(prompt.err().contains("tokenizer.json"), prompt::toString);
    }
}
