package io.github.attentionsinks.spring;

import org.springframework.boot.actuate.health.AbstractHealthIndicator;
import org.springframework.boot.actuate.health.Health;

/**
 * The {@code attentionSinks} health contributor on Spring Boot 3 (Actuator's
 * {@code org.springframework.boot.actuate.health} API): UP once the model is loaded, with the
 * {@link AttentionSinksHealthDetails}. On Boot 4 {@link AttentionSinksBoot4HealthIndicator} takes its place.
 */
public class AttentionSinksHealthIndicator extends AbstractHealthIndicator {
    private final AttentionSinksHealthDetails details;

    /** @param details what to report */
    public AttentionSinksHealthIndicator(AttentionSinksHealthDetails details) {
        super("attention-sink model health check failed");
        this.details = details;
    }

    @Override
    protected void doHealthCheck(Health.Builder builder) {
        builder.up().withDetails(details.details());
    }
}
