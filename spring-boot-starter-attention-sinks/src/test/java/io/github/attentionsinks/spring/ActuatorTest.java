package io.github.attentionsinks.spring;

import static io.github.attentionsinks.spring.AttentionSinksAutoConfigurationTest.request;
import static io.github.attentionsinks.spring.AttentionSinksAutoConfigurationTest.stream;
import static org.assertj.core.api.Assertions.assertThat;

import dev.langchain4j.model.chat.response.ChatResponse;
import io.github.attentionsinks.AttentionSinkModel;
import io.github.attentionsinks.langchain4j.AttentionSinkChatModel;
import io.github.attentionsinks.langchain4j.AttentionSinkStreamingChatModel;
import io.github.attentionsinks.langchain4j.ChatSessionStats;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.context.FilteredClassLoader;

/**
 * The health contributor and the Micrometer meters, bound by Spring Boot's own actuator auto-configuration. Runs on
 * Boot 3.5 here and on Boot 4 in the boot4-tests module: the Boot-line specific Actuator types stay in
 * {@link BootActuator}.
 */
class ActuatorTest {
    private static final String P = "langchain4j.attention-sinks.";

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(AttentionSinksAutoConfiguration.class))
            .withConfiguration(AutoConfigurations.of(BootActuator.autoConfigurations()))
            .withPropertyValues(Stories.baseProperties())
            .withPropertyValues(P + "attention-sink-size=2", P + "window-size=30",
                    "management.endpoint.health.show-details=always");

    @Test
    void healthReportsTheLoadedModelAndItsDevice() {
        runner.withPropertyValues(P + "share-sessions=false", P + "kernels=libtorch").run(context -> {
            context.getBean(AttentionSinkChatModel.class).chat(request("h", "Hi"));
            BootActuator.ComponentHealth ours = BootActuator.health(context, "attentionSinks");
            assertThat(ours.status()).isEqualTo("UP");
            Map<String, Object> details = ours.details();
            assertThat(details).containsEntry("model", Stories.dir().toString()).containsEntry("modelType", "llama")
                    .containsEntry("dtype", "float32").containsEntry("cacheDtype", "float32")
                    .containsEntry("kernels", "libtorch")
                    .containsEntry("attentionSinkSize", 2)
                    .containsEntry("windowSize", 30).containsEntry("blockingSessions", 1)
                    .containsEntry("streamingSessions", 0);
            assertThat((String) details.get("device")).startsWith("cpu");
        });
    }

    @Test
    void metersCountTokensSessionsAndCache() {
        String longMessage = "The little cat sat on the mat and looked at the big red ball. ".repeat(4);
        runner.withPropertyValues(P + "share-sessions=false").run(context -> {
            MeterRegistry registry = context.getBean(MeterRegistry.class);
            AttentionSinkChatModel blocking = context.getBean(AttentionSinkChatModel.class);
            AttentionSinkStreamingChatModel streaming = context.getBean(AttentionSinkStreamingChatModel.class);
            ChatResponse a = blocking.chat(request("a", longMessage));
            ChatResponse b = blocking.chat(request("b", "Hi"));
            ChatResponse c = stream(streaming, request("c", "Hello"));

            assertThat(counter(registry, "attention.sinks.tokens.generated", "blocking"))
                    .isEqualTo((double) (a.tokenUsage().outputTokenCount() + b.tokenUsage().outputTokenCount()));
            assertThat(counter(registry, "attention.sinks.tokens.generated", "streaming"))
                    .isEqualTo((double) c.tokenUsage().outputTokenCount());
            DistributionSummary rate = registry.get("attention.sinks.tokens.per.second").tag("chat.model", "blocking")
                    .summary();
            assertThat(rate.count()).isEqualTo(2);
            assertThat(rate.max()).isPositive();

            assertThat(gauge(registry, "attention.sinks.sessions.active", "blocking")).isEqualTo(2.0);
            assertThat(gauge(registry, "attention.sinks.sessions.active", "streaming")).isEqualTo(1.0);
            ChatSessionStats sa = blocking.sessionStats("a").orElseThrow();
            ChatSessionStats sb = blocking.sessionStats("b").orElseThrow();
            assertThat(sa.cacheLength()).as("the long message overflowed S + W").isEqualTo(32);
            assertThat(gauge(registry, "attention.sinks.cache.tokens", "blocking"))
                    .isEqualTo((double) (sa.cacheLength() + sb.cacheLength()));
            assertThat(gauge(registry, "attention.sinks.cache.bytes", "blocking"))
                    .isEqualTo((double) (sa.cacheBytes() + sb.cacheBytes())).isPositive();
            assertThat(gauge(registry, "attention.sinks.cache.evicted.tokens", "blocking"))
                    .isEqualTo((double) (sa.streamLength() - 32 + sb.streamLength() - sb.cacheLength()))
                    .isPositive();

            // The decode loops make spares of the buffers a and b took fresh once idle: let them finish first.
            long keptBefore = settledKeptBytes(blocking.model());
            assertThat(blocking.evictSession("b")).isTrue();
            long kept = blocking.model().keptCacheBytes();
            // b's buffers are kept for the next session; each takes the place of a spare made for b, if one is kept.
            assertThat(kept).as("b's buffers, kept for the next session").isGreaterThanOrEqualTo(sb.cacheBytes())
                    .isBetween(keptBefore, keptBefore + sb.cacheBytes());
            // Both chat models run one model: its kept buffers are counted once, under the first kind.
            assertThat(blocking.model()).isSameAs(streaming.model());
            assertThat(gauge(registry, "attention.sinks.cache.kept.bytes", "streaming")).isEqualTo((double) kept);
            assertThat(gauge(registry, "attention.sinks.cache.kept.bytes", "blocking")).isEqualTo(0.0);
        });
    }

    /**
     * The default: the blocking model serves the streaming model's sessions. Calls are still counted per kind; the
     * shared sessions are counted once, under streaming, and health reports one set.
     */
    @Test
    void sharedSessionsAreCountedOnceAndCallsPerKind() {
        runner.run(context -> {
            MeterRegistry registry = context.getBean(MeterRegistry.class);
            AttentionSinkChatModel blocking = context.getBean(AttentionSinkChatModel.class);
            AttentionSinkStreamingChatModel streaming = context.getBean(AttentionSinkStreamingChatModel.class);
            assertThat(blocking.sharesSessionsWith(streaming)).isTrue();
            ChatResponse a = blocking.chat(request("a", "Hi"));
            ChatResponse c = stream(streaming, request("c", "Hello"));
            assertThat(counter(registry, "attention.sinks.tokens.generated", "blocking"))
                    .isEqualTo((double) a.tokenUsage().outputTokenCount());
            assertThat(counter(registry, "attention.sinks.tokens.generated", "streaming"))
                    .isEqualTo((double) c.tokenUsage().outputTokenCount());
            assertThat(gauge(registry, "attention.sinks.sessions.active", "streaming")).isEqualTo(2.0);
            assertThat(gauge(registry, "attention.sinks.sessions.active", "blocking")).isEqualTo(0.0);
            ChatSessionStats sa = streaming.sessionStats("a").orElseThrow();
            ChatSessionStats sc = streaming.sessionStats("c").orElseThrow();
            assertThat(gauge(registry, "attention.sinks.cache.tokens", "streaming"))
                    .isEqualTo((double) (sa.cacheLength() + sc.cacheLength()));
            Map<String, Object> details = BootActuator.health(context, "attentionSinks").details();
            assertThat(details).containsEntry("sessions", 2).doesNotContainKey("blockingSessions");
        });
    }

    @Test
    void withoutActuatorAndMicrometerTheChatModelsStillWork() {
        new ApplicationContextRunner()
                .withConfiguration(AutoConfigurations.of(AttentionSinksAutoConfiguration.class))
                // Actuator's health API: org.springframework.boot.actuate on Boot 3, org.springframework.boot.health on 4.
                .withClassLoader(new FilteredClassLoader("org.springframework.boot.actuate",
                        "org.springframework.boot.health", "io.micrometer.core"))
                .withPropertyValues(Stories.baseProperties())
                .run(context -> {
                    assertThat(context).hasNotFailed().hasSingleBean(AttentionSinkChatModel.class)
                            .doesNotHaveBean(AttentionSinksMetrics.class)
                            .doesNotHaveBean("attentionSinksHealthIndicator"); // by name: either Boot line's class
                    assertThat(context.getBean(AttentionSinkChatModel.class).chat(request("n", "Hi"))
                            .tokenUsage().outputTokenCount()).isPositive();
                });
    }

    private static double counter(MeterRegistry registry, String name, String kind) {
        return registry.get(name).tag("chat.model", kind).functionCounter().count();
    }

    private static double gauge(MeterRegistry registry, String name, String kind) {
        return registry.get(name).tag("chat.model", kind).gauge().value();
    }

    /** The model's kept cache bytes once they stayed the same for 300 ms (spares being made change them). */
    private static long settledKeptBytes(AttentionSinkModel model) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        long kept = model.keptCacheBytes();
        long since = System.nanoTime();
        while (System.nanoTime() - since < TimeUnit.MILLISECONDS.toNanos(300) && System.nanoTime() < deadline) {
            Thread.sleep(10);
            long now = model.keptCacheBytes();
            if (now != kept) {
                kept = now;
                since = System.nanoTime();
            }
        }
        return kept;
    }
}
