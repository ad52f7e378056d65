package io.github.attentionsinks.langchain4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.langchain4j.agent.tool.ToolExecutionRequest;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.ToolExecutionResultMessage;
import dev.langchain4j.data.message.UserMessage;
import io.github.attentionsinks.Shared;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Histories a sliding chat memory hands over that strict templates refuse, reshaped into what they accept; checked
 * against the real Gemma 2 and Mistral templates (they raise "Conversation roles must alternate" and "System role
 * not supported" on the originals).
 */
class StrictHistoryTest {
    static final SystemMessage SYS = SystemMessage.from("Be brief.");
    static final UserMessage U1 = UserMessage.from("u1");
    static final AiMessage A1 = AiMessage.from("a1");
    static final UserMessage U2 = UserMessage.from("u2");
    static final AiMessage A2 = AiMessage.from("a2");
    static final ToolExecutionRequest CALL = ToolExecutionRequest.builder().id("abcDEF123").name("weather")
            .arguments("{\"city\":\"Paris\"}").build();

    static ChatTemplate template(String file) {
        return ChatTemplate.of(Shared.dir().resolve("templates").resolve(file), "<s>", "</s>");
    }

    @Test
    void anOrphanedLeadingReplyIsLeftOut() {
        assertEquals(List.of(SYS, U2, A2), StrictHistory.of(List.of(SYS, A1, U2, A2)));
        assertEquals(List.of(U2), StrictHistory.of(List.of(A1, U2)));
    }

    @Test
    void aToolResultWhoseRequestSlidOutIsLeftOut() {
        ToolExecutionResultMessage result = ToolExecutionResultMessage.from(CALL, "sunny");
        AiMessage call = AiMessage.from(List.of(CALL));
        assertEquals(List.of(SYS, U2, A2), StrictHistory.of(List.of(SYS, result, U2, A2)));
        assertEquals(List.of(U1, call, result, A1), StrictHistory.of(List.of(U1, call, result, A1)),
                "a result after its request stays");
        assertEquals(List.of(U1, A1, U2), StrictHistory.of(List.of(U1, A1, result, U2)),
                "a result with no request before it goes");
    }

    @Test
    void consecutiveUserMessagesAreJoined() {
        // LangChain4j keeps the user message of a turn that was cancelled or failed: the next one follows it
        assertEquals(List.of(SYS, U1, A1, UserMessage.from("u2\n\nu3")),
                StrictHistory.of(List.of(SYS, U1, A1, U2, UserMessage.from("u3"))));
    }

    @Test
    void withoutASystemRoleTheSystemTextOpensTheFirstUserMessage() {
        assertEquals(List.of(UserMessage.from("Be brief.\n\nu2"), A2),
                StrictHistory.withoutSystemRole(List.of(SYS, A1, U2, A2)));
    }

    @Test
    void theRealStrictTemplatesAcceptTheReshapedHistories() {
        List<ChatMessage> slid = List.of(SYS, A1, U2, A2, UserMessage.from("u3"));
        List<ChatMessage> doubled = List.of(SYS, U1, A1, U2, UserMessage.from("u3"));
        for (String file : List.of("google-gemma-2-2b-it.jinja", "ollama-gemma3_1b.jinja",
                "mistralai-Mistral-Nemo-Instruct-2407.jinja", "Mistral-Small-3.2-24B-Instruct-2506.jinja",
                "ollama-mistral_7b-instruct-fp16.jinja")) {
            ChatTemplate t = template(file);
            for (List<ChatMessage> history : List.of(slid, doubled)) {
                ChatTemplate.ChatTemplateException refused = assertThrows(ChatTemplate.ChatTemplateException.class,
                        () -> t.render(history, List.of(), true), file + " accepts " + history);
                assertTrue(refused.refusedByTemplate(), file + ": " + refused.getMessage());
                String rendered;
                try {
                    rendered = t.render(StrictHistory.of(history), List.of(), true);
                } catch (ChatTemplate.ChatTemplateException e) {
                    assertTrue(e.refusedByTemplate(), file + ": " + e.getMessage());
                    rendered = t.render(StrictHistory.withoutSystemRole(history), List.of(), true);
                }
                assertTrue(rendered.contains("u3"), file + ": " + rendered);
                // Ollama's Gemma 3 template reads a system message only as a list of parts
                // (messages[0]['content'][0]['text']): a plain-text one is dropped by the template itself.
                assertTrue(file.contains("gemma3") || rendered.contains("Be brief."), file + ": " + rendered);
            }
        }
    }
}
