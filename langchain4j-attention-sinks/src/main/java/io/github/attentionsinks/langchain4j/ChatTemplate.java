package io.github.attentionsinks.langchain4j;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.LegacyOverrides;
import com.hubspot.jinjava.interpret.Context;
import com.hubspot.jinjava.interpret.InterpretException;
import com.hubspot.jinjava.interpret.InvalidArgumentException;
import com.hubspot.jinjava.interpret.InvalidInputException;
import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;
import com.hubspot.jinjava.interpret.TemplateSyntaxException;
import com.hubspot.jinjava.tree.Node;
import dev.langchain4j.agent.tool.ToolExecutionRequest;
import dev.langchain4j.agent.tool.ToolSpecification;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.Content;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.TextContent;
import dev.langchain4j.data.message.ToolExecutionResultMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.exception.UnsupportedFeatureException;
import dev.langchain4j.internal.JsonSchemaElementUtils;
import io.github.attentionsinks.tokenizer.TokenizerConfig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import jinjava.javax.el.CompositeELResolver;
import jinjava.javax.el.ELResolver;

/**
 * Renders a LangChain4j message list into the prompt text a model was trained on, with the model's Jinja
 * {@code chat_template} (from {@code tokenizer_config.json}) on Jinjava.
 *
 * <p>The environment mirrors what Hugging Face's {@code apply_chat_template} gives templates: {@code trim_blocks}
 * and {@code lstrip_blocks}, the variables {@code messages}, {@code add_generation_prompt}, {@code bos_token},
 * {@code eos_token} and (when tools are given) {@code tools}, the functions {@code raise_exception(msg)} and
 * {@code strftime_now(fmt)}, Python string methods ({@code strip}, {@code lstrip}, {@code rstrip},
 * {@code startswith}, {@code endswith}, {@code split}, {@code upper}, {@code lower}, {@code replace},
 * {@code title}, {@code capitalize}), {@code namespace}, {@code loop} and a {@code tojson} filter that writes JSON
 * as Python's {@code json.dumps} does (separators {@code ", "} and {@code ": "}, non-ASCII kept, optional
 * {@code indent}).
 *
 * <p>Messages become dictionaries as in Hugging Face: {@code {"role": "system"|"user"|"assistant"|"tool",
 * "content": text}}; an assistant message with tool calls carries {@code tool_calls: [{"type": "function", "id",
 * "function": {"name", "arguments": {...}}}]}; a tool result carries {@code tool_call_id} and {@code name}.
 * Only text content is accepted: images, audio, video and PDF are refused with LangChain4j's
 * {@link UnsupportedFeatureException}.
 */
public final class ChatTemplate {
    /**
     * The template used when a model has no {@code chat_template} (base models such as stories260K): plain text,
     * {@code bos_token} first, then per message {@code "System: ...\n"}, {@code "User: ...\n"},
     * {@code "Assistant: ...\n"} or {@code "Tool: ...\n"}, and {@code "Assistant:"} as the generation prompt. A
     * space is put after {@code "Assistant:"} only when the reply does not start with white space, so that the
     * rendered reply equals what the model generated after the generation prompt.
     */
    public static final String FALLBACK_TEMPLATE = "{{ bos_token }}"
            + "{% for message in messages %}"
            + "{% if message.role == 'system' %}System: {{ message.content }}\n"
            + "{% elif message.role == 'user' %}User: {{ message.content }}\n"
            + "{% elif message.role == 'assistant' %}Assistant:"
            + "{% if message.content and message.content.lstrip() == message.content %}{{ ' ' }}{% endif %}{{ message.content }}\n"
            + "{% elif message.role == 'tool' %}Tool: {{ message.content }}\n"
            + "{% endif %}"
            + "{% endfor %}"
            + "{% if add_generation_prompt %}Assistant:{% endif %}";

    private static final ObjectMapper MAPPER = new ObjectMapper();

