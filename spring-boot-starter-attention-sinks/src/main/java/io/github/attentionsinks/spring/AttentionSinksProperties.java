package io.github.attentionsinks.spring;

import io.github.attentionsinks.CacheDtype;
import io.github.attentionsinks.ComputeDtype;
import io.github.attentionsinks.DecodeScheduler;
import io.github.attentionsinks.InvalidSettingException;
import io.github.attentionsinks.hub.ModelId;
import io.github.attentionsinks.kernels.WeightKernels;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.core.io.Resource;
import org.springframework.validation.Errors;
import org.springframework.validation.Validator;

/**
 * Settings of the auto-configured attention-sink chat models, under {@code langchain4j.attention-sinks}. Only
 * {@code model} is required; the chat models exist only when it is set.
 *
 * <p>The class validates itself while it is bound (it is a Spring {@link Validator}, which needs no Bean Validation
 * provider): a bad value fails the application context with a message that names the property and the fix.
 */
@ConfigurationProperties(prefix = AttentionSinksProperties.PREFIX)
public class AttentionSinksProperties implements Validator {
    /** The property prefix. */
    public static final String PREFIX = "langchain4j.attention-sinks";

    private static final Pattern DEVICE = Pattern.compile("auto|cpu|(cuda|gpu)(:\\d+)?");

    /**
     * The model: a local Hugging Face checkpoint directory (config.json, model.safetensors, tokenizer.json), or a
     * Hugging Face Hub id such as HuggingFaceTB/SmolLM2-135M-Instruct (optionally @revision), resolved through the
     * standard Hugging Face cache and downloaded when missing unless HF_HUB_OFFLINE=1. Required: without it no
     * attention-sink bean is created.
     */
    private String model;

    /** S: the first tokens of each conversation kept in the KV cache forever (the attention sinks). */
    private int attentionSinkSize = 4;

    /** W: the most recent tokens kept in the KV cache. Each conversation holds at most S + W tokens. */
    private int windowSize = 1020;

    /** Compute device: auto (a GPU when one is visible, else the CPU), cpu, cuda or cuda:N. */
    private String device = "auto";

    /**
     * Weights dtype: float32, float16 (float16 weight matrices with float32 norms, attention and logits; half the
     * memory, and faster on a CPU too) or int8 (weight matrices quantized at load, multiplied by the Java kernels
     * on a CPU; a quarter of the memory; needs the JVM option --add-modules jdk.incubator.vector). Checkpoints in
     * bfloat16 or float16 load either way.
     */
    private String dtype = "float32";

    /**
     * The KV cache's element type: float32 (exact) or float16 (keys and values rounded as they are stored: half of each
     * conversation's cache memory; logits move about as much as with float16 weights).
     */
    private String cacheDtype = "float32";

    /**
     * Who multiplies the weight matrices on a CPU: auto (the Java Vector API kernels for float32 on JDK 21+ started
     * with --add-modules jdk.incubator.vector, libtorch otherwise), java or libtorch.
     */
    private String kernels = "auto";

    /** Default sampling temperature; 0 is greedy decoding. Default: the model's generation_config.json. */
    private Double temperature;

    /** Default nucleus sampling threshold in (0, 1]; 1 is off. Default: the model's generation_config.json. */
    private Double topP;

    /** Default top-k sampling; 0 is off. Default: the model's generation_config.json. */
    private Integer topK;

    /**
     * Default maximum number of tokens per reply; a request's maxOutputTokens overrides it. Default: the model's
     * generation_config.json.
     */
    private Integer maxNewTokens;

    /**
     * Hugging Face repetition penalty over the tokens in the cache; 1 is off. Default: the model's
     * generation_config.json.
     */
    private Double repetitionPenalty;

    /** Default stop sequences: a reply ends before the first of them, which is not part of the reply. */
    private List<String> stopSequences;

    /** Sampling seed (each turn starts from it); unset means a random seed. */
    private Long seed;

    /**
     * A Jinja chat template that replaces the model's own (or the plain-text fallback for models without one). It
     * sees messages, add_generation_prompt, bos_token and eos_token, as in Hugging Face.
     */
    private String chatTemplate;

    /** Like chat-template, read from a UTF-8 resource such as file:templates/chat.jinja or classpath:chat.jinja. */
    private Resource chatTemplateLocation;

