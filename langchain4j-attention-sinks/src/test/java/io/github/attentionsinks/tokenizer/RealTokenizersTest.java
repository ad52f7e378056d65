package io.github.attentionsinks.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.attentionsinks.Shared;
import io.github.attentionsinks.generate.StreamingText;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The byte-level BPE tokenizers of Qwen3 (151,669 ids) and SmolLM2 (49,152): special and added tokens, non-ASCII
 * round trips, and streaming text that never splits a character. Ids are the ones in each tokenizer.json's
 * added_tokens (shared/tokenizers).
 */
class RealTokenizersTest {
    static TextTokenizer qwen3;
    static TextTokenizer smollm2;

    static final String[] TEXTS = {"Hello, world!", "Café crème brûlée à l'été, Ünïcödé ßtraße ØÆÅ",
        "日本語のテキスト、中文字符和한국어", "emoji 🙂👍🏽 and 🦄, flags 🇫🇷, ZWJ 👩‍💻", "  leading and  double  spaces ",
        "tabs\tand\nnewlines\n\n", "math ∑∫√ and arrows →⇒"};

    @BeforeAll
    static void load() {
        qwen3 = TextTokenizer.load(Shared.dir().resolve("tokenizers/qwen3"));
        smollm2 = TextTokenizer.load(Shared.dir().resolve("tokenizers/smollm2-instruct"));
    }

    @AfterAll
    static void close() {
        qwen3.close();
        smollm2.close();
    }

    static Stream<Arguments> specialTokens() {
        return Stream.of(
                Arguments.of("qwen3", "<|im_start|>", 151644, true),
                Arguments.of("qwen3", "<|im_end|>", 151645, true),
                Arguments.of("qwen3", "<|endoftext|>", 151643, true),
                // Added but not special in Qwen3: they stay in decoded text so that callers can parse them.
                Arguments.of("qwen3", "<think>", 151667, false),
                Arguments.of("qwen3", "</think>", 151668, false),
                Arguments.of("qwen3", "<tool_call>", 151657, false),
                Arguments.of("qwen3", "</tool_call>", 151658, false),
                Arguments.of("smollm2-instruct", "<|im_start|>", 1, true),
                Arguments.of("smollm2-instruct", "<|im_end|>", 2, true),
                Arguments.of("smollm2-instruct", "<|endoftext|>", 0, true));
    }

    static TextTokenizer named(String name) {
        return name.equals("qwen3") ? qwen3 : smollm2;
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("specialTokens")
    void addedTokensAreSingleIdsInsideTextAndDecodeBack(String name, String token, int id, boolean special) {
        TextTokenizer t = named(name);
        assertArrayEquals(new int[] {id}, t.encode(token, false));
        int[] ids = t.encode("a" + token + "b", false);
        assertEquals(3, ids.length, "token split inside text: " + java.util.Arrays.toString(ids));
        assertEquals(id, ids[1]);
        assertEquals("a" + token + "b", t.decode(ids, false));
        assertEquals(special ? "ab" : "a" + token + "b", t.decode(ids, true));
    }

    @Test
    void qwenChatMarkupTokenizesAsTheModelWasTrained() {
        // "<|im_start|>user\nHi<|im_end|>\n": both markers single ids, "user" and "\n" ordinary tokens between them.
        int[] ids = qwen3.encode("<|im_start|>user\nHi<|im_end|>\n", false);
        assertEquals(151644, ids[0]);
        assertTrue(List.of(ids.length - 2, ids.length - 1).stream().anyMatch(i -> ids[i] == 151645));
        assertEquals("<|im_start|>user\nHi<|im_end|>\n", qwen3.decode(ids, false));
        assertEquals("user\nHi\n", qwen3.decode(ids, true));
    }

    static Stream<Arguments> tokenizersAndTexts() {
        return Stream.of("qwen3", "smollm2-instruct").flatMap(n -> Stream.of(TEXTS).map(s -> Arguments.of(n, s)));
    }

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("tokenizersAndTexts")
    void textRoundTrips(String name, String text) {
        TextTokenizer t = named(name);
        assertEquals(text, t.decode(t.encode(text, false), true));
        assertEquals(text, t.decode(t.encode(text, true), true));
    }

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("tokenizersAndTexts")
    void streamingNeverSplitsACharacterAndConcatenatesToTheWholeDecode(String name, String text) {
        TextTokenizer t = named(name);
        String prompt = "<|im_start|>assistant\n";
        int[] context = t.encode(prompt, false);
        // The reply as a model emits it: text, then the end-of-turn marker (special: not shown).
        int[] reply = t.encode(text + "<|im_end|>", false);
        StreamingDecoder decoder = new StreamingDecoder(t, context, true);
        StreamingText streamingText = new StreamingText(t, context, List.of());
        StringBuilder pieces = new StringBuilder();
        for (int id : reply) {
            String piece = decoder.push(id);
            assertNoBrokenCharacter(piece);
            pieces.append(piece);
            assertNoBrokenCharacter(streamingText.push(id));
        }
        pieces.append(decoder.flush());
        streamingText.flush();
        assertEquals(text, pieces.toString());
        assertEquals(t.decode(reply, true), pieces.toString());
        assertEquals(text, streamingText.text());
    }

    @Test
    void byteLevelTokensOfOneCharacterAreHeldBackUntilComplete() {
        // 🦄 is 4 UTF-8 bytes; SmolLM2's 49k vocabulary has no single token for it, so it takes several ids.
        int[] ids = smollm2.encode("🦄", false);
        assertTrue(ids.length > 1, "expected a multi-token character, got " + ids.length);
        StreamingDecoder decoder = new StreamingDecoder(smollm2, new int[0], true);
        for (int i = 0; i < ids.length - 1; i++) {
            assertEquals("", decoder.push(ids[i]), "emitted part of a character at token " + i);
        }
        assertEquals("🦄", decoder.push(ids[ids.length - 1]));
    }

    private static void assertNoBrokenCharacter(String piece) {
        assertFalse(piece.contains("\uFFFD"), "a piece contains a broken character: " + piece);
        assertFalse(!piece.isEmpty() && Character.isHighSurrogate(piece.charAt(piece.length() - 1)),
                "a piece ends inside a surrogate pair: " + piece);
        assertFalse(!piece.isEmpty() && Character.isLowSurrogate(piece.charAt(0)),
                "a piece starts inside a surrogate pair: " + piece);
    }

    @Test
    void unusedPaddingIdsDecodeToNothing() {
        // Models pad vocab_size past the tokenizer (Qwen3: 151,936 rows for 151,669 ids); a sampled padding id must not
        // break decoding or streaming.
        assertEquals("", qwen3.decode(new int[] {151700}, true));
        StreamingDecoder decoder = new StreamingDecoder(qwen3, new int[0], true);
        assertEquals("", decoder.push(151700));
        assertEquals("ok", decoder.push(qwen3.encode("ok", false)[0]) + decoder.flush());
    }
}
