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
import java.util.function.Supplier;

/**
 * Finds tool calls in a generated reply, in the formats open chat models are trained on:
 *
 * <ul>
 *   <li>Hermes / Qwen2.5: one or several {@code <tool_call>{"name": ..., "arguments": {...}}</tool_call>} blocks
 *       (the closing tag may be missing at the end of the reply);</li>
 *   <li>SmolLM2: a JSON array of calls in one block, {@code <tool_call>[{...}, {...}]</tool_call>};</li>
 *   <li>Mistral: {@code [TOOL_CALLS][{...}, ...]};</li>
 *   <li>Llama 3.1 / 3.2: a JSON object {@code {"name": ..., "parameters": {...}}} (or {@code "arguments"}), or an
 *       array of them, that is the whole reply, optionally after {@code <|python_tag|>}.</li>
 * </ul>
 *
 * <p>A call is accepted only when its name is one of the request's tools and its arguments are a JSON object (or
 * a string holding one; missing arguments mean {@code {}}). If any candidate call is malformed or names an unknown
 * tool, the reply is treated as plain text: a model that writes about tool calls should not trigger one by
 * accident, and half a call is not something a tool can run. Text before the first call (Hermes, Mistral) becomes
 * the message text.
 */
final class ToolCallParser {
    static final String HERMES_OPEN = "<tool_call>";
    static final String HERMES_CLOSE = "</tool_call>";
    static final String MISTRAL_MARKER = "[TOOL_CALLS]";
    static final String PYTHON_TAG = "<|python_tag|>";
    /** Text that starts a tool call anywhere in a reply. */
    static final List<String> MARKERS = List.of(HERMES_OPEN, MISTRAL_MARKER, PYTHON_TAG);

    /** Trailing tokens fail: a JSON value followed by prose is not a call. */
    private static final ObjectMapper MAPPER = new ObjectMapper()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    private static final String ID_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    private static final Random ID_RANDOM = new SecureRandom();

    /** The calls found, and the text before them (null when there is none). */
    record Parsed(String text, List<ToolExecutionRequest> requests) {}

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
        JsonNode name = body.get("name");
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
        JsonNode id = call.get("id");
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

    /**
     * How much of a reply in progress can be streamed as text when tools are offered: everything before the first
     * tool-call marker, minus a tail that could be the start of a marker. A reply that starts (after white space)
     * with {@code {} or {@code [} is held back entirely, since it may be a bare JSON call; so is leading white space.
     */
    static int streamableLength(String text) {
        int lead = 0;
        while (lead < text.length() && Character.isWhitespace(text.charAt(lead))) {
            lead++;
        }
        if (lead == text.length()) {
            return 0;
        }
        char first = text.charAt(lead);
        if (first == '{' || first == '[') {
            return 0;
        }
        int at = -1;
        for (String marker : MARKERS) {
            int i = text.indexOf(marker);
            if (i >= 0 && (at < 0 || i < at)) {
                at = i;
            }
        }
        if (at >= 0) {
            return at;
        }
        int keep = 0;
        for (String marker : MARKERS) {
            for (int n = Math.min(marker.length() - 1, text.length()); n > keep; n--) {
                if (text.endsWith(marker.substring(0, n))) {
                    keep = n;
                    break;
                }
            }
        }
        return text.length() - keep;
    }
}
