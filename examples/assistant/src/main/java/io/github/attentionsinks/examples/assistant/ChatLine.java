package io.github.attentionsinks.examples.assistant;

/**
 * One message of a conversation as the API shows it.
 *
 * @param role {@code user} or {@code assistant}
 * @param text what was said
 */
public record ChatLine(String role, String text) {}
