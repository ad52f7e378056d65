package io.github.attentionsinks.spring;

import java.util.Map;
import org.springframework.boot.health.actuate.endpoint.HealthEndpoint;
import org.springframework.boot.health.actuate.endpoint.IndicatedHealthDescriptor;
import org.springframework.boot.health.autoconfigure.actuate.endpoint.HealthEndpointAutoConfiguration;
import org.springframework.boot.health.autoconfigure.contributor.HealthContributorAutoConfiguration;
import org.springframework.boot.health.autoconfigure.registry.HealthContributorRegistryAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.MetricsAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.export.simple.SimpleMetricsExportAutoConfiguration;
import org.springframework.context.ApplicationContext;

/**
 * The Actuator API of Spring Boot 4, in place of the starter's Boot 3.5 class of this name (which lives in its
 * src/test/boot3, outside the test sources shared with this module): health moved to spring-boot-health
 * ({@code org.springframework.boot.health.*}), metrics to spring-boot-micrometer-metrics.
 */
final class BootActuator {
    private BootActuator() {}

    /** Boot's own metrics (simple registry) and health endpoint auto-configurations. */
    static Class<?>[] autoConfigurations() {
        return new Class<?>[] {MetricsAutoConfiguration.class, SimpleMetricsExportAutoConfiguration.class,
            CompositeMeterRegistryAutoConfiguration.class, HealthContributorAutoConfiguration.class,
            HealthContributorRegistryAutoConfiguration.class, HealthEndpointAutoConfiguration.class};
    }

    /** One component of the health endpoint, as the endpoint reports it. */
    static ComponentHealth health(ApplicationContext context, String component) {
        IndicatedHealthDescriptor health =
                (IndicatedHealthDescriptor) context.getBean(HealthEndpoint.class).healthForPath(component);
        return new ComponentHealth(health.getStatus().getCode(), health.getDetails());
    }

    /** The status code and details of one health component. */
    record ComponentHealth(String status, Map<String, Object> details) {}
}
