package io.github.attentionsinks.langchain4j;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.UserMessage;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

/** How an incoming message list is matched against what a session consumed (no model needed). */
class AlignmentTest {
    static final SystemMessage SYS = SystemMessage.from("sys");
    static final UserMessage U1 = UserMessage.from("u1");
    static final AiMessage A1 = AiMessage.from("a1");
    static final UserMessage U2 = UserMessage.from("u2");
    static final AiMessage A2 = AiMessage.from("a2");
    static final UserMessage U3 = UserMessage.from("u3");

    static int align(List<ChatMessage> incoming, List<ChatMessage> consumed) {
        return ConversationRecord.alignIndex(incoming, consumed, Collections.nCopies(consumed.size(), false));
    }

    @Test
    void fullHistoryContinues() {
        assertEquals(2, align(List.of(SYS, U1, A1, U2), List.of(SYS, U1, A1)));
        assertEquals(1, align(List.of(U1, A1, U2), List.of(U1, A1)));
    }

    @Test
    void windowedHistoryKeepingTheSystemMessageContinues() {
        // MessageWindowChatMemory dropped U1 and A1 but keeps the system message first.
        assertEquals(2, align(List.of(SYS, U2, A2, U3), List.of(SYS, U1, A1, U2, A2)));
        assertEquals(1, align(List.of(U2, A2, U3), List.of(U1, A1, U2, A2)));
    }

    @Test
    void editedOrForeignHistoryDoesNot() {
        assertEquals(-1, align(List.of(U1, AiMessage.from("other"), U2), List.of(U1, A1)));
        assertEquals(-1, align(List.of(UserMessage.from("changed"), A1, U2), List.of(U1, A1)));
        assertEquals(-1, align(List.of(SystemMessage.from("new sys"), U2, A2, U3), List.of(SYS, U1, A1, U2, A2)));
        assertEquals(-1, align(List.of(U3), List.of(U1, A1)));
        assertEquals(-1, align(List.of(U1), List.of()));
    }

    @Test
    void aCancelledReplyTheClientDroppedIsSkipped() {
        List<ChatMessage> consumed = List.of(U1, AiMessage.from("partial"), U2, A2);
        List<Boolean> ghost = List.of(false, true, false, false);
        assertEquals(2, ConversationRecord.alignIndex(List.of(U1, U2, A2, U3), consumed, ghost));
        assertEquals(-1, ConversationRecord.alignIndex(List.of(U1, U2, A2, U3), consumed,
                Collections.nCopies(4, false)));
    }
}
