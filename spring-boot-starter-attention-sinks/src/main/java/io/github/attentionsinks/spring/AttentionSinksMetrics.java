package io.github.attentionsinks.spring;

import dev.langchain4j.model.chat.listener.ChatModelListener;
import dev.langchain4j.model.chat.listener.ChatModelRequestContext;
import dev.langchain4j.model.chat.listener.ChatModelResponseContext;
import dev.langchain4j.model.output.TokenUsage;
import io.github.attentionsinks.langchain4j.AttentionSinkBaseChatModel;
import io.github.attentionsinks.langchain4j.ChatSessionStats;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.function.ToDoubleFunction;

/**
 * Micrometer meters of the auto-configured chat models, each tagged {@code chat.model=streaming|blocking}:
 * <ul>
 *   <li>{@code attention.sinks.tokens.generated} (counter): reply tokens generated;</li>
 *   <li>{@code attention.sinks.tokens.per.second} (distribution summary): reply tokens per second of each chat
 *       call, measured from the request to the complete response (so it includes queueing and prompt encoding);</li>
 *   <li>{@code attention.sinks.sessions.active} (gauge): conversations holding a session;</li>
 *   <li>{@code attention.sinks.cache.tokens} / {@code attention.sinks.cache.bytes} (gauges): tokens and native bytes
 *       in the KV caches of those sessions;</li>
 *   <li>{@code attention.sinks.cache.evicted.tokens} (gauge): tokens those sessions have evicted from their caches
 *       (stream length minus cache length), the work the attention-sink cache saves;</li>
 *   <li>{@code attention.sinks.cache.kept.bytes} (gauge): native bytes of cache buffers that closed sessions gave
 *       back or the idle decode loop made spare, kept 30 s for new sessions, but those a batch of new sessions
 *       starts with, kept as long as the model runs ({@code AttentionSinkModel.keptCacheBytes()}); counted once per
 *       model.</li>
 * </ul>
 * Session gauges read each session's state after its last completed turn. When the blocking model serves the
 * streaming model's sessions (the starter's default, {@code share-sessions}), they are counted once, under
 * {@code chat.model=streaming}, and the blocking session gauges read 0; token counters and rates still tell the two
 * kinds of calls apart. Sessions closed by the idle timeout or the session limit are not counted: the chat models do
 * not report those evictions.
 */
public class AttentionSinksMetrics implements MeterBinder, ChatModelObserver {
    private static final List<String> KINDS = List.of("streaming", "blocking");
    private static final Object START = new Object();

    private record Tracked(Object model, Supplier<Set<Object>> ids,
            Function<Object, Optional<ChatSessionStats>> stats) {}

    private final Map<String, Tracked> tracked = new ConcurrentHashMap<>();
    private final Map<String, LongAdder> generated = new ConcurrentHashMap<>();
    private final List<Map.Entry<String, DistributionSummary>> rates = new CopyOnWriteArrayList<>();

    public AttentionSinksMetrics() {
        KINDS.forEach(k -> generated.put(k, new LongAdder()));
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        for (String kind : KINDS) {
            FunctionCounter.builder("attention.sinks.tokens.generated", this, m -> m.generated.get(kind).sum())
                    .description("Reply tokens generated").baseUnit("tokens").tag("chat.model", kind)
                    .register(registry);
            rates.add(Map.entry(kind, DistributionSummary.builder("attention.sinks.tokens.per.second")
                    .description("Reply tokens per second of each chat call, request to complete response")
                    .baseUnit("tokens/s").tag("chat.model", kind).register(registry)));
            gauge(registry, "attention.sinks.sessions.active", "Conversations holding a session", "sessions", kind,
                    m -> m.sessionIds(kind).size());
            gauge(registry, "attention.sinks.cache.tokens", "Tokens in the KV caches of all sessions", "tokens",
                    kind, m -> m.sum(kind, ChatSessionStats::cacheLength));
            gauge(registry, "attention.sinks.cache.bytes", "Native bytes held by the KV caches of all sessions",
                    "bytes", kind, m -> m.sum(kind, ChatSessionStats::cacheBytes));
            gauge(registry, "attention.sinks.cache.evicted.tokens",
                    "Tokens evicted from the KV caches of the live sessions (stream length - cache length)",
                    "tokens", kind, m -> m.sum(kind, s -> s.streamLength() - s.cacheLength()));
            gauge(registry, "attention.sinks.cache.kept.bytes",
                    "Native bytes of KV cache buffers kept for new sessions: 30 s after they were given back,"
                            + " or for as long as the model runs for a batch of new sessions",
                    "bytes", kind, m -> m.keptBytes(kind));
        }
    }