    private final String source;
    /** The source as given to Jinjava (see {@link #parenthesizeKeywordArguments}, {@link #reverseSlices}). */
    private final String prepared;
    private final String bosToken;
    private final String eosToken;
    private final boolean fallback;
    /** The model's {@code tool_use} template, used instead of this one for requests with tools; or null. */
    private final ChatTemplate toolUse;
    private final Jinjava jinjava;
    /**
     * The prepared source parsed once, each render in a context of its own under Jinjava's global one (renders only
     * read the tree, so threads share it); null when parsing reported errors, and those renders go through
     * {@code renderForResult}, which reports them. Why not {@code renderForResult} always: it parses the source again
     * and copies the global context, registering every built-in tag, filter and function anew by reflection, on each
     * render. A render of SmolLM2's template took 0.31–0.32 ms with it and 0.02–0.03 ms without (warm), and in a
     * fresh JVM's first round of eight conversations it kept the JIT compiling Jinjava's registration code beside the
     * model's steps (docs/benchmarks.md, "Chat templates parsed once").
     */
    private final Node tree;

    private ChatTemplate(String source, String bosToken, String eosToken, boolean fallback) {
        this(source, bosToken, eosToken, fallback, null);
    }

    private ChatTemplate(String source, String bosToken, String eosToken, boolean fallback, ChatTemplate toolUse) {
        this.source = Objects.requireNonNull(source, "template source");
        this.toolUse = toolUse;
        this.prepared = reverseSlices(parenthesizeKeywordArguments(parenthesizeNotIs(source)));
        this.bosToken = bosToken == null ? "" : bosToken;
        this.eosToken = eosToken == null ? "" : eosToken;
        this.fallback = fallback;
        ELResolver resolver = new CompositeELResolver() {
            {
                add(new TemplateFunctions.PythonStringMethods());
                add(com.hubspot.jinjava.el.JinjavaInterpreterResolver.DEFAULT_RESOLVER_READ_WRITE);
            }
        };
        JinjavaConfig config = JinjavaConfig.newBuilder()
                .withTrimBlocks(true)
                .withLstripBlocks(true)
                .withElResolver(resolver)
                // Jinja2 semantics where Jinjava's defaults differ (whitespace control on {{- -}}, operator
                // precedence, iterating a dict gives its keys, dict-literal keys are expressions).
                .withLegacyOverrides(LegacyOverrides.newBuilder()
                        .withUseTrimmingForNotesAndExpressions(true)
                        .withParseWhitespaceControlStrictly(true)
                        .withUseNaturalOperatorPrecedence(true)
                        .withIterateOverMapKeys(true)
                        .withEvaluateMapKeys(true)
                        .withKeepNullableLoopValues(true)
                        .build())
                .build();
        this.jinjava = new Jinjava(config);
        TemplateFunctions.register(jinjava);
        this.tree = parse(jinjava, prepared);
    }

    /** The parsed template, or null when Jinjava reported errors parsing it. */
    private static Node parse(Jinjava jinjava, String prepared) {
        JinjavaInterpreter parser = jinjava.newInterpreter();
        JinjavaInterpreter.pushCurrent(parser);
        try {
            Node root = parser.parse(prepared);
            return parser.getErrors().isEmpty() ? root : null;
        } catch (RuntimeException e) {
            return null; // renderForResult reports it on each render
        } finally {
            JinjavaInterpreter.popCurrent();
        }
    }

    /**
     * What {@code jinjava.renderForResult(prepared, bindings)} gives, from the tree parsed once: rendered in a context
     * whose parent is Jinjava's global one (a render's own variables, macros and resolved expressions stay in its
     * context), with failures turned into the result's errors as {@code renderForResult} turns them.
     */
    private RenderResult renderTree(Map<String, Object> bindings) {
        JinjavaConfig config = jinjava.getGlobalConfig();
        Context context = new Context(jinjava.getGlobalContext(), bindings, config.getDisabled());
        JinjavaInterpreter interpreter = config.getInterpreterFactory().newInstance(jinjava, context, config);
        JinjavaInterpreter.pushCurrent(interpreter);
        try {
            String output = interpreter.render(tree);
            return new RenderResult(output, interpreter.getContext(), interpreter.getErrorsCopy());
        } catch (Exception e) {
            return new RenderResult(templateError(e), interpreter.getContext(), interpreter.getErrorsCopy());
        } finally {
            JinjavaInterpreter.popCurrent();
        }
    }

