package io.github.attentionsinks.langchain4j;

import dev.langchain4j.agent.tool.ToolSpecification;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.CompleteToolCall;
import dev.langchain4j.model.output.FinishReason;
import dev.langchain4j.model.output.TokenUsage;
import io.github.attentionsinks.AttentionSinkModel;
import io.github.attentionsinks.CapacityExceededException;
import io.github.attentionsinks.DecodeScheduler;
import io.github.attentionsinks.Session;
import io.github.attentionsinks.cache.CacheConfig;
import io.github.attentionsinks.generate.GenerationParams;
import io.github.attentionsinks.generate.GenerationResult;
import io.github.attentionsinks.tokenizer.StreamingDecoder;
import io.github.attentionsinks.tokenizer.TextTokenizer;
import io.github.attentionsinks.tokenizer.TokenizerConfig;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The machinery behind both chat models: one attention-sink {@link Session} per memory id, a record of what each
 * session has consumed, request serialization per memory id, a worker pool shared by all ids, and bounded,
 * evictable sessions.
 *
 * <h2>What a turn feeds</h2>
 * A session remembers the message list it has consumed ({@code consumed}: the last request's messages plus the
 * reply it generated) and the text of the reply tokens it fed ({@code replyFedText}). A new request is matched
 * against that record <em>by messages</em>: the incoming list must contain the session's last reply, and the
 * messages before it must equal the end of {@code consumed} (leading system messages aside), which is what a
 * {@code MessageWindowChatMemory} produces when it evicts old messages. The text to feed is then found <em>by
 * rendered text</em>: {@code render(incoming)} must start with {@code render(messages before the reply) +
 * replyFedText} (white space at the start of the reply aside: the cache keeps the model's own form); the rest (end
 * of the reply's turn, the new messages, the generation prompt) is tokenized and fed.
 * Anything else (edited or replaced history, another template rendering, a reply cut by a stop sequence) rebuilds
 * the session from the incoming messages, logged at debug.
 */
final class ChatSessionEngine implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ChatSessionEngine.class);
    private static final AtomicInteger POOLS = new AtomicInteger();

    /** Everything a chat model's builder decides. */
    record Settings(CacheConfig cache, Integer maxNewTokens, Double temperature, Double topP, Integer topK,
            Double repetitionPenalty, Long seed, List<String> stopSequences, int maxSessions, Duration idleTimeout,
            int workerThreads, String modelName, ChatTemplate template, boolean returnThinking,
            boolean batchedDecoding, int maxQueuedRequests) {}

    /** Prompt tokens a turn still reading its prompt feeds per batched step (the others decode meanwhile). */
    static final int PREFILL_CHUNK = 64;

    /**
     * Where a turn's outcome goes: the turn ends with exactly one of complete/error, or nothing after cancellation.
     * As in LangChain4j's providers ({@code InternalStreamingChatResponseHandlerUtils}), an exception thrown by the
     * user's handler from a callback is passed to {@link #onError} as well and the turn goes on; one thrown by
     * {@link #onError} is logged.
     */
    interface TurnCallbacks {
        /** A piece of the reply; may throw (the user's handler): the error goes to onError, the reply goes on. */
        void onPartial(String text, ChatTurnHandle handle);

        /** A tool call found in the finished reply (before {@link #onComplete}); may throw like onPartial. */
        default void onToolCall(CompleteToolCall call) {}

        /** A piece of the reply's reasoning (only when the builder's returnThinking is on); may throw. */
        default void onThinking(String text, ChatTurnHandle handle) {}

        void onComplete(ChatResponse response);

        void onError(Throwable error);
    }

    /** Added tokens that begin or delimit tool calls rather than end a turn. */
    static final Set<String> TOOL_CALL_TOKENS = Set.of("<tool_call>", "</tool_call>", "[TOOL_CALLS]", "[ARGS]",
            "[CALL_ID]", "<|python_tag|>", "<|tool_call|>", "<|START_ACTION|>", "<|END_ACTION|>",
            "<｜tool▁calls▁begin｜>", "<｜tool▁calls｜>", "<｜tool▁call▁begin｜>", "<｜tool▁sep｜>", "<｜tool▁call▁end｜>",
            "<｜tool▁calls▁end｜>", "<think>", "</think>", "<|START_THINKING|>", "<|END_THINKING|>",
            "<|START_RESPONSE|>", "<|END_RESPONSE|>", "<response>", "</response>");

    private final AttentionSinkModel model;
    private final boolean ownsModel;
    private final Settings settings;
    private final ChatTemplate template;
    /** The template's tool-call and reasoning syntax. */
    private final ToolCallParser.Dialect dialect;
    /**
     * Tool-call and reasoning markers that the tokenizer marks special ({@code [TOOL_CALLS]}, {@code [ARGS]} of
     * Mistral, {@code <|python_tag|>} of Llama 3.1), by id: decoding drops special tokens, so the reply's text would
     * lose the very markers its tool calls are parsed by.
     */
    private final Map<Integer, String> specialMarkers;
    private final TextTokenizer tokenizer;
    private final GenerationParams generationBase;
    private final int[] anchorIds;
    private final boolean stripLeadingSpace;
    private final ExecutorService workers;
    /** Runs the turns' generations together in batched steps; null when each turn decodes on its own. */
    private final DecodeScheduler scheduler;
    private final ScheduledExecutorService sweeper;
    private final Object lock = new Object();
    /** Access-ordered: iteration starts at the least recently used slot. Guarded by {@link #lock}. */
    private final LinkedHashMap<Object, Slot> slots = new LinkedHashMap<>(16, 0.75f, true);
    private final AtomicLong anonymousIds = new AtomicLong();
    /** Requests queued or running, all memory ids together. Guarded by {@link #lock}. */
    private int queuedRequests;
    private final AtomicLong responseIds = new AtomicLong();
    private volatile boolean closed;

    ChatSessionEngine(AttentionSinkModel model, boolean ownsModel, Settings settings) {
        this.model = model;
        this.ownsModel = ownsModel;
        this.settings = settings;
        this.template = settings.template() != null ? settings.template()
                : ChatTemplate.forModel(model.directory(), model.tokenizerConfig());
        if (template.isFallback()) {
            log.info("{} has no chat_template: using the plain-text fallback (System:/User:/Assistant: lines); "
                    + "set chatTemplate(...) to use another", model.directory());
        }
        this.dialect = ToolCallParser.Dialect.of(template);
        this.specialMarkers = specialMarkers(model.tokenizerConfig());
        this.tokenizer = model.tokenizer();
        this.generationBase = baseGeneration(model, settings);
        this.anchorIds = tokenizer.encode("\n", false);
        int[] probe = tokenizer.encode("hello", false);
        String standalone = tokenizer.decode(probe, true);
        this.stripLeadingSpace = (" " + standalone).equals(continuationText(anchorIds, probe));
        int threads = settings.workerThreads();
        int pool = POOLS.incrementAndGet();
        AtomicInteger n = new AtomicInteger();
        ThreadFactory factory = r -> {
            Thread t = new Thread(r, "attention-sink-chat-" + pool + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
        this.workers = Executors.newFixedThreadPool(threads, factory);
        // As many generations as turns can run at once (one per worker thread), so the scheduler never refuses.
        this.scheduler = settings.batchedDecoding() ? new DecodeScheduler(model, threads, threads, PREFILL_CHUNK)
                : null;
        this.sweeper = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "attention-sink-chat-" + pool + "-sweeper");
            t.setDaemon(true);
            return t;
        });
        long period = Math.max(100, Math.min(60_000, settings.idleTimeout().toMillis() / 4));
        sweeper.scheduleWithFixedDelay(this::evictIdle, period, period, TimeUnit.MILLISECONDS);
    }

    /** Model defaults (generation_config.json) with the builder's choices on top; end-of-turn ids added. */
    private static GenerationParams baseGeneration(AttentionSinkModel model, Settings s) {
        GenerationParams.Builder b = model.generationDefaults();
        if (s.repetitionPenalty() != null) {
            b.repetitionPenalty(s.repetitionPenalty());
        }
        b.seed(s.seed());
        GenerationParams defaults = b.build();
        Set<Integer> stops = new LinkedHashSet<>(defaults.eosTokenIds());
        stops.addAll(specialTokenIds(model.tokenizerConfig()));
        return defaults.toBuilder().eosTokenIds(stops).ignoreEos(false).build();
    }

    /**
     * Ids of the tokenizer's special added tokens (BOS, EOS, {@code <|im_start|>}, ...). A chat reply ends at any
     * of them: a special token inside a reply means the model is opening another turn or another document
     * (stories260K, for one, ends a story with BOS). Tool-call markers ({@code [TOOL_CALLS]},
     * {@code <|python_tag|>}, {@code <tool_call>}, ...) are not stops.
     */
    static Set<Integer> specialTokenIds(TokenizerConfig tokenizerConfig) {
        // Tool-call markers that some tokenizers mark special ([TOOL_CALLS] of Mistral, <|python_tag|> of Llama
        // 3.1) open a tool call, they do not end the turn.
        Set<Integer> ids = new LinkedHashSet<>();
        tokenizerConfig.addedTokens().forEach((id, token) -> {
            if (token.special() && !TOOL_CALL_TOKENS.contains(token.content())) {
                ids.add(id);
            }
        });
        return ids;
    }

    /** Special added tokens that are tool-call or reasoning markers, by id. */
    static Map<Integer, String> specialMarkers(TokenizerConfig tokenizerConfig) {
        Map<Integer, String> markers = new java.util.HashMap<>();
        tokenizerConfig.addedTokens().forEach((id, token) -> {
            if (token.special() && TOOL_CALL_TOKENS.contains(token.content())) {
                markers.put(id, token.content());
            }
        });
        return Map.copyOf(markers);
    }

    AttentionSinkModel model() {
        return model;
    }

    Settings settings() {
        return settings;
    }

    ChatTemplate template() {
        return template;
    }

    String modelName() {
        return settings.modelName() != null ? settings.modelName() : model.directory().getFileName().toString();
    }

    /** The builder's generation settings as request parameters, so that LangChain4j merges requests over them. */
    AttentionSinkChatRequestParameters defaultParameters() {
        return AttentionSinkChatRequestParameters.builder()
                .modelName(modelName())
                .temperature(settings.temperature() != null ? settings.temperature() : generationBase.temperature())
                .topP(settings.topP() != null ? settings.topP() : generationBase.topP())
                .topK(settings.topK() != null ? settings.topK() : generationBase.topK())
                .maxOutputTokens(settings.maxNewTokens() != null ? settings.maxNewTokens()
                        : generationBase.maxNewTokens())
                .stopSequences(settings.stopSequences() == null ? List.of() : settings.stopSequences())
                .build();
    }

    private GenerationParams generationParams(ChatRequestParameters p) {
        GenerationParams.Builder b = generationBase.toBuilder();
        AttentionSinkChatRequestParameters d = defaultParameters();
        b.maxNewTokens(first(p.maxOutputTokens(), d.maxOutputTokens()));
        b.temperature(first(p.temperature(), d.temperature()));
        b.topP(first(p.topP(), d.topP()));
        b.topK(first(p.topK(), d.topK()));
        b.stopStrings(p.stopSequences() != null ? p.stopSequences() : d.stopSequences());
        return b.build();
    }

    private static <T> T first(T a, T b) {
        return a != null ? a : b;
    }

    // ------------------------------------------------------------------ submission and serialization

    /**
     * Queues a request (validated by {@link ChatRequestValidator}) behind the earlier ones of its memory id and
     * returns at once. The outcome goes to {@code callbacks} on a worker thread.
     */
    void submit(ChatRequest request, TurnCallbacks callbacks, ChatTurnHandle handle) {
        Object memoryId = request.parameters() instanceof AttentionSinkChatRequestParameters p ? p.memoryId() : null;
        Turn turn = new Turn(request, callbacks, handle);
        synchronized (lock) {
            if (closed) {
                throw new IllegalStateException("this chat model is closed");
            }
            if (queuedRequests >= settings.maxQueuedRequests()) {
                throw new CapacityExceededException("this chat model already has " + queuedRequests
                        + " requests queued or running (maxQueuedRequests); retry later, or raise maxQueuedRequests "
                        + "or workerThreads");
            }
            queuedRequests++;
            Slot slot = memoryId != null ? namedSlot(memoryId) : anonymousSlot(request.messages());
            turn.slot = slot;
            slot.queue.addLast(turn);
            if (!slot.scheduled) {
                slot.scheduled = true;
                schedule(slot);
            }
            evictOverflow();
        }
    }

    /** Caller holds {@link #lock}. */
    private Slot namedSlot(Object memoryId) {
        Slot slot = slots.get(memoryId);
        if (slot == null) {
            slot = new Slot(memoryId, false);
            slots.put(memoryId, slot);
        }
        return slot;
    }

    /**
     * Requests without a memory id are matched by content: an anonymous session whose conversation the request
     * continues is reused (the request queues behind its running turn, if any); otherwise a new anonymous session
     * is opened. Caller holds {@link #lock}.
     */
    private Slot anonymousSlot(List<ChatMessage> messages) {
        for (Slot slot : slots.values()) {
            if (slot.anonymous && slot.state.continuedBy(messages) != null) {
                slots.get(slot.key); // touch: most recently used
                return slot;
            }
        }
        Object key = "anonymous-" + anonymousIds.incrementAndGet();
        Slot slot = new Slot(key, true);
        slots.put(key, slot);
        return slot;
    }

    private void schedule(Slot slot) {
        try {
            workers.execute(() -> drainOne(slot));
        } catch (RejectedExecutionException e) {
            failQueued(slot, new IllegalStateException("this chat model is closed"));
        }
    }

    /**
     * Runs the slot's next task, marks the slot free, delivers the task's final callback, then re-queues the slot
     * behind other ids' work (fair between ids; a slot's callbacks stay in request order).
     */
    private void drainOne(Slot slot) {
        SlotTask task;
        synchronized (lock) {
            task = slot.queue.pollFirst();
            if (task == null) {
                slot.scheduled = false;
                return;
            }
            slot.running = true;
        }
        Runnable deliver = null;
        boolean more;
        try {
            deliver = task.run();
        } catch (Throwable t) {
            log.error("Unexpected failure in a chat turn of session {}", slot.key, t);
        } finally {
            synchronized (lock) {
                if (task instanceof Turn) {
                    queuedRequests--;
                }
                slot.running = false;
                slot.lastUsedNanos = System.nanoTime();
                more = !slot.queue.isEmpty();
                if (!more) {
                    slot.scheduled = false;
                    if (closed || slot.removeWhenIdle) {
                        if (slots.get(slot.key) == slot && !closed) {
                            slots.remove(slot.key);
                        }
                        slot.state.close();
                    }
                }
            }
        }
        if (deliver != null) {
            try {
                deliver.run();
            } catch (Throwable t) {
                log.warn("A response handler threw; ignored", t);
            }
        }
        if (more) {
            synchronized (lock) {
                schedule(slot);
            }
        }
    }

    /** Work queued on a slot; returns the final callback to deliver after the slot is free, or null. */
    private interface SlotTask {
        Runnable run();
    }

    private void failQueued(Slot slot, Throwable error) {
        List<SlotTask> tasks;
        synchronized (lock) {
            tasks = new ArrayList<>(slot.queue);
            slot.queue.clear();
            slot.scheduled = false;
            queuedRequests -= (int) tasks.stream().filter(Turn.class::isInstance).count();
        }
        for (SlotTask r : tasks) {
            if (r instanceof Turn t) {
                safeError(t.callbacks, error);
            }
        }
    }

    // ------------------------------------------------------------------ eviction

    /** Closes least recently used idle sessions while there are more than maxSessions. Caller holds the lock. */
    private void evictOverflow() {
        int excess = slots.size() - settings.maxSessions();
        if (excess <= 0) {
            return;
        }
        Iterator<Slot> it = slots.values().iterator();
        while (excess > 0 && it.hasNext()) {
            Slot s = it.next();
            if (s.idle()) {
                it.remove();
                s.state.close();
                excess--;
                log.debug("Evicted session {} (more than {} sessions)", s.key, settings.maxSessions());
            }
        }
    }

    private void evictIdle() {
        long now = System.nanoTime();
        long limit = settings.idleTimeout().toNanos();
        synchronized (lock) {
            Iterator<Slot> it = slots.values().iterator();
            while (it.hasNext()) {
                Slot s = it.next();
                if (s.idle() && now - s.lastUsedNanos >= limit) {
                    it.remove();
                    s.state.close();
                    log.debug("Evicted session {} (idle for {})", s.key, settings.idleTimeout());
                }
            }
        }
    }

    /**
     * Forgets a conversation and frees its cache. A busy session is evicted after the requests already queued for
     * it (requests that arrive later start a fresh session).
     *
     * @return true when a session existed
     */
    boolean evict(Object memoryId) {
        synchronized (lock) {
            Slot slot = slots.get(memoryId);
            if (slot == null) {
                return false;
            }
            if (slot.idle()) {
                slots.remove(memoryId);
                slot.state.close();
            } else {
                slot.queue.addLast(() -> {
                    slot.state.close();
                    slot.state = new ConversationState();
                    slot.removeWhenIdle = true;
                    return null;
                });
            }
            log.debug("Evicted session {} on request", memoryId);
            return true;
        }
    }

    void evictAll() {
        List<Object> keys;
        synchronized (lock) {
            keys = new ArrayList<>(slots.keySet());
        }
        for (Object k : keys) {
            evict(k);
        }
    }

    Set<Object> sessionIds() {
        synchronized (lock) {
            return Set.copyOf(slots.keySet());
        }
    }

    Optional<ChatSessionStats> stats(Object memoryId) {
        synchronized (lock) {
            Slot slot = slots.entrySet().stream().filter(e -> Objects.equals(e.getKey(), memoryId))
                    .map(Map.Entry::getValue).findFirst().orElse(null); // no LRU touch
            return slot == null ? Optional.empty() : Optional.of(slot.state.stats(slot.key));
        }
    }

    @Override
    public void close() {
        List<Slot> all;
        synchronized (lock) {
            if (closed) {
                return;
            }
            closed = true;
            all = new ArrayList<>(slots.values());
        }
        sweeper.shutdownNow();
        for (Slot s : all) {
            failQueued(s, new IllegalStateException("the chat model was closed before this request ran"));
        }
        workers.shutdown();
        try {
            if (!workers.awaitTermination(30, TimeUnit.SECONDS)) {
                log.warn("Chat turns still running 30 s after close(); their sessions are not freed");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (scheduler != null) {
            scheduler.close();
        }
        synchronized (lock) {
            for (Slot s : slots.values()) {
                if (!s.running) {
                    s.state.close();
                }
            }
            slots.clear();
        }
        if (ownsModel) {
            model.close();
        }
    }

    // ------------------------------------------------------------------ one turn

    /**
     * Runs one turn; partial replies are delivered as they come, the final callback is returned to be delivered
     * once the slot is marked idle (so a caller that got its reply finds the session free).
     */
    private Runnable runTurn(Slot slot, Turn turn) {
        if (turn.handle.isCancelled()) {
            return null; // cancelled while queued: nothing ran, nothing to report
        }
        ConversationState st = slot.state;
        try {
            ChatRequest request = turn.request;
            GenerationParams params = generationParams(request.parameters());
            List<ToolSpecification> tools = request.parameters() == null
                    || request.parameters().toolSpecifications() == null ? List.of()
                            : List.copyOf(request.parameters().toolSpecifications());
            Plan plan = plan(st, request.messages(), tools, slot.key);
            Session session = st.session();
            ConversationRecord previous = st.record;
            st.record = null; // from here the cache changes: no valid record until the one below is written
            if (plan.rebuild) {
                session.reset();
                st.transcript.clear();
                st.rebuilds++;
            } else if (plan.rewind > 0) {
                session.rewind(plan.rewind);
                st.transcript.rewind(plan.rewind);
                st.rewinds++;
            }
            ReplyStreamer listener = new ReplyStreamer(turn.callbacks, turn.handle, dialect, !tools.isEmpty(),
                    settings.returnThinking(), specialMarkers, this::visibleReply, () -> closed);
            GenerationResult result = scheduler != null ? scheduler.generate(session, plan.ids, params, listener)
                    : session.generate(plan.ids, params, listener);
            session.discardPendingToken();

            boolean cancelled = result.finishReason() == io.github.attentionsinks.generate.FinishReason.CANCELLED;
            int[] generated = result.tokenIds();
            // Generation stops before feeding its last sampled token (EOS, stop string or length), so that token is
            // not in the cache: the next turn feeds what the template renders in its place.
            int[] fed = cancelled ? generated : Arrays.copyOf(generated, Math.max(0, generated.length - 1));
            String fedText = st.transcribe(plan.ids, fed);
            // the listener's copy keeps special tool-call markers that decoding dropped
            String reply = listener.shaped() ? listener.text() : visibleReply(result.text());
            // reasoning never goes into the text; it is kept in thinking() only when asked for
            ToolCallParser.Reply parsed = ToolCallParser.parseReply(reply, dialect,
                    cancelled ? List.of() : tools.stream().map(ToolSpecification::name).toList());
            boolean hasCalls = !parsed.calls().isEmpty();
            AiMessage aiMessage = AiMessage.builder()
                    .text(hasCalls || parsed.content() != null ? parsed.content() : "")
                    .thinking(settings.returnThinking() ? parsed.thinking() : null)
                    .toolExecutionRequests(parsed.calls())
                    .build();
            st.record(previous, plan.messages, tools, aiMessage, fedText, cancelled);
            st.lastInputTokens = plan.ids.length;
            st.lastOutputTokens = generated.length;
            st.lastRewoundTokens = plan.rewind;
            st.lastTurn = plan.rebuild ? (st.turns == 0 ? ChatSessionStats.Continuation.BUILT
                    : ChatSessionStats.Continuation.REBUILT)
                    : plan.rewind > 0 ? ChatSessionStats.Continuation.REWOUND
                            : ChatSessionStats.Continuation.CONTINUED;
            st.turns++;
            st.snapshot(session);

            if (!cancelled) {
                listener.finish(parsed);
            }
            if (cancelled) {
                if (!turn.handle.isCancelled()) {
                    return () -> safeError(turn.callbacks,
                            new IllegalStateException("the chat model was closed during this reply"));
                }
                return null; // the caller cancelled: LangChain4j expects no further callbacks
            }
            FinishReason finish = hasCalls ? FinishReason.TOOL_EXECUTION
                    : result.finishReason() == io.github.attentionsinks.generate.FinishReason.LENGTH
                            ? FinishReason.LENGTH : FinishReason.STOP;
            ChatResponse response = ChatResponse.builder()
                    .aiMessage(aiMessage)
                    .id("attention-sink-" + responseIds.incrementAndGet())
                    .modelName(modelName())
                    .tokenUsage(new TokenUsage(plan.ids.length, generated.length))
                    .finishReason(finish)
                    .build();
            return () -> {
                try {
                    turn.callbacks.onComplete(response);
                } catch (Exception e) {
                    // LangChain4j's contract: the handler's own failure goes to its onError (the session is
                    // unaffected: the record above is already written)
                    safeError(turn.callbacks, e);
                }
            };
        } catch (Throwable t) {
            st.snapshotSafely();
            if (!(t instanceof Exception)) {
                log.error("Chat turn of session {} failed", slot.key, t);
            }
            return () -> safeError(turn.callbacks, t);
        }
    }

    static void safeError(TurnCallbacks callbacks, Throwable error) {
        try {
            callbacks.onError(error);
        } catch (Exception e) {
            log.warn("The response handler's onError threw; ignored", e);
        }
    }

    /** The reply as Hugging Face decodes it: SentencePiece-style tokenizers drop the first token's leading space. */
    private String visibleReply(String text) {
        return stripLeadingSpace && text.startsWith(" ") ? text.substring(1) : text;
    }

    /**
     * What to feed this turn: rewind the {@code rewind} newest tokens then feed {@code ids}, or (rebuild) reset the
     * session and feed {@code ids}. {@code messages} is the conversation the session holds afterwards (before the
     * reply).
     */
    private record Plan(List<ChatMessage> messages, int[] ids, int rewind, boolean rebuild) {}

    private Plan plan(ConversationState st, List<ChatMessage> incoming, List<ToolSpecification> tools, Object key) {
        Rendering rendering = renderAccepted(incoming, tools);
        String why;
        ConversationRecord record = st.record;
        if (record == null) {
            why = st.turns == 0 ? null : "the previous turn did not complete";
        } else if (st.session == null || st.transcript.streamLength() != st.session.streamLength()
                || st.transcript.length() != st.session.cacheLength()) {
            // never expected: the transcript follows every change of the cache; a rebuild puts them in step again
            log.warn("Session {}: its transcript is out of step with its cache; rebuilding", key);
            why = "the transcript is out of step with the cache";
        } else if (!record.tools().equals(tools)) {
            // the tools are part of the rendered prompt (usually the system turn): what the cache holds is stale
            why = "the tool specifications differ from the previous turn's";
        } else {
            ConversationRecord.Alignment a = record.continuedBy(incoming);
            if (a == null) {
                why = "the messages do not continue the conversation this session consumed";
            } else {
                Optional<TurnPlanner.Cut> cut = Optional.empty();
                try {
                    String prompt = rendering.render(template, a.messages().subList(0, a.replyIndex()), tools);
                    String before = prompt + record.replyFedText();
                    cut = TurnPlanner.cut(st.transcript.tail(), before, prompt.length(), rendering.text());
                } catch (ChatTemplate.ChatTemplateException e) {
                    log.debug("Session {}: the template refuses the conversation before the last reply", key, e);
                }
                if (cut.isEmpty()) {
                    why = "the conversation as rendered now departs from the session before its newest "
                            + st.transcript.rewindable() + " tokens (evicted or sinks)";
                } else {
                    int[] ids = encodeContinuation(rendering.text().substring(cut.get().feedFrom()));
                    if (ids.length > 0) {
                        if (cut.get().dropTokens() > 0) {
                            log.debug("Session {}: rewinding {} tokens where the conversation is rendered "
                                    + "differently now", key, cut.get().dropTokens());
                        }
                        return new Plan(new ArrayList<>(incoming), ids, cut.get().dropTokens(), false);
                    }
                    why = "there is nothing new to feed";
                }
            }
        }
        if (why != null) {
            log.debug("Rebuilding session {} from {} messages: {}", key, incoming.size(), why);
        }
        int[] ids = tokenizer.encode(rendering.text(), false);
        CacheConfig cache = settings.cache();
        if (cache.bounded() && ids.length > cache.capacity()) {
            // The cache would keep only the first S and the last W tokens anyway: feed just those.
            int s = cache.attentionSinkSize();
            int w = cache.windowSize();
            int[] kept = new int[s + w];
            System.arraycopy(ids, 0, kept, 0, s);
            System.arraycopy(ids, ids.length - w, kept, s, w);
            log.debug("Session {}: rebuild keeps {} of {} prompt tokens (sinks + window)", key, kept.length,
                    ids.length);
            ids = kept;
        }
        return new Plan(new ArrayList<>(incoming), ids, 0, true);
    }

    /**
     * The incoming conversation rendered with the generation prompt, in the first form the template accepts: as it
     * is, else reshaped for strict templates ({@link StrictHistory}), else also without a system role. Earlier
     * parts of the conversation are rendered in the same form, so that the two renderings compare.
     */
    private Rendering renderAccepted(List<ChatMessage> incoming, List<ToolSpecification> tools) {
        ChatTemplate.ChatTemplateException refusal = null;
        for (HistoryShape shape : HistoryShape.values()) {
            try {
                return new Rendering(shape, shape.render(template, incoming, tools));
            } catch (ChatTemplate.ChatTemplateException e) {
                if (!e.refusedByTemplate()) {
                    throw e;
                }
                if (refusal == null) {
                    refusal = e;
                } else {
                    refusal.addSuppressed(e);
                }
            }
        }
        throw refusal;
    }

    /** The forms a history is rendered in, tried in this order until the template accepts one. */
    enum HistoryShape {
        AS_IS,
        STRICT,
        NO_SYSTEM_ROLE;

        List<ChatMessage> apply(List<ChatMessage> messages) {
            return switch (this) {
                case AS_IS -> messages;
                case STRICT -> StrictHistory.of(messages);
                case NO_SYSTEM_ROLE -> StrictHistory.withoutSystemRole(messages);
            };
        }

        String render(ChatTemplate template, List<ChatMessage> messages, List<ToolSpecification> tools) {
            return template.render(apply(messages), tools, true);
        }
    }

    /** A conversation rendered in the given shape. */
    private record Rendering(HistoryShape shape, String text) {
        /** Renders another list (an earlier part of the conversation) in the same shape. */
        String render(ChatTemplate template, List<ChatMessage> messages, List<ToolSpecification> tools) {
            return shape.render(template, messages, tools);
        }
    }

    /**
     * Tokens of text that continues a stream. SentencePiece tokenizers put a space marker before the first piece
     * of any text they encode, so the text is encoded after a newline anchor whose tokens are then removed.
     */
    int[] encodeContinuation(String text) {
        int[] both = tokenizer.encode("\n" + text, false);
        if (both.length >= anchorIds.length
                && Arrays.equals(Arrays.copyOf(both, anchorIds.length), anchorIds)) {
            return Arrays.copyOfRange(both, anchorIds.length, both.length);
        }
        return tokenizer.encode(text, false);
    }

    /** The text {@code ids} add after {@code context} (decoding in context keeps their leading space). */
    String continuationText(int[] context, int[] ids) {
        if (ids.length == 0) {
            return "";
        }
        int[] all = Arrays.copyOf(context, context.length + ids.length);
        System.arraycopy(ids, 0, all, context.length, ids.length);
        String base = tokenizer.decode(context, false);
        String full = tokenizer.decode(all, false);
        return full.startsWith(base) ? full.substring(base.length()) : null;
    }

    // ------------------------------------------------------------------ state

    /** A queued request. */
    private final class Turn implements SlotTask {
        final ChatRequest request;
        final TurnCallbacks callbacks;
        final ChatTurnHandle handle;
        Slot slot;

        Turn(ChatRequest request, TurnCallbacks callbacks, ChatTurnHandle handle) {
            this.request = request;
            this.callbacks = callbacks;
            this.handle = handle;
        }

        @Override
        public Runnable run() {
            slot.removeWhenIdle = false;
            return runTurn(slot, this);
        }
    }

    /** One memory id: its queue and its conversation state. Queue and flags are guarded by the engine lock. */
    private final class Slot {
        final Object key;
        final boolean anonymous;
        final ArrayDeque<SlotTask> queue = new ArrayDeque<>();
        /** Set by an eviction queued behind running work: drop the slot once nothing else is queued. */
        volatile boolean removeWhenIdle;
        /** A drain task is queued or running on the pool. */
        boolean scheduled;
        boolean running;
        long lastUsedNanos = System.nanoTime();
        /** Touched only by the task that runs, or under the lock when idle. */
        volatile ConversationState state = new ConversationState();

        Slot(Object key, boolean anonymous) {
            this.key = key;
            this.anonymous = anonymous;
        }

        boolean idle() {
            return !scheduled && !running && queue.isEmpty();
        }
    }

    /** What a session has consumed, and the session itself (created on first use). */
    private final class ConversationState {
        Session session;
        /** The cache's tokens and their text, kept in step with the session by the turns. */
        final CacheTranscript transcript = new CacheTranscript(settings.cache());
        /**
         * What the cache holds, published before the turn's callbacks run (so a caller that got its reply sees it);
         * null while a turn changes the cache or after a failure (the next turn then rebuilds).
         */
        volatile ConversationRecord record;
        int turns;
        int rebuilds;
        int rewinds;
        ChatSessionStats.Continuation lastTurn = ChatSessionStats.Continuation.NONE;
        int lastRewoundTokens;
        int lastInputTokens;
        int lastOutputTokens;
        volatile ChatSessionStats stats;

        Session session() {
            if (session == null) {
                session = model.newSession(settings.cache());
            }
            return session;
        }

        /**
         * Records what a turn fed (its prompt ids, then the reply ids that reached the cache) with each token's text
         * in context, and returns the reply's text as fed.
         */
        String transcribe(int[] promptIds, int[] replyIds) {
            int[] all = Arrays.copyOf(promptIds, promptIds.length + replyIds.length);
            System.arraycopy(replyIds, 0, all, promptIds.length, replyIds.length);
            StreamingDecoder decoder = new StreamingDecoder(tokenizer, transcript.lastIds(8), false);
            String[] pieces = new String[all.length];
            for (int i = 0; i < all.length; i++) {
                pieces[i] = decoder.push(all[i]);
            }
            if (all.length > 0) {
                pieces[all.length - 1] += decoder.flush();
            }
            transcript.append(all, pieces);
            StringBuilder reply = new StringBuilder();
            for (int i = promptIds.length; i < all.length; i++) {
                reply.append(pieces[i]);
            }
            return reply.toString();
        }

        void record(ConversationRecord old, List<ChatMessage> messages, List<ToolSpecification> tools,
                AiMessage reply, String fedText, boolean cancelled) {
            List<Boolean> flags = new ArrayList<>(messages.size() + 1);
            for (ChatMessage m : messages) {
                flags.add(old != null && old.isGhost(m));
            }
            List<ChatMessage> c = new ArrayList<>(messages);
            c.add(reply);
            flags.add(cancelled);
            record = fedText == null ? null
                    : new ConversationRecord(List.copyOf(c), List.copyOf(flags), fedText, tools);
        }

        /** Where {@code incoming} continues this conversation, or null. */
        ConversationRecord.Alignment continuedBy(List<ChatMessage> incoming) {
            ConversationRecord r = record;
            return r == null ? null : r.continuedBy(incoming);
        }

        ChatSessionStats stats(Object key) {
            ChatSessionStats s = stats;
            return s == null ? new ChatSessionStats(key, 0, 0, 0, ChatSessionStats.Continuation.NONE, 0, 0, 0, 0, 0, 0)
                    : new ChatSessionStats(key, s.turns(), s.rebuilds(), s.rewinds(), s.lastTurn(),
                            s.lastRewoundTokens(),
                            s.lastInputTokens(), s.lastOutputTokens(), s.streamLength(), s.cacheLength(),
                            s.cacheBytes());
        }

        void snapshot(Session s) {
            stats = new ChatSessionStats(null, turns, rebuilds, rewinds, lastTurn, lastRewoundTokens, lastInputTokens,
                    lastOutputTokens, s.streamLength(), s.cacheLength(), s.cacheBytes());
        }

        void snapshotSafely() {
            try {
                if (session != null) {
                    snapshot(session);
                }
            } catch (RuntimeException ignored) {
                // stats are best effort
            }
        }

        void close() {
            if (session != null) {
                session.close();
                session = null;
            }
            transcript.clear();
            record = null;
        }
    }
}
