package io.github.attentionsinks.examples.assistant;

import io.lettuce.core.resource.Delay;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.springframework.boot.autoconfigure.data.redis.ClientResourcesBuilderCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Lettuce reconnects to a Redis that went away with delays doubling up to 30 s by default, so conversations could stay
 * refused (503) for half a minute after Redis is back; here the delay stops growing at 2 s.
 */
@Configuration(proxyBeanMethods = false)
public class RedisReconnect {

    @Bean
    ClientResourcesBuilderCustomizer redisReconnectDelay() {
        return builder -> builder.reconnectDelay(
                Delay.exponential(Duration.ofMillis(50), Duration.ofSeconds(2), 2, TimeUnit.MILLISECONDS));
    }
}
