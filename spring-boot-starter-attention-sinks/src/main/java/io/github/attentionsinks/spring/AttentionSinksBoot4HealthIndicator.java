package io.github.attentionsinks.spring;

import org.springframework.boot.health.contributor.AbstractHealthIndicator;
import org.springframework.boot.health.contributor.Health;

/**
 * The {@code attentionSinks} health contributor on Spring Boot 4, whose health API moved to the spring-boot-health
 * module ({@code org.springframework.boot.health.contributor}): UP once the model is loaded, with the
 * {@link AttentionSinksHealthDetails}. On Boot 3 {@link AttentionSinksHealthIndicator} takes its place.
 */
public class AttentionSinksBoot4HealthIndicator extends AbstractHealthIndicator {
    private final AttentionSinksHealthDetails details;

    /** @param details what to report */
    public AttentionSinksBoot4HealthIndicator(AttentionSinksHealthDetails details) {
        super("attention-sink model health check failed");
        this.details = details;
    }

    @Override
    protected void doHealthCheck(Health.Builder builder) {
        builder.up().withDetails(details.details());
    }
}
