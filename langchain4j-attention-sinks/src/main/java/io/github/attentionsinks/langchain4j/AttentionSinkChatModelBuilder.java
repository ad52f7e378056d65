package io.github.attentionsinks.langchain4j;

import dev.langchain4j.exception.UnsupportedFeatureException;
import dev.langchain4j.model.chat.listener.ChatModelListener;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import io.github.attentionsinks.AttentionSinkModel;
import io.github.attentionsinks.DecodeScheduler;
import io.github.attentionsinks.cache.CacheConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;

/**
 * Settings shared by {@link AttentionSinkStreamingChatModel.Builder} and {@link AttentionSinkChatModel.Builder}.
 * Either {@link #modelPath(Path)} (the chat model loads and owns the weights) or {@link #model(AttentionSinkModel)}
 * (an already loaded model, shared and left open) is required. Generation settings left unset come from the
 * checkpoint's {@code generation_config.json}; every request may override the ones LangChain4j knows
 * (temperature, topP, topK, maxOutputTokens, stopSequences).
 *
 * @param <B> the concrete builder
 */
public abstract class AttentionSinkChatModelBuilder<B extends AttentionSinkChatModelBuilder<B>> {
    Path modelPath;
    String modelId;
    AttentionSinkModel model;
    String device;
    String dtype;
    String cacheDtype;
    String kernels;
    int attentionSinkSize = CacheConfig.DEFAULT_ATTENTION_SINK_SIZE;
    int windowSize = CacheConfig.DEFAULT_WINDOW_SIZE;
    Integer maxNewTokens;
    Double temperature;
    Double topP;
    Integer topK;
    Double repetitionPenalty;
    Long seed;
    List<String> stopSequences;
    int maxSessions = 16;
    Duration sessionIdleTimeout = Duration.ofMinutes(30);
    List<ChatModelListener> listeners = List.of();
    String chatTemplate;
    Path chatTemplateFile;
    String chatTemplateName;
    /** Null: {@link #DEFAULT_BATCHED_MAX_BATCH} with batched decoding, else min(4, available processors). */
    Integer maxBatchSize;
    String modelName;
    boolean returnThinking;
    boolean batchedDecoding = true;
    int maxQueuedRequests = 1000;
    int prefillChunk = DecodeScheduler.DEFAULT_PREFILL_CHUNK;
    /** Null: {@link DecodeScheduler#defaultLongPromptChunk}. */
    Integer longPromptChunk;
    boolean sharePromptPrefixes = true;
    boolean warmUp = true;
    ChatRequestParameters defaultRequestParameters;

    /**
     * The default batch with batched decoding: on the 2-core machine of docs/benchmarks.md the aggregate tokens/s
     * still grows from 4 to 8 sessions in a step, and a conversation beyond the batch waits for a whole turn.
     */
    static final int DEFAULT_BATCHED_MAX_BATCH = 8;

    AttentionSinkChatModelBuilder() {}

    @SuppressWarnings("unchecked")
    private B self() {
        return (B) this;
    }

    /** A local checkpoint directory in Hugging Face layout (config.json, model.safetensors, tokenizer.json). */
    public B modelPath(Path modelPath) {
        this.modelPath = modelPath;
        return self();
    }

    /**
     * A Hugging Face model id {@code org/name[@revision]} (or a directory), resolved through the standard Hugging Face
     * cache and downloaded when missing unless {@code HF_HUB_OFFLINE=1}; see {@code docs/model-resolution.md}.
     */
    public B modelId(String modelId) {
        this.modelId = modelId;
        return self();
    }

    /**
     * An already loaded model to share (for example between a streaming and a blocking chat model, so the process
     * holds the weights once). The chat model does not close it. Replaces {@link #modelPath}, {@link #device},
     * {@link #dtype}, {@link #cacheDtype} and {@link #kernels}.
     */
    public B model(AttentionSinkModel model) {
        this.model = model;
        return self();
    }

    /** {@code auto} (default: a GPU when one is visible), {@code cpu}, {@code cuda} or {@code cuda:N}. */
    public B device(String device) {
        this.device = device;
        return self();
    }

    /**
     * Weight dtype: {@code float32} (default), {@code float16} or {@code int8} (see
     * {@link io.github.attentionsinks.ComputeDtype}).
     */
    public B dtype(String dtype) {
        this.dtype = dtype;
        return self();
    }

