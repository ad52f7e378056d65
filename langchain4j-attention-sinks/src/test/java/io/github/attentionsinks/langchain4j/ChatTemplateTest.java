package io.github.attentionsinks.langchain4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.langchain4j.agent.tool.ToolSpecification;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.ImageContent;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.TextContent;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.exception.UnsupportedFeatureException;
import dev.langchain4j.model.chat.request.json.JsonObjectSchema;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/** Jinja features Hugging Face chat templates rely on, rendered through Jinjava; expected strings written by hand. */
class ChatTemplateTest {
    /** A ChatML-style template written for this test, using namespace, loop, tojson, strip and raise_exception. */
    static final String CHATML = """
            {%- if tools %}
                {{- '<|im_start|>system\\n' }}
                {%- if messages[0].role == 'system' %}
                    {{- messages[0].content + '\\n\\n' }}
                {%- endif %}
                {{- '# Tools\\n<tools>' }}
                {%- for tool in tools %}
                    {{- '\\n' }}{{- tool | tojson }}
                {%- endfor %}
                {{- '\\n</tools><|im_end|>\\n' }}
            {%- elif messages[0].role == 'system' %}
                {{- '<|im_start|>system\\n' + messages[0].content + '<|im_end|>\\n' }}
            {%- endif %}
            {%- set ns = namespace(last_user=-1, users=0) %}
            {%- for message in messages %}
                {%- if message.role == 'user' %}
                    {%- set ns.last_user = loop.index0 %}
                    {%- set ns.users = ns.users + 1 %}
                {%- endif %}
            {%- endfor %}
            {%- for message in messages %}
                {%- if message.role not in ['system', 'user', 'assistant'] %}
                    {{- raise_exception('Unknown role: ' + message.role) }}
                {%- elif message.role != 'system' %}
                    {{- '<|im_start|>' + message.role + '\\n' + message.content.strip() }}
                    {%- if loop.index0 == ns.last_user and message.content.startswith('/') %}{{- ' [command]' }}{%- endif %}
                    {{- '<|im_end|>\\n' }}
                {%- endif %}
            {%- endfor %}
            {%- if add_generation_prompt %}
                {{- '<|im_start|>assistant\\n' }}
            {%- endif %}
            {{- '' if ns.users > 0 else raise_exception('no user message') }}""";

    @Test
    void chatMlStyleTemplateRenders() {
        ChatTemplate t = ChatTemplate.of(CHATML, "", "<|im_end|>");
        List<ChatMessage> messages = List.of(SystemMessage.from("Be brief."), UserMessage.from("  hi  "),
                AiMessage.from("Hello!"), UserMessage.from("/help"));
        assertEquals("<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nhi<|im_end|>\n"
                + "<|im_start|>assistant\nHello!<|im_end|>\n<|im_start|>user\n/help [command]<|im_end|>\n"
                + "<|im_start|>assistant\n", t.render(messages, List.of(), true));
        assertFalse(t.render(messages, List.of(), false).endsWith("<|im_start|>assistant\n"));
    }

    @Test
    void toolsAreWrittenAsPythonJson() {
        ChatTemplate t = ChatTemplate.of(CHATML, "", "");
        ToolSpecification tool = ToolSpecification.builder().name("weather").description("Wetter in München")
                .parameters(JsonObjectSchema.builder().addStringProperty("city").required("city").build()).build();
        String out = t.render(List.of(UserMessage.from("hi")), List.of(tool), true);
        assertTrue(out.contains("<tools>\n{\"type\": \"function\", \"function\": {\"name\": \"weather\", "
                + "\"description\": \"Wetter in München\", \"parameters\": {\"type\": \"object\", \"properties\": "
                + "{\"city\": {\"type\": \"string\"}}, \"required\": [\"city\"]}}}\n</tools>"), out);
        assertTrue(t.supportsTools());
    }

    @Test
    void raiseExceptionBecomesAClearError() {
        ChatTemplate t = ChatTemplate.of(CHATML, "", "");
        var e = assertThrows(ChatTemplate.ChatTemplateException.class,
                () -> t.render(List.of(SystemMessage.from("only system")), List.of(), true));
        assertEquals("chat template refused the messages: no user message", e.getMessage());
    }

    @Test
    void fallbackTemplateIsPlainText() {
        ChatTemplate t = ChatTemplate.fallback("<s>", "</s>");
        List<ChatMessage> messages = List.of(SystemMessage.from("Tell stories."), UserMessage.from("Once"),
                AiMessage.from("upon a time"), AiMessage.from("\nthere"), UserMessage.from("more"));
        assertEquals("<s>System: Tell stories.\nUser: Once\nAssistant: upon a time\nAssistant:\nthere\nUser: more\n"
                + "Assistant:", t.render(messages, List.of(), true));
        assertFalse(t.supportsTools());
    }

    @Test
    void imagesAreRefused() {
        ChatTemplate t = ChatTemplate.fallback("<s>", "</s>");
        var e = assertThrows(UnsupportedFeatureException.class, () -> t.render(List.of(UserMessage.from(
                TextContent.from("what is this?"), ImageContent.from("https://example.com/cat.png"))), List.of(), true));
        assertTrue(e.getMessage().contains("Content of type image is not supported"), e.getMessage());
    }

