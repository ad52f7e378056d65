package io.github.attentionsinks.langchain4j;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.langchain4j.agent.tool.ToolExecutionRequest;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.function.Supplier;

/**
 * Splits a generated reply into content, reasoning ("thinking") and tool calls, in the syntax of the model family
 * its chat template teaches ({@link Format}, detected from the template's source by {@link Dialect#of}):
 *
 * <ul>
 *   <li>{@link Format#HERMES} (Hermes 2 Pro / 3, Qwen2.5, Qwen3, QwQ): {@code <tool_call>{"name": ..., "arguments":
 *       {...}}</tool_call>} blocks (closing tag optional at the end; a JSON array of calls in one block, as SmolLM2
 *       writes, too), {@code <function=name>{...}</function>}, and a whole reply that is one call, bare or wrapped
 *       in a code fence or {@code <tool>}/{@code <json>}/{@code <xml>}/{@code <response>} tags;</li>
 *   <li>{@link Format#LLAMA_3}: a whole reply {@code {"name": ..., "parameters": {...}}}, optionally after
 *       {@code <|python_tag|>}, or a built-in call {@code <|python_tag|>name.call(key="value", ...)};</li>
 *   <li>{@link Format#MISTRAL}: {@code [TOOL_CALLS][{...}, ...]} (Nemo) and {@code [TOOL_CALLS]name[CALL_ID]id[ARGS]{...}}
 *       / {@code [TOOL_CALLS]name[ARGS]{...}} (Small 3.2, Magistral, Devstral);</li>
 *   <li>{@link Format#FUNCTIONARY_V3_1} {@code <function=name>{...}</function>}, {@link Format#FUNCTIONARY_V3_2}
 *       {@code all\ntext>>>name\n{...}}, {@link Format#FIREFUNCTION_V2} {@code  functools[{...}]},
 *       {@link Format#DEEPSEEK_R1} {@code <｜tool▁calls▁begin｜><｜tool▁call▁begin｜>function<｜tool▁sep｜>name\n```json
 *       {...}```<｜tool▁call▁end｜>...}, {@link Format#GRANITE} {@code <|tool_call|>[{...}]},
 *       {@link Format#COMMAND_R7B} {@code <|START_ACTION|>[{"tool_call_id": ..., "tool_name": ..., "parameters":
 *       {...}}]<|END_ACTION|>};</li>
 *   <li>{@link Format#AUTO} (templates without a known marker): Hermes blocks, {@code [TOOL_CALLS]},
 *       {@code <|python_tag|>} or a reply that is a bare JSON call.</li>
 * </ul>
 *
 * <p>Reasoning ({@link Reasoning}) is {@code <think>...</think>} (Qwen3, DeepSeek-R1, Granite; the generation prompt
 * may already open it, see {@link Dialect#thinkingOpen()}) or {@code <|START_THINKING|>...<|END_THINKING|>}
 * (Command-R7B); it never ends up in the content.
 *
 * <p>A call is accepted only when its name is one of the request's tools and its arguments are a JSON object (or
 * a string holding one; missing arguments mean {@code {}}). If any candidate call is malformed or names an unknown
 * tool, the reply is treated as plain text: a model that writes about tool calls should not trigger one by
 * accident, and half a call is not something a tool can run. Text before the first call becomes the message text;
 * text after the last call makes the reply plain text.
 */
final class ToolCallParser {
    static final String HERMES_OPEN = "<tool_call>";
    static final String HERMES_CLOSE = "</tool_call>";
    static final String MISTRAL_MARKER = "[TOOL_CALLS]";
    static final String PYTHON_TAG = "<|python_tag|>";
    static final String GRANITE_MARKER = "<|tool_call|>";
    static final String R7B_ACTION = "<|START_ACTION|>";
    static final String DS_CALLS_BEGIN = "<｜tool▁calls▁begin｜>";
    static final String DS_CALLS = "<｜tool▁calls｜>";
    /** Text that starts a tool call anywhere in a reply, in the generic ({@link Format#AUTO}) format. */
    static final List<String> MARKERS = List.of(HERMES_OPEN, MISTRAL_MARKER, PYTHON_TAG);

    /** Trailing tokens fail: a JSON value followed by prose is not a call. */
    private static final ObjectMapper MAPPER = new ObjectMapper()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    private static final String ID_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    private static final Random ID_RANDOM = new SecureRandom();

    /** The calls found, and the text before them (null when there is none). */
    record Parsed(String text, List<ToolExecutionRequest> requests) {}