    /**
     * The KV cache's element type: {@code float32} (default) or {@code float16}, half of each conversation's cache
     * memory (see {@link io.github.attentionsinks.CacheDtype}).
     */
    public B cacheDtype(String cacheDtype) {
        this.cacheDtype = cacheDtype;
        return self();
    }

    /**
     * Who multiplies the weights on a CPU: {@code auto} (default), {@code java} or {@code libtorch} (see
     * {@link io.github.attentionsinks.kernels.WeightKernels}).
     */
    public B kernels(String kernels) {
        this.kernels = kernels;
        return self();
    }

    /** S: the first tokens of each conversation kept in the cache forever (default 4). */
    public B attentionSinkSize(int attentionSinkSize) {
        this.attentionSinkSize = attentionSinkSize;
        return self();
    }

    /** W: the most recent tokens kept in the cache (default 1020). Each session holds at most S + W tokens. */
    public B windowSize(int windowSize) {
        this.windowSize = windowSize;
        return self();
    }

    /** Default maximum tokens per reply (a request's {@code maxOutputTokens} overrides it). */
    public B maxNewTokens(int maxNewTokens) {
        this.maxNewTokens = maxNewTokens;
        return self();
    }

    /** Default sampling temperature; 0 is greedy decoding. */
    public B temperature(double temperature) {
        this.temperature = temperature;
        return self();
    }

    /** Default nucleus sampling threshold in (0, 1]; 1 is off. */
    public B topP(double topP) {
        this.topP = topP;
        return self();
    }

    /** Default top-k; 0 is off. */
    public B topK(int topK) {
        this.topK = topK;
        return self();
    }

    /** Hugging Face repetition penalty over the tokens the cache holds (1 is off). */
    public B repetitionPenalty(double repetitionPenalty) {
        this.repetitionPenalty = repetitionPenalty;
        return self();
    }

    /** Sampling seed (each turn starts from it), or null for a random one. */
    public B seed(Long seed) {
        this.seed = seed;
        return self();
    }

    /** Default stop sequences: a reply ends before the first of them (it is not part of the reply). */
    public B stopSequences(List<String> stopSequences) {
        this.stopSequences = stopSequences == null ? null : List.copyOf(stopSequences);
        return self();
    }

    public B stopSequences(String... stopSequences) {
        return stopSequences(Arrays.asList(stopSequences));
    }

    /** Most sessions (memory ids) kept at once; the least recently used idle one is closed beyond it (default 16). */
    public B maxSessions(int maxSessions) {
        this.maxSessions = maxSessions;
        return self();
    }

    /** A session unused for this long is closed and its cache freed (default 30 minutes). */
    public B sessionIdleTimeout(Duration sessionIdleTimeout) {
        this.sessionIdleTimeout = sessionIdleTimeout;
        return self();
    }

    /** {@link ChatModelListener}s notified of every request, response and error. */
    public B listeners(List<ChatModelListener> listeners) {
        this.listeners = listeners == null ? List.of() : List.copyOf(listeners);
        return self();
    }

    public B listeners(ChatModelListener... listeners) {
        return listeners(Arrays.asList(listeners));
    }

    /**
     * A Jinja chat template that replaces the model's own (or the plain-text fallback for models without one). It
     * sees {@code messages}, {@code add_generation_prompt}, {@code bos_token} and {@code eos_token}, as in Hugging
     * Face.
     */
    public B chatTemplate(String jinjaTemplate) {
        this.chatTemplate = jinjaTemplate;
        this.chatTemplateFile = null;
        return self();
    }

    /**
     * Which of the model's named chat templates to use for every request, when tokenizer_config.json's
     * {@code chat_template} is a list of {@code {"name", "template"}} entries (Hermes 3 and Command-R name theirs
     * {@code default} and {@code tool_use}). Unset (the default), the model's {@code default} template renders
     * requests without tools and its {@code tool_use} template (when it has one) requests with tools, as Hugging
     * Face's {@code apply_chat_template} chooses. {@link #chatTemplate(String)} wins over this.
     *
     * <p>Loading fails with the names the model has when it has no template of this name.
     */
    public B chatTemplateName(String name) {
        this.chatTemplateName = name;
        return self();
    }

    /** Like {@link #chatTemplate(String)}, read from a UTF-8 file. */
    public B chatTemplate(Path templateFile) {
        this.chatTemplateFile = templateFile;
        this.chatTemplate = null;
        return self();
    }

