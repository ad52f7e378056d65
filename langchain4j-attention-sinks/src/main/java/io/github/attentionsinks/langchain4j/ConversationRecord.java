package io.github.attentionsinks.langchain4j;

import dev.langchain4j.agent.tool.ToolSpecification;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.SystemMessage;
import java.util.ArrayList;
import java.util.List;

/**
 * The conversation a session's cache holds: the last request's messages (as rendered) plus the reply, which of
 * them are cancelled replies ({@code ghost}), the text of the reply tokens actually fed, and the tool
 * specifications the prompt was rendered with.
 */
record ConversationRecord(List<ChatMessage> consumed, List<Boolean> ghost, String replyFedText,
        List<ToolSpecification> tools) {

    /** Where an incoming message list continues a session: the list to render and the index of the last reply. */
    record Alignment(List<ChatMessage> messages, int replyIndex) {}

    /** Ghost flags carry over for messages that came from this record (the same objects). */
    boolean isGhost(ChatMessage m) {
        for (int i = 0; i < consumed.size(); i++) {
            if (consumed.get(i) == m) {
                return ghost.get(i);
            }
        }
        return false;
    }

    /** Where {@code incoming} continues this conversation, or null. */
    Alignment continuedBy(List<ChatMessage> incoming) {
        int p = alignIndex(incoming, consumed, ghost);
        if (p >= 0) {
            return new Alignment(new ArrayList<>(incoming), p);
        }
        int n = consumed.size();
        if (n >= 2 && ghost.get(n - 1)) {
            // The client dropped the cancelled reply: put it back in place, so that the rendering of the
            // conversation up to it shows what the cache holds; the turn then rewinds it.
            int q = alignIndex(incoming, consumed.subList(0, n - 1), ghost.subList(0, n - 1));
            if (q >= 0 && (q + 1 == incoming.size() || !(incoming.get(q + 1) instanceof AiMessage))) {
                List<ChatMessage> merged = new ArrayList<>(incoming.subList(0, q + 1));
                merged.add(consumed.get(n - 1));
                merged.addAll(incoming.subList(q + 1, incoming.size()));
                return new Alignment(merged, q + 1);
            }
        }
        return null;
    }

    /**
     * The index in {@code incoming} of the session's last message, when the messages before it in {@code incoming}
     * are the end of {@code consumed} (ghost replies in {@code consumed} may be missing from {@code incoming}),
     * preceded only by leading system messages that {@code consumed} starts with too. -1 when there is none.
     */
    static int alignIndex(List<ChatMessage> incoming, List<ChatMessage> consumed, List<Boolean> ghost) {
        if (consumed.isEmpty()) {
            return -1;
        }
        ChatMessage last = consumed.get(consumed.size() - 1);
        for (int p = incoming.size() - 1; p >= 0; p--) {
            if (!incoming.get(p).equals(last)) {
                continue;
            }
            int i = p - 1;
            int j = consumed.size() - 2;
            while (i >= 0 && j >= 0) {
                if (incoming.get(i).equals(consumed.get(j))) {
                    i--;
                    j--;
                } else if (ghost.get(j)) {
                    j--;
                } else {
                    break;
                }
            }
            if (i < 0 || leadingSystemMessagesMatch(incoming, consumed, i)) {
                return p;
            }
        }
        return -1;
    }

    private static boolean leadingSystemMessagesMatch(List<ChatMessage> incoming, List<ChatMessage> consumed,
            int last) {
        if (last >= consumed.size()) {
            return false;
        }
        for (int k = 0; k <= last; k++) {
            if (!(incoming.get(k) instanceof SystemMessage) || !incoming.get(k).equals(consumed.get(k))) {
                return false;
            }
        }
        return true;
    }
}
