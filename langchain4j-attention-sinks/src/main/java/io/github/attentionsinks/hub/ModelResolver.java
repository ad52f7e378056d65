package io.github.attentionsinks.hub;

import static io.github.attentionsinks.hub.ModelResolutionException.Reason;

import com.fasterxml.jackson.databind.JsonNode;
import io.github.attentionsinks.config.Json;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpTimeoutException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.ToLongFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns what a user typed as a model into a local Hugging Face checkpoint directory:
 * <ol>
 *   <li>an existing directory is used as is;</li>
 *   <li>otherwise a Hub id {@code org/name[@revision]} is looked up in the standard Hugging Face cache
 *       ({@code $HF_HUB_CACHE}, else {@code $HF_HOME/hub}, else {@code ~/.cache/huggingface/hub}), so a snapshot
 *       that {@code hf download}, huggingface_hub or transformers put there is used without network;</li>
 *   <li>files still missing are downloaded from {@code $HF_ENDPOINT} (the public Hub by default) into that same
 *       cache: only config, generation config, tokenizer files and the safetensors weights (all shards of a
 *       sharded checkpoint), resumably, checked against the sha256 the Hub publishes for LFS files, unless offline
 *       mode ({@code HF_HUB_OFFLINE=1}) forbids the network.</li>
 * </ol>
 * The returned directory is {@code <cache>/models--org--name/snapshots/<commit>}.
 *
 * <p>{@link #builder()} reads nothing from the environment; {@link #fromEnvironment()} applies the {@code HF_*}
 * variables as huggingface_hub does. Thread-safe; concurrent downloads of one file (in this or another JVM)
 * wait for each other through a lock file.
 */
public final class ModelResolver {
    private static final Logger log = LoggerFactory.getLogger(ModelResolver.class);

    /** The public Hub. */
    public static final String DEFAULT_ENDPOINT = "https://huggingface.co";
    static final String CONFIG = "config.json";
    static final String TOKENIZER = "tokenizer.json";
    static final String WEIGHTS = "model.safetensors";
    static final String WEIGHTS_INDEX = "model.safetensors.index.json";
    /** Small files fetched when the repository has them; only config.json is required. */
    static final List<String> SMALL_FILES = List.of(CONFIG, "generation_config.json", TOKENIZER,
            "tokenizer_config.json", "special_tokens_map.json");

    private static final ConcurrentHashMap<Path, ReentrantLock> IN_PROCESS_LOCKS = new ConcurrentHashMap<>();

    private final URI endpoint;
    private final Path cacheDir;
    private final boolean offline;
    private final DownloadProgress progress;
    private final int maxRetries;
    private final Duration retryDelay;
    private final ToLongFunction<Path> usableSpace;
    private final HubClient client;

    private ModelResolver(Builder b, HubClient client, Path cacheDir, boolean offline, DownloadProgress progress) {
        this.endpoint = client.endpoint();
        this.cacheDir = cacheDir;
        this.offline = offline;
        this.progress = progress;
        this.maxRetries = b.maxRetries;
        this.retryDelay = b.retryDelay;
        this.usableSpace = b.usableSpace;
        this.client = client;
    }

    /**
     * Resolves a directory or Hub id with the process environment ({@code HF_HUB_CACHE}, {@code HF_HOME},
     * {@code HF_ENDPOINT}, {@code HF_TOKEN}, {@code HF_HUB_OFFLINE}) and a terminal progress bar.
     *
     * @param modelIdOrPath a local checkpoint directory, or {@code org/name[@revision]}
     * @return the local checkpoint directory
     * @throws ModelResolutionException with a message that says what to do
     */
    public static Path resolve(String modelIdOrPath) {
        return fromEnvironment().locate(modelIdOrPath);
    }

    /** A resolver configured from {@link System#getenv()}, with a progress bar when on a terminal. */
    public static ModelResolver fromEnvironment() {
        return builder().environment(System.getenv()).build();
    }

    /** A builder with the public Hub, {@code ~/.cache/huggingface/hub}, no token, online, no progress output. */
    public static Builder builder() {
        return new Builder();
    }

    public URI endpoint() {
        return endpoint;
    }

    public Path cacheDir() {
        return cacheDir;
    }

    public boolean offline() {
        return offline;
    }

    /**
     * An existing directory as is; otherwise a Hub id resolved through the cache and, when allowed, the network.
     *
     * @throws ModelResolutionException naming the model and the fix
     */
    public Path locate(String modelIdOrPath) {
        if (modelIdOrPath == null || modelIdOrPath.isBlank()) {
            throw new ModelResolutionException(Reason.INVALID_ID, "No model given: pass a local checkpoint directory "
                    + "or a Hugging Face id such as HuggingFaceTB/SmolLM2-135M-Instruct");
        }
        String text = modelIdOrPath.strip();
        Path asPath = expandHome(text);
        if (asPath != null && Files.isDirectory(asPath)) {
            return asPath;
        }
        if (looksLikePath(text)) {
            throw new ModelResolutionException(Reason.INVALID_ID, (asPath == null ? text : asPath.toAbsolutePath())
                    + ": model directory not "
                    + "found (expected a Hugging Face checkpoint directory, or a Hub id such as "
                    + "HuggingFaceTB/SmolLM2-135M-Instruct)");
        }
        ModelId id = ModelId.parse(text).orElseThrow(() -> new ModelResolutionException(Reason.INVALID_ID, "'" + text
                + "' is neither an existing directory nor a Hugging Face model id (org/name or org/name@revision, "
                + "e.g. HuggingFaceTB/SmolLM2-135M-Instruct)"));
        try {
            return locate(id);
        } catch (ModelResolutionException e) {
            if (e.reason() == Reason.NOT_FOUND && asPath != null && text.contains("/")) {
                throw new ModelResolutionException(e.reason(), e.getMessage() + " (No local directory "
                        + asPath.toAbsolutePath() + " exists either.)", e.getCause());
            }
            throw e;
        }
    }

    /** Resolves a Hub id through the cache and, when allowed, the network. */
    public Path locate(ModelId id) {
        HfCacheLayout layout = new HfCacheLayout(cacheDir, id.repo());
        String commit = id.revisionIsCommit() ? id.revision() : layout.readRef(id.revision()).orElse(null);
        List<String> missing = commit == null ? List.of() : missingFromSnapshot(layout, commit);
        if (commit != null && missing.isEmpty()) {
            log.debug("{} resolved from the cache: {}", id, layout.snapshotDir(commit));
            return layout.snapshotDir(commit);
        }
        if (offline) {
            throw offlineError(id, layout, commit, missing);
        }
        return download(id, layout);
    }

    /** The cached snapshot of {@code id} when it is complete, without any network access. */
    public Optional<Path> cached(ModelId id) {
        HfCacheLayout layout = new HfCacheLayout(cacheDir, id.repo());
        String commit = id.revisionIsCommit() ? id.revision() : layout.readRef(id.revision()).orElse(null);
        if (commit == null || !missingFromSnapshot(layout, commit).isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(layout.snapshotDir(commit));
    }

    /** What a loadable checkpoint needs that the cached snapshot lacks; empty when it is complete. */
    static List<String> missingFromSnapshot(HfCacheLayout layout, String commit) {
        if (!Files.isDirectory(layout.snapshotDir(commit))) {
            return List.of("snapshots/" + commit);
        }
        List<String> missing = new ArrayList<>();
        if (!layout.hasFile(commit, CONFIG)) {
            missing.add(CONFIG);
        }
        if (!layout.hasFile(commit, TOKENIZER) && !layout.knownMissing(commit, TOKENIZER)) {
            missing.add(TOKENIZER);
        }
        if (layout.hasFile(commit, WEIGHTS_INDEX)) {
            for (String shard : shards(layout.snapshotFile(commit, WEIGHTS_INDEX))) {
                if (!layout.hasFile(commit, shard)) {
                    missing.add(shard);
                }
            }
        } else if (!layout.hasFile(commit, WEIGHTS)) {
            missing.add(WEIGHTS + " (or " + WEIGHTS_INDEX + " and its shards)");
        }
        return missing;
    }

    private Path download(ModelId id, HfCacheLayout layout) {
        HubClient.RepoRevision revision = network(id, () -> client.revision(id));
        String commit = revision.sha();
        Set<String> files = new LinkedHashSet<>(revision.files());
        if (!files.contains(CONFIG)) {
            throw new ModelResolutionException(Reason.UNSUPPORTED_REPO, id + " has no config.json at commit " + commit
                    + ", so it is not a transformers model repository (it has: " + listSome(files) + ")");
        }
        boolean sharded = files.contains(WEIGHTS_INDEX);
        if (!sharded && !files.contains(WEIGHTS)) {
            throw new ModelResolutionException(Reason.UNSUPPORTED_REPO, id + " has no safetensors weights ("
                    + WEIGHTS + " or " + WEIGHTS_INDEX + ") at commit " + commit + "; it has: " + listSome(files)
                    + ". This library loads safetensors only: pick a repository that ships them, or convert the "
                    + "checkpoint with transformers (save_pretrained(dir, safe_serialization=True)) and pass dir.");
        }
        try {
            layout.writeRef(id.revision(), commit);
            List<String> wanted = new ArrayList<>();
            for (String file : SMALL_FILES) {
                if (files.contains(file)) {
                    wanted.add(file);
                } else {
                    layout.markMissing(commit, file); // so that offline runs know the repo lacks it
                }
            }
            if (sharded) {
                fetch(id, layout, commit, WEIGHTS_INDEX);
                for (String shard : shards(layout.snapshotFile(commit, WEIGHTS_INDEX))) {
                    if (!files.contains(shard)) {
                        throw new ModelResolutionException(Reason.UNSUPPORTED_REPO, id + ": " + WEIGHTS_INDEX
                                + " maps tensors to " + shard + ", which the repository does not contain at " + commit);
                    }
                    wanted.add(shard);
                }
            } else {
                wanted.add(WEIGHTS);
            }
            for (String file : wanted) {
                if (!layout.hasFile(commit, file)) {
                    fetch(id, layout, commit, file);
                }
            }
        } catch (IOException e) {
            throw new ModelResolutionException(Reason.IO, "Cannot write the Hugging Face cache " + layout.repoDir()
                    + " while resolving " + id + ": " + e + ". Check permissions, or set HF_HUB_CACHE to a writable "
                    + "directory.", e);
        }
        return layout.snapshotDir(commit);
    }

    private void fetch(ModelId id, HfCacheLayout layout, String commit, String file) throws IOException {
        HubClient.FileMetadata meta = network(id, () -> client.metadata(id, commit, file));
        if (!commit.equals(meta.commit())) {
            log.warn("{}: the Hub reports commit {} for {} requested at {}", id.repo(), meta.commit(), file, commit);
        }
        Path blob = layout.blob(meta.etag());
        Files.createDirectories(blob.getParent());
        try (BlobLock ignored = BlobLock.acquire(layout.lockFile(meta.etag()), id.repo() + " " + file)) {
            if (!Files.isRegularFile(blob)) {
                downloadBlob(id, layout, meta, blob);
            }
        }
        layout.link(commit, file, meta.etag());
    }

    private void downloadBlob(ModelId id, HfCacheLayout layout, HubClient.FileMetadata meta, Path blob)
            throws IOException {
        Path incomplete = layout.incompleteBlob(meta.etag());
        String label = id.repo() + " " + meta.file();
        for (int attempt = 0; ; attempt++) {
            long have = Files.isRegularFile(incomplete) ? Files.size(incomplete) : 0;
            checkFreeSpace(id, meta, incomplete, have);
            if (have > 0) {
                log.info("Resuming {} at byte {} of {}", label, have, meta.size());
            } else {
                log.info("Downloading {} ({}) from {}", label, sizeText(meta.size()), endpoint);
            }
            try (DownloadProgress.Transfer transfer = progress.start(label, meta.size(), have)) {
                String sha256 = client.download(id, meta, incomplete, transfer);
                if (meta.etagIsSha256() && !sha256.equals(meta.etag())) {
                    Files.deleteIfExists(incomplete);
                    throw new ModelResolutionException(Reason.CHECKSUM, meta.file() + " of " + id + " failed "
                            + "verification: its sha256 is " + sha256 + " but the Hub published " + meta.etag()
                            + ". The corrupt download was deleted; run again to download it afresh (if this repeats, "
                            + "a proxy or HF_ENDPOINT mirror is altering files).");
                }
                HfCacheLayout.moveAtomically(incomplete, blob);
                return;
            } catch (HubClient.WriteFailedException e) {
                throw writeError(id, meta, incomplete, e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw interrupted(id, meta, incomplete, "the thread was interrupted", e);
            } catch (ModelResolutionException e) {
                throw e;
            } catch (IOException e) {
                // A dropped connection, a reset or a stall: the bytes received are on disk, so a retry resumes.
                if (Thread.currentThread().isInterrupted()) {
                    throw interrupted(id, meta, incomplete, "the thread was interrupted", e);
                }
                String why = e instanceof HubClient.TransferInterruptedException ? e.getMessage() : describe(e);
                if (attempt >= maxRetries) {
                    if (!(e instanceof HubClient.TransferInterruptedException) && isConnectFailure(e)) {
                        throw networkError(id, e);
                    }
                    throw interrupted(id, meta, incomplete, why, e);
                }
                log.warn("Download of {} stopped ({}); retrying ({} of {})", label, why, attempt + 1, maxRetries);
                sleep(retryDelay.multipliedBy(attempt + 1L));
            }
        }
    }

    private void checkFreeSpace(ModelId id, HubClient.FileMetadata meta, Path incomplete, long have) {
        if (meta.size() < 0) {
            return;
        }
        long needed = meta.size() - have;
        long free = usableSpace.applyAsLong(incomplete.getParent());
        if (free >= 0 && free < needed) {
            throw new ModelResolutionException(Reason.DISK_FULL, "Not enough disk space for " + meta.file() + " of "
                    + id + ": it needs " + sizeText(needed) + " more but only " + sizeText(free) + " is free in "
                    + incomplete.getParent() + ". Free some space there or point HF_HUB_CACHE at a larger disk.");
        }
    }

    private ModelResolutionException writeError(ModelId id, HubClient.FileMetadata meta, Path incomplete,
            HubClient.WriteFailedException e) {
        String progressText = e.bytesOnDisk + " of " + sizeText(meta.size());
        if (isDiskFull(e.getCause())) {
            return new ModelResolutionException(Reason.DISK_FULL, "Disk full while writing " + incomplete + " ("
                    + progressText + " bytes of " + meta.file() + " of " + id + "). Free some space or point "
                    + "HF_HUB_CACHE at a larger disk; the partial file is kept and the next run resumes it.", e);
        }
        return new ModelResolutionException(Reason.IO, "Cannot write " + incomplete + " (" + meta.file() + " of "
                + id + "): " + e.getCause() + ". Check permissions, or set HF_HUB_CACHE to a writable directory.", e);
    }

    private ModelResolutionException interrupted(ModelId id, HubClient.FileMetadata meta, Path incomplete, String why,
            Exception e) {
        long have = 0;
        try {
            have = Files.isRegularFile(incomplete) ? Files.size(incomplete) : 0;
        } catch (IOException ignored) {
            // only for the message
        }
        return new ModelResolutionException(Reason.INTERRUPTED, "Download of " + meta.file() + " of " + id
                + " stopped after " + have + " of " + (meta.size() < 0 ? "?" : String.valueOf(meta.size()))
                + " bytes (" + why + "). The partial file " + incomplete + " is kept; run again to resume from there.",
                e);
    }

    private ModelResolutionException offlineError(ModelId id, HfCacheLayout layout, String commit,
            List<String> missing) {
        String detail;
        if (!Files.isDirectory(layout.repoDir())) {
            detail = layout.repoDir() + " does not exist";
        } else if (commit == null) {
            detail = "there is no " + layout.refFile(id.revision()) + " recording which snapshot revision '"
                    + id.revision() + "' is";
        } else {
            detail = "snapshot " + commit + " lacks " + String.join(", ", missing);
        }
        String revisionFlag = id.revision().equals(ModelId.DEFAULT_REVISION) ? "" : " --revision " + id.revision();
        return new ModelResolutionException(Reason.OFFLINE, "Offline mode (HF_HUB_OFFLINE=1) forbids network access, "
                + "and model " + id + " is not complete in the Hugging Face cache " + cacheDir + ": " + detail
                + ". Download it where there is network, e.g. `hf download " + id.repo() + revisionFlag
                + "` (or `huggingface-cli download " + id.repo() + revisionFlag + "`; set HF_HUB_CACHE if it went to "
                + "another cache), or run once without HF_HUB_OFFLINE, or pass a local model directory instead of a "
                + "Hub id.");
    }

    private ModelResolutionException networkError(ModelId id, Exception e) {
        return new ModelResolutionException(Reason.NETWORK, "Cannot reach " + endpoint + " to download " + id + " ("
                + describe(e) + "). Check the network connection or proxy (Java honours -Dhttps.proxyHost or "
                + "-Djava.net.useSystemProxies=true), or download the model where there is network with `hf download "
                + id.repo() + "` into the cache " + cacheDir + " and copy it here, or pass a local model directory. "
                + "Files already in the cache are used without network; HF_HUB_OFFLINE=1 forbids network access.", e);
    }

    /** A network call whose connection failures become {@link Reason#NETWORK} errors. */
    private <T> T network(ModelId id, NetworkCall<T> call) {
        try {
            return call.run();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ModelResolutionException(Reason.INTERRUPTED, "Interrupted while contacting " + endpoint
                    + " for " + id, e);
        } catch (IOException e) {
            throw networkError(id, e);
        }
    }

    @FunctionalInterface
    private interface NetworkCall<T> {
        T run() throws IOException, InterruptedException;
    }

    /** The distinct shard file names of a safetensors index, in first-seen order. */
    static List<String> shards(Path index) {
        JsonNode map = Json.readTree(index).get("weight_map");
        if (map == null || !map.isObject()) {
            throw new ModelResolutionException(Reason.UNSUPPORTED_REPO, index + ": missing object 'weight_map'");
        }
        Set<String> shards = new LinkedHashSet<>();
        for (Iterator<JsonNode> it = map.elements(); it.hasNext(); ) {
            JsonNode shard = it.next();
            if (!shard.isTextual()) {
                throw new ModelResolutionException(Reason.UNSUPPORTED_REPO, index + ": weight_map values must be "
                        + "file names, found " + shard);
            }
            shards.add(HfCacheLayout.checkedRelative(shard.asText()));
        }
        if (shards.isEmpty()) {
            throw new ModelResolutionException(Reason.UNSUPPORTED_REPO, index + ": weight_map is empty");
        }
        return List.copyOf(shards);
    }

    private static boolean looksLikePath(String text) {
        return text.startsWith("/") || text.startsWith("./") || text.startsWith("../") || text.startsWith("~")
                || text.equals(".") || text.equals("..") || text.contains("\\") || text.endsWith("/")
                || (text.length() > 1 && text.charAt(1) == ':');
    }

    /** The text as a path, with a leading {@code ~/} expanded; null when it cannot be a path on this system. */
    private static Path expandHome(String text) {
        if (text.equals("~") || text.startsWith("~/")) {
            return Path.of(System.getProperty("user.home")).resolve(text.length() > 2 ? text.substring(2) : "");
        }
        try {
            return Path.of(text);
        } catch (java.nio.file.InvalidPathException e) {
            return null;
        }
    }

    private static boolean isConnectFailure(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof ConnectException || t instanceof java.net.UnknownHostException
                    || t instanceof HttpTimeoutException || t instanceof javax.net.ssl.SSLException) {
                return true;
            }
        }
        return false;
    }

    static boolean isDiskFull(Throwable e) {
        String message = e == null || e.getMessage() == null ? "" : e.getMessage().toLowerCase(Locale.ROOT);
        return message.contains("no space left") || message.contains("not enough space")
                || message.contains("disk quota exceeded") || message.contains("disk full");
    }

    private static String describe(Throwable e) {
        Throwable t = e;
        while (t.getMessage() == null && t.getCause() != null) {
            t = t.getCause();
        }
        return t.getClass().getSimpleName() + (t.getMessage() == null ? "" : ": " + t.getMessage());
    }

    private static String listSome(Set<String> files) {
        List<String> some = new ArrayList<>(files).subList(0, Math.min(files.size(), 12));
        return files.isEmpty() ? "no files" : String.join(", ", some) + (files.size() > some.size() ? ", ..." : "");
    }

    static String sizeText(long bytes) {
        if (bytes < 0) {
            return "unknown size";
        }
        if (bytes < 1024 * 1024) {
            return bytes + " bytes";
        }
        return String.format(Locale.ROOT, "%.1f MiB", bytes / (1024.0 * 1024.0));
    }

    private static void sleep(Duration d) {
        if (d.isZero() || d.isNegative()) {
            return;
        }
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static boolean truthy(String value) {
        return value != null && Set.of("1", "ON", "YES", "TRUE").contains(value.strip().toUpperCase(Locale.ROOT));
    }

    /** Cross-process lock file plus an in-process lock (file locks are per JVM, not per thread). */
    private static final class BlobLock implements AutoCloseable {
        private final ReentrantLock local;
        private final FileChannel channel;
        private final FileLock fileLock;

        private BlobLock(ReentrantLock local, FileChannel channel, FileLock fileLock) {
            this.local = local;
            this.channel = channel;
            this.fileLock = fileLock;
        }

        static BlobLock acquire(Path lockFile, String what) throws IOException {
            Path key = lockFile.toAbsolutePath().normalize();
            ReentrantLock local = IN_PROCESS_LOCKS.computeIfAbsent(key, k -> new ReentrantLock());
            local.lock();
            FileChannel channel = null;
            try {
                Files.createDirectories(key.getParent());
                channel = FileChannel.open(key, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                FileLock lock = channel.tryLock();
                if (lock == null) {
                    log.info("Waiting for another process that is downloading {}", what);
                    lock = channel.lock();
                }
                return new BlobLock(local, channel, lock);
            } catch (IOException | RuntimeException e) {
                if (channel != null) {
                    channel.close();
                }
                local.unlock();
                throw e;
            }
        }

        @Override
        public void close() throws IOException {
            try {
                fileLock.release();
                channel.close();
            } finally {
                local.unlock();
            }
        }
    }

    /**
     * Settings for a {@link ModelResolver}. Explicit setters win over {@link #environment(Map)}, whatever the
     * order of the calls.
     */
    public static final class Builder {
        private Map<String, String> environment;
        private URI endpoint;
        private Path cacheDir;
        private String token;
        private boolean tokenSet;
        private Boolean offline;
        private DownloadProgress progress;
        private Duration connectTimeout = Duration.ofSeconds(10);
        private Duration metadataTimeout = Duration.ofSeconds(10);
        private Duration readTimeout = Duration.ofSeconds(30);
        private boolean readTimeoutSet;
        private int maxRetries = 2;
        private Duration retryDelay = Duration.ofSeconds(1);
        private ToLongFunction<Path> usableSpace = Builder::freeSpace;

        private Builder() {}

        /**
         * Applies huggingface_hub's variables from this map: {@code HF_ENDPOINT}, {@code HF_HUB_CACHE} /
         * {@code HF_HOME} / {@code XDG_CACHE_HOME}, {@code HF_TOKEN} (else the token file {@code HF_TOKEN_PATH} or
         * {@code $HF_HOME/token} that {@code hf auth login} writes), {@code HF_HUB_OFFLINE},
         * {@code HF_HUB_DISABLE_PROGRESS_BARS}, {@code HF_HUB_ETAG_TIMEOUT} and {@code HF_HUB_DOWNLOAD_TIMEOUT}
         * (seconds). Without this call nothing is read from the environment.
         */
        public Builder environment(Map<String, String> env) {
            this.environment = Map.copyOf(env);
            return this;
        }

        /** The Hub base URL, e.g. a mirror; default {@code https://huggingface.co}. */
        public Builder endpoint(String url) {
            this.endpoint = parseEndpoint(url);
            return this;
        }

        /** The hub cache root (the directory holding {@code models--org--name} folders). */
        public Builder cacheDir(Path dir) {
            this.cacheDir = dir;
            return this;
        }

        /** A Hugging Face access token for gated or private models; null for none. */
        public Builder token(String token) {
            this.token = token == null || token.isBlank() ? null : token.strip();
            this.tokenSet = true;
            return this;
        }

        /** When true, only the cache is used and any need for the network is an error. */
        public Builder offline(boolean offline) {
            this.offline = offline;
            return this;
        }

        /** Where download progress goes; default {@link DownloadProgress#none()}, or the terminal with an environment. */
        public Builder progress(DownloadProgress progress) {
            this.progress = progress;
            return this;
        }

        public Builder connectTimeout(Duration timeout) {
            this.connectTimeout = positive(timeout, "connectTimeout");
            return this;
        }

        /** How long a metadata request, or a download that stops sending data, may stay silent. */
        public Builder readTimeout(Duration timeout) {
            this.readTimeout = positive(timeout, "readTimeout");
            this.metadataTimeout = timeout;
            this.readTimeoutSet = true;
            return this;
        }

        /** How many times an interrupted transfer is resumed within one call before giving up (default 2). */
        public Builder maxRetries(int retries) {
            if (retries < 0) {
                throw new IllegalArgumentException("maxRetries must be >= 0, got " + retries);
            }
            this.maxRetries = retries;
            return this;
        }

        /** Pause before the first retry; later retries wait proportionally longer (default 1 s). */
        public Builder retryDelay(Duration delay) {
            this.retryDelay = delay;
            return this;
        }

        /** For tests: the free bytes reported for a directory (-1 when unknown). */
        Builder usableSpace(ToLongFunction<Path> usableSpace) {
            this.usableSpace = usableSpace;
            return this;
        }

        public ModelResolver build() {
            Map<String, String> env = environment == null ? Map.of() : environment;
            Path userHome = Path.of(System.getProperty("user.home"));
            URI resolvedEndpoint = endpoint != null ? endpoint
                    : parseEndpoint(env.getOrDefault("HF_ENDPOINT", DEFAULT_ENDPOINT));
            Path resolvedCache = cacheDir != null ? cacheDir : HfCacheLayout.defaultCacheDir(env, userHome);
            String resolvedToken = tokenSet ? token : environment == null ? null : tokenFromEnvironment(env, userHome);
            boolean resolvedOffline = offline != null ? offline : truthy(env.get("HF_HUB_OFFLINE"));
            DownloadProgress resolvedProgress = progress != null ? progress
                    : environment != null && !truthy(env.get("HF_HUB_DISABLE_PROGRESS_BARS"))
                            ? DownloadProgress.terminal() : DownloadProgress.none();
            Duration etagTimeout = seconds(env.get("HF_HUB_ETAG_TIMEOUT"));
            Duration downloadTimeout = seconds(env.get("HF_HUB_DOWNLOAD_TIMEOUT"));
            HubClient client = new HubClient(resolvedEndpoint, resolvedToken, connectTimeout,
                    readTimeoutSet || etagTimeout == null ? metadataTimeout : etagTimeout,
                    readTimeoutSet || downloadTimeout == null ? readTimeout : downloadTimeout);
            return new ModelResolver(this, client, resolvedCache, resolvedOffline, resolvedProgress);
        }

        private static String tokenFromEnvironment(Map<String, String> env, Path userHome) {
            for (String name : List.of("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN")) {
                String value = env.get(name);
                if (value != null && !value.isBlank()) {
                    return value.strip();
                }
            }
            String tokenPath = env.get("HF_TOKEN_PATH");
            Path file = tokenPath != null && !tokenPath.isBlank() ? Path.of(tokenPath.strip())
                    : HfCacheLayout.hfHome(env, userHome).resolve("token");
            try {
                if (Files.isRegularFile(file)) {
                    String value = Files.readString(file, StandardCharsets.UTF_8).strip();
                    return value.isEmpty() ? null : value;
                }
            } catch (IOException e) {
                log.warn("Cannot read the Hugging Face token file {}: {}", file, e.toString());
            }
            return null;
        }

        private static URI parseEndpoint(String url) {
            String u = url == null ? "" : url.strip();
            while (u.endsWith("/")) {
                u = u.substring(0, u.length() - 1);
            }
            URI uri;
            try {
                uri = URI.create(u);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("HF_ENDPOINT '" + url + "' is not a URL", e);
            }
            if (!"https".equalsIgnoreCase(uri.getScheme()) && !"http".equalsIgnoreCase(uri.getScheme())
                    || uri.getHost() == null) {
                throw new IllegalArgumentException("HF_ENDPOINT '" + url + "' must be an http(s) URL such as "
                        + DEFAULT_ENDPOINT);
            }
            return uri;
        }

        private static Duration seconds(String value) {
            if (value == null || value.isBlank()) {
                return null;
            }
            try {
                double s = Double.parseDouble(value.strip());
                return s > 0 ? Duration.ofMillis((long) (s * 1000)) : null;
            } catch (NumberFormatException e) {
                return null;
            }
        }

        private static Duration positive(Duration d, String name) {
            if (d == null || d.isZero() || d.isNegative()) {
                throw new IllegalArgumentException(name + " must be positive, got " + d);
            }
            return d;
        }

        private static long freeSpace(Path dir) {
            try {
                return Files.getFileStore(dir).getUsableSpace();
            } catch (IOException e) {
                return -1;
            }
        }
    }
}