    /**
     * Conversations served at once: with batched decoding, the most generations advanced together in one step (the
     * batch); without it, the turns computed in parallel, each on its own thread. Further turns wait in the queue
     * ({@link #maxQueuedRequests}). Default: 8 with batched decoding, else min(4, available processors).
     */
    public B maxBatchSize(int maxBatchSize) {
        this.maxBatchSize = maxBatchSize;
        return self();
    }

    /**
     * The former name of {@link #maxBatchSize}: the threads that run conversations.
     *
     * @deprecated use {@link #maxBatchSize(int)}, which says what the number bounds
     */
    @Deprecated
    public B workerThreads(int workerThreads) {
        return maxBatchSize(workerThreads);
    }

    /** The model name reported in responses (default: the checkpoint directory's name). */
    public B modelName(String modelName) {
        this.modelName = modelName;
        return self();
    }

    /**
     * Whether a thinking model's reasoning ({@code <think>...</think>} of Qwen3, DeepSeek-R1 and Granite,
     * {@code <|START_THINKING|>} of Command-R7B) is returned: in {@code AiMessage.thinking()} and, when streaming,
     * through {@code onPartialThinking}. Default false: the reasoning is dropped (as LangChain4j's Ollama model
     * does). Either way it never appears in {@code AiMessage.text()} or {@code onPartialResponse}.
     *
     * @param returnThinking true to return the reasoning; null means the default (false)
     */
    public B returnThinking(Boolean returnThinking) {
        this.returnThinking = Boolean.TRUE.equals(returnThinking);
        return self();
    }

    /**
     * With batched decoding, the prompt tokens a conversation still reading its prompt feeds per step while the
     * others decode (default {@link DecodeScheduler#DEFAULT_PREFILL_CHUNK}, 16; the prompt's last chunk up to 1.5
     * times as many). Smaller: the other conversations' tokens come sooner; larger: the prompt is read faster. Short
     * turns (prompts of up to four chunks) go first, and with the Java kernels a step of long prompts gives way to one
     * between two layers: on the SmolLM-135M shape (float32, 2 cores, JDK 25) a one-token turn gets its first token
     * in about 20 ms beside a 2,000-token prefill, as alone, while that prompt is read at 310–370 tokens/s. Replies
     * do not depend on it.
     */
    public B prefillChunk(int prefillChunk) {
        this.prefillChunk = prefillChunk;
        return self();
    }

    /**
     * With batched decoding, the most prompt tokens long prompts feed in all (at least {@code prefillChunk} each) in a
     * step of long prompts alone, with nobody decoding (default {@link DecodeScheduler#DEFAULT_LONG_PROMPT_CHUNK}, 256,
     * or {@link #prefillChunk} if larger; at least {@code prefillChunk}). Such steps start at {@code prefillChunk}
     * tokens and double as they follow one another, and with the Java kernels give way to a short turn that arrives
     * during them: a long paste alone is read in larger steps. On the SmolLM-135M shape (2 AMD EPYC vCPUs, JDK 17) a
     * message longer than the window alone (1,024 tokens fed: the sinks' and the window's) got its first token after
     * 1.8–2.2 s instead of 2.4–2.8 with steps of 16 throughout, which setting this to {@code prefillChunk} gives.
     * Replies do not depend on it.
     */
    public B longPromptChunk(int longPromptChunk) {
        this.longPromptChunk = longPromptChunk;
        return self();
    }

    /**
     * Requests queued or running at once, all conversations together (default 1000). Beyond it a request is refused
     * at once with {@link io.github.attentionsinks.CapacityExceededException} (thrown from {@code chat(...)}, nothing
     * queued), which a web layer maps to 429 or 503, instead of growing a backlog.
     */
    public B maxQueuedRequests(int maxQueuedRequests) {
        this.maxQueuedRequests = maxQueuedRequests;
        return self();
    }

    /**
     * Whether new conversations copy the beginning their prompts share instead of encoding it (default true): the
     * template's system turn, a system prompt, tool definitions, up to where the first user message begins. The first
     * conversation with a beginning encodes it first and keeps its cache entries (in a cache of their own, at most
     * four beginnings, the least recently used given up first); conversations that start meanwhile wait for it, and
     * later ones, and rebuilt ones, whose prompts start with the same tokens copy them. A cache entry depends only on
     * the tokens up to it, so replies are the same either way (up to the order of floating-point sums). On the
     * SmolLM-135M shape (float32, 2 cores) a new conversation's first turn with a 785-token prompt, 760 of them a
     * system prompt, took 1.6–2.1 s without and 0.11–0.25 s with, and 8 new conversations at once with a new
     * 770-token system prompt were all answered in 3.3–4.8 s instead of 13.2–13.9 (docs/benchmarks.md).
     */
    public B sharePromptPrefixes(boolean sharePromptPrefixes) {
        this.sharePromptPrefixes = sharePromptPrefixes;
        return self();
    }

