package io.github.attentionsinks.langchain4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.langchain4j.agent.tool.ToolExecutionRequest;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Tool calls in the reply formats of open models; every expected value is written by hand. */
class ToolCallParserTest {
    static final Set<String> TOOLS = Set.of("get_weather", "get_time");

    static Optional<ToolCallParser.Parsed> parse(String reply) {
        AtomicInteger n = new AtomicInteger();
        return ToolCallParser.parse(reply, TOOLS, () -> "id" + n.incrementAndGet());
    }

    static ToolExecutionRequest call(String id, String name, String arguments) {
        return ToolExecutionRequest.builder().id(id).name(name).arguments(arguments).build();
    }

    static void assertPlainText(String reply) {
        assertTrue(parse(reply).isEmpty(), "should be plain text: " + reply);
    }

    @Test
    void hermesQwenSingleCall() {
        ToolCallParser.Parsed p = parse("<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\", "
                + "\"unit\": \"celsius\"}}\n</tool_call>").orElseThrow();
        assertNull(p.text());
        assertEquals(List.of(call("id1", "get_weather", "{\"city\":\"Paris\",\"unit\":\"celsius\"}")), p.requests());
    }

    @Test
    void hermesQwenSeveralCallsWithWhitespaceAndLeadingText() {
        ToolCallParser.Parsed p = parse("Let me check.\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\": "
                + "{\"city\": \"Paris\"}}\n</tool_call>\n  \n<tool_call>{\"name\":\"get_time\",\"arguments\":{\"zone\":"
                + "\"CET\"}}</tool_call>\n").orElseThrow();
        assertEquals("Let me check.", p.text());
        assertEquals(List.of(call("id1", "get_weather", "{\"city\":\"Paris\"}"),
                call("id2", "get_time", "{\"zone\":\"CET\"}")), p.requests());
    }

    @Test
    void hermesCallWithoutClosingTagAtTheEnd() {
        ToolCallParser.Parsed p = parse("<tool_call>\n{\"name\": \"get_time\", \"arguments\": {}}\n").orElseThrow();
        assertEquals(List.of(call("id1", "get_time", "{}")), p.requests());
    }

    @Test
    void smolLm2ArrayInOneBlock() {
        ToolCallParser.Parsed p = parse("<tool_call>[{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Oslo\"}}, "
                + "{\"name\": \"get_time\", \"arguments\": {\"zone\": \"UTC\"}}]</tool_call>").orElseThrow();
        assertEquals(List.of(call("id1", "get_weather", "{\"city\":\"Oslo\"}"),
                call("id2", "get_time", "{\"zone\":\"UTC\"}")), p.requests());
    }

    @Test
    void mistralToolCalls() {
        ToolCallParser.Parsed p = parse("[TOOL_CALLS] [{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Rome\"}}, "
                + "{\"name\": \"get_time\", \"arguments\": {\"zone\": \"CET\"}, \"id\": \"abcDEF123\"}]").orElseThrow();
        assertNull(p.text());
        assertEquals(List.of(call("id1", "get_weather", "{\"city\":\"Rome\"}"),
                call("abcDEF123", "get_time", "{\"zone\":\"CET\"}")), p.requests());
    }

    @Test
    void llamaBareJsonWithParametersOrArguments() {
        assertEquals(List.of(call("id1", "get_weather", "{\"city\":\"Lima\"}")),
                parse("  {\"name\": \"get_weather\", \"parameters\": {\"city\": \"Lima\"}}\n").orElseThrow().requests());
        assertEquals(List.of(call("id1", "get_time", "{\"zone\":\"PST\"}")),
                parse("<|python_tag|>{\"name\": \"get_time\", \"arguments\": {\"zone\": \"PST\"}}").orElseThrow()
                        .requests());
        // Mistral's marker is a special token, dropped from decoded text: the bare array remains.
        assertEquals(List.of(call("id1", "get_time", "{}")),
                parse("[{\"name\": \"get_time\", \"arguments\": {}}]").orElseThrow().requests());
    }

    @Test
    void argumentsGivenAsAJsonStringOrMissing() {
        assertEquals(List.of(call("id1", "get_weather", "{\"city\":\"Bern\"}")),
                parse("<tool_call>{\"name\": \"get_weather\", \"arguments\": \"{\\\"city\\\": \\\"Bern\\\"}\"}</tool_call>")
                        .orElseThrow().requests());
        assertEquals(List.of(call("id1", "get_time", "{}")),
                parse("{\"name\": \"get_time\"}").orElseThrow().requests());
    }

    @Test
    void malformedOrUnknownCallsArePlainText() {
        assertPlainText("<tool_call>{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"</tool_call>");
        assertPlainText("<tool_call>{\"name\": \"send_email\", \"arguments\": {}}</tool_call>");
        assertPlainText("<tool_call>{\"name\": \"get_weather\", \"arguments\": {}}</tool_call>"
                + "<tool_call>{\"name\": \"nope\"}</tool_call>");
        assertPlainText("<tool_call>{\"name\": \"get_weather\", \"arguments\": [1, 2]}</tool_call>");
        assertPlainText("<tool_call>{\"arguments\": {}}</tool_call>");
        assertPlainText("<tool_call></tool_call>");
        assertPlainText("<tool_call>{\"name\": \"get_time\"}</tool_call> and then I will tell you.");
        assertPlainText("[TOOL_CALLS] [{\"name\": \"get_time\", \"arguments\": {}}");
        assertPlainText("{\"name\": \"get_time\", \"arguments\": {}} is how I would call it");
        assertPlainText("The weather in Paris is sunny.");
        assertPlainText("{\"city\": \"Paris\"}");
        assertPlainText("[]");
        // no tools offered: nothing is a call
        assertTrue(ToolCallParser.parse("{\"name\": \"get_time\"}", Set.of()).isEmpty());
    }

    @Test
    void generatedIdsAreNineLettersOrDigits() {
        String id = ToolCallParser.parse("{\"name\": \"get_time\"}", TOOLS).orElseThrow().requests().get(0).id();
        assertTrue(id.matches("[A-Za-z0-9]{9}"), id);
    }

    @Test
    void streamingHoldsBackWhatMayBeACall() {
        assertEquals(12, ToolCallParser.streamableLength("Let me check<tool_call>{\"na"));
        assertEquals(12, ToolCallParser.streamableLength("Let me check<tool_"));
        assertEquals(12, ToolCallParser.streamableLength("Let me check[TOOL"));
        assertEquals(13, ToolCallParser.streamableLength("Let me check."));
        assertEquals(0, ToolCallParser.streamableLength("  {\"name\""));
        assertEquals(0, ToolCallParser.streamableLength("[TOOL_CALLS]"));
        assertEquals(0, ToolCallParser.streamableLength(" \n"));
        assertEquals(5, ToolCallParser.streamableLength("a < b"));
    }

    @Test
    void toolCallMarkersAreNotStopTokens() throws Exception {
        var config = new com.fasterxml.jackson.databind.ObjectMapper().readTree("{\"added_tokens_decoder\": {"
                + "\"2\": {\"content\": \"</s>\", \"special\": true},"
                + "\"5\": {\"content\": \"[TOOL_CALLS]\", \"special\": true},"
                + "\"128010\": {\"content\": \"<|python_tag|>\", \"special\": true},"
                + "\"151657\": {\"content\": \"<tool_call>\", \"special\": false}}}");
        assertEquals(Set.of(2), ChatSessionEngine.specialTokenIds(
                io.github.attentionsinks.tokenizer.TokenizerConfig.parse(java.nio.file.Path.of("tokenizer_config.json"), config)));
    }
}
