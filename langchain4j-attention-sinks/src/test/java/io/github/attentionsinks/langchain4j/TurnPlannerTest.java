package io.github.attentionsinks.langchain4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.attentionsinks.langchain4j.TurnPlanner.Cut;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * Where a turn continues a session, on texts shaped like what real chat templates do to history (no model needed).
 * The cache's rewindable tokens are given as their text pieces.
 */
class TurnPlannerTest {

    /** A tail of tokens with these pieces ("" = a token that ends inside a character). */
    static CacheTranscript.Tail tail(String... pieces) {
        StringBuilder text = new StringBuilder();
        int[] ends = new int[pieces.length];
        for (int i = 0; i < pieces.length; i++) {
            text.append(pieces[i]);
            ends[i] = pieces[i].isEmpty() ? -1 : text.length();
        }
        return new CacheTranscript.Tail(text.toString(), ends);
    }

    static Cut cut(CacheTranscript.Tail tail, String prompt, String reply, String now) {
        Optional<Cut> cut = TurnPlanner.cut(tail, prompt + reply, prompt.length(), now);
        assertTrue(cut.isPresent(), "expected a cut, the planner asks for a rebuild");
        return cut.get();
    }

    @Test
    void aConversationThatRendersAsItWasFedContinuesWithNoRewind() {
        String prompt = "<s>User: Hi\nAssistant:";
        String now = prompt + " Once upon\nUser: Next\nAssistant:";
        Cut c = cut(tail("<s>", "User", ": Hi\n", "Assistant:", " Once", " upon"), prompt, " Once upon", now);
        assertEquals(new Cut(0, (prompt + " Once upon").length()), c);
        assertEquals("\nUser: Next\nAssistant:", now.substring(c.feedFrom()));
    }

    @Test
    void theReplysUnfedLastTokenIsFedAsTheTemplateRendersIt() {
        String prompt = "User: Hi\nAssistant:";
        String now = prompt + " a\nUser: u\nAssistant:";
        Cut c = cut(tail("User: Hi\n", "Assistant:", " a"), prompt, " a", now);
        assertEquals(0, c.dropTokens());
        assertEquals("\nUser: u\nAssistant:", now.substring(c.feedFrom()));
    }

    @Test
    void whiteSpaceAtTheStartOfTheReplyMayDiffer() {
        String prompt = "User: Hi\nAssistant:";
        // generated "'s" straight after "Assistant:"; the template writes "Assistant: 's"
        String now = prompt + " 's\nUser: u";
        Cut c = cut(tail("User: Hi\n", "Assistant:", "'s"), prompt, "'s", now);
        assertEquals(0, c.dropTokens());
        assertEquals("\nUser: u", now.substring(c.feedFrom()));
        // both start with a space, one has two
        now = prompt + "  's\nUser: u";
        c = cut(tail("User: Hi\n", "Assistant:", " 's"), prompt, " 's", now);
        assertEquals(new Cut(0, now.indexOf("\nUser: u")), c);
        // and the other way round
        now = prompt + "'s\nUser: u";
        c = cut(tail("User: Hi\n", "Assistant:", "  's"), prompt, "  's", now);
        assertEquals(new Cut(0, prompt.length() + 2), c);
    }

    @Test
    void aReplyTheTemplateTrimsIsRewoundOnlyWhereItDiffers() {
        // Llama 3: {{ message['content'] | trim }}
        String prompt = "<|start_header_id|>assistant<|end_header_id|>\n\n";
        String now = prompt + "Hello<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nQ<|eot_id|>";
        Cut c = cut(tail(prompt, "Hello", " \n"), prompt, "Hello \n", now);
        assertEquals(1, c.dropTokens(), "only the trailing white space");
        assertEquals("<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nQ<|eot_id|>", now.substring(c.feedFrom()));
    }