    /**
     * Whether building the model warms up the JIT compiler first (default true), so that the first requests do not
     * pay for compiling: the Java kernels ({@link AttentionSinkModel#warmUp}, with the Java kernels only), then the
     * chat path around them (template, tokenizer, turn planning, the decode loop, sampling, streaming) with eight
     * throwaway conversations of two 32-token turns, which go to no listener and are evicted afterwards, all but the
     * prompt beginning they kept (the template's turns before the first user message, a default system prompt among
     * them), which conversations without a system message then copy instead of encoding it. Once per JVM
     * each. On the SmolLM-135M shape (3.4–5.9 s for the kernels, about 2 s for the conversations) a fresh JVM's
     * first eight conversations at once made 172–187 tokens/s without either, and in fifteen interleaved pairs
     * 210–268 (median 237) with the kernels' alone against 227–291 (median 260) with both (docs/benchmarks.md).
     */
    public B warmUp(boolean warmUp) {
        this.warmUp = warmUp;
        return self();
    }

    /**
     * Whether conversations that generate at the same time share one decode loop (default true): every step feeds
     * all of them in one batched forward pass, so the weights are read once per step for all conversations, and a
     * long prompt is fed in chunks between the others' tokens. Replies are the same either way; false runs each
     * turn's generation on its own worker thread.
     */
    public B batchedDecoding(boolean batchedDecoding) {
        this.batchedDecoding = batchedDecoding;
        return self();
    }

    /**
     * Default request parameters, as LangChain4j providers take them: their {@code maxOutputTokens},
     * {@code temperature}, {@code topP}, {@code topK} and {@code stopSequences} replace the values of the matching
     * setters above ({@code maxNewTokens}, ...). A {@code modelName} must be this model's name (see
     * {@link #modelName(String)}). What this runtime does not support (JSON response format,
     * {@code ToolChoice.REQUIRED}, penalties, another model's name) is refused by {@code build()} with LangChain4j's
     * {@link UnsupportedFeatureException}, as are default tool specifications, tool choice and memory ids: pass those
     * per request.
     */
    public B defaultRequestParameters(ChatRequestParameters parameters) {
        this.defaultRequestParameters = parameters;
        return self();
    }

