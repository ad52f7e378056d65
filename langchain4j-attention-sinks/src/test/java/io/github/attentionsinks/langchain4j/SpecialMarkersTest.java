package io.github.attentionsinks.langchain4j;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.github.attentionsinks.tokenizer.TokenizerConfig;
import io.github.attentionsinks.tokenizer.TokenizerConfig.AddedToken;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Mistral's {@code [TOOL_CALLS]}/{@code [ARGS]} and Llama 3.1's {@code <|python_tag|>} are special tokens, which
 * decoding drops: the reply text the tool-call parser reads gets them back by id, and they never end a reply.
 */
class SpecialMarkersTest {
    /** added_tokens_decoder as Mistral Small 3.2 and Llama 3.1 write it (ids as in those tokenizers). */
    static final TokenizerConfig CONFIG = new TokenizerConfig(null, "<s>", "</s>", null, Map.of(), Map.of(
            2, new AddedToken("</s>", true),
            9, new AddedToken("[TOOL_CALLS]", true),
            32, new AddedToken("[ARGS]", true),
            33, new AddedToken("[CALL_ID]", true),
            128010, new AddedToken("<|python_tag|>", true),
            128008, new AddedToken("<|eom_id|>", true),
            40, new AddedToken("<tool_call>", false)));

    @Test
    void specialToolCallMarkersAreRestoredAndNeverStopAReply() {
        assertEquals(Map.of(9, "[TOOL_CALLS]", 32, "[ARGS]", 33, "[CALL_ID]", 128010, "<|python_tag|>"),
                ChatSessionEngine.specialMarkers(CONFIG), "non-special tokens decode as text anyway");
        assertEquals(java.util.Set.of(2, 128008), ChatSessionEngine.specialTokenIds(CONFIG));
    }
}