    /** The tool-call syntax of a model family. */
    enum Format {
        /** No known marker in the template: the generic forms the parser has always accepted. */
        AUTO(List.of(HERMES_OPEN, MISTRAL_MARKER, PYTHON_TAG), "{["),
        HERMES(List.of(HERMES_OPEN, "<function=", "<function name="), "{[<`"),
        LLAMA_3(List.of(PYTHON_TAG), "{["),
        MISTRAL(List.of(MISTRAL_MARKER), "{["),
        FUNCTIONARY_V3_1(List.of("<function=", PYTHON_TAG), ""),
        FUNCTIONARY_V3_2(List.of(">>>"), ""),
        FIREFUNCTION_V2(List.of(" functools["), ""),
        DEEPSEEK_R1(List.of(DS_CALLS_BEGIN, DS_CALLS), ""),
        GRANITE(List.of(GRANITE_MARKER), ""),
        COMMAND_R7B(List.of(R7B_ACTION), "");

        /** Text that starts a tool call anywhere in a reply. */
        final List<String> markers;
        /** First characters of a reply that may be a whole-reply call (held back while streaming). */
        final String leading;

        Format(List<String> markers, String leading) {
            this.markers = markers;
            this.leading = leading;
        }
    }

    /** How a model family marks its reasoning. */
    enum Reasoning {
        NONE(null, null),
        /** {@code <think>...</think>}: Qwen3, QwQ, DeepSeek-R1, Granite 3.x. */
        THINK_TAGS("<think>", "</think>"),
        /** {@code <|START_THINKING|>...<|END_THINKING|>}: Command-R7B. */
        COMMAND_R7B("<|START_THINKING|>", "<|END_THINKING|>");

        final String open;
        final String close;

        Reasoning(String open, String close) {
            this.open = open;
            this.close = close;
        }
    }

    /**
     * What a template teaches: its tool-call format, its reasoning markers, and whether its generation prompt
     * already opens the reasoning block (DeepSeek-R1 ends it with {@code <think>\n}, so the reply holds only
     * {@code ...</think>answer}).
     */
    record Dialect(Format format, Reasoning reasoning, boolean thinkingOpen) {
        static final Dialect AUTO = new Dialect(Format.AUTO, Reasoning.NONE, false);

        /** Whether replies need splitting while streamed: reasoning or response-wrapper markers to hide. */
        boolean shapesText() {
            return reasoning != Reasoning.NONE || format == Format.GRANITE || format == Format.COMMAND_R7B
                    || format == Format.FUNCTIONARY_V3_2;
        }

        /** The dialect of a template, from the markers its source contains and its generation prompt. */
        static Dialect of(ChatTemplate template) {
            if (template == null || template.isFallback()) {
                return AUTO;
            }
            String source = template.source();
            Dialect d = fromSource(source);
            if (d.reasoning().open == null) {
                return d;
            }
            boolean open;
            try {
                // The generation prompt of one user message: does it end inside a reasoning block?
                String prompt = template.render(List.of(dev.langchain4j.data.message.UserMessage.from("Hi")),
                        List.of(), true).stripTrailing();
                open = prompt.endsWith(d.reasoning().open);
            } catch (RuntimeException e) {
                open = false; // a template that cannot render this probe is refused at request time anyway
            }
            return new Dialect(d.format(), d.reasoning(), open);
        }

        /** The dialect named by the markers in {@code source} (the generation prompt not looked at). */
        static Dialect fromSource(String source) {
            Format f;
            if (source.contains(R7B_ACTION)) {
                f = Format.COMMAND_R7B;
            } else if (source.contains("tool▁call▁begin") || source.contains("tool▁calls▁begin")) {
                f = Format.DEEPSEEK_R1;
            } else if (source.contains(GRANITE_MARKER)) {
                f = Format.GRANITE;
            } else if (source.contains(MISTRAL_MARKER)) {
                f = Format.MISTRAL;
            } else if (source.contains(">>>all")) {
                f = Format.FUNCTIONARY_V3_2;
            } else if (source.contains(HERMES_OPEN)) {
                f = Format.HERMES;
            } else if (source.contains("<function=")) {
                f = Format.FUNCTIONARY_V3_1;
            } else if (source.contains(" functools[")) {
                f = Format.FIREFUNCTION_V2;
            } else if (source.contains(PYTHON_TAG) || source.contains("ipython")) {
                f = Format.LLAMA_3;
            } else {
                f = Format.AUTO;
            }
            Reasoning r = source.contains(Reasoning.COMMAND_R7B.open) ? Reasoning.COMMAND_R7B
                    : source.contains(Reasoning.THINK_TAGS.close) ? Reasoning.THINK_TAGS : Reasoning.NONE;
            return new Dialect(f, r, false);
        }
    }

