package io.github.attentionsinks;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.github.attentionsinks.arch.Architectures;
import io.github.attentionsinks.arch.CausalLm;
import io.github.attentionsinks.cache.CacheBuffers;
import io.github.attentionsinks.cache.CacheConfig;
import io.github.attentionsinks.config.Json;
import io.github.attentionsinks.config.ModelConfig;
import io.github.attentionsinks.config.ModelFormatException;
import io.github.attentionsinks.generate.GenerationParams;
import io.github.attentionsinks.hub.ModelResolver;
import io.github.attentionsinks.kernels.WeightKernels;
import io.github.attentionsinks.runtime.DjlRuntime;
import io.github.attentionsinks.tokenizer.TextTokenizer;
import io.github.attentionsinks.tokenizer.TokenizerConfig;
import io.github.attentionsinks.weights.WeightStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.IntConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Hugging Face causal LM loaded from a local directory, ready to open {@link Session}s that each keep an
 * attention-sink KV cache. Thread-safe: many sessions may run at once on one loaded model (the weights are
 * shared and read-only).
 *
 * <pre>{@code
 * try (AttentionSinkModel model = AttentionSinkModel.builder().modelPath(Path.of("models/SmolLM2-135M")).load();
 *      Session session = model.newSession(CacheConfig.defaults())) {
 *     session.generate("Once upon a time", model.generationDefaults().maxNewTokens(100).build(),
 *             (id, text) -> System.out.print(text));
 * }
 * }</pre>
 */