    /** The error {@code renderForResult} makes of a render's exception, by its type. */
    private static TemplateError templateError(Exception e) {
        if (e instanceof TemplateSyntaxException syntax) {
            return TemplateError.fromException(syntax);
        }
        if (e instanceof InterpretException interpret) {
            return TemplateError.fromSyntaxError(interpret);
        }
        if (e instanceof InvalidArgumentException argument) {
            return TemplateError.fromInvalidArgumentException(argument);
        }
        if (e instanceof InvalidInputException input) {
            return TemplateError.fromInvalidInputException(input);
        }
        return TemplateError.fromException(e);
    }

    /** A template from Jinja source, with the special tokens it may refer to. */
    public static ChatTemplate of(String jinjaSource, String bosToken, String eosToken) {
        if (jinjaSource == null || jinjaSource.isBlank()) {
            throw new IllegalArgumentException("chat template is empty");
        }
        return new ChatTemplate(jinjaSource, bosToken, eosToken, false);
    }

    /** A template read from a UTF-8 file (a {@code .jinja} file, as newer Hugging Face checkpoints ship). */
    public static ChatTemplate of(Path file, String bosToken, String eosToken) {
        try {
            return of(Files.readString(file, StandardCharsets.UTF_8), bosToken, eosToken);
        } catch (IOException e) {
            throw new IllegalArgumentException(file + ": cannot read chat template: " + e.getMessage(), e);
        }
    }

    /** The {@link #FALLBACK_TEMPLATE}. */
    public static ChatTemplate fallback(String bosToken, String eosToken) {
        return new ChatTemplate(FALLBACK_TEMPLATE, bosToken, eosToken, true);
    }

    /**
     * The model's own template: {@code chat_template} of {@code tokenizer_config.json}, else
     * {@code chat_template.jinja} beside it, else the fallback. When {@code chat_template} is a list of named
     * templates (Hermes 3, Command-R), the one named {@code default} is used, and the one named {@code tool_use} (if
     * any) for requests that carry tools, as Hugging Face's {@code apply_chat_template} chooses.
     *
     * @param modelDir the checkpoint directory, for {@code chat_template.jinja}
     * @param tokenizerConfig the model's tokenizer_config.json ({@link TokenizerConfig#NONE} when it has none)
     * @throws IllegalArgumentException when the list has no {@code default} entry (name one with
     *     {@link #forModel(Path, TokenizerConfig, String)})
     */
    public static ChatTemplate forModel(Path modelDir, TokenizerConfig tokenizerConfig) {
        return forModel(modelDir, tokenizerConfig, null);
    }

    /**
     * Like {@link #forModel(Path, TokenizerConfig)}, with the named template of {@code chat_template} for every
     * request (tools or not) when {@code name} is not null; {@code "default"} also names a single-string template.
     *
     * @throws IllegalArgumentException when the model has no template of that name; the message lists the names it has
     */
    public static ChatTemplate forModel(Path modelDir, TokenizerConfig tokenizerConfig, String name) {
        String bos = tokenizerConfig.bosToken();
        String eos = tokenizerConfig.eosToken();
        Map<String, String> templates = tokenizerConfig.chatTemplates();
        Path file = tokenizerConfig.file() != null ? tokenizerConfig.file()
                : modelDir == null ? Path.of("tokenizer_config.json") : modelDir.resolve("tokenizer_config.json");
        if (name != null) {
            String chosen = templates.get(name);
            if (chosen != null) {
                return of(chosen, bos, eos);
            }
            // "default" on a model with a single template file or none means the same as no name.
            if (!name.equals(TokenizerConfig.DEFAULT_TEMPLATE) || !templates.isEmpty()) {
                throw new IllegalArgumentException(file + ": chat_template has no template named \"" + name
                        + "\" (it has " + (templates.isEmpty() ? "none" : templates.keySet()) + "); set chatTemplateName "
                        + "to one of these, or leave it unset to use \"default\"");
            }
        }
        if (!templates.isEmpty()) {
            String main = templates.get(TokenizerConfig.DEFAULT_TEMPLATE);
            if (main == null) {
                throw new IllegalArgumentException(file + ": chat_template is a list without an entry named \"default\" "
                        + "(it has " + templates.keySet() + "); choose one with chatTemplateName(...) or pass a "
                        + "template with chatTemplate(...)");
            }
            String toolUse = templates.get(TokenizerConfig.TOOL_USE_TEMPLATE);
            return new ChatTemplate(main, bos, eos, false,
                    toolUse == null ? null : new ChatTemplate(toolUse, bos, eos, false));
        }
        Path jinja = modelDir == null ? null : modelDir.resolve("chat_template.jinja");
        if (jinja != null && Files.isRegularFile(jinja)) {
            return of(jinja, bos, eos);
        }
        return fallback(bos, eos);
    }

