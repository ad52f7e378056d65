package io.github.attentionsinks.spring;

import io.github.attentionsinks.AttentionSinkModel;
import io.github.attentionsinks.langchain4j.AttentionSinkChatModel;
import io.github.attentionsinks.langchain4j.AttentionSinkStreamingChatModel;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.actuate.health.AbstractHealthIndicator;
import org.springframework.boot.actuate.health.Health;

/**
 * The {@code attentionSinks} health contributor: UP once the model is loaded (the bean exists only then), with the
 * model directory and type, the device and dtype it runs on, the cache sizes and the live sessions per chat model.
 */
public class AttentionSinksHealthIndicator extends AbstractHealthIndicator {
    private final AttentionSinkModel model;
    private final AttentionSinksProperties properties;
    private final ObjectProvider<AttentionSinkStreamingChatModel> streaming;
    private final ObjectProvider<AttentionSinkChatModel> blocking;

    public AttentionSinksHealthIndicator(AttentionSinkModel model, AttentionSinksProperties properties,
            ObjectProvider<AttentionSinkStreamingChatModel> streaming,
            ObjectProvider<AttentionSinkChatModel> blocking) {
        super("attention-sink model health check failed");
        this.model = model;
        this.properties = properties;
        this.streaming = streaming;
        this.blocking = blocking;
    }

    @Override
    protected void doHealthCheck(Health.Builder builder) {
        builder.up()
                .withDetail("model", model.directory().toString())
                .withDetail("modelType", model.config().modelType())
                .withDetail("device", model.device().toString())
                .withDetail("dtype", model.dataType().toString())
                .withDetail("attentionSinkSize", properties.getAttentionSinkSize())
                .withDetail("windowSize", properties.getWindowSize());
        AttentionSinkStreamingChatModel s = streaming.getIfUnique();
        AttentionSinkChatModel b = blocking.getIfUnique();
        if (s != null && s.sharesSessionsWith(b)) {
            builder.withDetail("sessions", s.sessionIds().size()); // one set, served by both
            return;
        }
        if (s != null) {
            builder.withDetail("streamingSessions", s.sessionIds().size());
        }
        if (b != null) {
            builder.withDetail("blockingSessions", b.sessionIds().size());
        }
    }
}
