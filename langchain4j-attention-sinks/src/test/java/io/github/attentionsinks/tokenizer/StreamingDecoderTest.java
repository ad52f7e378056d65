package io.github.attentionsinks.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.attentionsinks.Shared;
import java.util.Arrays;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Round trips and token-by-token streaming with stories260K's tokenizer, whose 512-piece vocabulary sends every
 * non-ASCII character through byte-fallback tokens: the hardest case for incremental UTF-8 decoding.
 */
class StreamingDecoderTest {
    static TextTokenizer tokenizer;

    @BeforeAll
    static void load() {
        tokenizer = TextTokenizer.load(Shared.stories());
    }

    @AfterAll
    static void close() {
        tokenizer.close();
    }

    @ParameterizedTest
    @ValueSource(strings = {"Once upon a time, there was a little girl.", "Café crème brûlée à l'été", "日本語のテキスト、中文",
            "emoji 🙂👍🏽 and 🦄!", "  leading and  double  spaces ", "tabs\tand\nnewlines\n", "Ünïcödé ßtraße ØÆÅ"})
    void encodeDecodeRoundTrips(String text) {
        int[] ids = tokenizer.encode(text, false);
        assertEquals(text, tokenizer.decode(ids, true));
    }

    @ParameterizedTest
    @ValueSource(strings = {"Once upon a time, there was a little girl.", "Café crème brûlée à l'été", "日本語のテキスト、中文",
            "emoji 🙂👍🏽 and 🦄!", "  leading and  double  spaces ", "Ünïcödé ßtraße ØÆÅ", "a\n\nb"})
    void streamedPiecesEqualWholeDecodingAfterAPrompt(String continuation) {
        int[] prompt = tokenizer.encode("The story:", true);
        int[] all = tokenizer.encode("The story:" + continuation, true);
        // Tokenization at the boundary may differ from the prompt's own; stream whatever follows the common prefix.
        int common = 0;
        while (common < prompt.length && all[common] == prompt[common]) {
            common++;
        }
        int[] context = Arrays.copyOf(all, common);
        String expected = tokenizer.decode(all, true).substring(tokenizer.decode(context, true).length());
        StreamingDecoder decoder = new StreamingDecoder(tokenizer, context, true);
        StringBuilder streamed = new StringBuilder();
        for (int i = common; i < all.length; i++) {
            String piece = decoder.push(all[i]);
            assertFalse(piece.contains("\uFFFD"), "a piece contains a broken character: " + piece);
            streamed.append(piece);
            // Never emit anything that the final text does not start with. (Decoding a prefix that ends inside a
            // character is no oracle: the byte-fallback decoder then replaces the whole byte run with U+FFFD.)
            assertTrue(expected.startsWith(streamed.toString()), "streamed [" + streamed + "] vs [" + expected + "]");
        }
        streamed.append(decoder.flush());
        assertEquals(expected, streamed.toString());
    }

    @ParameterizedTest
    @ValueSource(strings = {"Hello world", "日本", "🙂 ok"})
    void streamingWithoutAPromptKeepsNoLeadingSpace(String text) {
        int[] ids = tokenizer.encode(text, false);
        StreamingDecoder decoder = new StreamingDecoder(tokenizer, new int[0], true);
        StringBuilder streamed = new StringBuilder();
        for (int id : ids) {
            streamed.append(decoder.push(id));
        }
        streamed.append(decoder.flush());
        assertEquals(tokenizer.decode(ids, true), streamed.toString());
    }
}