    /**
     * A reply split up: the text shown to the user (null when the reply is only tool calls), the reasoning (null
     * when none) and the tool calls (empty when none).
     */
    record Reply(String content, String thinking, List<ToolExecutionRequest> calls) {}

    private ToolCallParser() {}

    /**
     * Tool calls in {@code reply}, with fresh ids.
     *
     * @param toolNames names of the request's tools; calls to other names make the reply plain text
     */
    static Optional<Parsed> parse(String reply, Collection<String> toolNames) {
        return parse(reply, toolNames, ToolCallParser::newId);
    }

    /** {@link #parse(String, Collection)} with the given id source (ids the model wrote itself are kept). */
    static Optional<Parsed> parse(String reply, Collection<String> toolNames, Supplier<String> ids) {
        if (reply == null || toolNames == null || toolNames.isEmpty()) {
            return Optional.empty();
        }
        List<JsonNode> calls = new ArrayList<>();
        String before;
        int hermes = reply.indexOf(HERMES_OPEN);
        int mistral = reply.indexOf(MISTRAL_MARKER);
        if (hermes >= 0 && (mistral < 0 || hermes < mistral)) {
            before = reply.substring(0, hermes);
            int from = hermes;
            while (from >= 0) {
                int start = from + HERMES_OPEN.length();
                int end = reply.indexOf(HERMES_CLOSE, start);
                String body = end < 0 ? reply.substring(start) : reply.substring(start, end);
                if (!addCalls(body, calls)) {
                    return Optional.empty();
                }
                if (end < 0) {
                    break;
                }
                int next = reply.indexOf(HERMES_OPEN, end);
                String between = next < 0 ? reply.substring(end + HERMES_CLOSE.length())
                        : reply.substring(end + HERMES_CLOSE.length(), next);
                if (!between.isBlank()) {
                    return Optional.empty(); // prose after a call: not a clean tool-call reply
                }
                from = next;
            }
        } else if (mistral >= 0) {
            before = reply.substring(0, mistral);
            if (!addCalls(reply.substring(mistral + MISTRAL_MARKER.length()), calls)) {
                return Optional.empty();
            }
        } else {
            String body = reply.strip();
            if (body.startsWith(PYTHON_TAG)) {
                body = body.substring(PYTHON_TAG.length());
            }
            body = body.strip();
            if (!(body.startsWith("{") || body.startsWith("[")) || !addCalls(body, calls)) {
                return Optional.empty();
            }
            before = "";
        }
        if (calls.isEmpty()) {
            return Optional.empty();
        }
        List<ToolExecutionRequest> requests = new ArrayList<>(calls.size());
        for (JsonNode call : calls) {
            ToolExecutionRequest request = toRequest(call, toolNames, ids);
            if (request == null) {
                return Optional.empty();
            }
            requests.add(request);
        }
        String text = before.strip();
        return Optional.of(new Parsed(text.isEmpty() ? null : text, List.copyOf(requests)));
    }

    /** {@link #parseReply(String, Dialect, Collection, Supplier)} with fresh ids. */
    static Reply parseReply(String reply, Dialect dialect, Collection<String> toolNames) {
        return parseReply(reply, dialect, toolNames, ToolCallParser::newId);
    }

    /**
     * Splits a finished reply into content, reasoning and tool calls.
     *
     * @param toolNames names of the request's tools (empty: no tool calls are looked for)
     */
    static Reply parseReply(String reply, Dialect dialect, Collection<String> toolNames, Supplier<String> ids) {
        String[] split = splitReasoning(reply == null ? "" : reply, dialect);
        String thinking = split[0];
        String content = unwrapResponse(split[1], dialect.format());
        Optional<Parsed> calls = toolNames == null || toolNames.isEmpty() ? Optional.empty()
                : parseCalls(content, dialect.format(), toolNames, ids);
        if (calls.isPresent()) {
            return new Reply(calls.get().text(), thinking, calls.get().requests());
        }
        if (dialect.format() == Format.FUNCTIONARY_V3_2 && content.startsWith("all\n")) {
            content = content.substring(4); // the "all" recipient names plain text
        }
        return new Reply(content, thinking, List.of());
    }

