package io.github.attentionsinks.langchain4j;

import dev.langchain4j.agent.tool.ToolExecutionRequest;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.ToolExecutionResultMessage;
import dev.langchain4j.data.message.UserMessage;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * A conversation in the shape strict chat templates accept (Gemma's and Mistral's raise "Conversation roles must
 * alternate user/assistant/user/assistant/..."). A sliding chat memory routinely hands over histories they refuse:
 * {@code [system, assistant, user, ...]} once the first user message slid out, a tool result whose request slid
 * out, or two user messages in a row after a turn that failed or was cancelled (LangChain4j stores the user message
 * before the model answers). Such a history is rendered in this shape instead of failing the turn:
 * <ul>
 *   <li>after the leading system messages, messages before the first user message are left out (orphaned replies
 *       and tool results);
 *   <li>tool results whose request is not in an earlier assistant message are left out;
 *   <li>consecutive user messages are joined into one (texts separated by a blank line), and so are consecutive
 *       plain assistant replies.
 * </ul>
 * Templates with no system role at all (Gemma 2, Mistral 7B v0.1: "System role not supported") get, as a second
 * step, the system messages joined into the first user message ({@link #withoutSystemRole}), which is what their
 * model cards tell users to do. Only used when a template refuses the history as it is; pure.
 */
final class StrictHistory {
    private StrictHistory() {}

    static List<ChatMessage> of(List<ChatMessage> messages) {
        List<ChatMessage> out = new ArrayList<>(messages.size());
        int i = 0;
        while (i < messages.size() && messages.get(i) instanceof SystemMessage) {
            out.add(messages.get(i++));
        }
        while (i < messages.size() && !(messages.get(i) instanceof UserMessage)) {
            i++; // orphaned: its user turn slid out of the memory
        }
        Set<String> requested = new HashSet<>();
        for (; i < messages.size(); i++) {
            ChatMessage m = messages.get(i);
            ChatMessage last = out.isEmpty() ? null : out.get(out.size() - 1);
            if (m instanceof ToolExecutionResultMessage result) {
                if (requested.contains(key(result.id(), result.toolName()))
                        || requested.contains(key(null, result.toolName()))) {
                    out.add(m);
                }
            } else if (m instanceof UserMessage user && last instanceof UserMessage previous
                    && user.hasSingleText() && previous.hasSingleText() && user.name() == null
                    && previous.name() == null) {
                out.set(out.size() - 1, UserMessage.from(previous.singleText() + "\n\n" + user.singleText()));
            } else if (m instanceof AiMessage ai && last instanceof AiMessage previous
                    && !ai.hasToolExecutionRequests() && !previous.hasToolExecutionRequests()) {
                out.set(out.size() - 1, AiMessage.from(join(previous.text(), ai.text())));
            } else {
                if (m instanceof AiMessage ai && ai.hasToolExecutionRequests()) {
                    for (ToolExecutionRequest r : ai.toolExecutionRequests()) {
                        requested.add(key(r.id(), r.name()));
                        requested.add(key(null, r.name()));
                    }
                }
                out.add(m);
            }
        }
        return out;
    }

    /** {@link #of} with the leading system messages' text put before the first user message's text. */
    static List<ChatMessage> withoutSystemRole(List<ChatMessage> messages) {
        List<ChatMessage> strict = of(messages);
        StringBuilder system = new StringBuilder();
        int i = 0;
        while (i < strict.size() && strict.get(i) instanceof SystemMessage s) {
            system.append(system.length() == 0 ? "" : "\n\n").append(s.text());
            i++;
        }
        List<ChatMessage> out = new ArrayList<>(strict.subList(i, strict.size()));
        if (system.length() > 0 && !out.isEmpty() && out.get(0) instanceof UserMessage first
                && first.hasSingleText()) {
            out.set(0, UserMessage.from(system + "\n\n" + first.singleText()));
        } else if (system.length() > 0) {
            out.add(0, UserMessage.from(system.toString()));
        }
        return out;
    }

    private static String key(String id, String name) {
        return (id == null ? "" : id) + "\u0000" + name;
    }

    private static String join(String a, String b) {
        if (a == null || a.isEmpty()) {
            return b == null ? "" : b;
        }
        return b == null || b.isEmpty() ? a : a + "\n\n" + b;
    }
}
