package io.github.attentionsinks.spring;

import dev.langchain4j.model.chat.listener.ChatModelListener;
import io.github.attentionsinks.AttentionSinkModel;
import io.github.attentionsinks.InvalidSettingException;
import io.github.attentionsinks.cache.CacheConfig;
import io.github.attentionsinks.hub.ModelResolutionException;
import io.github.attentionsinks.hub.ModelResolver;
import io.github.attentionsinks.langchain4j.AttentionSinkChatModel;
import io.github.attentionsinks.langchain4j.AttentionSinkChatModelBuilder;
import io.github.attentionsinks.langchain4j.AttentionSinkStreamingChatModel;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Auto-configures one shared {@link AttentionSinkModel} (the weights, loaded once and closed with the context) and
 * the LangChain4j chat models on top of it: {@link AttentionSinkStreamingChatModel} and
 * {@link AttentionSinkChatModel}. Nothing is created unless {@code langchain4j.attention-sinks.model} is set; each
 * bean backs off when the application defines its own bean of that type. Every {@link ChatModelListener} bean is
 * registered with both chat models. With Actuator on the class path (Spring Boot 3.5 or 4.0) a health indicator
 * is added, with Micrometer a set of meters (see {@link AttentionSinksMetrics}).
 */
@AutoConfiguration
@ConditionalOnProperty(prefix = AttentionSinksProperties.PREFIX, name = "model")
@EnableConfigurationProperties(AttentionSinksProperties.class)
public class AttentionSinksAutoConfiguration {
    private static final Logger log = LoggerFactory.getLogger(AttentionSinksAutoConfiguration.class);
    private static final String P = AttentionSinksProperties.PREFIX + ".";

    /** The weights, tokenizer and chat template, loaded once; closed when the context closes. */
    @Bean
    @ConditionalOnMissingBean
    public AttentionSinkModel attentionSinkModel(AttentionSinksProperties properties) {
        String model = properties.getModel().strip();
        Path directory;
        try {
            directory = ModelResolver.resolve(model);
        } catch (ModelResolutionException e) {
            throw new AttentionSinksStartupException(P + "model", model, e.getMessage(),
                    "Set " + P + "model to an existing Hugging Face checkpoint directory, or to a Hub id that is in "
                            + "the Hugging Face cache or can be downloaded (network, HF_TOKEN for gated models; "
                            + "HF_HUB_OFFLINE=1 forbids downloads).", e);
        }
        try {
            return AttentionSinkModel.builder()
                    .modelPath(directory)
                    .device(properties.getDevice())
                    .dtype(properties.getDtype())
                    .cacheDtype(properties.getCacheDtype())
                    .kernels(properties.getKernels())
                    // S+W in the model's one load line, so a start logs it once, with the device and dtype.
                    .reportedCache(CacheConfig.sinks(properties.getAttentionSinkSize(), properties.getWindowSize()))
                    .load();
        } catch (RuntimeException e) {
            throw loadFailure(e, properties, directory);
        }
    }

    /** Attributes a load failure to the property that caused it (device, dtype, kernels, else the model itself). */
    private static AttentionSinksStartupException loadFailure(RuntimeException e, AttentionSinksProperties p,
            Path directory) {
        String message = String.valueOf(e.getMessage());
        if (e instanceof InvalidSettingException setting && setting.setting().equals("device")) {
            return new AttentionSinksStartupException(P + "device", p.getDevice(), message,
                    "Set " + P + "device=cpu, or put a CUDA build of the PyTorch native library on the class path "
                            + "to use a GPU.", e);
        }
        if (e instanceof InvalidSettingException setting && setting.setting().equals("dtype")) {
            return new AttentionSinksStartupException(P + "dtype", p.getDtype(), message,
                    "Set " + P + "dtype=float32 or float16" + (p.getDtype().equalsIgnoreCase("int8")
                            ? ", or start the JVM with --add-modules jdk.incubator.vector for int8 on a CPU." : "."),
                    e);
        }
        if (e instanceof InvalidSettingException setting && setting.setting().equals("kernels")) {
            return new AttentionSinksStartupException(P + "kernels", p.getKernels(), message,
                    "Set " + P + "kernels=auto, or start the JVM with --add-modules jdk.incubator.vector.", e);
        }
        return new AttentionSinksStartupException(P + "model", p.getModel(), message,
                "Point " + P + "model at a complete Hugging Face checkpoint (config.json, model.safetensors or its "
                        + "shards, tokenizer.json) of a supported architecture; " + directory.toAbsolutePath()
                        + " could not be loaded.", e);
    }