    /** As {@link #forModel(Path, TokenizerConfig)} from the parsed JSON of tokenizer_config.json (null: none). */
    public static ChatTemplate forModel(Path modelDir, JsonNode tokenizerConfig) {
        return forModel(modelDir, tokenizerConfig == null ? TokenizerConfig.NONE
                : TokenizerConfig.parse(modelDir.resolve("tokenizer_config.json"), tokenizerConfig));
    }

    /** The {@code tool_use} template used for requests with tools, when the model names one; else null. */
    public ChatTemplate toolUseTemplate() {
        return toolUse;
    }

    /** The Jinja source. */
    public String source() {
        return source;
    }

    /** True when this is the {@link #FALLBACK_TEMPLATE} chosen because the model has no template. */
    public boolean isFallback() {
        return fallback;
    }

    /** True when the template refers to a {@code tools} variable, i.e. it can show tool definitions. */
    public boolean supportsTools() {
        return toolUse != null && toolUse.supportsTools() || !fallback && source.matches("(?s).*\\btools\\b.*");
    }

    /**
     * Renders messages to prompt text.
     *
     * @param tools tool specifications to expose as {@code tools}, or empty; when not empty and the model names a
     *     {@code tool_use} template, that template renders instead of this one
     * @param addGenerationPrompt end with the text that opens an assistant turn
     * @throws UnsupportedFeatureException for content the template cannot show (images, audio, ...)
     * @throws ChatTemplateException when the template fails (e.g. its own {@code raise_exception})
     */
    public String render(List<ChatMessage> messages, List<ToolSpecification> tools, boolean addGenerationPrompt) {
        if (toolUse != null && tools != null && !tools.isEmpty()) {
            return toolUse.render(messages, tools, addGenerationPrompt);
        }
        Map<String, Object> bindings = new HashMap<>();
        List<Map<String, Object>> list = new ArrayList<>(messages.size());
        for (ChatMessage message : messages) {
            list.add(toMap(message));
        }
        bindings.put("messages", list);
        bindings.put("add_generation_prompt", addGenerationPrompt);
        bindings.put("bos_token", bosToken);
        bindings.put("eos_token", eosToken);
        if (tools != null && !tools.isEmpty()) {
            List<Map<String, Object>> toolMaps = new ArrayList<>();
            for (ToolSpecification tool : tools) {
                toolMaps.add(toolMap(tool));
            }
            bindings.put("tools", toolMaps);
        }
        RenderResult result;
        try {
            result = tree != null ? renderTree(bindings) : jinjava.renderForResult(prepared, bindings);
        } catch (TemplateFunctions.TemplateRaisedException e) {
            throw new ChatTemplateException("chat template refused the messages: " + e.getMessage(), true, e);
        } catch (InterpretException e) {
            String raised = raisedMessage(e);
            throw new ChatTemplateException(raised != null ? "chat template refused the messages: " + raised
                    : "chat template failed: " + e.getMessage(), raised != null, e);
        }
        for (TemplateError error : result.getErrors()) {
            if (error.getSeverity() == TemplateError.ErrorType.FATAL) {
                String raised = raisedMessage(error.getException());
                throw new ChatTemplateException(raised != null ? "chat template refused the messages: " + raised
                        : "chat template failed at line " + error.getLineno() + ": " + error.getMessage(),
                        raised != null, error.getException());
            }
        }
        return result.getOutput();
    }

