package io.github.attentionsinks.examples.assistant;

/** No conversation has this id (never created, deleted, or not well formed): answered 404. */
public class ConversationNotFoundException extends RuntimeException {
    public ConversationNotFoundException(String id) {
        super("No conversation with id '" + LogIds.shorten(id)
                + "...': create one with POST /api/conversations (ids are only valid as returned by it)");
    }
}
