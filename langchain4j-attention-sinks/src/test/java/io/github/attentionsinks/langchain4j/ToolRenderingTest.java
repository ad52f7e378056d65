package io.github.attentionsinks.langchain4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.langchain4j.agent.tool.ToolExecutionRequest;
import dev.langchain4j.agent.tool.ToolSpecification;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.ToolExecutionResultMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.model.chat.request.json.JsonObjectSchema;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Tools, tool calls and tool results through a Qwen2.5-style template written for this test (it iterates
 * {@code tools} and {@code tool_calls} the way the real one does). Expected text is written by hand.
 */
class ToolRenderingTest {
    static final String QWEN_STYLE = """
            {%- if tools %}
                {{- '<|im_start|>system\\n' }}
                {%- if messages[0].role == 'system' %}
                    {{- messages[0].content }}
                {%- else %}
                    {{- 'You are a helpful assistant.' }}
                {%- endif %}
                {{- '\\n\\n# Tools\\n\\n<tools>' }}
                {%- for tool in tools %}
                    {{- '\\n' }}
                    {{- tool | tojson }}
                {%- endfor %}
                {{- '\\n</tools>\\n\\nFor each function call, return a json object within <tool_call></tool_call> tags.<|im_end|>\\n' }}
            {%- elif messages[0].role == 'system' %}
                {{- '<|im_start|>system\\n' + messages[0].content + '<|im_end|>\\n' }}
            {%- endif %}
            {%- for message in messages %}
                {%- if message.role == 'user' or (message.role == 'assistant' and not message.tool_calls) %}
                    {{- '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>' + '\\n' }}
                {%- elif message.role == 'assistant' %}
                    {{- '<|im_start|>' + message.role }}
                    {%- if message.content %}
                        {{- '\\n' + message.content }}
                    {%- endif %}
                    {%- for tool_call in message.tool_calls %}
                        {%- if tool_call.function is defined %}
                            {%- set tool_call = tool_call.function %}
                        {%- endif %}
                        {{- '\\n<tool_call>\\n{"name": "' }}
                        {{- tool_call.name }}
                        {{- '", "arguments": ' }}
                        {{- tool_call.arguments | tojson }}
                        {{- '}\\n</tool_call>' }}
                    {%- endfor %}
                    {{- '<|im_end|>\\n' }}
                {%- elif message.role == 'tool' %}
                    {%- if loop.index0 == 0 or messages[loop.index0 - 1].role != 'tool' %}
                        {{- '<|im_start|>user' }}
                    {%- endif %}
                    {{- '\\n<tool_response>\\n' }}
                    {{- message.content }}
                    {{- '\\n</tool_response>' }}
                    {%- if loop.last or messages[loop.index0 + 1].role != 'tool' %}
                        {{- '<|im_end|>\\n' }}
                    {%- endif %}
                {%- endif %}
            {%- endfor %}
            {%- if add_generation_prompt %}
                {{- '<|im_start|>assistant\\n' }}
            {%- endif %}""";

    static final ToolSpecification WEATHER = ToolSpecification.builder().name("get_weather")
            .description("Current weather")
            .parameters(JsonObjectSchema.builder().addStringProperty("city", "City name")
                    .addIntegerProperty("days").required("city").build())
            .build();

    @Test
    void toolsToolCallsAndResultsRenderInTheirRoles() {
        ChatTemplate t = ChatTemplate.of(QWEN_STYLE, "", "<|im_end|>");
        assertTrue(t.supportsTools());
        List<ChatMessage> messages = List.of(
                UserMessage.from("Weather in Paris and Oslo?"),
                AiMessage.from(List.of(
                        ToolExecutionRequest.builder().id("a1").name("get_weather")
                                .arguments("{\"city\":\"Paris\",\"days\":2}").build(),
                        ToolExecutionRequest.builder().id("a2").name("get_weather")
                                .arguments("{\"city\":\"Oslo\"}").build())),
                ToolExecutionResultMessage.from("a1", "get_weather", "sunny"),
                ToolExecutionResultMessage.from("a2", "get_weather", "rain"));
        String expected = "<|im_start|>system\nYou are a helpful assistant.\n\n# Tools\n\n<tools>\n"
                + "{\"type\": \"function\", \"function\": {\"name\": \"get_weather\", \"description\": "
                + "\"Current weather\", \"parameters\": {\"type\": \"object\", \"properties\": {\"city\": "
                + "{\"type\": \"string\", \"description\": \"City name\"}, \"days\": {\"type\": \"integer\"}}, "
                + "\"required\": [\"city\"]}}}\n</tools>\n\nFor each function call, return a json object within "
                + "<tool_call></tool_call> tags.<|im_end|>\n"
                + "<|im_start|>user\nWeather in Paris and Oslo?<|im_end|>\n"
                + "<|im_start|>assistant\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\", "
                + "\"days\": 2}}\n</tool_call>\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\": "
                + "{\"city\": \"Oslo\"}}\n</tool_call><|im_end|>\n"
                + "<|im_start|>user\n<tool_response>\nsunny\n</tool_response>\n<tool_response>\nrain\n"
                + "</tool_response><|im_end|>\n"
                + "<|im_start|>assistant\n";
        assertEquals(expected, t.render(messages, List.of(WEATHER), true));
    }

    @Test
    void toolCallIdsAndToolNamesReachTheTemplate() {
        ChatTemplate t = ChatTemplate.of("{% for m in messages %}{{ m.role }}"
                + "{% for c in m.tool_calls %} {{ c.type }}:{{ c.id }}:{{ c.function.name }}:"
                + "{{ c.function.arguments.city }}{% endfor %}"
                + "{% if m.role == 'tool' %} {{ m.tool_call_id }}:{{ m.name }}:{{ m.content }}{% endif %};"
                + "{% endfor %}{{ tools | length }}", "", "");
        List<ChatMessage> messages = List.of(UserMessage.from("q"),
                AiMessage.from(ToolExecutionRequest.builder().id("x9").name("get_weather")
                        .arguments("{\"city\":\"Rome\"}").build()),
                ToolExecutionResultMessage.from("x9", "get_weather", "hot"));
        assertEquals("user;assistant function:x9:get_weather:Rome;tool x9:get_weather:hot;1",
                t.render(messages, List.of(WEATHER), false));
    }

    /** A reply parsed from Qwen-style output renders back to the same text, so the session can continue it. */
    @Test
    void parsedQwenCallRendersAsGenerated() {
        ChatTemplate t = ChatTemplate.of(QWEN_STYLE, "", "<|im_end|>");
        String generated = "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\", \"days\": 2}}"
                + "\n</tool_call>";
        AiMessage reply = AiMessage.from(ToolCallParser.parse(generated, List.of("get_weather")).orElseThrow()
                .requests());
        List<ChatMessage> before = List.of(UserMessage.from("Weather?"));
        String prompt = t.render(before, List.of(WEATHER), true);
        String withReply = t.render(List.of(before.get(0), reply), List.of(WEATHER), false);
        assertEquals(prompt + generated + "<|im_end|>\n", withReply);
    }
}
