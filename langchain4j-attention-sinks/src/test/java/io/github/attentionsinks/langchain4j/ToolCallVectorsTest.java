package io.github.attentionsinks.langchain4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.langchain4j.agent.tool.ToolExecutionRequest;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Raw model outputs of many tool-calling and thinking formats (src/test/resources/tool-calls/vectors.json, mostly
 * the inputs and expected results of llama.cpp's test-chat.cpp restated as data) against {@link ToolCallParser}:
 * the finished reply's content, reasoning and calls, and that streaming the reply piece by piece never shows
 * reasoning or call text as content.
 */
class ToolCallVectorsTest {
    static final ObjectMapper MAPPER = new ObjectMapper();
    static final Set<String> TOOLS = Set.of("special_function", "python", "code_interpreter");

    static Stream<Arguments> vectors() throws IOException {
        try (InputStream in = ToolCallVectorsTest.class.getResourceAsStream("/tool-calls/vectors.json")) {
            assertNotNull(in, "tool-calls/vectors.json is missing from the test resources");
            List<Arguments> out = new ArrayList<>();
            for (JsonNode v : MAPPER.readTree(in).get("vectors")) {
                out.add(Arguments.of(v.get("name").asText(), v));
            }
            return out.stream();
        }
    }

    static ToolCallParser.Dialect dialect(JsonNode v) {
        return new ToolCallParser.Dialect(ToolCallParser.Format.valueOf(v.get("format").asText()),
                ToolCallParser.Reasoning.valueOf(v.get("reasoning").asText()), v.get("thinkingOpen").asBoolean());
    }

    static String textOrNull(JsonNode n) {
        return n == null || n.isNull() ? null : n.asText();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("vectors")
    void finishedReplyParses(String name, JsonNode v) throws IOException {
        ToolCallParser.Reply r = ToolCallParser.parseReply(v.get("output").asText(), dialect(v), TOOLS);
        assertEquals(textOrNull(v.get("content")), r.content(), "content");
        assertEquals(textOrNull(v.get("thinking")), r.thinking(), "thinking");
        JsonNode calls = v.get("calls");
        assertEquals(calls.size(), r.calls().size(), "number of calls: " + r.calls());
        for (int i = 0; i < calls.size(); i++) {
            ToolExecutionRequest actual = r.calls().get(i);
            assertEquals(calls.get(i).get("name").asText(), actual.name());
            // compared as JSON values: the arguments string must be JSON that ToolExecutionRequest users can read
            assertEquals(calls.get(i).get("arguments"), MAPPER.readTree(actual.arguments()), "arguments");
            if (calls.get(i).has("id")) {
                assertEquals(calls.get(i).get("id").asText(), actual.id());
            } else {
                assertFalse(actual.id() == null || actual.id().isBlank(), "a generated id");
            }
        }
    }

    /**
     * Streams the output one character at a time (the hardest split for markers) with tools held, as the engine
     * does, and checks that what was shown as content and reasoning is a prefix of the finished reply's.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("vectors")
    void streamingNeverShowsMoreThanTheFinishedReply(String name, JsonNode v) {
        String output = v.get("output").asText();
        ToolCallParser.Dialect d = dialect(v);
        String content = textOrNull(v.get("content"));
        String thinking = textOrNull(v.get("thinking"));
        String shownContent = "";
        String shownThinking = "";
        for (int i = 1; i <= output.length(); i++) {
            ToolCallParser.Visible vis = ToolCallParser.visible(output.substring(0, i), d, true);
            assertPrefix(shownContent, vis.content(), "content must only grow, at " + i);
            assertPrefix(shownThinking, vis.thinking(), "thinking must only grow, at " + i);
            shownContent = vis.content();
            shownThinking = vis.thinking();
        }
        assertPrefix(shownContent, content == null ? "" : content, "streamed content vs the reply's");
        assertPrefix(shownThinking, thinking == null ? "" : thinking, "streamed thinking vs the reply's");
        if (!v.get("calls").isEmpty()) {
            assertEquals(content == null ? "" : content.strip(), shownContent.strip(),
                    "nothing of a call is streamed as content");
        }
    }

    static void assertPrefix(String prefix, String of, String message) {
        if (!of.startsWith(prefix)) {
            assertEquals(prefix, of, message + ": not a prefix");
        }
    }
}
