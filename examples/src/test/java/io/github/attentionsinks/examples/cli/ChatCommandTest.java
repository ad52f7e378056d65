package io.github.attentionsinks.examples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code chat}: replies stream per line, later turns encode only the new message, /reset forgets, /exit quits. */
class ChatCommandTest {
    private static final Pattern TOKENS_IN = Pattern.compile("\\[chat\\] (\\d+) tokens in, (\\d+) out");

    private static List<Integer> inputTokens(CliRun run) {
        List<Integer> in = new ArrayList<>();
        Matcher m = TOKENS_IN.matcher(run.err());
        while (m.find()) {
            in.add(Integer.parseInt(m.group(1)));
        }
        return in;
    }

    @Test
    void turnsEncodeOnlyTheNewMessageAndResetStartsOver() {
        String[] args = {"chat", "--model", CliRun.stories().toString(), "--device", "cpu", "--max-new-tokens", "12",
                "--temperature", "0", "--attention-sink-size", "4", "--window-size", "64"};
        String first = "Once upon a time there was a little dog.";
        StringBuilder input = new StringBuilder(first + "\n");
        for (int i = 0; i < 8; i++) {
            input.append("Then what happened?\n");
        }
        input.append("/reset\n").append(first).append("\n/exit\nnever read\n");
        CliRun run = CliRun.withInput(input.toString(), args);
        assertEquals(0, run.exitCode(), run::toString);

        List<Integer> in = inputTokens(run);
        assertEquals(10, in.size(), run::toString);
        // Turns 2..9 send the whole (growing) history but encode only the new user message and its template text.
        for (int t = 1; t < 9; t++) {
            assertTrue(in.get(t) < in.get(0), "turn " + (t + 1) + " encoded " + in.get(t) + " tokens: " + run.err());
        }
        assertEquals(in.get(0), in.get(9), "after /reset the first message is encoded in full again");

        String[] replies = run.out().split("\n", -1);
        assertTrue(replies.length >= 10, run::toString);
        assertEquals(replies[0], replies[9], "greedy: the same first reply after /reset");
    }

    /**
     * A turn that fails (here the chat template refuses a message) is reported on stderr and the REPL goes on: the
     * message is dropped and the next turn continues the same session. Unknown commands are not sent to the model,
     * and /quit quits as /exit does.
     */
    @Test
    void aFailedTurnIsReportedAndTheConversationGoesOn(@TempDir Path dir) throws Exception {
        Path model = dir.resolve("model");
        Files.createDirectories(model);
        for (String file : new String[] {"config.json", "generation_config.json", "model.safetensors", "tokenizer.json",
            "special_tokens_map.json"}) {
            Files.copy(CliRun.stories().resolve(file), model.resolve(file));
        }
        String template = "{% for m in messages %}{% if m['content'] == 'bad' %}{{ raise_exception('no bad words') }}"
                + "{% endif %}{{ m['role'] + ': ' + m['content'] + '\\n' }}{% endfor %}"
                + "{% if add_generation_prompt %}{{ 'assistant:' }}{% endif %}";
        String config = Files.readString(CliRun.stories().resolve("tokenizer_config.json"));
        Files.writeString(model.resolve("tokenizer_config.json"),
                config.replaceFirst("\\{", Matcher.quoteReplacement("{\n  \"chat_template\": \""
                        + template.replace("\"", "\\\"") + "\",")));

        CliRun run = CliRun.withInput("Once upon a time\n/help\nbad\nThen what?\n/quit\nnever read\n", "chat",
                "--model", model.toString(), "--device", "cpu", "--max-new-tokens", "8", "--temperature", "0");
        assertEquals(0, run.exitCode(), run::toString);
        assertTrue(run.err().contains("[chat] unknown command /help: /reset forgets, /exit or /quit quits"),
                run::toString);
        assertTrue(run.err().contains("[chat] error: ") && run.err().contains("no bad words"), run::toString);
        assertEquals(2, inputTokens(run).size(), run::toString);
        // The turn after the failure continues the session (a history the session does not hold would rebuild it).
        assertTrue(run.err().contains("; turn 2 continued; cache "), run::toString);
    }

    @Test
    void denseModeIsAUsageError() {
        CliRun run = CliRun.withInput("hi\n", "chat", "--model", CliRun.stories().toString(), "--mode", "dense");
        assertEquals(2, run.exitCode(), run::toString);
        assertTrue(run.err().contains("--mode sinks or windowed"), run::toString);
    }
}
