package io.github.attentionsinks;

/**
 * A setting of the model builder (its {@code dtype}, its {@code device}) whose value cannot be used; the message says
 * why and what to use instead. Adapters (the CLI, the Spring starter) map it to their own option by
 * {@link #setting()}.
 */
public class InvalidSettingException extends IllegalArgumentException {
    private final String setting;
    private final String value;

    public InvalidSettingException(String setting, String value, String message) {
        super(message);
        this.setting = setting;
        this.value = value;
    }

    /** The builder setting at fault: {@code dtype} or {@code device}. */
    public String setting() {
        return setting;
    }

    /** The refused value, as given. */
    public String value() {
        return value;
    }
}