    /**
     * Which of the model's named chat templates to use, when tokenizer_config.json lists several (Hermes 3,
     * Command-R: default, tool_use, rag). Default: "default", and "tool_use" for requests with tools.
     */
    private String chatTemplateName;

    /**
     * Whether a thinking model's reasoning (Qwen3, DeepSeek-R1, Granite, Command-R7B) is returned in
     * AiMessage.thinking() and streamed through onPartialThinking. It never appears in the reply's text either way.
     */
    private boolean returnThinking;

    /**
     * Most conversations (memory ids) holding a session at once, per chat model; beyond it the least recently used
     * idle session is closed and its cache freed.
     */
    private int maxSessions = 16;

    /** A conversation's session unused for this long is closed and its cache freed. */
    private Duration sessionIdleTimeout = Duration.ofMinutes(30);

    /**
     * Conversations served at once, per chat model: with batched decoding, the most generations advanced together in
     * one batched step; without it, the turns computed in parallel. Further requests wait in the queue
     * (max-queued-requests). Default: 8 with batched decoding, else min(4, available processors).
     */
    private Integer maxBatchSize;

    /** The former name of max-batch-size. */
    private Integer workerThreads;

    /**
     * Requests queued or running at once, per chat model, all conversations together; beyond it a request is refused
     * at once with CapacityExceededException (map it to 429 or 503) instead of growing a backlog.
     */
    private int maxQueuedRequests = 1000;

    /**
     * Whether conversations that generate at the same time share one decode loop, each step feeding all of them in
     * one batched forward pass (the weights are read once per step for all of them). Replies are the same either way.
     */
    private boolean batchedDecoding = true;

    /**
     * Whether the auto-configured blocking chat model serves the streaming model's sessions (one cache per
     * conversation whichever model serves a turn, one decode loop for both); listeners and metrics still tell
     * blocking calls from streaming ones.
     */
    private boolean shareSessions = true;

    /**
     * With batched decoding, prompt tokens a conversation still reading its prompt feeds per step while the others
     * decode (the last chunk up to 1.5 times as many): smaller, the others' tokens come sooner; larger, the prompt is
     * read faster. Short turns (up to four chunks) go first either way.
     */
    // A literal, so the configuration metadata shows it: DecodeScheduler.DEFAULT_PREFILL_CHUNK (MetadataTest checks).
    private int prefillChunk = 16;

    /**
     * With batched decoding, the most prompt tokens long prompts feed in all (at least prefill-chunk each) in a step of
     * long prompts alone, with nobody decoding: such steps start at prefill-chunk tokens and double as they follow one
     * another, and with the Java kernels give way to a short turn that arrives during them, so a long paste alone is
     * read in larger steps. Unset: 256, or prefill-chunk if larger; at least prefill-chunk (equal to it, every step
     * feeds one chunk).
     */
    private Integer longPromptChunk;

    /**
     * Whether new conversations copy the beginning their prompts share (the template's system turn, a system prompt,
     * tool definitions) from the first conversation that encoded it, instead of encoding it again; at most four
     * beginnings are kept. Replies are the same either way.
     */
    private boolean sharePromptPrefixes = true;

    /**
     * Whether building the chat models warms up the JIT compiler first, so that the first requests do not pay for
     * compiling the Java kernels (once per JVM; 3.4–5.0 s for the SmolLM-135M shape on 2 cores with the Java kernels, nothing with libtorch).
     */
    private boolean warmUp = true;

    /** The model name reported in chat responses. Default: the checkpoint directory's name. */
    private String modelName;

    /**
     * Whether @AiService beans of langchain4j-spring-boot-starter that use the attention-sink chat models pass
     * each call's @MemoryId to the model, so that every conversation keeps its own session.
     */
    private boolean aiServiceMemoryId = true;

    @Override
    public boolean supports(Class<?> clazz) {
        return AttentionSinksProperties.class.isAssignableFrom(clazz);
    }

