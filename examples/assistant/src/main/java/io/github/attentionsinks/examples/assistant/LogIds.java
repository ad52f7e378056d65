package io.github.attentionsinks.examples.assistant;

/** Conversation ids are capabilities: logs and error messages show only their first characters. */
final class LogIds {
    private LogIds() {}

    static String shorten(String id) {
        if (id == null) {
            return "null";
        }
        return id.length() <= 6 ? id : id.substring(0, 6);
    }
}
