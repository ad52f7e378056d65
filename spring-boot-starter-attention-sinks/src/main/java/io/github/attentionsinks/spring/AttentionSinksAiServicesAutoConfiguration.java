package io.github.attentionsinks.spring;

import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;

/**
 * Registers {@link AttentionSinksAiServicePostProcessor} when langchain4j-spring-boot-starter's {@code @AiService}
 * support is present. Ordered after that starter's auto-configuration so that its bean factory post-processor,
 * which creates the AI service definitions, runs first. Switch it off with
 * {@code langchain4j.attention-sinks.ai-service-memory-id=false}.
 */
@AutoConfiguration(afterName = "dev.langchain4j.spring.LangChain4jAutoConfig")
@ConditionalOnClass(name = {"dev.langchain4j.service.spring.AiService", "dev.langchain4j.service.AiServices"})
@ConditionalOnProperty(prefix = AttentionSinksProperties.PREFIX, name = "ai-service-memory-id",
        matchIfMissing = true)
public class AttentionSinksAiServicesAutoConfiguration {
    /** Static: a bean factory post-processor must not force the configuration class to be created early. */
    @Bean
    static AttentionSinksAiServicePostProcessor attentionSinksAiServicePostProcessor() {
        return new AttentionSinksAiServicePostProcessor();
    }
}
