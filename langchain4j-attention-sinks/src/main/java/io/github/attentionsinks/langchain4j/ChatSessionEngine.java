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
import io.github.attentionsinks.generate.TokenListener;
import io.github.attentionsinks.tokenizer.TextTokenizer;
import io.github.attentionsinks.tokenizer.TokenizerConfig;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The machinery behind both chat models: one attention-sink {@link Session} per memory id, kept in a
 * {@link SessionRegistry} (per-id request order, worker threads, bounded and evictable sessions), and what one turn
 * does with it.
 *
 * <h2>What a turn feeds</h2>
 * A conversation ({@link ConversationState}) remembers the message list its session has consumed
 * ({@link ConversationRecord}) and, token by token, the text its cache holds ({@link CacheTranscript}). {@link FeedPlanner} matches the incoming conversation by messages (it must
 * contain the session's last reply), then renders it; {@link TurnPlanner} finds where that rendering departs from
 * what the cache holds, the session rewinds to there and the rest is fed. Histories a strict template refuses are rendered in the
 * shape it accepts ({@link StrictHistory}). A turn rebuilds the session only when the cache cannot follow (see
 * docs/langchain4j.md, "How a turn is fed"). Generation runs on a {@link DecodeScheduler} shared by all
 * conversations (batched steps), or on the worker thread; {@link ReplyStreamer} delivers the reply.
 */
final class ChatSessionEngine implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ChatSessionEngine.class);

    /** Everything a chat model's builder decides. */
    record Settings(CacheConfig cache, Integer maxNewTokens, Double temperature, Double topP, Integer topK,
            Double repetitionPenalty, Long seed, List<String> stopSequences, int maxSessions, Duration idleTimeout,
            int maxBatchSize, String modelName, ChatTemplate template, boolean returnThinking,
            boolean batchedDecoding, int prefillChunk, int longPromptChunk, int maxQueuedRequests,
            boolean sharePromptPrefixes) {}

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
    /** What each turn feeds: renderings compared with the cache, as token ids. */
    private final FeedPlanner feeds;
    private final boolean stripLeadingSpace;
    /** Conversations by memory id, their request queues and the worker threads. */
    private final SessionRegistry<ConversationState> registry;
    /** Runs the turns' generations together in batched steps; null when each turn decodes on its own. */
    private final DecodeScheduler scheduler;
    /** Prompt beginnings new conversations copy instead of encoding; null when not shared. */
    private final SharedPrefixes prefixes;
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
        this.feeds = new FeedPlanner(template, tokenizer, settings.cache(), settings.sharePromptPrefixes());
        this.stripLeadingSpace = feeds.dropsLeadingSpace();
        int threads = settings.maxBatchSize();
        // One worker thread per conversation served at once, and as many generations in a step (and waiting), so the
        // scheduler never refuses: the registry's queue is the one bound (maxQueuedRequests).
        this.scheduler = settings.batchedDecoding() ? new DecodeScheduler(model, threads, threads,
                settings.prefillChunk(), settings.longPromptChunk())
                : null;
        this.prefixes = settings.sharePromptPrefixes() ? new SharedPrefixes() : null;
        this.registry = new SessionRegistry<>(new SessionRegistry.Limits(threads, settings.maxSessions(),
                settings.idleTimeout(), settings.maxQueuedRequests()),
                () -> new ConversationState(model, settings.cache(), tokenizer));
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
        Set<Integer> ids = new LinkedHashSet<>(tokenizerConfig.specialTokenIds());
        ids.removeAll(specialMarkers(tokenizerConfig).keySet());
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
        // The template writes the end of the turn: the token that ended the reply is not kept for the next turn.
        b.holdLastToken(false);
        return b.build();
    }

    private static <T> T first(T a, T b) {
        return a != null ? a : b;
    }

    /**
     * Queues a request (validated by {@link ChatRequestValidator}) behind the earlier ones of its memory id and
     * returns at once. The outcome goes to {@code callbacks} on a worker thread.
     *
     * @throws CapacityExceededException when maxQueuedRequests requests are already queued or running
     */
    void submit(ChatRequest request, TurnCallbacks callbacks, ChatTurnHandle handle) {
        if (closed) {
            throw new IllegalStateException("this chat model is closed");
        }
        Object memoryId = request.parameters() instanceof AttentionSinkChatRequestParameters p ? p.memoryId() : null;
        List<ChatMessage> messages = request.messages();
        // Announced from here, not from the worker thread: turns submitted together reached a worker up to 35 ms
        // apart on 2 cores, the first ones' step having started meanwhile (docs/benchmarks.md).
        DecodeScheduler.Arrival arrival = scheduler != null ? scheduler.arrival() : null;
        boolean now;
        try {
            now = registry.submit(memoryId, state -> state.continuedBy(messages) != null,
                    new SessionRegistry.Request<ConversationState>() {
                        @Override
                        public Runnable run(ConversationState state, Object key) {
                            return runTurn(state, key, request, callbacks, handle, arrival);
                        }

                        @Override
                        public void refuse(Throwable error) {
                            if (arrival != null) {
                                arrival.close();
                            }
                            safeError(callbacks, error);
                        }
                    });
        } catch (RuntimeException e) {
            if (arrival != null) {
                arrival.close();
            }
            throw e;
        }
        if (!now && arrival != null) {
            // Behind this conversation's earlier turns, or every worker busy: not on its way until it runs.
            arrival.pause();
        }
    }

    /**
     * {@link #submit} for a caller that waits for the whole reply: the returned future completes with the response or
     * the error; partial replies are dropped.
     */
    CompletableFuture<ChatResponse> submitForReply(ChatRequest request, ChatTurnHandle handle) {
        CompletableFuture<ChatResponse> reply = new CompletableFuture<>();
        submit(request, new TurnCallbacks() {
            @Override
            public void onPartial(String text, ChatTurnHandle h) {}

            @Override
            public void onComplete(ChatResponse response) {
                reply.complete(response);
            }

            @Override
            public void onError(Throwable error) {
                reply.completeExceptionally(error);
            }
        }, handle);
        return reply;
    }

    /**
     * Forgets a conversation and frees its cache. A busy session is evicted after the requests already queued for
     * it (requests that arrive later start a fresh session).
     *
     * @return true when a session existed
     */
    boolean evict(Object memoryId) {
        return registry.evict(memoryId);
    }

    /** Forgets every conversation, and every prompt beginning kept for new ones. */
    void evictAll() {
        evictConversations();
        if (prefixes != null) {
            prefixes.clear();
        }
    }

    /** Forgets every conversation, keeping the prompt beginnings kept for new ones. */
    void evictConversations() {
        registry.evictAll();
    }

    /** Tests only: prompt beginnings kept for new conversations now. */
    int keptBeginnings() {
        return prefixes == null ? 0 : prefixes.size();
    }

    /** Tests only: the decode loop, or null when turns decode on their own. */
    DecodeScheduler scheduler() {
        return scheduler;
    }

    Set<Object> sessionIds() {
        return registry.ids();
    }

    Optional<ChatSessionStats> stats(Object memoryId) {
        return registry.inspect(memoryId, (key, state) -> state.stats(key));
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true; // running replies see it as a cancellation
        registry.close();
        if (scheduler != null) {
            scheduler.close();
        }
        if (prefixes != null) {
            prefixes.close();
        }
        if (ownsModel) {
            model.close();
        }
    }

    /**
     * Runs one turn, announced to the decode loop ({@code arrival}, null without one) since it was submitted, unless
     * it was cancelled while queued; partial replies are delivered as they come, the final callback is returned to be
     * delivered once the slot is marked idle (so a caller that got its reply finds the session free). Closes
     * {@code arrival} in any case.
     */
    private Runnable runTurn(ConversationState st, Object key, ChatRequest request, TurnCallbacks callbacks,
            ChatTurnHandle handle, DecodeScheduler.Arrival arrival) {
        // Steps with room wait for this turn while it prepares (DecodeScheduler.Arrival)
        try (arrival) {
            if (handle.isCancelled()) {
                return null; // cancelled while queued: nothing ran, nothing to report
            }
            if (arrival != null) {
                arrival.resume(); // paused while it waited behind its conversation's earlier turns or for a worker
            }
            return prepareAndRun(st, key, request, callbacks, handle, arrival);
        }
    }

    private Runnable prepareAndRun(ConversationState st, Object key, ChatRequest request, TurnCallbacks callbacks,
            ChatTurnHandle handle, DecodeScheduler.Arrival arrival) {
        try {
            GenerationParams params = generationParams(request.parameters());
            List<ToolSpecification> tools = request.parameters() == null
                    || request.parameters().toolSpecifications() == null ? List.of()
                            : List.copyOf(request.parameters().toolSpecifications());
            FeedPlanner.Plan plan = feeds.plan(st.record, st.turns, st.session, st.transcript, request.messages(),
                    tools, key);
            Session session = st.session();
            ConversationRecord previous = st.record;
            st.record = null; // from here the cache changes: no valid record until the one below is written
            int[] feed = plan.ids();
            int copied = 0;
            if (plan.rebuild()) {
                session.reset();
                st.transcript.clear();
                st.rebuilds++;
                if (prefixes != null) {
                    Begun begun = startSharedBeginning(session, plan, arrival);
                    copied = begun.copied();
                    feed = Arrays.copyOfRange(plan.ids(), begun.held(), plan.ids().length);
                }
            } else if (plan.rewind() > 0) {
                session.rewind(plan.rewind());
                st.transcript.rewind(plan.rewind());
                st.rewinds++;
            }
            ReplyStreamer listener = new ReplyStreamer(callbacks, handle, dialect, !tools.isEmpty(),
                    settings.returnThinking(), specialMarkers, this::visibleReply, () -> closed);
            GenerationResult result = scheduler != null ? scheduler.generate(session, feed, params, listener, arrival)
                    : session.generate(feed, params, listener);

            boolean cancelled = result.finishReason() == io.github.attentionsinks.generate.FinishReason.CANCELLED;
            int[] generated = result.tokenIds();
            // Generation stops before feeding its last sampled token (EOS, stop string or length), so that token is
            // not in the cache: the next turn feeds what the template renders in its place.
            int[] fed = cancelled ? generated : Arrays.copyOf(generated, Math.max(0, generated.length - 1));
            String fedText = st.transcribe(plan.ids(), fed);
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
            st.record(previous, plan.messages(), tools, aiMessage, fedText, cancelled);
            st.turnDone(plan, copied, generated.length, session);

            if (!cancelled) {
                listener.finish(parsed);
            }
            if (cancelled) {
                if (!handle.isCancelled()) {
                    return () -> safeError(callbacks,
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
                    .tokenUsage(new TokenUsage(plan.ids().length - copied, generated.length))
                    .finishReason(finish)
                    .build();
            return () -> {
                try {
                    callbacks.onComplete(response);
                } catch (Exception e) {
                    // LangChain4j's contract: the handler's own failure goes to its onError (the session is
                    // unaffected: the record above is already written)
                    safeError(callbacks, e);
                }
            };
        } catch (Throwable t) {
            st.snapshotSafely();
            if (!(t instanceof Exception)) {
                log.error("Chat turn of session {} failed", key, t);
            }
            return () -> safeError(callbacks, t);
        }
    }

    /** How a rebuilt session began: the prompt's first {@code held} tokens are in it, {@code copied} of them copied. */
    private record Begun(int held, int copied) {}

    /**
     * Starts a rebuilt session from the beginning its prompt shares with other conversations ({@link SharedPrefixes}):
     * copied when kept, or after waiting for the turn that encodes it now; else this turn encodes it first, on its
     * own, and keeps it for the others. The caller feeds the rest of the prompt.
     */
    private Begun startSharedBeginning(Session session, FeedPlanner.Plan plan, DecodeScheduler.Arrival arrival) {
        SharedPrefixes.Start start = prefixes.start(session, plan.ids(), plan.shareable(), arrival);
        if (!start.encodes()) {
            return new Begun(start.copied(), start.copied());
        }
        try {
            int[] beginning = Arrays.copyOfRange(plan.ids(), start.copied(), plan.shareable());
            // One token sampled after the beginning and dropped: the decode loop feeds prompts for generations only.
            GenerationParams feedOnly = generationBase.toBuilder().maxNewTokens(1).temperature(0).holdLastToken(false)
                    .stopStrings(List.of()).build();
            if (scheduler != null) {
                scheduler.generate(session, beginning, feedOnly, TokenListener.NONE, arrival);
                arrival.preparingAgain(); // the rest of the prompt next
            } else {
                session.generate(beginning, feedOnly, TokenListener.NONE);
            }
            session.discardPendingToken();
            prefixes.keep(start, session);
        } finally {
            prefixes.release(start);
        }
        return new Begun(plan.shareable(), start.copied());
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
}