    @Test
    void pythonStringMethodsAndFilters() {
        ChatTemplate t = ChatTemplate.of("{{ messages[0].content.split(',') | join('|') }};"
                + "{{ messages[0].content.upper() }};{{ messages[0].content.lstrip('a') }};"
                + "{{ messages[0].content.endswith(('x', 'c')) }};{{ messages[1:] | length }};"
                + "{{ messages[0].content | trim }};{{ {'b': [1, 2], 'a': none} | tojson }};"
                + "{{ messages[0] is mapping }};{{ messages[0].content is string }};{{ foo is defined }}", "", "");
        assertEquals("a|b|c;A,B,C;,b,c;true;1;a,b,c;{\"b\": [1, 2], \"a\": null};true;true;false",
                t.render(List.of(UserMessage.from("a,b,c"), AiMessage.from("x")), List.of(), false));
    }

    @Test
    void reasoningTemplateIdioms() {
        // Idioms of reasoning-model templates: reverse iteration, negative indexes, splitting on think tags.
        ChatTemplate t = ChatTemplate.of("""
                {%- set ns = namespace(found=false, last_index=messages | length - 1, last_query=-1) %}
                {%- for message in messages[::-1] %}
                    {%- set index = (messages | length - 1) - loop.index0 %}
                    {%- if message.role == 'user' and not ns.found %}
                        {%- set ns.last_query = index %}
                        {%- set ns.found = true %}
                    {%- endif %}
                {%- endfor %}
                {%- for message in messages %}
                    {%- set content = message.content %}
                    {%- if message.role == 'assistant' and '</think>' in content %}
                        {%- set content = content.split('</think>')[-1].lstrip('\n') %}
                    {%- endif %}
                    {{- message.role + ':' + content + '|' }}
                {%- endfor %}
                {{- ns.last_query ~ '/' ~ ns.last_index }}""", "", "");
        assertEquals("user:a|assistant:b|user:c|2/2", t.render(List.of(UserMessage.from("a"),
                AiMessage.from("<think>hmm</think>\nb"), UserMessage.from("c")), List.of(), false));
    }

    @Test
    void eachRenderHasVariablesAndMacrosOfItsOwn() {
        // The template is parsed once and each render gets a context of its own: what one render sets or defines
        // must not be seen by the next.
        ChatTemplate t = ChatTemplate.of("{%- if messages | length > 1 %}{% set seen = 'many' %}"
                + "{% macro greet() %}hi{% endmacro %}{% endif -%}"
                + "{{ seen is defined }}/{{ messages | length }}{% if seen is defined %}/{{ greet() }}{% endif %}", "",
                "");
        assertEquals("true/2/hi", t.render(List.of(UserMessage.from("a"), UserMessage.from("b")), List.of(), false));
        assertEquals("false/1", t.render(List.of(UserMessage.from("a")), List.of(), false));
        ChatTemplate calls = ChatTemplate.of("{%- if messages | length > 1 %}{% macro greet() %}hi{% endmacro %}"
                + "{% endif -%}[{{ greet() }}]", "", "");
        assertEquals("[hi]", calls.render(List.of(UserMessage.from("a"), UserMessage.from("b")), List.of(), false));
        var e = assertThrows(ChatTemplate.ChatTemplateException.class,
                () -> calls.render(List.of(UserMessage.from("a")), List.of(), false));
        assertEquals("chat template failed at line 1: Could not resolve function 'greet'", e.getMessage());
    }

    @Test
    void concurrentRendersOfOneTemplateGiveEachItsOwnPrompt() throws Exception {
        ChatTemplate t = ChatTemplate.of(CHATML, "", "<|im_end|>");
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<Integer>> done = new ArrayList<>();
            for (int u = 0; u < 8; u++) {
                int user = u;
                done.add(pool.submit(() -> {
                    int checked = 0;
                    for (int i = 0; i < 200; i++) {
                        String text = "user " + user + " message " + i;
                        assertEquals("<|im_start|>user\n" + text + "<|im_end|>\n<|im_start|>assistant\n",
                                t.render(List.of(UserMessage.from(text)), List.of(), true));
                        checked++;
                    }
                    return checked;
                }));
            }
            for (Future<Integer> f : done) {
                assertEquals(200, f.get());
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aTemplateThatDoesNotParseFailsEachRenderWithJinjavasReason() {
        ChatTemplate t = ChatTemplate.of("{% for m in messages %}{{ m.content }}", "", "");
        for (int i = 0; i < 2; i++) {
            var e = assertThrows(ChatTemplate.ChatTemplateException.class,
                    () -> t.render(List.of(UserMessage.from("hi")), List.of(), true));
            assertEquals("chat template failed at line 1: Syntax error in '{% for m in messages %}': Missing end tag: "
                    + "endfor for tag defined as: {% for m in messages %}", e.getMessage());
        }
    }
}
