package io.github.attentionsinks.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import io.github.attentionsinks.config.Json;
import io.github.attentionsinks.config.ModelFormatException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The fields of a model's {@code tokenizer_config.json} this runtime uses, read once and checked, in the forms real
 * checkpoints write them.
 *
 * @param file the file read, or null when the model has none
 * @param bosToken {@code bos_token}, given as a string or as an AddedToken object ({@code {"content": ...}}); null
 *     when absent or null (Qwen)
 * @param eosToken {@code eos_token}, in the same forms; null when absent
 * @param addBosToken {@code add_bos_token}: true or false when the file says so (the tokenizer then adds BOS when
 *     asked for special tokens, or never does, whatever tokenizer.json's post-processor does), null when absent (the
 *     post-processor alone decides)
 * @param chatTemplates {@code chat_template} by name, in file order: a single string is named {@code default}; a
 *     list of {@code {"name", "template"}} entries (Hermes 3, Command-R: {@code default}, {@code tool_use}, ...) keeps
 *     its names; empty when absent
 * @param addedTokens {@code added_tokens_decoder}: id to token, sorted by id
 */
public record TokenizerConfig(Path file, String bosToken, String eosToken, Boolean addBosToken,
        Map<String, String> chatTemplates, Map<Integer, AddedToken> addedTokens) {

    /** The name HF gives a single-string {@code chat_template}, and the entry used when none is asked for. */
    public static final String DEFAULT_TEMPLATE = "default";
    /** The named template Hugging Face's {@code apply_chat_template} picks when a request has tools. */
    public static final String TOOL_USE_TEMPLATE = "tool_use";

    /** An entry of {@code added_tokens_decoder}: the text and whether it is special (skipped when decoding). */
    public record AddedToken(String content, boolean special) {}

    /** The configuration of a model without tokenizer_config.json: nothing set. */
    public static final TokenizerConfig NONE = new TokenizerConfig(null, null, null, null, Map.of(), Map.of());

    public TokenizerConfig {
        chatTemplates = Collections.unmodifiableMap(new LinkedHashMap<>(chatTemplates));
        addedTokens = Collections.unmodifiableMap(new TreeMap<>(addedTokens));
    }

    /** Reads {@code dir/tokenizer_config.json}; {@link #NONE} when the file does not exist. */
    public static TokenizerConfig read(Path dir) {
        Path file = dir.resolve("tokenizer_config.json");
        return Files.isRegularFile(file) ? parse(file, Json.readTree(file)) : NONE;
    }

    /**
     * Checks and converts a parsed tokenizer_config.json.
     *
     * @param file named in errors
     * @throws ModelFormatException naming the file, the field and the value when a field has an unusable form
     */
    public static TokenizerConfig parse(Path file, JsonNode root) {
        if (!root.isObject()) {
            throw new ModelFormatException(file + ": expected a JSON object at the top level");
        }
        String bos = token(file, root, "bos_token");
        String eos = token(file, root, "eos_token");
        Boolean addBos = null;
        JsonNode addBosNode = root.get("add_bos_token");
        if (addBosNode != null && !addBosNode.isNull()) {
            if (!addBosNode.isBoolean()) {
                throw new ModelFormatException(file + ": field 'add_bos_token' is " + addBosNode
                        + ", expected true or false (or leave it out to let tokenizer.json decide)");
            }
            addBos = addBosNode.booleanValue();
        }
        return new TokenizerConfig(file, bos, eos, addBos, templates(file, root.get("chat_template")),
                addedTokens(file, root.get("added_tokens_decoder")));
    }

    /** The template named {@code name}, or null. */
    public String chatTemplate(String name) {
        return chatTemplates.get(name);
    }

    /**
     * Ids of the special added tokens (BOS, EOS, {@code <|im_start|>}, ...), sorted. Added tokens that are not special
     * ({@code <think>}, {@code <tool_call>} in Qwen3) are not included.
     */
    public Set<Integer> specialTokenIds() {
        Set<Integer> ids = new LinkedHashSet<>();
        addedTokens.forEach((id, token) -> {
            if (token.special()) {
                ids.add(id);
            }
        });
        return ids;
    }

    private static String token(Path file, JsonNode root, String field) {
        JsonNode node = root.get(field);
        if (node == null || node.isNull()) {
            return null;
        }
        if (node.isTextual()) {
            return node.asText();
        }
        // transformers writes {"__type": "AddedToken", "content": ..., "lstrip": ...} in older saves.
        if (node.isObject() && node.path("content").isTextual()) {
            return node.get("content").asText();
        }
        throw new ModelFormatException(file + ": field '" + field + "' is " + node
                + ", expected a string or an object with a string \"content\" (as {\"content\": \"<s>\", "
                + "\"__type\": \"AddedToken\"})");
    }

    private static Map<String, String> templates(Path file, JsonNode node) {
        Map<String, String> templates = new LinkedHashMap<>();
        if (node == null || node.isNull()) {
            return templates;
        }
        if (node.isTextual()) {
            if (!node.asText().isBlank()) {
                templates.put(DEFAULT_TEMPLATE, node.asText());
            }
            return templates;
        }
        if (node.isArray()) {
            for (int i = 0; i < node.size(); i++) {
                JsonNode entry = node.get(i);
                if (!entry.path("name").isTextual() || !entry.path("template").isTextual()) {
                    throw new ModelFormatException(file + ": field 'chat_template' entry " + i + " is " + entry
                            + ", expected {\"name\": \"...\", \"template\": \"...\"} (both strings)");
                }
                templates.put(entry.get("name").asText(), entry.get("template").asText());
            }
            return templates;
        }
        throw new ModelFormatException(file + ": field 'chat_template' is a " + node.getNodeType().name().toLowerCase()
                + ", expected a string or a list of {\"name\", \"template\"} objects");
    }

    private static Map<Integer, AddedToken> addedTokens(Path file, JsonNode node) {
        Map<Integer, AddedToken> tokens = new TreeMap<>();
        if (node == null || node.isNull()) {
            return tokens;
        }
        if (!node.isObject()) {
            throw new ModelFormatException(file + ": field 'added_tokens_decoder' is " + node.getNodeType()
                    .name().toLowerCase() + ", expected an object mapping ids to {\"content\", \"special\"}");
        }
        Iterator<Map.Entry<String, JsonNode>> it = node.fields();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> e = it.next();
            int id;
            try {
                id = Integer.parseInt(e.getKey());
            } catch (NumberFormatException ex) {
                throw new ModelFormatException(file + ": field 'added_tokens_decoder' has the key \"" + e.getKey()
                        + "\", expected token ids (\"0\", \"151643\", ...)");
            }
            JsonNode content = e.getValue().path("content");
            if (!content.isTextual()) {
                throw new ModelFormatException(file + ": field 'added_tokens_decoder' entry \"" + e.getKey()
                        + "\" is " + e.getValue() + ", expected an object with a string \"content\"");
            }
            tokens.put(id, new AddedToken(content.asText(), e.getValue().path("special").asBoolean(false)));
        }
        return tokens;
    }
}
