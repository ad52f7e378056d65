package io.github.attentionsinks.langchain4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.langchain4j.agent.tool.ToolSpecification;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.UserMessage;
import io.github.attentionsinks.config.Json;
import io.github.attentionsinks.testmodels.RandomCheckpoints;
import io.github.attentionsinks.tokenizer.TokenizerConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code chat_template} as a list of named templates, as Hermes 3 and Command-R ship it: {@code default} for plain
 * requests, {@code tool_use} for requests with tools (Hugging Face's choice), or one named by the user.
 */
class NamedChatTemplatesTest {
    static final String DEFAULT = "{% for m in messages %}[plain]{{ m.content }}{% endfor %}";
    static final List<ChatMessage> HI = List.of(UserMessage.from("hi"));
    static final List<ToolSpecification> TOOLS = List.of(ToolSpecification.builder().name("get_weather")
            .description("Weather of a city").build());
    static Path dir;

    /** A Qwen3-vocabulary llama whose chat_template is Hermes 3's list: a plain default and the real tool_use one. */
    @BeforeAll
    static void write() throws IOException {
        dir = RandomCheckpoints.write(Path.of("target", "test-models", "hermes-named-templates"), "llama",
                RandomCheckpoints.qwen3Tokenizer(), 5);
        ObjectNode config = (ObjectNode) Json.readTree(dir.resolve("tokenizer_config.json"));
        ArrayNode list = config.putArray("chat_template");
        list.addObject().put("name", "default").put("template", DEFAULT);
        list.addObject().put("name", "tool_use").put("template",
                Files.readString(RandomCheckpoints.template("NousResearch-Hermes-3-Llama-3.1-8B-tool_use.jinja")));
        Files.writeString(dir.resolve("tokenizer_config.json"), config.toString());
    }

    @Test
    void defaultRendersPlainRequestsAndToolUseRendersRequestsWithTools() {
        ChatTemplate t = ChatTemplate.forModel(dir, TokenizerConfig.read(dir));
        assertEquals("[plain]hi", t.render(HI, List.of(), false));
        String withTools = t.render(HI, TOOLS, true);
        assertTrue(withTools.contains("<tools>") && withTools.contains("get_weather"), withTools);
        assertTrue(t.supportsTools());
    }

    @Test
    void aNameChoosesOneTemplateForEveryRequest() {
        ChatTemplate toolUse = ChatTemplate.forModel(dir, TokenizerConfig.read(dir), "tool_use");
        assertTrue(toolUse.render(HI, List.of(), true).contains("<|im_start|>user\nhi<|im_end|>"));
        ChatTemplate plain = ChatTemplate.forModel(dir, TokenizerConfig.read(dir), "default");
        assertEquals("[plain]hi", plain.render(HI, TOOLS, false));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ChatTemplate.forModel(dir, TokenizerConfig.read(dir), "rag"));
        assertTrue(e.getMessage().contains("tokenizer_config.json") && e.getMessage().contains("\"rag\"")
                && e.getMessage().contains("[default, tool_use]"), e.getMessage());
    }

    @Test
    void aListWithoutDefaultNamesWhatItHas() {
        TokenizerConfig onlyToolUse = new TokenizerConfig(dir.resolve("tokenizer_config.json"), null, null, null,
                java.util.Map.of("tool_use", DEFAULT), java.util.Map.of());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ChatTemplate.forModel(dir, onlyToolUse));
        assertTrue(e.getMessage().contains("without an entry named \"default\"") && e.getMessage().contains("[tool_use]")
                && e.getMessage().contains("chatTemplateName"), e.getMessage());
    }

    @Test
    void theBuilderPassesTheNameThrough() {
        ChatSessionEngine auto = AttentionSinkChatModel.builder().modelPath(dir).device("cpu").buildEngine();
        try {
            assertEquals("[plain]hi", auto.template().render(HI, List.of(), false));
            assertTrue(auto.template().render(HI, TOOLS, false).contains("<tools>"));
        } finally {
            auto.close();
        }
        ChatSessionEngine named = AttentionSinkChatModel.builder().modelPath(dir).device("cpu")
                .chatTemplateName("tool_use").buildEngine();
        try {
            assertTrue(named.template().render(HI, List.of(), false).contains("<|im_start|>user"));
        } finally {
            named.close();
        }
    }
}