    /** {thinking or null, the rest}. */
    private static String[] splitReasoning(String reply, Dialect d) {
        Reasoning r = d.reasoning();
        if (r.open == null) {
            return new String[] {null, reply};
        }
        String body;
        String lead = reply.stripLeading();
        if (lead.startsWith(r.open)) {
            // also when the prompt opened it: the model may repeat the tag, which is no reasoning of its own
            body = lead.substring(r.open.length());
        } else if (d.thinkingOpen()) {
            body = reply;
        } else {
            return new String[] {null, reply};
        }
        int close = body.indexOf(r.close);
        // an unclosed block (length limit, cancellation) is all reasoning: none of it is an answer
        String thinking = (close < 0 ? body : body.substring(0, close)).strip();
        String rest = close < 0 ? "" : body.substring(close + r.close.length()).stripLeading();
        return new String[] {thinking.isEmpty() ? null : thinking, rest};
    }

    /** The answer inside Granite's {@code <response>} or Command-R7B's {@code <|START_RESPONSE|>} wrapper. */
    private static String unwrapResponse(String content, Format f) {
        String[] w = responseWrapper(f);
        if (w == null || !content.startsWith(w[0])) {
            return content;
        }
        String inner = content.substring(w[0].length());
        int end = inner.indexOf(w[1]);
        return end < 0 ? inner : inner.substring(0, end) + inner.substring(end + w[1].length()).strip();
    }

    private static String[] responseWrapper(Format f) {
        return switch (f) {
            case GRANITE -> new String[] {"<response>", "</response>"};
            case COMMAND_R7B -> new String[] {"<|START_RESPONSE|>", "<|END_RESPONSE|>"};
            default -> null;
        };
    }

    private static final Pattern HERMES_BLOCK = Pattern.compile("(?s)<tool_call>(.*?)(?:</tool_call>|\\z)");
    private static final Pattern FUNCTION_BLOCK = Pattern.compile(
            "(?s)<function(?:=([^>\\s]+)| name=\"([^\"]+)\")>(.*?)(?:</function>|\\z)");
    private static final Pattern MISTRAL_NAMED = Pattern.compile(
            "(?s)\\[TOOL_CALLS\\]\\s*([^\\[\\]\\s{]+)(?:\\[CALL_ID\\]([A-Za-z0-9]+))?\\[ARGS\\](.*?)(?=\\[TOOL_CALLS\\]|\\z)");
    private static final Pattern DEEPSEEK_CALL = Pattern.compile("(?s)(?:<｜tool▁call▁begin｜>)?\\s*function<｜tool▁sep｜>"
            + "([^\\n]+)\\n```(?:json)?\\n(.*?)\\n?```\\s*(?:<｜tool▁call▁end｜>|\\z)");
    private static final Pattern LLAMA_BUILTIN = Pattern.compile("(?s)([A-Za-z_][A-Za-z0-9_]*)\\.call\\((.*)\\)");
    /** Wrappers some Hermes-trained models put around a whole-reply call (seen by llama.cpp). */
    private static final Pattern HERMES_WRAPPED = Pattern.compile("(?s)(?:```(?:json|xml)?\\s*)?(?:<(tool|tools|response"
            + "|json|xml|JSON|function_call)>\\s*)?(?:<function_call>\\s*)?(\\{.*\\}|\\[.*\\])\\s*(?:</([A-Za-z_]+)>\\s*)?"
            + "(?:</function_call>\\s*)?(?:```)?");