    /** Validates the settings, loads the model if needed and starts the session machinery. */
    ChatSessionEngine buildEngine() {
        if (model == null && modelPath == null && modelId == null) {
            throw new IllegalArgumentException("modelPath(...), modelId(...) or model(...) is required");
        }
        if (attentionSinkSize < 0) {
            throw new IllegalArgumentException("attentionSinkSize must be >= 0, got " + attentionSinkSize);
        }
        if (windowSize < 1) {
            throw new IllegalArgumentException("windowSize must be >= 1, got " + windowSize);
        }
        if (maxNewTokens != null && maxNewTokens < 1) {
            throw new IllegalArgumentException("maxNewTokens must be > 0, got " + maxNewTokens);
        }
        if (prefillChunk < 1) {
            throw new IllegalArgumentException("prefillChunk must be >= 1, got " + prefillChunk);
        }
        if (longPromptChunk != null && longPromptChunk < prefillChunk) {
            throw new IllegalArgumentException("longPromptChunk must be >= prefillChunk (" + prefillChunk + "), got "
                    + longPromptChunk);
        }
        if (maxQueuedRequests < 1) {
            throw new IllegalArgumentException("maxQueuedRequests must be >= 1, got " + maxQueuedRequests);
        }
        if (maxSessions < 1) {
            throw new IllegalArgumentException("maxSessions must be >= 1, got " + maxSessions);
        }
        if (sessionIdleTimeout == null || sessionIdleTimeout.isZero() || sessionIdleTimeout.isNegative()) {
            throw new IllegalArgumentException("sessionIdleTimeout must be positive, got " + sessionIdleTimeout);
        }
        int batch = maxBatchSize != null ? maxBatchSize : batchedDecoding ? DEFAULT_BATCHED_MAX_BATCH
                : Math.max(1, Math.min(4, Runtime.getRuntime().availableProcessors()));
        if (batch < 1) {
            throw new IllegalArgumentException("maxBatchSize must be >= 1, got " + batch);
        }
        ChatRequestParameters defaults = defaultRequestParameters;
        Integer maxNewTokens = this.maxNewTokens;
        Double temperature = this.temperature;
        Double topP = this.topP;
        Integer topK = this.topK;
        List<String> stopSequences = this.stopSequences;
        if (defaults != null) {
            maxNewTokens = defaults.maxOutputTokens() != null ? defaults.maxOutputTokens() : maxNewTokens;
            temperature = defaults.temperature() != null ? defaults.temperature() : temperature;
            topP = defaults.topP() != null ? defaults.topP() : topP;
            topK = defaults.topK() != null ? defaults.topK() : topK;
            stopSequences = defaults.stopSequences() != null && !defaults.stopSequences().isEmpty()
                    ? List.copyOf(defaults.stopSequences()) : stopSequences;
        }
        boolean owns = model == null;
        AttentionSinkModel loaded = model;
        if (owns) {
            AttentionSinkModel.Builder b = AttentionSinkModel.builder().modelPath(modelPath).modelId(modelId);
            if (device != null) {
                b.device(device);
            }
            if (dtype != null) {
                b.dtype(dtype);
            }
            if (cacheDtype != null) {
                b.cacheDtype(cacheDtype);
            }
            if (kernels != null) {
                b.kernels(kernels);
            }
            loaded = b.load();
        }
        try {
            if (warmUp) {
                loaded.warmUp();
            }
            ChatTemplate template = null;
            if (chatTemplate != null || chatTemplateFile != null) {
                String bos = loaded.tokenizerConfig().bosToken();
                String eos = loaded.tokenizerConfig().eosToken();
                template = chatTemplate != null ? ChatTemplate.of(chatTemplate, bos, eos)
                        : ChatTemplate.of(chatTemplateFile, bos, eos);
            } else if (chatTemplateName != null) {
                template = ChatTemplate.forModel(loaded.directory(), loaded.tokenizerConfig(), chatTemplateName);
            }
            ChatSessionEngine.Settings settings = new ChatSessionEngine.Settings(
                    CacheConfig.sinks(attentionSinkSize, windowSize), maxNewTokens, temperature, topP, topK,
                    repetitionPenalty, seed, stopSequences, maxSessions, sessionIdleTimeout, batch, modelName,
                    template, returnThinking, batchedDecoding, prefillChunk,
                    longPromptChunk != null ? longPromptChunk : DecodeScheduler.defaultLongPromptChunk(prefillChunk),
                    maxQueuedRequests, sharePromptPrefixes);
            ChatSessionEngine engine = new ChatSessionEngine(loaded, owns, settings);
            if (defaults != null) {
                try {
                    checkDefaults(engine, defaults);
                } catch (RuntimeException e) {
                    engine.close(); // closes the model too when the engine owns it
                    throw e;
                }
            }
            if (warmUp) {
                ChatWarmUp.run(engine, Math.min(ChatWarmUp.CONVERSATIONS,
                        Math.min(batch, Math.min(maxSessions, maxQueuedRequests))));
            }
            return engine;
        } catch (RuntimeException e) {
            if (owns) {
                loaded.close();
            }
            throw e;
        }
    }

    /** Refuses default parameters this runtime would not honour (after loading: the model's name is known then). */
    private static void checkDefaults(ChatSessionEngine engine, ChatRequestParameters defaults) {
        ChatRequestValidator.of(engine).validateParameters(defaults);
        // Valid per request, but the engine applies only generation settings as defaults: refuse rather than drop.
        if (defaults.toolSpecifications() != null && !defaults.toolSpecifications().isEmpty()) {
            throw new UnsupportedFeatureException("tool specifications in defaultRequestParameters are not "
                    + "supported; pass them per request (ChatRequest.parameters)");
        }
        if (defaults.toolChoice() != null) {
            throw new UnsupportedFeatureException("toolChoice in defaultRequestParameters is not supported; pass it "
                    + "per request (ChatRequest.parameters)");
        }
        if (defaults instanceof AttentionSinkChatRequestParameters p && p.memoryId() != null) {
            throw new UnsupportedFeatureException("memoryId in defaultRequestParameters is not supported: a memory id "
                    + "names one conversation; pass it per request");
        }
    }
}
