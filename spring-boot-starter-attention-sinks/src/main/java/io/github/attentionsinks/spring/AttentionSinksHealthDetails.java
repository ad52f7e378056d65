package io.github.attentionsinks.spring;

import io.github.attentionsinks.AttentionSinkModel;
import io.github.attentionsinks.langchain4j.AttentionSinkChatModel;
import io.github.attentionsinks.langchain4j.AttentionSinkStreamingChatModel;
import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.beans.factory.ObjectProvider;

/**
 * What the {@code attentionSinks} health contributor reports, free of any Actuator type so that the Boot 3
 * ({@link AttentionSinksHealthIndicator}) and Boot 4 ({@link AttentionSinksBoot4HealthIndicator}) indicators report
 * the same: the model directory and type, the device and dtype it runs on, the cache sizes and the live sessions per
 * chat model.
 */
public class AttentionSinksHealthDetails {
    private final AttentionSinkModel model;
    private final AttentionSinksProperties properties;
    private final ObjectProvider<AttentionSinkStreamingChatModel> streaming;
    private final ObjectProvider<AttentionSinkChatModel> blocking;

    /**
     * @param model      the loaded model
     * @param properties the bound {@code langchain4j.attention-sinks.*} properties (for S and W)
     * @param streaming  the streaming chat model, if any
     * @param blocking   the blocking chat model, if any
     */
    public AttentionSinksHealthDetails(AttentionSinkModel model, AttentionSinksProperties properties,
            ObjectProvider<AttentionSinkStreamingChatModel> streaming,
            ObjectProvider<AttentionSinkChatModel> blocking) {
        this.model = model;
        this.properties = properties;
        this.streaming = streaming;
        this.blocking = blocking;
    }

    /** The details, in a stable order; the status is always UP (the bean exists only once the model is loaded). */
    public Map<String, Object> details() {
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("model", model.directory().toString());
        details.put("modelType", model.config().modelType());
        details.put("device", model.device().toString());
        details.put("dtype", model.weightType().toString());
        details.put("cacheDtype", model.cacheDtype().canonicalName());
        details.put("kernels", model.kernels());
        details.put("attentionSinkSize", properties.getAttentionSinkSize());
        details.put("windowSize", properties.getWindowSize());
        AttentionSinkStreamingChatModel s = streaming.getIfUnique();
        AttentionSinkChatModel b = blocking.getIfUnique();
        if (s != null && s.sharesSessionsWith(b)) {
            details.put("sessions", s.sessionIds().size()); // one set, served by both
            return details;
        }
        if (s != null) {
            details.put("streamingSessions", s.sessionIds().size());
        }
        if (b != null) {
            details.put("blockingSessions", b.sessionIds().size());
        }
        return details;
    }
}