    /** Tool calls in {@code content} in format {@code f}; empty when there are none or they are not clean. */
    static Optional<Parsed> parseCalls(String content, Format f, Collection<String> names, Supplier<String> ids) {
        return switch (f) {
            case AUTO -> parse(content, names, ids);
            case HERMES -> firstPresent(blocks(content, HERMES_BLOCK, m -> jsonCalls(m.group(1)), names, ids),
                    () -> blocks(content, FUNCTION_BLOCK, ToolCallParser::functionCall, names, ids),
                    () -> wholeReply(content.strip(), HERMES_WRAPPED, 2, names, ids));
            case LLAMA_3 -> llama3(content, names, ids);
            case MISTRAL -> {
                int at = content.indexOf(MISTRAL_MARKER);
                String after = at < 0 ? "" : content.substring(at + MISTRAL_MARKER.length()).stripLeading();
                if (at >= 0 && !after.startsWith("[") && !after.startsWith("{")) {
                    yield blocks(content, MISTRAL_NAMED, m -> named(m.group(1), m.group(2), m.group(3)), names, ids);
                }
                // [TOOL_CALLS] is a special token of Mistral's tokenizers, dropped from decoded text: a bare
                // array is a call too
                yield at >= 0 ? afterMarker(content, at, MISTRAL_MARKER, names, ids)
                        : wholeReply(content.strip(), null, 0, names, ids);
            }
            case FUNCTIONARY_V3_1 -> blocks(content, FUNCTION_BLOCK, ToolCallParser::functionCall, names, ids);
            case FUNCTIONARY_V3_2 -> functionaryV32(content, names, ids);
            case FIREFUNCTION_V2 -> {
                int at = content.indexOf(" functools[");
                yield at < 0 ? Optional.empty() : afterMarker(content, at + 1, "functools", names, ids);
            }
            case DEEPSEEK_R1 -> deepSeek(content, names, ids);
            case GRANITE -> {
                int at = content.indexOf(GRANITE_MARKER);
                yield at < 0 ? Optional.empty() : afterMarker(content, at, GRANITE_MARKER, names, ids);
            }
            case COMMAND_R7B -> {
                int at = content.indexOf(R7B_ACTION);
                if (at < 0) {
                    yield Optional.empty();
                }
                String rest = content.substring(at + R7B_ACTION.length());
                int end = rest.indexOf("<|END_ACTION|>");
                if (end >= 0 && !rest.substring(end + "<|END_ACTION|>".length()).isBlank()) {
                    yield Optional.empty();
                }
                List<JsonNode> calls = new ArrayList<>();
                yield addCalls(end < 0 ? rest : rest.substring(0, end), calls)
                        ? requests(content.substring(0, at), calls, names, ids) : Optional.empty();
            }
        };
    }

    @SafeVarargs
    private static Optional<Parsed> firstPresent(Optional<Parsed> first, Supplier<Optional<Parsed>>... more) {
        Optional<Parsed> p = first;
        for (int i = 0; i < more.length && p.isEmpty(); i++) {
            p = more[i].get();
        }
        return p;
    }

    /** The call objects one block match yields; null when malformed. */
    private interface BlockReader {
        List<JsonNode> read(Matcher m);
    }

    /**
     * Consecutive call blocks matched by {@code block}: text before the first is the content, only white space may
     * separate blocks or follow the last one.
     */
    private static Optional<Parsed> blocks(String content, Pattern block, BlockReader reader,
            Collection<String> names, Supplier<String> ids) {
        Matcher m = block.matcher(content);
        if (!m.find()) {
            return Optional.empty();
        }
        String before = content.substring(0, m.start());
        List<JsonNode> calls = new ArrayList<>();
        int last;
        do {
            List<JsonNode> found = reader.read(m);
            if (found == null) {
                return Optional.empty();
            }
            calls.addAll(found);
            last = m.end();
        } while (m.find() && content.substring(last, m.start()).isBlank());
        if (!content.substring(last).isBlank()) {
            return Optional.empty(); // prose after a call: not a clean tool-call reply
        }
        return requests(before, calls, names, ids);
    }

    private static List<JsonNode> jsonCalls(String json) {
        List<JsonNode> calls = new ArrayList<>();
        return addCalls(json, calls) ? calls : null;
    }

    /** {@code <function=name>{args}</function>} or {@code <function name="name">}. */
    private static List<JsonNode> functionCall(Matcher m) {
        return named(m.group(1) != null ? m.group(1) : m.group(2), null, m.group(3));
    }

    /** A call given as a name, an optional id and a JSON arguments text. */
    private static List<JsonNode> named(String name, String id, String arguments) {
        JsonNode args;
        try {
            args = MAPPER.readTree(arguments.strip());
        } catch (JsonProcessingException e) {
            return null;
        }
        if (args == null || !args.isObject()) {
            return null;
        }
        ObjectNode call = MAPPER.createObjectNode().put("name", name.strip());
        call.set("arguments", args);
        if (id != null) {
            call.put("id", id);
        }
        return List.of(call);
    }

    /** A JSON call (object or array) that follows {@code marker} at {@code at} up to the end of the reply. */
    private static Optional<Parsed> afterMarker(String content, int at, String marker, Collection<String> names,
            Supplier<String> ids) {
        List<JsonNode> calls = new ArrayList<>();
        return addCalls(content.substring(at + marker.length()), calls)
                ? requests(content.substring(0, at), calls, names, ids) : Optional.empty();
    }