public final class AttentionSinkModel implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(AttentionSinkModel.class);

    private final Path directory;
    private final ModelConfig config;
    private final Device device;
    private final DataType dataType;
    private final ComputeDtype dtype;
    private final CacheDtype cacheDtype;
    private final NDManager manager;
    private final CausalLm network;
    /** Cache sizes past max_position_embeddings already warned about. */
    private final Set<Integer> warnedCapacities = ConcurrentHashMap.newKeySet();
    private final TextTokenizer tokenizer;
    private final GenerationParams generationDefaults;
    private final TokenizerConfig tokenizerConfig;
    /** The Java kernels multiplying the weights, or null for libtorch. */
    private final WeightKernels kernels;
    private final CacheBuffers cacheBuffers;

    private AttentionSinkModel(Builder b) {
        Path dir = b.modelPath;
        if (dir == null && b.modelId != null) {
            dir = ModelResolver.resolve(b.modelId);
        }
        if (dir == null) {
            throw new IllegalArgumentException("modelPath or modelId is required");
        }
        if (!Files.isDirectory(dir)) {
            throw new ModelFormatException(dir + ": model directory not found (expected a Hugging Face checkpoint: "
                    + "config.json, model.safetensors, tokenizer.json)");
        }
        this.directory = dir;
        this.config = ModelConfig.read(dir);
        this.dtype = ComputeDtype.parse(b.dtype);
        this.cacheDtype = CacheDtype.parse(b.cacheDtype);
        WeightKernels.Choice kernelChoice = WeightKernels.Choice.parse(b.kernels);
        // Norms, attention and logits always run in float32; float16 applies to the weight matrices (and the KV
        // cache's entries with cache-dtype float16).
        this.dataType = DataType.FLOAT32;
        DjlRuntime.engine();
        this.device = DjlRuntime.device(b.device);
        WeightKernels selected = WeightKernels.select(kernelChoice, dtype, device.isGpu(), DjlRuntime.intraOpThreads());
        this.manager = NDManager.newBaseManager(device);
        long start = System.nanoTime();
        // The Java kernels pack from float32 (rounding to float16 or quantizing to int8 as they pack).
        DataType loadType = selected != null ? DataType.FLOAT32 : dtype.loadType();
        try (WeightStore weights = WeightStore.open(dir, loadType == DataType.FLOAT32 ? null : loadType)) {
            this.network = Architectures.load(config, weights, manager, dataType);
            if (selected != null && !network.useKernels(selected, kernelChoice == WeightKernels.Choice.JAVA
                    || dtype == ComputeDtype.INT8)) {
                log.warn("Java kernels not used for {}: the Java heap cannot hold the packed weights; raise -Xmx to "
                        + "use them (libtorch multiplies instead{})", dir, dtype == ComputeDtype.FLOAT16
                        ? ", with the weights in float32 as loaded for the kernels: use kernels libtorch for float16 "
                        + "weights on libtorch" : "");
                selected.close();
                selected = null;
            }
        } catch (RuntimeException | Error e) {
            if (selected != null) {
                selected.close();
            }
            manager.close();
            throw e;
        }
        this.kernels = selected;
        this.cacheBuffers = device.isGpu() ? null : new CacheBuffers(manager);
        if (selected != null) {
            DjlRuntime.leaveCoresToJavaKernels();
        }
        // Weights copied while loading (fused, widened or re-laid for speed) leave their file mappings behind until
        // the buffers are collected; without this, a model's resident memory reads up to twice its size for a while.
        System.gc();
        try {
            this.tokenizerConfig = TokenizerConfig.read(dir);
            // Ids-only use (perplexity over token ids, benchmarks) needs no tokenizer.json when the caller says so.
            this.tokenizer = b.tokenizerOptional && !Files.isRegularFile(dir.resolve("tokenizer.json")) ? null
                    : TextTokenizer.load(dir, tokenizerConfig);
        } catch (RuntimeException e) {
            close();
            throw e;
        }
        this.generationDefaults = readGenerationDefaults(dir, config);
        logLoaded(b, kernelChoice, (System.nanoTime() - start) / 1_000_000);
    }

    /**
     * The one INFO line of a start: what was loaded and how it runs (device, dtype, intra-op threads, and the cache
     * S+W when the caller told it, see {@link Builder#reportedCache}).
     */
    private void logLoaded(Builder b, WeightKernels.Choice kernelChoice, long millis) {
        String source = b.modelPath == null && b.modelId != null ? b.modelId + " (" + directory + ")"
                : directory.toString();
        String cache = b.reportedCache == null ? "" : ", cache " + b.reportedCache;
        String fallback = kernels == null ? WeightKernels.autoFallbackHint(kernelChoice, device.isGpu()) : null;
        String hint = fallback == null ? "" : " (" + fallback + ")";
        String cacheType = cacheDtype == CacheDtype.FLOAT32 ? "" : ", cache-dtype " + cacheDtype.canonicalName();
        log.info("Loaded {} model {} in {} ms: device {}, dtype {}{}, kernels {}{}, libtorch {} intra-op threads{}",
                config.modelType(), source, millis, device.isGpu() ? "cuda:" + device.getDeviceId() : "cpu",
                dtype.canonicalName(), cacheType, kernels(), hint, DjlRuntime.libtorchThreads(), cache);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Shorthand for {@code builder().modelPath(dir).load()} on the default device in float32. */
    public static AttentionSinkModel load(Path dir) {
        return builder().modelPath(dir).load();
    }

    /**
     * Opens a session with its own cache. For bounded caches, prompts longer than the cache are fed in
     * chunks of at most window-size tokens with eviction between them.
     *
     * @throws IllegalArgumentException when the architecture cannot re-assign positions (GPT-2) and the mode is
     *     not dense
     */
    public Session newSession(CacheConfig cache) {
        String refusal = network.positionReassignmentUnsupportedReason();
        if (cache.bounded() && refusal != null) {
            throw new IllegalArgumentException("Cache mode " + cache.mode().name().toLowerCase() + " is not available for "
                    + config.modelType() + ": " + refusal + " Use dense mode.");
        }
        int maxPositions = network.maxPositionEmbeddings();
        // Once per cache size: a chat server opens a session per conversation.
        if (cache.bounded() && maxPositions > 0 && cache.capacity() > maxPositions
                && warnedCapacities.add(cache.capacity())) {
            log.warn("attention-sink-size + window-size = {} exceeds max_position_embeddings = {} of {}: positions past "
                    + "the trained context are used", cache.capacity(), maxPositions, directory);
        }
        return new Session(this, cache);
    }

    /**
     * Feeds new tokens to several sessions of this model in one forward pass and returns each session's next-token
     * logits. Each session advances exactly as {@link Session#append} would advance it (its own positions, its own
     * cache, eviction after the step); the weights are read once for all of them, and the projections become
     * matrix-matrix products, which is what makes serving many conversations at once cheaper than serving them one
     * after another. Architectures without a batched forward pass run the sessions one after another.
     *
     * <p>All or nothing: if the pass fails, no session changes. The sessions must not be used by other threads
     * meanwhile.
     *
     * @param sessions distinct sessions of this model
     * @param tokenIds for each session, at least one token and at most its cache's chunk size (a sampled token not
     *     fed yet, see {@link Session#generate}, is fed first and counts)
     * @return {@code [sessions][vocab]}
     * @throws IllegalArgumentException for a session of another model, a repeated session, an empty or too long
     *     token list, or an id outside the vocabulary
     */
    public float[][] appendBatch(List<Session> sessions, List<int[]> tokenIds) {
        return Session.appendBatch(this, sessions, tokenIds);
    }

    /** Generation settings from generation_config.json (eos ids, sampling) on top of {@link GenerationParams} defaults. */
    public GenerationParams.Builder generationDefaults() {
        return generationDefaults.toBuilder();
    }

    /**
     * The tokenizer of {@code tokenizer.json}.
     *
     * @throws ModelFormatException when the model was loaded without one ({@link Builder#tokenizerOptional} and no
     *     tokenizer.json): the message names the missing file
     */
    public TextTokenizer tokenizer() {
        if (tokenizer == null) {
            throw new ModelFormatException(directory.resolve("tokenizer.json") + ": file not found; this model was "
                    + "loaded for token ids only, and text (encoding prompts, decoding output, stop strings, chat) needs "
                    + "a Hugging Face fast tokenizer there");
        }
        return tokenizer;
    }

    /** False when the model was loaded without tokenizer.json ({@link Builder#tokenizerOptional}). */
    public boolean hasTokenizer() {
        return tokenizer != null;
    }

    public ModelConfig config() {
        return config;
    }

    public Path directory() {
        return directory;
    }

    public Device device() {
        return device;
    }

    /** The dtype of activations and attention: always float32. */
    public DataType dataType() {
        return dataType;
    }

    /** The element type of every session's KV cache: float32, or float16 with {@code cacheDtype("float16")}. */
    public CacheDtype cacheDtype() {
        return cacheDtype;
    }

    /**
     * The dtype weight matrices are stored and multiplied in: float32, float16 with {@code dtype("float16")} or int8
     * with {@code dtype("int8")}.
     */
    public DataType weightType() {
        return dtype.weightType();
    }

    /**
     * Who multiplies the weights: {@code libtorch}, or the Java kernels with their element type, vector species and
     * threads, and whether the whole decoder runs on the Java heap, e.g.
     * {@code java float32 (Species[float, 16, S_512_BIT], 2 threads), decoder on the Java heap}.
     */
    public String kernels() {
        if (kernels == null) {
            return "libtorch";
        }
        return kernels.describe() + (network.decodesOnHeap() ? ", decoder on the Java heap" : "");
    }

    /** Whether the Java kernels multiply the weights (else libtorch does): the code {@link #warmUp} compiles. */
    public boolean javaKernels() {
        return kernels != null;
    }

    /**
     * Runs throwaway forward passes of the shapes serving uses (a prompt chunk, single tokens, eight sessions' tokens
     * at once, and once a long prompt) until the JIT compiler is quiet, so that the first requests do not pay for
     * compiling the Java kernels: without it a fresh JVM's first prompt steps ran 1–2 s slower on the SmolLM-135M
     * shape. The JIT's state belongs to the JVM, so only the first call in a JVM does the work (3.4–5.9 s for that
     * shape on 2 cores, at most about 6 s); with libtorch multiplying it does nothing. The chat models call it when
     * they are built (their {@code warmUp} setting).
     */
    public void warmUp() {
        JitWarmUp.run(this);
    }

    /**
     * Runs {@code task} for {@code 0..count-1} on the Java kernels' threads (the caller's among them), or on the
     * calling thread with libtorch; the tasks must be independent.
     */
    void forEachOnKernelThreads(int count, IntConsumer task) {
        if (kernels == null || count < 2) {
            for (int i = 0; i < count; i++) {
                task.accept(i);
            }
        } else {
            kernels.forEach(count, task);
        }
    }

    /** Size of the vocabulary: the length of every logits row. */
    public int vocabSize() {
        return network.vocabSize();
    }

    /**
     * Bytes of all native tensors this model holds right now: its weights, the KV cache of every open session and
     * any step temporaries still alive (none between steps), not the cache buffers kept for reuse
     * ({@link #keptCacheBytes()}). The analogue of {@code torch.cuda.memory_allocated()} in the reference benchmark.
     * Cost: one pass over the live arrays (a few per layer), not over their elements.
     */
    public long liveTensorBytes() {
        long bytes = -keptCacheBytes();
        for (NDArray array : manager.getManagedArrays()) {
            if (!array.isReleased()) {
                bytes += array.size() * array.getDataType().getNumOfBytes();
            }
        }
        return bytes;
    }

    /**
     * The fields of tokenizer_config.json (special tokens, {@code add_bos_token}, chat templates, added tokens);
     * {@link TokenizerConfig#NONE} when the model has no such file.
     */
    public TokenizerConfig tokenizerConfig() {
        return tokenizerConfig;
    }

    CausalLm network() {
        return network;
    }

    NDManager manager() {
        return manager;
    }

    /** The CPU cache buffers sessions take and give back; null on a GPU, where libtorch's allocator keeps them. */
    CacheBuffers cacheBuffers() {
        return cacheBuffers;
    }

    /**
     * Bytes of KV cache buffers kept for new sessions of the same shape, for {@link CacheBuffers#KEEP_SECONDS}
     * seconds: those closed sessions (or sessions that outgrew them) gave back, and spares an idle
     * {@link DecodeScheduler} made; of the buffers new sessions start with, those of a decode loop's batch are kept
     * for as long as the model is open ({@link CacheBuffers#reserve}). 0 on a GPU.
     */
    public long keptCacheBytes() {
        return cacheBuffers == null ? 0 : cacheBuffers.keptBytes();
    }

    private static GenerationParams readGenerationDefaults(Path dir, ModelConfig config) {
        GenerationParams.Builder b = GenerationParams.builder();
        Set<Integer> eos = new LinkedHashSet<>(config.optIntList("eos_token_id"));
        Path file = dir.resolve("generation_config.json");
        if (Files.isRegularFile(file)) {
            ModelConfig gen = new ModelConfig(file, Json.readTree(file));
            if (gen.has("eos_token_id")) {
                eos = new LinkedHashSet<>(gen.optIntList("eos_token_id"));
            }
            if (gen.optBoolean("do_sample", false)) {
                b.temperature(gen.optDouble("temperature", 1.0)).topK(gen.optInt("top_k", 50))
                        .topP(gen.optDouble("top_p", 1.0));
            }
            b.repetitionPenalty(gen.optDouble("repetition_penalty", 1.0));
            if (gen.has("max_new_tokens")) {
                b.maxNewTokens(gen.requirePositiveInt("max_new_tokens"));
            }
        }
        return b.eosTokenIds(eos).build();
    }

    @Override
    public void close() {
        if (tokenizer != null) {
            tokenizer.close();
        }
        if (network != null) {
            network.close();
        }
        if (kernels != null) {
            kernels.close();
        }
        if (cacheBuffers != null) {
            cacheBuffers.close();
        }
        manager.close();
    }

    /** Where and how to load a model. */
    public static final class Builder {
        private Path modelPath;
        private String modelId;
        private String device = "auto";
        private String dtype = "float32";
        private String cacheDtype = "float32";
        private String kernels = "auto";
        private boolean tokenizerOptional;
        private CacheConfig reportedCache;

        /** A local directory in Hugging Face layout. */
        public Builder modelPath(Path dir) {
            this.modelPath = dir;
            return this;
        }

        /**
         * A Hugging Face model id {@code org/name[@revision]} (or a directory path), resolved at {@link #load()} through
         * the standard Hugging Face cache, downloading missing files unless {@code HF_HUB_OFFLINE=1}
         * (see {@link ModelResolver}). {@link #modelPath} wins when both are set.
         */
        public Builder modelId(String idOrPath) {
            this.modelId = idOrPath;
            return this;
        }

        /** {@code auto} (default: a GPU when DJL sees one), {@code cpu}, {@code cuda} or {@code cuda:N}. */
        public Builder device(String device) {
            this.device = device;
            return this;
        }

        /**
         * {@code float32} (default: exact), {@code float16}: weight matrices stored and multiplied in float16 (half
         * the memory; on a CPU several times faster than libtorch's float32, see docs/benchmarks.md), or {@code int8}:
         * weight matrices quantized while loading and multiplied by the Java kernels on a CPU (see {@link
         * ComputeDtype#INT8}). Norms, attention and logits stay in float32; the KV cache is {@link #cacheDtype}.
         */
        public Builder dtype(String dtype) {
            this.dtype = dtype;
            return this;
        }

        /**
         * The KV cache's element type: {@code float32} (default: exact) or {@code float16}: keys and values rounded as
         * they are stored, half of each session's cache memory (see {@link CacheDtype#FLOAT16}).
         */
        public Builder cacheDtype(String cacheDtype) {
            this.cacheDtype = cacheDtype;
            return this;
        }

        /**
         * Who multiplies the weight matrices on a CPU: {@code auto} (default), {@code java} or {@code libtorch}; see
         * {@link WeightKernels}. The Java kernels need {@code --add-modules jdk.incubator.vector}.
         */
        public Builder kernels(String kernels) {
            this.kernels = kernels;
            return this;
        }

        /**
         * {@code true}: load even when the directory has no {@code tokenizer.json}, for callers that feed and read
         * token ids only; {@link AttentionSinkModel#tokenizer()} then throws an error naming the missing file.
         * Default {@code false}: a missing tokenizer.json fails the load.
         */
        public Builder tokenizerOptional(boolean tokenizerOptional) {
            this.tokenizerOptional = tokenizerOptional;
            return this;
        }

        /**
         * The cache the caller's sessions will use, when it is known at load (a Spring context knows it from its
         * properties): it is only reported in the load line ("cache sinks(4+1020)"); each session still takes its
         * own {@link CacheConfig}. Default: not reported.
         */
        public Builder reportedCache(CacheConfig cache) {
            this.reportedCache = cache;
            return this;
        }

        /** Loads the model; logs one INFO line saying what was loaded and how it runs. */
        public AttentionSinkModel load() {
            return new AttentionSinkModel(this);
        }
    }
}