    @Test
    void reasoningTheTemplateDropsFromEarlierTurnsIsRewound() {
        // Qwen3 / DeepSeek-R1: earlier assistant turns are rendered without their <think> part
        String prompt = "<|im_start|>user\nQ1<|im_end|>\n<|im_start|>assistant\n";
        String reply = "<think>\nhm\n</think>\n\nAnswer";
        String now = prompt + "Answer<|im_end|>\n<|im_start|>user\nQ2<|im_end|>\n<|im_start|>assistant\n";
        Cut c = cut(tail("<|im_start|>", "user\nQ1", "<|im_end|>", "\n<|im_start|>", "assistant\n", "<think>",
                "\nhm\n", "</think>", "\n\nAnswer"), prompt, reply, now);
        assertEquals(4, c.dropTokens(), "the whole reply: it is re-fed without its reasoning");
        assertEquals("Answer<|im_end|>\n<|im_start|>user\nQ2<|im_end|>\n<|im_start|>assistant\n",
                now.substring(c.feedFrom()));
    }

    @Test
    void aSystemPromptTheTemplateMovesToTheNewestUserTurnRewindsTheLastTurn() {
        // Mistral Nemo: the system message is written into the last user message
        String prompt = "<s>[INST]u0[/INST]r0</s>[INST]sys\n\nu1[/INST]";
        String now = "<s>[INST]u0[/INST]r0</s>[INST]u1[/INST]r1</s>[INST]sys\n\nu2[/INST]";
        Cut c = cut(tail("<s>", "[INST]", "u0", "[/INST]", "r0", "</s>", "[INST]", "sys", "\n\n", "u1", "[/INST]",
                "r1"), prompt, "r1", now);
        assertEquals(5, c.dropTokens(), "sys, the blank line, u1, [/INST], r1");
        assertEquals("u1[/INST]r1</s>[INST]sys\n\nu2[/INST]", now.substring(c.feedFrom()));
    }

    @Test
    void aCutInsideATokenDropsTheWholeToken() {
        String prompt = "A:";
        String now = "A: Hello world, friends\nB:";
        Cut c = cut(tail("A:", " Hel", "lo wor", "ld!"), prompt, " Hello world!", now);
        assertEquals(1, c.dropTokens());
        assertEquals("ld, friends\nB:", now.substring(c.feedFrom()));
        c = cut(tail("A:", " Hel", "lo wor", "ld!"), prompt, " Hello world!", "A: Help\nB:");
        assertEquals(2, c.dropTokens());
        assertEquals("p\nB:", "A: Help\nB:".substring(c.feedFrom()));
    }

    @Test
    void aCutNeverSplitsACharacter() {
        // "é" as two byte tokens: the first carries no text of its own
        String prompt = "A:";
        assertEquals(new Cut(1, 4), cut(tail("A:", "a", "", "é", "b"), prompt, "aéb", "A:aéc"));
        assertEquals(new Cut(3, 3), cut(tail("A:", "a", "", "é", "b"), prompt, "aéb", "A:ax"),
                "the half character goes too");
    }

    @Test
    void aDivergenceBeforeWhatTheCacheCanStillDropRebuilds() {
        // the window holds only the reply; the system prompt (in the sinks, evicted long ago) changed
        String prompt = "SYS old\nUser: Hi\nAssistant:";
        assertEquals(Optional.empty(), TurnPlanner.cut(tail(" a", " reply"), prompt + " a reply", prompt.length(),
                "SYS new\nUser: Hi\nAssistant: a reply\nUser: u"));
        // the cache holds something else than the conversation says
        assertEquals(Optional.empty(), TurnPlanner.cut(tail("x"), prompt + " a reply", prompt.length(),
                prompt + " a reply\nUser: u"));
    }

    @Test
    void aRequestThatAddsNothingReFeedsTheLastToken() {
        String prompt = "User: Hi\nAssistant:";
        Cut c = cut(tail("User: Hi\n", "Assistant:", " a", " b"), prompt, " a b", prompt + " a b");
        assertEquals(new Cut(1, (prompt + " a").length()), c);
    }
}