    private static final java.util.regex.Pattern NOT_IS = java.util.regex.Pattern.compile(
            "\\bnot\\s+([A-Za-z_][A-Za-z0-9_.]*(?:\\[[^\\]]*\\])*)\\s+is\\s+(not\\s+)?([A-Za-z_]+)\\b");

    /**
     * Rewrites {@code not x is defined} as {@code not (x is defined)}: Jinja applies a test before {@code not},
     * Jinjava applies {@code not} first, so DeepSeek-R1's {@code {% if not add_generation_prompt is defined %}}
     * would reset add_generation_prompt to false.
     */
    static String parenthesizeNotIs(String template) {
        return NOT_IS.matcher(template).replaceAll("not ($1 is $2$3)");
    }

    /**
     * Wraps the values of keyword arguments in {@code namespace(...)} calls in parentheses. Jinjava binds
     * {@code name=value} tighter than arithmetic, so {@code namespace(i=messages|length - 1)} (a Qwen idiom) would
     * subtract from the keyword argument instead of from the length, as Jinja does.
     */
    static String parenthesizeKeywordArguments(String template) {
        StringBuilder out = new StringBuilder(template.length() + 16);
        int from = 0;
        for (int at = template.indexOf("namespace(", from); at >= 0; at = template.indexOf("namespace(", from)) {
            int open = at + "namespace(".length();
            int close = matchingParenthesis(template, open);
            if (close < 0) {
                break;
            }
            out.append(template, from, open);
            List<String> args = splitTopLevel(template.substring(open, close));
            for (int i = 0; i < args.size(); i++) {
                String arg = args.get(i);
                java.util.regex.Matcher m = java.util.regex.Pattern.compile("^(\\s*[A-Za-z_][A-Za-z_0-9]*\\s*)=(?!=)(.*)$",
                        java.util.regex.Pattern.DOTALL).matcher(arg);
                out.append(i > 0 ? "," : "");
                out.append(m.matches() ? m.group(1) + "=(" + m.group(2) + ")" : arg);
            }
            out.append(')');
            from = close + 1;
        }
        return out.append(template.substring(from)).toString();
    }

    /** {@code x[::-1]} (Python's reverse slice, which Jinjava cannot parse) becomes {@code (x|reverse)}. */
    static String reverseSlices(String template) {
        return template.replaceAll("([A-Za-z_][A-Za-z_0-9]*(?:\\.[A-Za-z_][A-Za-z_0-9]*|\\[[^\\[\\]]*\\])*)\\[\\s*:\\s*:\\s*-1\\s*\\]",
                "($1|reverse)");
    }

    /** Index of the ')' closing the parenthesis opened just before {@code start}, skipping quoted strings. */
    private static int matchingParenthesis(String s, int start) {
        int depth = 1;
        char quote = 0;
        for (int i = start; i < s.length(); i++) {
            char c = s.charAt(i);
            if (quote != 0) {
                if (c == '\\') {
                    i++;
                } else if (c == quote) {
                    quote = 0;
                }
            } else if (c == '\'' || c == '"') {
                quote = c;
            } else if (c == '(' || c == '[' || c == '{') {
                depth++;
            } else if (c == ')' || c == ']' || c == '}') {
                if (--depth == 0) {
                    return c == ')' ? i : -1;
                }
            }
        }
        return -1;
    }

    private static List<String> splitTopLevel(String args) {
        List<String> parts = new ArrayList<>();
        int depth = 0;
        char quote = 0;
        int start = 0;
        for (int i = 0; i < args.length(); i++) {
            char c = args.charAt(i);
            if (quote != 0) {
                if (c == '\\') {
                    i++;
                } else if (c == quote) {
                    quote = 0;
                }
            } else if (c == '\'' || c == '"') {
                quote = c;
            } else if (c == '(' || c == '[' || c == '{') {
                depth++;
            } else if (c == ')' || c == ']' || c == '}') {
                depth--;
            } else if (c == ',' && depth == 0) {
                parts.add(args.substring(start, i));
                start = i + 1;
            }
        }
        if (start < args.length() || !parts.isEmpty()) {
            parts.add(args.substring(start));
        }
        return parts;
    }

