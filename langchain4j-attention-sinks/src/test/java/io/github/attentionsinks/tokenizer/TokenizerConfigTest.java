package io.github.attentionsinks.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.attentionsinks.Shared;
import io.github.attentionsinks.config.Json;
import io.github.attentionsinks.config.ModelFormatException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** tokenizer_config.json in the forms real checkpoints write, and add_bos_token applied by the tokenizer. */
class TokenizerConfigTest {
    static final Path FILE = Path.of("models/x/tokenizer_config.json");

    static com.fasterxml.jackson.databind.JsonNode tree(String json) {
        try {
            return Json.MAPPER.readTree(json);
        } catch (IOException e) {
            throw new IllegalArgumentException(json, e);
        }
    }

    static TokenizerConfig parse(String json) {
        return TokenizerConfig.parse(FILE, tree(json));
    }

    @Test
    void specialTokensAsStringsAsAddedTokenObjectsOrNull() {
        TokenizerConfig strings = parse("{\"bos_token\": \"<s>\", \"eos_token\": \"</s>\"}");
        assertEquals("<s>", strings.bosToken());
        assertEquals("</s>", strings.eosToken());
        TokenizerConfig objects = parse("{\"bos_token\": {\"__type\": \"AddedToken\", \"content\": \"<|begin_of_text|>\","
                + " \"lstrip\": false, \"normalized\": true, \"rstrip\": false, \"single_word\": false},"
                + " \"eos_token\": {\"__type\": \"AddedToken\", \"content\": \"<|eot_id|>\"}}");
        assertEquals("<|begin_of_text|>", objects.bosToken());
        assertEquals("<|eot_id|>", objects.eosToken());
        TokenizerConfig qwen = parse("{\"bos_token\": null, \"eos_token\": \"<|im_end|>\"}");
        assertNull(qwen.bosToken());
        assertNull(parse("{}").eosToken());
    }

    @Test
    void addBosTokenTrueFalseOrAbsent() {
        assertEquals(Boolean.TRUE, parse("{\"add_bos_token\": true}").addBosToken());
        assertEquals(Boolean.FALSE, parse("{\"add_bos_token\": false}").addBosToken());
        assertNull(parse("{}").addBosToken());
    }

    @Test
    void chatTemplateAsAStringOrANamedList() {
        assertEquals(List.of("default"), List.copyOf(parse("{\"chat_template\": \"{{ x }}\"}").chatTemplates().keySet()));
        TokenizerConfig hermes = parse("{\"chat_template\": [{\"name\": \"default\", \"template\": \"D\"},"
                + " {\"name\": \"tool_use\", \"template\": \"T\"}, {\"name\": \"rag\", \"template\": \"R\"}]}");
        assertEquals(List.of("default", "tool_use", "rag"), List.copyOf(hermes.chatTemplates().keySet()));
        assertEquals("T", hermes.chatTemplate("tool_use"));
        assertTrue(parse("{}").chatTemplates().isEmpty());
    }

    @Test
    void addedTokensDecoderGivesTheSpecialIds() {
        TokenizerConfig qwen = TokenizerConfig.read(Shared.dir().resolve("tokenizers/qwen3"));
        assertEquals(26, qwen.addedTokens().size());
        assertEquals("<think>", qwen.addedTokens().get(151667).content());
        // 151643..151656 are special; <tool_call>, <think> and the rest (151657..151668) are not.
        Set<Integer> special = qwen.specialTokenIds();
        assertEquals(14, special.size());
        assertTrue(special.contains(151645) && !special.contains(151667) && !special.contains(151657));
    }

    @Test
    void unusableFieldsAreNamedWithTheFileAndTheFix() {
        ModelFormatException bos = assertThrows(ModelFormatException.class, () -> parse("{\"bos_token\": 1}"));
        assertTrue(bos.getMessage().contains(FILE.toString()) && bos.getMessage().contains("'bos_token' is 1")
                && bos.getMessage().contains("\"content\""), bos.getMessage());
        ModelFormatException addBos = assertThrows(ModelFormatException.class,
                () -> parse("{\"add_bos_token\": \"yes\"}"));
        assertTrue(addBos.getMessage().contains("'add_bos_token' is \"yes\", expected true or false"), addBos.getMessage());
        ModelFormatException template = assertThrows(ModelFormatException.class,
                () -> parse("{\"chat_template\": [{\"name\": \"default\"}]}"));
        assertTrue(template.getMessage().contains("'chat_template' entry 0"), template.getMessage());
        ModelFormatException added = assertThrows(ModelFormatException.class,
                () -> parse("{\"added_tokens_decoder\": {\"x\": {\"content\": \"a\"}}}"));
        assertTrue(added.getMessage().contains("key \"x\""), added.getMessage());
    }

    @Test
    void addBosTokenDecidesOverThePostProcessor() throws IOException {
        // stories260K's tokenizer.json post-processor adds <s> (id 1); its tokenizer_config.json says add_bos_token true.
        Path stories = Shared.stories();
        int[] plain;
        try (TextTokenizer t = TextTokenizer.load(stories)) {
            plain = t.encode("Once upon a time", false);
            assertEquals(1, t.encode("Once upon a time", true)[0]);
        }
        Path dir = copyTokenizer(stories, "stories-no-bos", "{\"bos_token\": \"<s>\", \"add_bos_token\": false}");
        try (TextTokenizer t = TextTokenizer.load(dir, TokenizerConfig.read(dir))) {
            assertArrayEquals(plain, t.encode("Once upon a time", true));
        }
        // SmolLM2's tokenizer.json adds nothing; add_bos_token true puts its bos_token (<|im_start|> = 1) first, once.
        Path smol = Shared.dir().resolve("tokenizers/smollm2-instruct");
        try (TextTokenizer t = TextTokenizer.load(smol, TokenizerConfig.read(smol))) {
            int[] ids = t.encode("Hello", true);
            assertTrue(ids.length > 0 && ids[0] != 1, "BOS added without add_bos_token");
        }
        Path withBos = copyTokenizer(smol, "smollm2-bos",
                "{\"bos_token\": {\"content\": \"<|im_start|>\", \"__type\": \"AddedToken\"}, \"add_bos_token\": true}");
        try (TextTokenizer t = TextTokenizer.load(withBos, TokenizerConfig.read(withBos))) {
            int[] hello = t.encode("Hello", false);
            int[] ids = t.encode("Hello", true);
            assertEquals(hello.length + 1, ids.length);
            assertEquals(1, ids[0]);
            assertEquals(1, t.bosTokenId());
            assertEquals(1, t.encode("<|im_start|>Hello", true)[0]);
            assertEquals(hello.length + 1, t.encode("<|im_start|>Hello", true).length);
        }
    }

    private static Path copyTokenizer(Path from, String name, String tokenizerConfig) throws IOException {
        Path dir = Path.of("target", "test-models", name);
        Files.createDirectories(dir);
        Files.copy(from.resolve("tokenizer.json"), dir.resolve("tokenizer.json"),
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        ObjectNode config = (ObjectNode) tree(tokenizerConfig);
        Files.writeString(dir.resolve("tokenizer_config.json"), config.toString());
        return dir;
    }
}