    /** Rejects values the chat models cannot run with; each message says what to set instead. */
    @Override
    public void validate(Object target, Errors errors) {
        AttentionSinksProperties p = (AttentionSinksProperties) target;
        if (p.model != null) {
            String problem = modelProblem(p.model);
            if (problem != null) {
                reject(errors, "model", problem);
            }
        }
        if (p.attentionSinkSize < 0) {
            reject(errors, "attentionSinkSize", 
                    "must be >= 0 (0 keeps no sink tokens; the default is 4)");
        }
        if (p.windowSize < 1) {
            reject(errors, "windowSize", 
                    "must be >= 1: the number of recent tokens kept in the cache (the default is 1020)");
        }
        if (p.device == null || !DEVICE.matcher(p.device.trim().toLowerCase(Locale.ROOT)).matches()) {
            reject(errors, "device", 
                    "is not a known device: use auto, cpu, cuda or cuda:N (for example cuda:0)");
        }
        String dtypeProblem = dtypeProblem(p.dtype);
        if (dtypeProblem != null) {
            reject(errors, "dtype", dtypeProblem);
        }
        try {
            CacheDtype.parse(p.cacheDtype);
        } catch (InvalidSettingException e) {
            reject(errors, "cacheDtype", e.getMessage());
        }
        try {
            WeightKernels.Choice.parse(p.kernels);
        } catch (InvalidSettingException e) {
            reject(errors, "kernels", e.getMessage());
        }
        if (p.temperature != null && !(p.temperature >= 0)) {
            reject(errors, "temperature", "must be >= 0 (0 is greedy decoding)");
        }
        if (p.topP != null && !(p.topP > 0 && p.topP <= 1)) {
            reject(errors, "topP", "must be in (0, 1] (1 turns nucleus sampling off)");
        }
        if (p.topK != null && p.topK < 0) {
            reject(errors, "topK", "must be >= 0 (0 turns top-k off)");
        }
        if (p.maxNewTokens != null && p.maxNewTokens < 1) {
            reject(errors, "maxNewTokens", 
                    "must be >= 1, or left unset to use the model's generation_config.json");
        }
        if (p.repetitionPenalty != null && !(p.repetitionPenalty > 0)) {
            reject(errors, "repetitionPenalty", "must be > 0 (1 turns it off)");
        }
        if (p.chatTemplate != null && p.chatTemplateLocation != null) {
            reject(errors, "chatTemplateLocation", 
                    "conflicts with chat-template: set only one of them");
        }
        if (p.chatTemplateName != null && (p.chatTemplate != null || p.chatTemplateLocation != null)) {
            reject(errors, "chatTemplateName",
                    "picks one of the model's own templates, but chat-template or chat-template-location replaces "
                            + "them: set only one of them");
        }
        if (p.chatTemplateLocation != null && !p.chatTemplateLocation.exists()) {
            reject(errors, "chatTemplateLocation", 
                    "names no existing resource (" + p.chatTemplateLocation.getDescription()
                            + "): use file:<path> or classpath:<path> of an existing Jinja template");
        }
        if (p.prefillChunk < 1) {
            reject(errors, "prefillChunk",
                    "must be >= 1 (the default is " + DecodeScheduler.DEFAULT_PREFILL_CHUNK + ")");
        }
        if (p.longPromptChunk != null && p.longPromptChunk < p.prefillChunk) {
            reject(errors, "longPromptChunk", "must be at least prefill-chunk (" + p.prefillChunk + "); leave it unset "
                    + "for the default, " + DecodeScheduler.defaultLongPromptChunk(p.prefillChunk));
        }
        if (p.maxQueuedRequests < 1) {
            reject(errors, "maxQueuedRequests", "must be >= 1 (the default is 1000)");
        }
        if (p.maxSessions < 1) {
            reject(errors, "maxSessions", "must be >= 1 (the default is 16)");
        }
        if (p.sessionIdleTimeout == null || p.sessionIdleTimeout.isZero() || p.sessionIdleTimeout.isNegative()) {
            reject(errors, "sessionIdleTimeout", 
                    "must be a positive duration such as 30m or 1h (the default is 30m)");
        }
        if (p.maxBatchSize != null && p.maxBatchSize < 1) {
            reject(errors, "maxBatchSize",
                    "must be >= 1, or left unset for 8 (batched decoding) or min(4, available processors)");
        }
        if (p.workerThreads != null && p.workerThreads < 1) {
            reject(errors, "workerThreads", "must be >= 1; it is the former name of max-batch-size: use that");
        }
    }

