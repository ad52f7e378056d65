package io.github.attentionsinks.examples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.github.attentionsinks.config.Json;
import org.junit.jupiter.api.Test;

/** {@code chat}: a reply per line, streamed; /reset forgets the stream; /exit quits. */
class ChatCommandTest {
    @Test
    void repliesContinueTheStreamAndResetForgetsIt() {
        JsonNode reference = Json.readTree(CliRun.stories().resolve("reference-greedy.json"));
        String prompt = reference.get("prompt").asText();
        String[] args = {"chat", "--model", CliRun.stories().toString(), "--device", "cpu", "--max-new-tokens", "12",
                "--temperature", "0"};

        CliRun one = CliRun.withInput(prompt + "\n/exit\nnever read\n", args);
        assertEquals(0, one.exitCode(), one::toString);
        String reply = one.out();
        assertTrue(reply.endsWith("\n") && reply.length() > 10, one::toString);
        assertTrue(reference.get("generated_text").asText().startsWith(reply.substring(0, reply.length() - 1)),
                "the first reply is the greedy continuation of the line: " + one);

        // A second turn continues the stream; after /reset the same line gives the first reply again. End of input quits.
        CliRun three = CliRun.withInput(prompt + "\nThen\n/reset\n" + prompt + "\n", args);
        assertEquals(0, three.exitCode(), three::toString);
        assertTrue(three.out().startsWith(reply), three::toString);
        assertTrue(three.out().endsWith(reply), three::toString);
        assertTrue(three.out().length() > 2 * reply.length(), "the second turn replied: " + three);
    }
}