    /** The streaming chat model; shares the loaded model with {@link #attentionSinkChatModel}. */
    @Bean
    @ConditionalOnMissingBean
    public AttentionSinkStreamingChatModel attentionSinkStreamingChatModel(AttentionSinkModel model,
            AttentionSinksProperties properties, ObjectProvider<ChatModelListener> listeners,
            ObjectProvider<ChatModelObserver> observers) {
        List<ChatModelListener> all = listeners(listeners, observers, "streaming");
        AttentionSinkStreamingChatModel chatModel = build(AttentionSinkStreamingChatModel.builder(), model,
                properties, all, AttentionSinkStreamingChatModel.Builder::build);
        observers.orderedStream().forEach(o -> o.track("streaming", chatModel));
        return chatModel;
    }

    /**
     * The blocking chat model. By default ({@code share-sessions}) a view of the streaming model with listeners of its
     * own: one set of sessions and one decode loop, so a conversation keeps its cache whichever model serves a turn
     * and both batch together. Otherwise a model of its own over the same loaded model.
     */
    @Bean
    @ConditionalOnMissingBean
    public AttentionSinkChatModel attentionSinkChatModel(AttentionSinkModel model, AttentionSinksProperties properties,
            ObjectProvider<ChatModelListener> listeners, ObjectProvider<ChatModelObserver> observers,
            ObjectProvider<AttentionSinkStreamingChatModel> streaming) {
        List<ChatModelListener> all = listeners(listeners, observers, "blocking");
        AttentionSinkStreamingChatModel shared = properties.isShareSessions() ? streaming.getIfUnique() : null;
        AttentionSinkChatModel chatModel = shared != null ? shared.blocking(all)
                : build(AttentionSinkChatModel.builder(), model, properties, all,
                        AttentionSinkChatModel.Builder::build);
        observers.orderedStream().forEach(o -> o.track("blocking", chatModel));
        return chatModel;
    }

    private static List<ChatModelListener> listeners(ObjectProvider<ChatModelListener> beans,
            ObjectProvider<ChatModelObserver> observers, String kind) {
        List<ChatModelListener> all = new ArrayList<>(beans.orderedStream().toList());
        observers.orderedStream().forEach(o -> all.add(o.listener(kind)));
        return all;
    }

