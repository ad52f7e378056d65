package io.github.attentionsinks.spring;

/**
 * The auto-configured model could not be loaded because of a configuration property. Spring Boot reports it through
 * {@link AttentionSinksFailureAnalyzer}: what failed, the property at fault with its value, and what to change.
 */
public class AttentionSinksStartupException extends RuntimeException {
    private final String property;
    private final String value;
    private final String action;

    /**
     * @param property the full property name, e.g. {@code langchain4j.attention-sinks.device}
     * @param value the configured value
     * @param problem what went wrong
     * @param action what to change
     * @param cause the underlying failure
     */
    public AttentionSinksStartupException(String property, String value, String problem, String action,
            Throwable cause) {
        super(property + "=" + value + ": " + problem, cause);
        this.property = property;
        this.value = value;
        this.action = action;
    }

    /** The full name of the property at fault. */
    public String property() {
        return property;
    }

    /** The value it was set to. */
    public String value() {
        return value;
    }

    /** What the user should change. */
    public String action() {
        return action;
    }
}
