package io.github.attentionsinks.spring;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.springframework.boot.SpringBootVersion;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/**
 * That this module really runs the starter's tests on Spring Boot 4, and that there the starter registers its
 * Boot 4 health indicator (the Boot 3 one could not even be loaded: its Actuator package is gone).
 */
class BootLineTest {
    @Test
    void theTestsRunOnSpringBoot4() {
        assertThat(SpringBootVersion.getVersion()).startsWith("4.0.");
    }

    @Test
    void theHealthIndicatorIsTheBoot4One() {
        new ApplicationContextRunner()
                .withConfiguration(AutoConfigurations.of(AttentionSinksAutoConfiguration.class))
                .withConfiguration(AutoConfigurations.of(BootActuator.autoConfigurations()))
                .withPropertyValues(Stories.baseProperties())
                .run(context -> assertThat(context).hasNotFailed()
                        .hasSingleBean(AttentionSinksBoot4HealthIndicator.class)
                        .getBean("attentionSinksHealthIndicator")
                        .isInstanceOf(AttentionSinksBoot4HealthIndicator.class));
    }
}