    private static <B extends AttentionSinkChatModelBuilder<B>, M> M build(B builder, AttentionSinkModel model,
            AttentionSinksProperties p, List<ChatModelListener> listeners, java.util.function.Function<B, M> build) {
        builder.model(model)
                .attentionSinkSize(p.getAttentionSinkSize())
                .windowSize(p.getWindowSize())
                .maxSessions(p.getMaxSessions())
                .sessionIdleTimeout(p.getSessionIdleTimeout())
                .listeners(listeners)
                .returnThinking(p.isReturnThinking())
                .batchedDecoding(p.isBatchedDecoding())
                .prefillChunk(p.getPrefillChunk())
                .sharePromptPrefixes(p.isSharePromptPrefixes())
                .warmUp(p.isWarmUp())
                .maxQueuedRequests(p.getMaxQueuedRequests())
                .seed(p.getSeed());
        if (p.getLongPromptChunk() != null) {
            builder.longPromptChunk(p.getLongPromptChunk());
        }
        if (p.getTemperature() != null) {
            builder.temperature(p.getTemperature());
        }
        if (p.getTopP() != null) {
            builder.topP(p.getTopP());
        }
        if (p.getTopK() != null) {
            builder.topK(p.getTopK());
        }
        if (p.getMaxNewTokens() != null) {
            builder.maxNewTokens(p.getMaxNewTokens());
        }
        if (p.getRepetitionPenalty() != null) {
            builder.repetitionPenalty(p.getRepetitionPenalty());
        }
        if (p.getStopSequences() != null) {
            builder.stopSequences(p.getStopSequences());
        }
        if (p.effectiveMaxBatchSize() != null) {
            builder.maxBatchSize(p.effectiveMaxBatchSize());
        }
        if (p.getModelName() != null) {
            builder.modelName(p.getModelName());
        }
        String templateProperty = null;
        if (p.getChatTemplateName() != null) {
            builder.chatTemplateName(p.getChatTemplateName());
            templateProperty = "chat-template-name";
        }
        if (p.getChatTemplate() != null) {
            builder.chatTemplate(p.getChatTemplate());
            templateProperty = "chat-template";
        } else if (p.getChatTemplateLocation() != null) {
            try {
                builder.chatTemplate(p.getChatTemplateLocation().getContentAsString(StandardCharsets.UTF_8));
            } catch (IOException e) {
                throw new AttentionSinksStartupException(P + "chat-template-location",
                        p.getChatTemplateLocation().getDescription(), "cannot read the template: " + e.getMessage(),
                        "Point " + P + "chat-template-location at a readable UTF-8 Jinja file.", e);
            }
            templateProperty = "chat-template-location";
        }
        try {
            return build.apply(builder);
        } catch (RuntimeException e) {
            if (templateProperty != null && String.valueOf(e.getMessage()).contains("chat template")) {
                throw new AttentionSinksStartupException(P + templateProperty, "(template)", e.getMessage(),
                        "Fix the Jinja template, or remove " + P + templateProperty + " to use the model's own.", e);
            }
            throw e;
        }
    }

    /** Micrometer meters; only when Micrometer is on the class path. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(name = "io.micrometer.core.instrument.binder.MeterBinder")
    static class MetricsConfiguration {
        @Bean
        @ConditionalOnMissingBean
        AttentionSinksMetrics attentionSinksMetrics() {
            return new AttentionSinksMetrics();
        }
    }

    /*
     * The attentionSinks health contributor, only when Actuator is on the class path. Boot 3 and Boot 4 keep their
     * health API in different packages, so each line gets its own indicator class, compiled against its own API and
     * guarded by the name of a class only that line has. Both use one bean name: the component is "attentionSinks"
     * on either line.
     */
    static final String HEALTH_INDICATOR_BEAN = "attentionSinksHealthIndicator";

    /** Spring Boot 3.x: {@code org.springframework.boot.actuate.health}. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(name = "org.springframework.boot.actuate.health.HealthIndicator")
    static class Boot3HealthConfiguration {
        @Bean(HEALTH_INDICATOR_BEAN)
        @ConditionalOnMissingBean(name = HEALTH_INDICATOR_BEAN)
        AttentionSinksHealthIndicator attentionSinksHealthIndicator(AttentionSinkModel model,
                AttentionSinksProperties properties, ObjectProvider<AttentionSinkStreamingChatModel> streaming,
                ObjectProvider<AttentionSinkChatModel> blocking) {
            log.debug("Registering the attentionSinks health indicator (Spring Boot 3 Actuator)");
            return new AttentionSinksHealthIndicator(
                    new AttentionSinksHealthDetails(model, properties, streaming, blocking));
        }
    }

    /** Spring Boot 4.x: {@code org.springframework.boot.health.contributor} (module spring-boot-health). */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(name = "org.springframework.boot.health.contributor.HealthIndicator")
    static class Boot4HealthConfiguration {
        @Bean(HEALTH_INDICATOR_BEAN)
        @ConditionalOnMissingBean(name = HEALTH_INDICATOR_BEAN)
        AttentionSinksBoot4HealthIndicator attentionSinksHealthIndicator(AttentionSinkModel model,
                AttentionSinksProperties properties, ObjectProvider<AttentionSinkStreamingChatModel> streaming,
                ObjectProvider<AttentionSinkChatModel> blocking) {
            log.debug("Registering the attentionSinks health indicator (Spring Boot 4 spring-boot-health)");
            return new AttentionSinksBoot4HealthIndicator(
                    new AttentionSinksHealthDetails(model, properties, streaming, blocking));
        }
    }
}