    /** A reply that is one JSON call (object or array), optionally inside {@code wrapper}'s group {@code g}. */
    private static Optional<Parsed> wholeReply(String content, Pattern wrapper, int g, Collection<String> names,
            Supplier<String> ids) {
        String json = content;
        if (wrapper != null) {
            Matcher m = wrapper.matcher(content);
            if (!m.matches()) {
                return Optional.empty();
            }
            json = m.group(g);
        }
        if (!(json.startsWith("{") || json.startsWith("["))) {
            return Optional.empty();
        }
        List<JsonNode> calls = new ArrayList<>();
        return addCalls(json, calls) ? requests("", calls, names, ids) : Optional.empty();
    }

    private static Optional<Parsed> llama3(String content, Collection<String> names, Supplier<String> ids) {
        String body = content.strip();
        if (body.startsWith(PYTHON_TAG)) {
            body = body.substring(PYTHON_TAG.length()).strip();
            Matcher m = LLAMA_BUILTIN.matcher(body);
            if (m.matches()) {
                ObjectNode args = pythonKeywordArguments(m.group(2));
                if (args == null) {
                    return Optional.empty();
                }
                ObjectNode call = MAPPER.createObjectNode().put("name", m.group(1));
                call.set("arguments", args);
                return requests("", List.of(call), names, ids);
            }
        }
        return wholeReply(body, null, 0, names, ids);
    }

    /** {@code [all\n]text>>>name\n{args}>>>...}: each segment starts with its recipient on a line of its own. */
    private static Optional<Parsed> functionaryV32(String content, Collection<String> names, Supplier<String> ids) {
        String[] segments = content.split(">>>", -1);
        StringBuilder text = new StringBuilder();
        List<JsonNode> calls = new ArrayList<>();
        for (String segment : segments) {
            int nl = segment.indexOf('\n');
            String recipient = (nl < 0 ? segment : segment.substring(0, nl)).strip();
            String body = nl < 0 ? "" : segment.substring(nl + 1);
            if (recipient.equals("all")) {
                text.append(body);
            } else if (recipient.equals("python") && !body.strip().startsWith("{")) {
                // the python tool takes raw code, not JSON
                calls.add(MAPPER.createObjectNode().put("name", "python").set("arguments",
                        MAPPER.createObjectNode().put("code", body)));
            } else if (!recipient.isEmpty() || !body.isBlank()) {
                List<JsonNode> call = named(recipient, null, body);
                if (call == null) {
                    return Optional.empty();
                }
                calls.addAll(call);
            }
        }
        return calls.isEmpty() ? Optional.empty() : requests(text.toString(), calls, names, ids);
    }

    private static Optional<Parsed> deepSeek(String content, Collection<String> names, Supplier<String> ids) {
        int at = content.indexOf(DS_CALLS_BEGIN);
        String marker = DS_CALLS_BEGIN;
        if (at < 0) {
            at = content.indexOf(DS_CALLS);
            marker = DS_CALLS;
        }
        if (at < 0) {
            return Optional.empty();
        }
        String rest = content.substring(at + marker.length()).strip();
        if (rest.endsWith("<｜tool▁calls▁end｜>")) {
            rest = rest.substring(0, rest.length() - "<｜tool▁calls▁end｜>".length());
        }
        Optional<Parsed> p = blocks(rest, DEEPSEEK_CALL, m -> named(m.group(1), null, m.group(2)), names, ids);
        // the calls must start the block: text between the marker and the first call is not a clean call
        return p.isPresent() && p.get().text() == null
                ? Optional.of(new Parsed(blankToNull(content.substring(0, at)), p.get().requests())) : Optional.empty();
    }

    private static String blankToNull(String s) {
        String t = s.strip();
        return t.isEmpty() ? null : t;
    }

    /** The requests for {@code calls}, or empty when one is not a call to an offered tool. */
    private static Optional<Parsed> requests(String before, List<JsonNode> calls, Collection<String> names,
            Supplier<String> ids) {
        if (calls.isEmpty()) {
            return Optional.empty();
        }
        List<ToolExecutionRequest> requests = new ArrayList<>(calls.size());
        for (JsonNode call : calls) {
            ToolExecutionRequest request = toRequest(call, names, ids);
            if (request == null) {
                return Optional.empty();
            }
            requests.add(request);
        }
        return Optional.of(new Parsed(blankToNull(before), List.copyOf(requests)));
    }

