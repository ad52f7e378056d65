package io.github.attentionsinks.langchain4j;

import static io.github.attentionsinks.langchain4j.StoriesChat.request;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.langchain4j.agent.tool.P;
import dev.langchain4j.agent.tool.Tool;
import dev.langchain4j.agent.tool.ToolExecutionRequest;
import dev.langchain4j.agent.tool.ToolSpecification;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.ToolExecutionResultMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.memory.chat.MessageWindowChatMemory;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.json.JsonObjectSchema;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.CompleteToolCall;
import dev.langchain4j.model.output.FinishReason;
import dev.langchain4j.service.AiServices;
import dev.langchain4j.service.MemoryId;
import dev.langchain4j.service.Result;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * The engine path with tools on stories260K and a plain-text template that shows tools. The tiny model never writes
 * a tool call (and no test fakes its output), so these tests check acceptance, plain replies with tools offered,
 * and incremental continuation of histories that hold tool calls and tool results.
 */
class ToolChatTest {
    /**
     * The fallback's plain-text format, plus a tools line, assistant tool calls and tool results ({@code '\\n'} as
     * expressions after block tags, which trim_blocks would otherwise eat).
     */
    static final String TOOL_TEMPLATE = "{{ bos_token }}"
            + "{% if tools %}Tools:{% for tool in tools %} {{ tool.function.name }}{% endfor %}{{ '\\n' }}{% endif %}"
            + "{% for message in messages %}"
            + "{% if message.role == 'user' %}User: {{ message.content }}\n"
            + "{% elif message.role == 'assistant' %}Assistant:"
            + "{% if message.content and message.content.lstrip() == message.content %}{{ ' ' }}{% endif %}"
            + "{{ message.content }}"
            + "{% for call in message.tool_calls %} <tool_call>{\"name\": \"{{ call.function.name }}\", \"arguments\": "
            + "{{ call.function.arguments | tojson }}{{ '}' }}</tool_call>{% endfor %}{{ '\\n' }}"
            + "{% elif message.role == 'tool' %}Tool {{ message.name }}: {{ message.content }}\n"
            + "{% endif %}{% endfor %}"
            + "{% if add_generation_prompt %}Assistant:{% endif %}";

    static final ToolSpecification WEATHER = ToolSpecification.builder().name("get_weather")
            .description("Current weather")
            .parameters(JsonObjectSchema.builder().addStringProperty("city").required("city").build()).build();
    static final ToolSpecification TIME = ToolSpecification.builder().name("get_time").build();

    static ChatRequest withTools(Object memoryId, List<ChatMessage> messages, ToolSpecification... tools) {
        return request(memoryId, messages).toBuilder().toolSpecifications(tools).build();
    }

    static int tokens(String text) {
        return StoriesChat.model().tokenizer().encode(text, false).length;
    }

    @Test
    void toolsAreAcceptedAndAPlainReplyStaysText() {
        List<CompleteToolCall> toolCalls = new CopyOnWriteArrayList<>();
        try (AttentionSinkStreamingChatModel model = StoriesChat.streaming().chatTemplate(TOOL_TEMPLATE)
                .maxNewTokens(300).stopSequences(List.of("\n")).build()) {
            StoriesChat.Collector c = new StoriesChat.Collector() {
                @Override
                public void onCompleteToolCall(CompleteToolCall call) {
                    toolCalls.add(call);
                }
            };
            List<ChatMessage> messages = List.of(UserMessage.from("Tell me a story about a dog"));
            model.chat(withTools("s", messages, WEATHER, TIME), c);
            ChatResponse r = c.await();
            c.assertSingleTerminalCallback();
            assertFalse(r.aiMessage().hasToolExecutionRequests());
            assertTrue(toolCalls.isEmpty());
            assertEquals(FinishReason.STOP, r.finishReason(), "the first line ends before 300 tokens: " + r);
            assertTrue(r.tokenUsage().outputTokenCount() < 300);
            // text held back while it might have been a call is streamed at the end: nothing lost, nothing doubled
            assertEquals(r.aiMessage().text(), c.text());
            assertFalse(r.aiMessage().text().isBlank());
            // the tools line was part of the prompt
            assertEquals(tokens("<s>Tools: get_weather get_time\nUser: Tell me a story about a dog\nAssistant:"),
                    r.tokenUsage().inputTokenCount());
        }
    }