    /**
     * Rejects a field with a message that starts with the full property name: Spring Boot's failure report shows the
     * field's Java name (windowSize) beside the value and its origin (file and line), the message the property as
     * the user writes it.
     */
    private static void reject(Errors errors, String field, String message) {
        String property = PREFIX + "." + field.replaceAll("([A-Z])", "-$1").toLowerCase(Locale.ROOT);
        errors.rejectValue(field, "attentionSinks." + field, property + " " + message);
    }

    /**
     * What is wrong with a model value, or null. A value that is neither an existing directory nor path-shaped is
     * taken as a Hub id, which only resolution at startup can check.
     */
    static String modelProblem(String value) {
        String text = value.strip();
        if (text.isEmpty()) {
            return "is empty: set it to a Hugging Face checkpoint directory or a Hub id such as "
                    + "HuggingFaceTB/SmolLM2-135M-Instruct";
        }
        Path path = asPath(text);
        if (path != null && Files.isDirectory(path)) {
            if (!Files.isRegularFile(path.resolve("config.json"))) {
                return "names directory " + path.toAbsolutePath() + ", which has no config.json: point it at a "
                        + "Hugging Face checkpoint directory (config.json, model.safetensors, tokenizer.json)";
            }
            return null;
        }
        if (looksLikePath(text)) {
            return "names directory " + (path == null ? text : path.toAbsolutePath()) + ", which does not exist: fix "
                    + "the path, or use a Hugging Face Hub id such as HuggingFaceTB/SmolLM2-135M-Instruct";
        }
        if (ModelId.parse(text).isEmpty()) {
            return "is neither an existing directory nor a Hugging Face Hub id (org/name or org/name@revision, "
                    + "e.g. HuggingFaceTB/SmolLM2-135M-Instruct)";
        }
        return null;
    }

    static String dtypeProblem(String dtype) {
        try {
            ComputeDtype.parse(dtype);
            return null;
        } catch (ComputeDtype.InvalidDtypeException e) {
            return e.getMessage();
        }
    }

    private static boolean looksLikePath(String text) {
        return text.startsWith("/") || text.startsWith("./") || text.startsWith("../") || text.startsWith("~")
                || text.equals(".") || text.equals("..") || text.contains("\\") || text.endsWith("/")
                || (text.length() > 1 && text.charAt(1) == ':');
    }

    /** The text as a path with a leading ~/ expanded, as the model resolver reads it; null if not a path here. */
    static Path asPath(String text) {
        try {
            if (text.equals("~") || text.startsWith("~/")) {
                return Path.of(System.getProperty("user.home")).resolve(text.length() > 2 ? text.substring(2) : "");
            }
            return Path.of(text);
        } catch (InvalidPathException e) {
            return null;
        }
    }

    public String getModel() {
        return model;
    }

    public void setModel(String model) {
        this.model = model;
    }

    public int getAttentionSinkSize() {
        return attentionSinkSize;
    }

    public void setAttentionSinkSize(int attentionSinkSize) {
        this.attentionSinkSize = attentionSinkSize;
    }

    public int getWindowSize() {
        return windowSize;
    }

    public void setWindowSize(int windowSize) {
        this.windowSize = windowSize;
    }

    public String getDevice() {
        return device;
    }

    public void setDevice(String device) {
        this.device = device;
    }

    public String getDtype() {
        return dtype;
    }

    public void setDtype(String dtype) {
        this.dtype = dtype;
    }

    public String getCacheDtype() {
        return cacheDtype;
    }

    public void setCacheDtype(String cacheDtype) {
        this.cacheDtype = cacheDtype;
    }

    public String getKernels() {
        return kernels;
    }

    public void setKernels(String kernels) {
        this.kernels = kernels;
    }

    public Double getTemperature() {
        return temperature;
    }

    public void setTemperature(Double temperature) {
        this.temperature = temperature;
    }

    public Double getTopP() {
        return topP;
    }

    public void setTopP(Double topP) {
        this.topP = topP;
    }

    public Integer getTopK() {
        return topK;
    }

    public void setTopK(Integer topK) {
        this.topK = topK;
    }

    public Integer getMaxNewTokens() {
        return maxNewTokens;
    }

    public void setMaxNewTokens(Integer maxNewTokens) {
        this.maxNewTokens = maxNewTokens;
    }

    public Double getRepetitionPenalty() {
        return repetitionPenalty;
    }