    /** Adds the call object(s) of one JSON value (an object or an array of objects); false when malformed. */
    private static boolean addCalls(String json, List<JsonNode> calls) {
        JsonNode node;
        try {
            node = MAPPER.readTree(json.strip());
        } catch (JsonProcessingException e) {
            return false;
        }
        if (node == null) {
            return false;
        }
        if (node.isObject()) {
            calls.add(node);
            return true;
        }
        if (node.isArray() && !node.isEmpty()) {
            for (JsonNode element : node) {
                if (!element.isObject()) {
                    return false;
                }
                calls.add(element);
            }
            return true;
        }
        return false;
    }

    private static ToolExecutionRequest toRequest(JsonNode call, Collection<String> toolNames, Supplier<String> ids) {
        JsonNode function = call.get("function");
        // {"type": "function", "function": {"name": ..., "arguments": ...}} (OpenAI style) is accepted too
        JsonNode body = function != null && function.isObject() ? function : call;
        JsonNode name = body.has("name") ? body.get("name") : body.get("tool_name"); // tool_name: Command-R7B
        if (name == null || !name.isTextual() || !toolNames.contains(name.asText())) {
            return null;
        }
        JsonNode arguments = body.has("arguments") ? body.get("arguments") : body.get("parameters");
        if (arguments == null || arguments.isNull()) {
            arguments = MAPPER.createObjectNode();
        } else if (arguments.isTextual()) {
            try {
                arguments = MAPPER.readTree(arguments.asText());
            } catch (JsonProcessingException e) {
                return null;
            }
        }
        if (arguments == null || !arguments.isObject()) {
            return null;
        }
        JsonNode id = call.has("id") ? call.get("id") : call.get("tool_call_id");
        return ToolExecutionRequest.builder()
                .id(id != null && id.isTextual() && !id.asText().isBlank() ? id.asText() : ids.get())
                .name(name.asText())
                .arguments(compact((ObjectNode) arguments))
                .build();
    }

    private static String compact(ObjectNode arguments) {
        try {
            return MAPPER.writeValueAsString(arguments);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write tool arguments as JSON", e);
        }
    }

    /** A tool call id: 9 letters and digits (Mistral's templates refuse any other form). */
    static String newId() {
        char[] id = new char[9];
        for (int i = 0; i < id.length; i++) {
            id[i] = ID_CHARS.charAt(ID_RANDOM.nextInt(ID_CHARS.length()));
        }
        return new String(id);
    }

    /** Keyword arguments of a Python call, {@code code="print('hey')", n=1}, as a JSON object; null if malformed. */
    static ObjectNode pythonKeywordArguments(String text) {
        ObjectNode args = MAPPER.createObjectNode();
        int i = 0;
        int n = text.length();
        while (true) {
            while (i < n && Character.isWhitespace(text.charAt(i))) {
                i++;
            }
            if (i >= n) {
                return args;
            }
            int eq = text.indexOf('=', i);
            if (eq < 0 || !text.substring(i, eq).strip().matches("[A-Za-z_][A-Za-z0-9_]*")) {
                return null;
            }
            String key = text.substring(i, eq).strip();
            i = eq + 1;
            while (i < n && Character.isWhitespace(text.charAt(i))) {
                i++;
            }
            if (i == n) {
                return null;
            }
            char c = text.charAt(i);
            if (c == '"' || c == '\'') {
                StringBuilder value = new StringBuilder();
                int j = i + 1;
                for (; j < n && text.charAt(j) != c; j++) {
                    char ch = text.charAt(j);
                    if (ch == '\\' && j + 1 < n) {
                        char e = text.charAt(++j);
                        value.append(switch (e) {
                            case 'n' -> '\n';
                            case 't' -> '\t';
                            case 'r' -> '\r';
                            default -> e; // \\, \", \' and anything else stand for themselves
                        });
                    } else {
                        value.append(ch);
                    }
                }
                if (j >= n) {
                    return null;
                }
                args.put(key, value.toString());
                i = j + 1;
            } else {
                int j = i;
                while (j < n && text.charAt(j) != ',') {
                    j++;
                }
                String literal = text.substring(i, j).strip();
                switch (literal) {
                    case "True" -> args.put(key, true);
                    case "False" -> args.put(key, false);
                    case "None" -> args.putNull(key);
                    default -> {
                        try {
                            args.set(key, MAPPER.readTree(literal));
                        } catch (JsonProcessingException e) {
                            return null;
                        }
                        if (!args.get(key).isNumber()) {
                            return null;
                        }
                    }
                }
                i = j;
            }
            while (i < n && Character.isWhitespace(text.charAt(i))) {
                i++;
            }
            if (i < n && text.charAt(i) != ',') {
                return null;
            }
            i++;
        }
    }

