package io.github.attentionsinks.spring;

import java.util.Map;
import org.springframework.boot.actuate.autoconfigure.health.HealthContributorAutoConfiguration;
import org.springframework.boot.actuate.autoconfigure.health.HealthEndpointAutoConfiguration;
import org.springframework.boot.actuate.autoconfigure.metrics.CompositeMeterRegistryAutoConfiguration;
import org.springframework.boot.actuate.autoconfigure.metrics.MetricsAutoConfiguration;
import org.springframework.boot.actuate.autoconfigure.metrics.export.simple.SimpleMetricsExportAutoConfiguration;
import org.springframework.boot.actuate.health.Health;
import org.springframework.boot.actuate.health.HealthEndpoint;
import org.springframework.context.ApplicationContext;

/**
 * The Actuator API of the Boot line under test, Spring Boot 3.5 here. It sits in src/test/boot3, outside the test
 * sources that spring-boot-starter-attention-sinks-boot4-tests shares, which has its own class of this name,
 * compiled against Boot 4 (where these types moved), so {@link ActuatorTest} runs
 * unchanged on both lines.
 */
final class BootActuator {
    private BootActuator() {}

    /** Boot's own metrics (simple registry) and health endpoint auto-configurations. */
    static Class<?>[] autoConfigurations() {
        return new Class<?>[] {MetricsAutoConfiguration.class, SimpleMetricsExportAutoConfiguration.class,
            CompositeMeterRegistryAutoConfiguration.class, HealthContributorAutoConfiguration.class,
            HealthEndpointAutoConfiguration.class};
    }

    /** One component of the health endpoint, as the endpoint reports it. */
    static ComponentHealth health(ApplicationContext context, String component) {
        Health health = (Health) context.getBean(HealthEndpoint.class).healthForPath(component);
        return new ComponentHealth(health.getStatus().getCode(), health.getDetails());
    }

    /** The status code and details of one health component. */
    record ComponentHealth(String status, Map<String, Object> details) {}
}
