package io.github.attentionsinks.examples.assistant;

/** A reply is still being generated for this conversation: answered 409 (send the next message after it). */
public class ConversationBusyException extends RuntimeException {
    public ConversationBusyException(String id) {
        super("Conversation '" + LogIds.shorten(id) + "...' is still answering the previous message; "
                + "send the next one after its 'done' event");
    }
}
