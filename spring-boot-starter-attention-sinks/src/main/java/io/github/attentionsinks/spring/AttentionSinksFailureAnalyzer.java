package io.github.attentionsinks.spring;

import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/**
 * Turns an {@link AttentionSinksStartupException} (model not found, not loadable, device not available) into
 * Spring Boot's "APPLICATION FAILED TO START" report, naming the property and the fix. Invalid values that can be
 * checked without loading anything are rejected earlier, while binding, and reported by Spring Boot's own
 * binding-validation analyzer with the same kind of message.
 */
class AttentionSinksFailureAnalyzer extends AbstractFailureAnalyzer<AttentionSinksStartupException> {
    @Override
    protected FailureAnalysis analyze(Throwable rootFailure, AttentionSinksStartupException cause) {
        String description = "The attention-sink model could not be loaded.\n\n"
                + "    Property: " + cause.property() + "\n"
                + "    Value: \"" + cause.value() + "\"\n"
                + "    Reason: " + (cause.getCause() != null ? cause.getCause().getMessage() : cause.getMessage());
        return new FailureAnalysis(description, cause.action(), cause);
    }
}