    @Test
    void toolCallHistoryContinuesIncrementally() {
        try (AttentionSinkChatModel model = StoriesChat.blocking().chatTemplate(TOOL_TEMPLATE).build()) {
            List<ChatMessage> history = new ArrayList<>(List.of(UserMessage.from("What is the weather in Paris?"),
                    AiMessage.from(ToolExecutionRequest.builder().id("call1").name("get_weather")
                            .arguments("{\"city\":\"Paris\"}").build()),
                    ToolExecutionResultMessage.from("call1", "get_weather", "sunny")));
            ChatResponse first = model.chat(withTools("t", history, WEATHER));
            assertEquals(1, model.sessionStats("t").orElseThrow().rebuilds());
            assertEquals(tokens("<s>Tools: get_weather\nUser: What is the weather in Paris?\nAssistant: <tool_call>"
                    + "{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}</tool_call>\n"
                    + "Tool get_weather: sunny\nAssistant:"), first.tokenUsage().inputTokenCount());
            history.add(first.aiMessage());

            // A user turn after the tool exchange: only the new message (+ the last reply's unfed token).
            history.add(UserMessage.from("And tomorrow?"));
            ChatResponse second = model.chat(withTools("t", history, WEATHER));
            assertTrue(second.tokenUsage().inputTokenCount() <= tokens("\nUser: And tomorrow?\nAssistant:") + 1,
                    "input " + second.tokenUsage().inputTokenCount());
            history.add(second.aiMessage());

            // A tool call and its result appended after the reply (as an AI service's tool loop does): only they
            // are encoded, not the history.
            history.add(AiMessage.from(ToolExecutionRequest.builder().id("call2").name("get_weather")
                    .arguments("{\"city\":\"Oslo\"}").build()));
            history.add(ToolExecutionResultMessage.from("call2", "get_weather", "rain"));
            ChatResponse third = model.chat(withTools("t", history, WEATHER));
            assertTrue(third.tokenUsage().inputTokenCount() <= tokens("\nAssistant: <tool_call>{\"name\": "
                    + "\"get_weather\", \"arguments\": {\"city\": \"Oslo\"}}</tool_call>\nTool get_weather: rain\n"
                    + "Assistant:") + 1, "input " + third.tokenUsage().inputTokenCount());
            ChatSessionStats stats = model.sessionStats("t").orElseThrow();
            assertEquals(3, stats.turns());
            assertEquals(1, stats.rebuilds(), "only the first turn builds the session");

            // Other tools change the prompt's tools line: the session is rebuilt, not continued.
            history.add(third.aiMessage());
            history.add(UserMessage.from("Thanks"));
            model.chat(withTools("t", history, WEATHER, TIME));
            assertEquals(2, model.sessionStats("t").orElseThrow().rebuilds());
        }
    }

    static class WeatherTools {
        final List<String> cities = new CopyOnWriteArrayList<>();

        @Tool("Current weather in a city")
        String getWeather(@P("city") String city) {
            cities.add(city);
            return "sunny";
        }
    }

    interface Assistant {
        Result<String> chat(@MemoryId String user, @dev.langchain4j.service.UserMessage String message);
    }

    @Test
    void aiServiceWithToolsRunsOnAToolTemplate() {
        try (AttentionSinkChatModel model = StoriesChat.blocking().chatTemplate(TOOL_TEMPLATE).build()) {
            WeatherTools tools = new WeatherTools();
            Assistant assistant = AiServices.builder(Assistant.class)
                    .chatModel(model)
                    .tools(tools)
                    .chatMemoryProvider(id -> MessageWindowChatMemory.withMaxMessages(10))
                    .chatRequestTransformer(AttentionSinks.memoryIdTransformer())
                    .build();
            Result<String> a = assistant.chat("u", "Weather in Paris?");
            Result<String> b = assistant.chat("u", "And in Oslo?");
            assertTrue(tools.cities.isEmpty(), "stories260K does not call tools");
            assertFalse(a.content().isEmpty());
            assertFalse(b.content().isEmpty());
            ChatSessionStats stats = model.sessionStats("u").orElseThrow();
            assertEquals(2, stats.turns());
            assertEquals(1, stats.rebuilds());
            assertTrue(b.tokenUsage().inputTokenCount() <= tokens("\nUser: And in Oslo?\nAssistant:") + 1);
        }
    }
}
