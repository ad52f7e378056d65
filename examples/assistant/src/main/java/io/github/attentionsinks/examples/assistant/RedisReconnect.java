package io.github.attentionsinks.examples.assistant;

import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;
import io.lettuce.core.resource.Delay;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Lettuce reconnects to a Redis that went away with delays doubling up to 30 s by default, so conversations could stay
 * refused (503) for half a minute after Redis is back; here the delay stops growing at 2 s.
 *
 * <p>The client resources are Lettuce's own bean, which Spring Boot's Redis auto-configuration uses instead of making
 * its own, on Boot 3.5 and 4.0 alike (Boot's customizer interface for them moved package in Boot 4).
 */
@Configuration(proxyBeanMethods = false)
public class RedisReconnect {

    @Bean(destroyMethod = "shutdown")
    ClientResources lettuceClientResources() {
        return DefaultClientResources.builder()
                .reconnectDelay(Delay.exponential(Duration.ofMillis(50), Duration.ofSeconds(2), 2, TimeUnit.MILLISECONDS))
                .build();
    }
}