    private void gauge(MeterRegistry registry, String name, String description, String unit, String kind,
            ToDoubleFunction<AttentionSinksMetrics> value) {
        Gauge.builder(name, this, value).description(description).baseUnit(unit).tag("chat.model", kind)
                .register(registry);
    }

    /** The sessions counted under {@code kind}: none for a kind whose sessions another kind already counts. */
    private Tracked counted(String kind) {
        Tracked t = tracked.get(kind);
        if (t == null) {
            return null;
        }
        for (String earlier : KINDS.subList(0, KINDS.indexOf(kind))) {
            Tracked other = tracked.get(earlier);
            if (other != null && other.model() instanceof AttentionSinkBaseChatModel o
                    && t.model() instanceof AttentionSinkBaseChatModel m && o.sharesSessionsWith(m)) {
                return null;
            }
        }
        return t;
    }

    /** The model's kept cache buffers, under the first kind whose chat model runs that model. */
    private double keptBytes(String kind) {
        Tracked t = tracked.get(kind);
        if (t == null || !(t.model() instanceof AttentionSinkBaseChatModel m)) {
            return 0;
        }
        for (String earlier : KINDS.subList(0, KINDS.indexOf(kind))) {
            Tracked other = tracked.get(earlier);
            if (other != null && other.model() instanceof AttentionSinkBaseChatModel o && o.model() == m.model()) {
                return 0;
            }
        }
        return m.model().keptCacheBytes();
    }

    private Set<Object> sessionIds(String kind) {
        Tracked t = counted(kind);
        return t == null ? Set.of() : t.ids().get();
    }

    private double sum(String kind, ToDoubleFunction<ChatSessionStats> field) {
        Tracked t = counted(kind);
        if (t == null) {
            return 0;
        }
        double total = 0;
        for (Object id : t.ids().get()) {
            Optional<ChatSessionStats> stats = t.stats().apply(id);
            if (stats.isPresent()) {
                total += field.applyAsDouble(stats.get());
            }
        }
        return total;
    }

    @Override
    public ChatModelListener listener(String kind) {
        return new ChatModelListener() {
            @Override
            public void onRequest(ChatModelRequestContext context) {
                context.attributes().put(START, System.nanoTime());
            }

            @Override
            public void onResponse(ChatModelResponseContext context) {
                TokenUsage usage = context.chatResponse().tokenUsage();
                Integer output = usage == null ? null : usage.outputTokenCount();
                if (output == null) {
                    return;
                }
                generated.get(kind).add(output);
                if (context.attributes().get(START) instanceof Long start) {
                    double seconds = (System.nanoTime() - start) / 1e9;
                    if (seconds > 0 && output > 0) {
                        for (Map.Entry<String, DistributionSummary> e : rates) {
                            if (e.getKey().equals(kind)) {
                                e.getValue().record(output / seconds);
                            }
                        }
                    }
                }
            }
        };
    }

    @Override
    public void track(String kind, Object chatModel) {
        if (chatModel instanceof AttentionSinkBaseChatModel m) {
            tracked.put(kind, new Tracked(m, m::sessionIds, m::sessionStats));
        }
    }
}
