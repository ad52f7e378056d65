package io.github.attentionsinks.examples.assistant;

import java.security.SecureRandom;
import java.util.Base64;
import java.util.regex.Pattern;

/**
 * Conversation ids: 160 random bits from {@link SecureRandom}, URL-safe Base64 (27 characters). The id is the
 * capability to read and continue a conversation, so it must not be guessable or enumerable.
 */
final class ConversationIds {
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Pattern FORM = Pattern.compile("[A-Za-z0-9_-]{27}");

    private ConversationIds() {}

    static String newId() {
        byte[] bytes = new byte[20];
        RANDOM.nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    /** Whether {@code id} has the form of an id this class makes (anything else is unknown without asking Redis). */
    static boolean isWellFormed(String id) {
        return id != null && FORM.matcher(id).matches();
    }
}