    /**
     * How much of a reply in progress can be streamed as text when tools are offered, in the {@link Format#AUTO}
     * format: see {@link #streamableLength(String, Format)}.
     */
    static int streamableLength(String text) {
        return streamableLength(text, Format.AUTO);
    }

    /**
     * How much of a reply's content in progress can be streamed as text when tools are offered: everything before
     * the first tool-call marker of {@code format}, minus a tail that could be the start of a marker. Content that
     * starts (after white space) with a character that may open a whole-reply call ({@code {} or {@code [}; for
     * Hermes also {@code <} and a code fence) is held back entirely; so is leading white space. Functionary v3.2
     * content is held unless it starts with the {@code all} recipient.
     */
    static int streamableLength(String text, Format format) {
        int lead = 0;
        while (lead < text.length() && Character.isWhitespace(text.charAt(lead))) {
            lead++;
        }
        if (lead == text.length()) {
            return 0;
        }
        if (format.leading.indexOf(text.charAt(lead)) >= 0) {
            return 0;
        }
        if (format == Format.FUNCTIONARY_V3_2) {
            // only text after an "all\n" first line is prose; any other first line names a tool
            if (!text.startsWith("all\n")) {
                return 0;
            }
        }
        return text.length() - heldTail(text, format.markers, 0);
    }

    /** Where the first marker starts (then nothing from it on is safe), else the tail that may begin one. */
    private static int heldTail(String text, List<String> markers, int from) {
        int at = -1;
        for (String marker : markers) {
            int i = text.indexOf(marker, from);
            if (i >= 0 && (at < 0 || i < at)) {
                at = i;
            }
        }
        if (at >= 0) {
            return text.length() - at;
        }
        int keep = 0;
        for (String marker : markers) {
            for (int n = Math.min(marker.length() - 1, text.length() - from); n > keep; n--) {
                if (text.endsWith(marker.substring(0, n))) {
                    keep = n;
                    break;
                }
            }
        }
        return keep;
    }

    /** What of a reply in progress may be shown: the reasoning and the content so far (either may be empty). */
    record Visible(String thinking, String content) {}

    /**
     * The reasoning and content of a reply in progress that can be streamed without showing a marker, text that
     * may still turn into a marker, or (when {@code holdToolCalls}) text that may turn into a tool call. Each call
     * with a longer {@code text} returns values that extend the previous ones, so the caller streams the growth.
     */
    static Visible visible(String text, Dialect d, boolean holdToolCalls) {
        Reasoning r = d.reasoning();
        String rest = text;
        String thinking = "";
        if (r.open != null) {
            String lead = text.stripLeading();
            int body = -1;
            if (lead.startsWith(r.open)) {
                body = text.length() - lead.length() + r.open.length();
            } else if (!lead.isEmpty() && r.open.startsWith(lead)) {
                return new Visible("", ""); // may become the opening tag
            } else if (d.thinkingOpen()) {
                body = 0;
            } else if (lead.isEmpty()) {
                return new Visible("", "");
            }
            if (body >= 0) {
                int close = text.indexOf(r.close, body);
                String inside = close < 0 ? text.substring(body, text.length() - heldTail(text, List.of(r.close), body))
                        : text.substring(body, close);
                thinking = inside.strip(); // the finished reply's reasoning is stripped too
                if (close < 0) {
                    return new Visible(thinking, "");
                }
                rest = text.substring(close + r.close.length()).stripLeading();
            }
        }
        String[] w = responseWrapper(d.format());
        List<String> ends = new ArrayList<>(holdToolCalls ? d.format().markers : List.of());
        if (w != null) {
            if (!rest.isEmpty() && w[0].startsWith(rest) && !rest.equals(w[0])) {
                return new Visible(thinking, "");
            }
            if (rest.startsWith(w[0])) {
                rest = rest.substring(w[0].length());
            }
            ends.add(w[1]);
        }
        if (d.format() == Format.FUNCTIONARY_V3_2) {
            // plain text follows an "all" first line; anything else names a tool
            if ("all\n".startsWith(rest) || !rest.startsWith("all\n")) {
                return new Visible(thinking, "");
            }
            rest = rest.substring(4);
            ends.add(">>>");
        }
        int safe;
        if (holdToolCalls && d.format() != Format.FUNCTIONARY_V3_2) {
            safe = Math.min(streamableLength(rest, d.format()), rest.length() - heldTail(rest, ends, 0));
        } else {
            safe = rest.length() - heldTail(rest, ends, 0);
        }
        return new Visible(thinking, rest.substring(0, Math.max(0, safe)));
    }
}
