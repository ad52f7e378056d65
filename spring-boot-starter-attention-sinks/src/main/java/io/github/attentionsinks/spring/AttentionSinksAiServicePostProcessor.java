package io.github.attentionsinks.spring;

import io.github.attentionsinks.langchain4j.AttentionSinkChatModel;
import io.github.attentionsinks.langchain4j.AttentionSinkStreamingChatModel;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.MutablePropertyValues;
import org.springframework.beans.PropertyValue;
import org.springframework.beans.factory.config.BeanDefinition;
import org.springframework.beans.factory.config.BeanFactoryPostProcessor;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.beans.factory.config.RuntimeBeanReference;
import org.springframework.beans.factory.support.AbstractBeanDefinition;

/**
 * Makes {@code @MemoryId} reach the attention-sink chat models from {@code @AiService} interfaces of
 * langchain4j-spring-boot-starter, which offers no {@code chatRequestTransformer} setting.
 *
 * <p>That starter registers each {@code @AiService} as a bean definition of its {@code AiServiceFactory} with the
 * chat model, memory, tools and so on as properties. This post-processor runs after it (its auto-configuration is
 * ordered after the starter's) and, for AI services whose chat model or streaming chat model is an attention-sink
 * model, swaps the factory class for {@link AttentionSinkAiServiceFactory}, which takes the same properties and
 * adds {@code AttentionSinks.memoryIdTransformer()}. Only bean definitions are touched; nothing is instantiated.
 * A definition with properties this starter does not know (a newer langchain4j-spring) is left alone with a warning,
 * so the AI service still works; conversations are then matched by content instead of by memory id.
 */
public class AttentionSinksAiServicePostProcessor implements BeanFactoryPostProcessor {
    static final String STARTER_FACTORY = "dev.langchain4j.service.spring.AiServiceFactory";
    private static final Logger log = LoggerFactory.getLogger(AttentionSinksAiServicePostProcessor.class);

    @Override
    public void postProcessBeanFactory(ConfigurableListableBeanFactory beanFactory) {
        for (String name : beanFactory.getBeanDefinitionNames()) {
            BeanDefinition definition = beanFactory.getBeanDefinition(name);
            if (!STARTER_FACTORY.equals(definition.getBeanClassName())
                    || !(definition instanceof AbstractBeanDefinition abstractDefinition)) {
                continue;
            }
            MutablePropertyValues values = definition.getPropertyValues();
            if (!usesAttentionSinkModel(beanFactory, values)) {
                continue;
            }
            List<String> unknown = new ArrayList<>();
            for (PropertyValue value : values.getPropertyValueList()) {
                if (!AttentionSinkAiServiceFactory.PROPERTIES.contains(value.getName())) {
                    unknown.add(value.getName());
                }
            }
            if (!unknown.isEmpty()) {
                log.warn("@AiService bean '{}' has settings {} this attention-sinks starter does not know (newer "
                        + "langchain4j-spring-boot-starter?): left as is, so @MemoryId does not reach the "
                        + "attention-sink model and conversations are matched by content. Build the AI service with "
                        + "AiServices.builder(..).chatRequestTransformer(AttentionSinks.memoryIdTransformer()) "
                        + "instead.", name, unknown);
                continue;
            }
            abstractDefinition.setBeanClass(AttentionSinkAiServiceFactory.class);
            log.debug("@AiService bean '{}' passes @MemoryId to the attention-sink chat model", name);
        }
    }

    private static boolean usesAttentionSinkModel(ConfigurableListableBeanFactory beanFactory,
            MutablePropertyValues values) {
        return references(beanFactory, values.getPropertyValue("chatModel"), AttentionSinkChatModel.class)
                || references(beanFactory, values.getPropertyValue("streamingChatModel"),
                        AttentionSinkStreamingChatModel.class);
    }

    private static boolean references(ConfigurableListableBeanFactory beanFactory, PropertyValue value,
            Class<?> type) {
        if (value == null || !(value.getValue() instanceof RuntimeBeanReference reference)) {
            return false;
        }
        String beanName = reference.getBeanName();
        if (!beanFactory.containsBean(beanName)) {
            return false;
        }
        Class<?> beanType = beanFactory.getType(beanName, false);
        return beanType != null && type.isAssignableFrom(beanType);
    }
}