    private static String raisedMessage(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof TemplateFunctions.TemplateRaisedException) {
                return c.getMessage();
            }
        }
        return null;
    }

    static Map<String, Object> toMap(ChatMessage message) {
        Map<String, Object> map = new LinkedHashMap<>();
        if (message instanceof SystemMessage system) {
            map.put("role", "system");
            map.put("content", system.text());
        } else if (message instanceof UserMessage user) {
            map.put("role", "user");
            map.put("content", textOf(user.contents()));
            if (user.name() != null) {
                map.put("name", user.name());
            }
        } else if (message instanceof AiMessage ai) {
            map.put("role", "assistant");
            map.put("content", ai.text() == null ? "" : ai.text());
            if (ai.thinking() != null) {
                // Qwen3-style templates show it where they want (e.g. a tool-call turn after the last user query)
                map.put("reasoning_content", ai.thinking());
            }
            if (ai.hasToolExecutionRequests()) {
                List<Map<String, Object>> calls = new ArrayList<>();
                for (ToolExecutionRequest request : ai.toolExecutionRequests()) {
                    Map<String, Object> function = new LinkedHashMap<>();
                    function.put("name", request.name());
                    function.put("arguments", parseArguments(request.arguments()));
                    Map<String, Object> call = new LinkedHashMap<>();
                    call.put("type", "function");
                    if (request.id() != null) {
                        call.put("id", request.id());
                    }
                    call.put("function", function);
                    calls.add(call);
                }
                map.put("tool_calls", calls);
            }
        } else if (message instanceof ToolExecutionResultMessage tool) {
            map.put("role", "tool");
            map.put("content", textOf(tool.contents()));
            map.put("name", tool.toolName());
            if (tool.id() != null) {
                map.put("tool_call_id", tool.id());
            }
        } else {
            throw new UnsupportedFeatureException("Message type " + message.type() + " is not supported by a chat "
                    + "template: send only system, user, AI and tool-result messages");
        }
        return map;
    }

    private static String textOf(List<Content> contents) {
        StringBuilder text = new StringBuilder();
        for (Content content : contents) {
            if (!(content instanceof TextContent t)) {
                // LangChain4j's wording ("Content of type image is not supported ..."), plus the fix
                throw new UnsupportedFeatureException("Content of type "
                        + content.type().toString().toLowerCase(Locale.ROOT) + " is not supported by this model: it "
                        + "reads text only; send TextContent (images, audio, video and PDF are not supported)");
            }
            text.append(t.text());
        }
        return text.toString();
    }

    private static Object parseArguments(String arguments) {
        if (arguments == null || arguments.isBlank()) {
            return new LinkedHashMap<>();
        }
        try {
            return MAPPER.readValue(arguments, Object.class);
        } catch (IOException e) {
            return arguments;
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> toolMap(ToolSpecification tool) {
        Map<String, Object> function = new LinkedHashMap<>();
        function.put("name", tool.name());
        if (tool.description() != null) {
            function.put("description", tool.description());
        }
        Map<String, Object> parameters = tool.parameters() == null
                ? new LinkedHashMap<>(Map.of("type", "object", "properties", Map.of()))
                : (Map<String, Object>) (Map<?, ?>) JsonSchemaElementUtils.toMap(tool.parameters());
        function.put("parameters", parameters);
        Map<String, Object> map = new LinkedHashMap<>();
        map.put("type", "function");
        map.put("function", function);
        return map;
    }

    /** Rendering failed: the template raised an exception or is malformed. */
    public static final class ChatTemplateException extends IllegalArgumentException {
        private final boolean refusedByTemplate;

        ChatTemplateException(String message, boolean refusedByTemplate, Throwable cause) {
            super(message, cause);
            this.refusedByTemplate = refusedByTemplate;
        }

        /**
         * True when the template itself refused the messages ({@code raise_exception}, e.g. "Conversation roles
         * must alternate"), false when it is malformed or failed otherwise.
         */
        public boolean refusedByTemplate() {
            return refusedByTemplate;
        }
    }
}