    public void setRepetitionPenalty(Double repetitionPenalty) {
        this.repetitionPenalty = repetitionPenalty;
    }

    public List<String> getStopSequences() {
        return stopSequences;
    }

    public void setStopSequences(List<String> stopSequences) {
        this.stopSequences = stopSequences;
    }

    public Long getSeed() {
        return seed;
    }

    public void setSeed(Long seed) {
        this.seed = seed;
    }

    public String getChatTemplate() {
        return chatTemplate;
    }

    public void setChatTemplate(String chatTemplate) {
        this.chatTemplate = chatTemplate;
    }

    public Resource getChatTemplateLocation() {
        return chatTemplateLocation;
    }

    public void setChatTemplateLocation(Resource chatTemplateLocation) {
        this.chatTemplateLocation = chatTemplateLocation;
    }

    public int getMaxSessions() {
        return maxSessions;
    }

    public void setMaxSessions(int maxSessions) {
        this.maxSessions = maxSessions;
    }

    public Duration getSessionIdleTimeout() {
        return sessionIdleTimeout;
    }

    public void setSessionIdleTimeout(Duration sessionIdleTimeout) {
        this.sessionIdleTimeout = sessionIdleTimeout;
    }

    public String getChatTemplateName() {
        return chatTemplateName;
    }

    public void setChatTemplateName(String chatTemplateName) {
        this.chatTemplateName = chatTemplateName;
    }

    public int getMaxQueuedRequests() {
        return maxQueuedRequests;
    }

    public void setMaxQueuedRequests(int maxQueuedRequests) {
        this.maxQueuedRequests = maxQueuedRequests;
    }

    public int getPrefillChunk() {
        return prefillChunk;
    }

    public void setPrefillChunk(int prefillChunk) {
        this.prefillChunk = prefillChunk;
    }

    public Integer getLongPromptChunk() {
        return longPromptChunk;
    }

    public void setLongPromptChunk(Integer longPromptChunk) {
        this.longPromptChunk = longPromptChunk;
    }

    public boolean isShareSessions() {
        return shareSessions;
    }

    public void setShareSessions(boolean shareSessions) {
        this.shareSessions = shareSessions;
    }

    public boolean isWarmUp() {
        return warmUp;
    }

    public void setWarmUp(boolean warmUp) {
        this.warmUp = warmUp;
    }

    public boolean isSharePromptPrefixes() {
        return sharePromptPrefixes;
    }

    public void setSharePromptPrefixes(boolean sharePromptPrefixes) {
        this.sharePromptPrefixes = sharePromptPrefixes;
    }

    public boolean isBatchedDecoding() {
        return batchedDecoding;
    }

    public void setBatchedDecoding(boolean batchedDecoding) {
        this.batchedDecoding = batchedDecoding;
    }

    public boolean isReturnThinking() {
        return returnThinking;
    }

    public void setReturnThinking(boolean returnThinking) {
        this.returnThinking = returnThinking;
    }

    public Integer getMaxBatchSize() {
        return maxBatchSize;
    }

    public void setMaxBatchSize(Integer maxBatchSize) {
        this.maxBatchSize = maxBatchSize;
    }

    /** The batch the chat models get: max-batch-size, else the deprecated worker-threads, else null (the default). */
    public Integer effectiveMaxBatchSize() {
        return maxBatchSize != null ? maxBatchSize : workerThreads;
    }

    /**
     * @deprecated worker-threads is the former name of max-batch-size, which says what the number bounds
     */
    @Deprecated
    @org.springframework.boot.context.properties.DeprecatedConfigurationProperty(
            replacement = "langchain4j.attention-sinks.max-batch-size",
            reason = "It bounds the conversations served at once (the batch), not only threads")
    public Integer getWorkerThreads() {
        return workerThreads;
    }

    @Deprecated
    public void setWorkerThreads(Integer workerThreads) {
        this.workerThreads = workerThreads;
    }

    public String getModelName() {
        return modelName;
    }

    public void setModelName(String modelName) {
        this.modelName = modelName;
    }

    public boolean isAiServiceMemoryId() {
        return aiServiceMemoryId;
    }

    public void setAiServiceMemoryId(boolean aiServiceMemoryId) {
        this.aiServiceMemoryId = aiServiceMemoryId;
    }
}
