package io.github.attentionsinks.langchain4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.PartialThinking;
import dev.langchain4j.model.chat.response.PartialThinkingContext;
import io.github.attentionsinks.Shared;
import io.github.attentionsinks.langchain4j.ToolCallParser.Format;
import io.github.attentionsinks.langchain4j.ToolCallParser.Reasoning;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The tool-call and reasoning syntax read from real templates, and reasoning handling in a chat turn. */
class DialectTest {
    /** Expected dialects written by hand from each template's source (which call syntax it shows the model). */
    @ParameterizedTest(name = "{0}")
    @CsvSource({
        "Mistral-Small-3.2-24B-Instruct-2506.jinja, MISTRAL, NONE, false",
        "mistralai-Mistral-Nemo-Instruct-2407.jinja, MISTRAL, NONE, false",
        "NousResearch-Hermes-3-Llama-3.1-8B-tool_use.jinja, HERMES, NONE, false",
        "Qwen-Qwen2.5-7B-Instruct.jinja, HERMES, NONE, false",
        "ollama-qwen2.5_0.5b.jinja, HERMES, NONE, false",
        "Qwen-Qwen3-0.6B.jinja, HERMES, THINK_TAGS, false",
        "ollama-qwen3_0.6b.jinja, HERMES, THINK_TAGS, false",
        "deepseek-ai-DeepSeek-R1-Distill-Qwen-32B.jinja, DEEPSEEK_R1, THINK_TAGS, true",
        "ibm-granite-granite-3.3-2B-Instruct.jinja, GRANITE, THINK_TAGS, false",
        "meta-llama-Llama-3.1-8B-Instruct.jinja, LLAMA_3, NONE, false",
        "meta-llama-Llama-3.2-3B-Instruct.jinja, LLAMA_3, NONE, false",
        "ollama-llama3.2_3b.jinja, LLAMA_3, NONE, false",
        "google-gemma-2-2b-it.jinja, AUTO, NONE, false",
        "microsoft-Phi-3.5-mini-instruct.jinja, AUTO, NONE, false",
        "ollama-phi4-mini_3.8b.jinja, AUTO, NONE, false",
        "ollama-smollm2_135m.jinja, AUTO, NONE, false",
        "ollama-tinyllama_1.1b.jinja, AUTO, NONE, false",
    })
    void dialectOfSharedTemplates(String file, Format format, Reasoning reasoning, boolean thinkingOpen) {
        Path path = Shared.dir().resolve("templates").resolve(file);
        ToolCallParser.Dialect d = ToolCallParser.Dialect.of(ChatTemplate.of(path, "<s>", "</s>"));
        assertEquals(new ToolCallParser.Dialect(format, reasoning, thinkingOpen), d);
    }

    /**
     * A DeepSeek-R1-like template on stories260K: the generation prompt opens {@code <think>} and the tiny model
     * never closes it, so its whole reply is reasoning. It must never reach the text or onPartialResponse.
     */
    static final String OPEN_THINK_TEMPLATE = "{{ bos_token }}{% for message in messages %}"
            + "{% if message.role == 'user' %}User: {{ message.content }}\n"
            + "{% else %}Assistant: {{ message.content.split('</think>')[-1] }}\n{% endif %}{% endfor %}"
            + "{% if add_generation_prompt %}Assistant: <think>\n{% endif %}";

    static class ThinkingCollector extends StoriesChat.Collector {
        final List<String> thinking = new CopyOnWriteArrayList<>();

        @Override
        public void onPartialThinking(PartialThinking partialThinking, PartialThinkingContext context) {
            thinking.add(partialThinking.text());
        }
    }

    @Test
    void reasoningGoesToThinkingOnlyWhenAskedFor() {
        for (boolean returnThinking : new boolean[] {true, false}) {
            try (AttentionSinkStreamingChatModel model = StoriesChat.streaming().chatTemplate(OPEN_THINK_TEMPLATE)
                    .maxNewTokens(20).returnThinking(returnThinking).build()) {
                ThinkingCollector c = new ThinkingCollector();
                model.chat(StoriesChat.request("r" + returnThinking,
                        List.of(UserMessage.from("Tell me a story"))), c);
                ChatResponse r = c.await();
                c.assertSingleTerminalCallback();
                AiMessage m = r.aiMessage();
                assertEquals("", m.text(), "an unclosed reasoning block is no answer");
                assertEquals("", c.text(), "no reasoning in onPartialResponse");
                if (returnThinking) {
                    assertTrue(m.thinking() != null && !m.thinking().isBlank(), "20 tokens of reasoning: " + m);
                    assertEquals(m.thinking(), String.join("", c.thinking), "streamed reasoning = thinking()");
                } else {
                    assertEquals(null, m.thinking());
                    assertTrue(c.thinking.isEmpty(), "nothing streamed to onPartialThinking");
                }
                assertFalse(m.hasToolExecutionRequests());
            }
        }
    }
}
