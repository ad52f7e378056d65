package io.github.attentionsinks.hub;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.attentionsinks.hub.ModelResolutionException.Reason;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Resolution through the cache layout and a fake Hub on 127.0.0.1; nothing here reaches the real Hub. */
class ModelResolverTest {
    static final String REPO = "test-org/tiny-model";
    static final String SHA = "0123456789abcdef0123456789abcdef01234567";
    static final String CONFIG = "{\"model_type\":\"llama\",\"hidden_size\":8}";
    static final String TOKENIZER = "{\"version\":\"1.0\",\"model\":{\"type\":\"BPE\"}}";

    @TempDir
    Path temp;
    Path cache;
    FakeHub hub;
    byte[] weights;

    @BeforeEach
    void setUp() throws IOException {
        cache = temp.resolve("hub-cache");
        weights = bytes(300_000, 42);
        hub = new FakeHub();
    }

    @AfterEach
    void tearDown() {
        hub.close();
    }

    FakeHub.Repo tinyRepo() {
        return hub.add(new FakeHub.Repo(REPO, SHA)
                .file(".gitattributes", "*.safetensors filter=lfs")
                .file("README.md", "# tiny")
                .file("config.json", CONFIG)
                .file("generation_config.json", "{\"eos_token_id\":2}")
                .file("tokenizer.json", TOKENIZER)
                .file("tokenizer_config.json", "{}")
                .file("model.safetensors", weights)
                .file("pytorch_model.bin", "not wanted"));
    }

    ModelResolver.Builder online() {
        return ModelResolver.builder().endpoint(hub.endpoint()).cacheDir(cache).token(null).offline(false)
                .maxRetries(0).retryDelay(Duration.ZERO).readTimeout(Duration.ofSeconds(10));
    }

    @Test
    void existingDirectoryIsReturnedAsIs() throws IOException {
        Path dir = Files.createDirectories(temp.resolve("my-model"));
        ModelResolver resolver = ModelResolver.builder().cacheDir(cache).offline(true).build();
        assertEquals(dir, resolver.locate(dir.toString()));
        assertTrue(hub.requests().isEmpty());
    }

    @Test
    void offlineCacheHitUsesSnapshotWrittenLikeHuggingfaceCli() throws IOException {
        // Lay the cache out by hand exactly as huggingface_hub does, then resolve with no server at all.
        Path repoDir = cache.resolve("models--test-org--tiny-model");
        Path snapshot = Files.createDirectories(repoDir.resolve("snapshots").resolve(SHA));
        Files.createDirectories(repoDir.resolve("blobs"));
        Files.createDirectories(repoDir.resolve("refs"));
        Files.writeString(repoDir.resolve("refs/main"), SHA);
        writeBlobAndLink(repoDir, snapshot, "config.json", CONFIG.getBytes(StandardCharsets.UTF_8));
        writeBlobAndLink(repoDir, snapshot, "tokenizer.json", TOKENIZER.getBytes(StandardCharsets.UTF_8));
        writeBlobAndLink(repoDir, snapshot, "model.safetensors", weights);
        hub.close(); // no server: any network use would fail

        ModelResolver resolver = ModelResolver.builder().cacheDir(cache).offline(true)
                .endpoint("http://127.0.0.1:9").build();
        Path resolved = resolver.locate(REPO);
        assertEquals(snapshot, resolved);
        assertEquals(CONFIG, Files.readString(resolved.resolve("config.json")));
        assertArrayEquals(weights, Files.readAllBytes(resolved.resolve("model.safetensors")));
        // A pinned commit resolves without refs/, and so does the explicit branch.
        assertEquals(snapshot, resolver.locate(REPO + "@" + SHA));
        assertEquals(snapshot, resolver.locate(REPO + "@main"));
    }

    @Test
    void onlineResolutionOfCompleteCacheMakesNoRequest() throws IOException {
        tinyRepo();
        Path first = online().build().locate(REPO);
        int requestsAfterDownload = hub.requests().size();
        Path second = online().build().locate(REPO);
        assertEquals(first, second);
        assertEquals(requestsAfterDownload, hub.requests().size(), "a complete cached snapshot must not touch the network");
    }

    @Test
    void downloadsOnlyNeededFilesIntoTheHuggingFaceLayout() throws IOException {
        tinyRepo();
        Path dir = online().build().locate(REPO);
        Path repoDir = cache.resolve("models--test-org--tiny-model");
        assertEquals(repoDir.resolve("snapshots").resolve(SHA), dir);
        assertEquals(SHA, Files.readString(repoDir.resolve("refs/main")));
        assertEquals(CONFIG, Files.readString(dir.resolve("config.json")));
        assertEquals(TOKENIZER, Files.readString(dir.resolve("tokenizer.json")));
        assertArrayEquals(weights, Files.readAllBytes(dir.resolve("model.safetensors")));

        // Relative symlinks into blobs/, named by sha256 for LFS files and git sha1 otherwise.
        Path link = dir.resolve("model.safetensors");
        assertTrue(Files.isSymbolicLink(link));
        assertEquals(Path.of("../../blobs/" + FakeHub.sha256(weights)), Files.readSymbolicLink(link));
        assertEquals(Path.of("../../blobs/" + FakeHub.gitSha1(CONFIG.getBytes(StandardCharsets.UTF_8))),
                Files.readSymbolicLink(dir.resolve("config.json")));

        for (String unwanted : List.of("README.md", "pytorch_model.bin", ".gitattributes")) {
            assertFalse(Files.exists(dir.resolve(unwanted)), unwanted);
        }
        // The repo has no special_tokens_map.json: recorded the way huggingface_hub does.
        assertTrue(Files.exists(repoDir.resolve(".no_exist").resolve(SHA).resolve("special_tokens_map.json")));
        try (var blobs = Files.list(repoDir.resolve("blobs"))) {
            assertTrue(blobs.noneMatch(p -> p.toString().endsWith(".incomplete")));
        }
        // The token-less download sent no Authorization header anywhere.
        assertTrue(hub.requests().stream().allMatch(r -> r.authorization() == null));
        // The weights went through the redirect to the CDN, fetched once, from byte 0.
        List<FakeHub.Request> cdnGets = hub.requests("cdn", "GET");
        assertEquals(1, cdnGets.size());
        assertNull(cdnGets.get(0).range());
    }

    @Test
    void interruptedDownloadKeepsPartialFileAndResumesWithRangeRequest() throws IOException {
        tinyRepo();
        int dropAfter = 100_000;
        hub.dropConnection(weights, dropAfter, 1);
        ModelResolutionException e = assertThrows(ModelResolutionException.class, () -> online().build().locate(REPO));
        assertEquals(Reason.INTERRUPTED, e.reason());
        Path incomplete = cache.resolve("models--test-org--tiny-model/blobs/" + FakeHub.sha256(weights) + ".incomplete");
        assertTrue(e.getMessage().contains("model.safetensors"), e.getMessage());
        assertTrue(e.getMessage().contains("run again to resume"), e.getMessage());
        assertTrue(e.getMessage().contains(incomplete.toString()), e.getMessage());
        // What reached the client before the drop is kept (the tail still in flight may be lost, as on a real network).
        long kept = Files.size(incomplete);
        assertTrue(kept > 0 && kept <= dropAfter, "kept " + kept);

        List<Long> resumedFrom = new ArrayList<>();
        DownloadProgress recording = (label, total, from) -> {
            resumedFrom.add(from);
            return DownloadProgress.none().start(label, total, from);
        };
        Path dir = online().progress(recording).build().locate(REPO);
        assertArrayEquals(weights, Files.readAllBytes(dir.resolve("model.safetensors")));
        assertFalse(Files.exists(incomplete));
        assertEquals(List.of(kept), resumedFrom);
        List<FakeHub.Request> cdnGets = hub.requests("cdn", "GET");
        assertEquals(2, cdnGets.size());
        assertNull(cdnGets.get(0).range());
        assertEquals("bytes=" + kept + "-", cdnGets.get(1).range());
    }

    @Test
    void retriesWithinOneCallResumeAfterDrops() throws IOException {
        tinyRepo();
        hub.dropConnection(weights, 70_000, 2);
        Path dir = online().maxRetries(2).build().locate(REPO);
        assertArrayEquals(weights, Files.readAllBytes(dir.resolve("model.safetensors")));
        List<FakeHub.Request> cdnGets = hub.requests("cdn", "GET");
        assertEquals(3, cdnGets.size());
        assertNull(cdnGets.get(0).range());
        long second = rangeStart(cdnGets.get(1));
        long third = rangeStart(cdnGets.get(2));
        assertTrue(second > 0 && second <= 70_000, "second request resumes at " + second);
        assertTrue(third > second && third <= second + 70_000, "third request resumes at " + third);
    }

    @Test
    void stalledTransferIsCutByReadTimeoutAndKeepsItsBytes() throws IOException {
        tinyRepo();
        hub.stallConnection(weights, 50_000);
        ModelResolutionException e = assertThrows(ModelResolutionException.class,
                () -> online().readTimeout(Duration.ofMillis(800)).build().locate(REPO));
        assertEquals(Reason.INTERRUPTED, e.reason());
        assertTrue(e.getMessage().contains("no data for"), e.getMessage());
        Path incomplete = cache.resolve("models--test-org--tiny-model/blobs/" + FakeHub.sha256(weights) + ".incomplete");
        long kept = Files.size(incomplete);
        assertTrue(kept > 0 && kept <= 50_000, "kept " + kept);
    }

    @Test
    void corruptedDownloadFailsSha256CheckAndIsDeleted() throws IOException {
        tinyRepo();
        hub.corruptBlobs();
        ModelResolutionException e = assertThrows(ModelResolutionException.class, () -> online().build().locate(REPO));
        assertEquals(Reason.CHECKSUM, e.reason());
        assertTrue(e.getMessage().contains(FakeHub.sha256(weights)), e.getMessage());
        Path blobs = cache.resolve("models--test-org--tiny-model/blobs");
        assertFalse(Files.exists(blobs.resolve(FakeHub.sha256(weights))));
        assertFalse(Files.exists(blobs.resolve(FakeHub.sha256(weights) + ".incomplete")));
    }

    @Test
    void shardedCheckpointDownloadsIndexAndEveryShard() throws IOException {
        byte[] shard1 = bytes(40_000, 1);
        byte[] shard2 = bytes(30_000, 2);
        String index = "{\"metadata\":{},\"weight_map\":{\"a\":\"model-00001-of-00002.safetensors\","
                + "\"b\":\"model-00002-of-00002.safetensors\",\"c\":\"model-00001-of-00002.safetensors\"}}";
        hub.add(new FakeHub.Repo(REPO, SHA).file("config.json", CONFIG).file("tokenizer.json", TOKENIZER)
                .file("model.safetensors.index.json", index)
                .file("model-00001-of-00002.safetensors", shard1)
                .file("model-00002-of-00002.safetensors", shard2));
        Path dir = online().build().locate(REPO);
        assertArrayEquals(shard1, Files.readAllBytes(dir.resolve("model-00001-of-00002.safetensors")));
        assertArrayEquals(shard2, Files.readAllBytes(dir.resolve("model-00002-of-00002.safetensors")));
        assertEquals(index, Files.readString(dir.resolve("model.safetensors.index.json")));
        assertEquals(2, hub.requests("cdn", "GET").size());
        hub.close();
        assertEquals(dir, ModelResolver.builder().cacheDir(cache).offline(true).build().locate(REPO));
    }

    @Test
    void unknownRepoIs404WithTheIdInTheMessage() {
        tinyRepo();
        ModelResolutionException e = assertThrows(ModelResolutionException.class,
                () -> online().build().locate("test-org/no-such-model"));
        assertEquals(Reason.NOT_FOUND, e.reason());
        assertTrue(e.getMessage().contains("test-org/no-such-model"), e.getMessage());
        assertTrue(e.getMessage().contains("HTTP 404"), e.getMessage());
        assertTrue(e.getMessage().contains("not found"), e.getMessage());
    }

    @Test
    void unknownRepoAnswered401LikeTheRealHubIsStillNotFound() {
        tinyRepo();
        hub.unknownRepoStatus = 401;
        ModelResolutionException e = assertThrows(ModelResolutionException.class,
                () -> online().build().locate("test-org/no-such-model"));
        assertEquals(Reason.NOT_FOUND, e.reason());
        assertTrue(e.getMessage().contains("test-org/no-such-model was not found"), e.getMessage());
        assertTrue(e.getMessage().contains("HF_TOKEN"), e.getMessage());
    }

    @Test
    void unknownRevisionIsReported() {
        tinyRepo();
        ModelResolutionException e = assertThrows(ModelResolutionException.class,
                () -> online().build().locate(REPO + "@v9"));
        assertEquals(Reason.NOT_FOUND, e.reason());
        assertTrue(e.getMessage().contains("Revision 'v9'"), e.getMessage());
    }

    @Test
    void gatedRepoWithoutTokenIs401AndAsksForHfToken() {
        tinyRepo().requiredToken = "hf_secret";
        ModelResolutionException e = assertThrows(ModelResolutionException.class, () -> online().build().locate(REPO));
        assertEquals(Reason.UNAUTHORIZED, e.reason());
        assertTrue(e.getMessage().contains("HTTP 401"), e.getMessage());
        assertTrue(e.getMessage().contains("HF_TOKEN"), e.getMessage());
        assertTrue(e.getMessage().contains("gated"), e.getMessage());
        assertTrue(e.getMessage().contains(hub.endpoint() + "/" + REPO), e.getMessage());
    }

    @Test
    void gatedRepoWithWrongTokenIs403() {
        tinyRepo().requiredToken = "hf_secret";
        ModelResolutionException e = assertThrows(ModelResolutionException.class,
                () -> online().token("hf_wrong").build().locate(REPO));
        assertEquals(Reason.UNAUTHORIZED, e.reason());
        assertTrue(e.getMessage().contains("HTTP 403"), e.getMessage());
        assertTrue(e.getMessage().contains("request access"), e.getMessage());
    }

    @Test
    void tokenIsSentToTheHubButNotToTheCdn() throws IOException {
        tinyRepo().requiredToken = "hf_secret";
        Path dir = online().token("hf_secret").build().locate(REPO);
        assertArrayEquals(weights, Files.readAllBytes(dir.resolve("model.safetensors")));
        assertTrue(hub.requests().stream().filter(r -> r.server().equals("hub"))
                .allMatch(r -> "Bearer hf_secret".equals(r.authorization())));
        assertTrue(hub.requests().stream().filter(r -> r.server().equals("cdn"))
                .allMatch(r -> r.authorization() == null));
    }

    @Test
    void offlineModeWithEmptyCacheNamesModelAndHowToGetIt() {
        tinyRepo();
        ModelResolutionException e = assertThrows(ModelResolutionException.class,
                () -> online().offline(true).build().locate(REPO));
        assertEquals(Reason.OFFLINE, e.reason());
        String m = e.getMessage();
        assertTrue(m.contains("HF_HUB_OFFLINE=1"), m);
        assertTrue(m.contains(REPO), m);
        assertTrue(m.contains(cache.toString()), m);
        assertTrue(m.contains("hf download " + REPO), m);
        assertTrue(m.contains("local model directory"), m);
        assertTrue(hub.requests().isEmpty(), "offline mode must not contact the server");
    }

    @Test
    void offlineModeFromEnvironmentMapWithPartialSnapshotListsMissingFiles() throws IOException {
        tinyRepo();
        Path repoDir = cache.resolve("models--test-org--tiny-model");
        Path snapshot = Files.createDirectories(repoDir.resolve("snapshots").resolve(SHA));
        Files.createDirectories(repoDir.resolve("blobs"));
        Files.writeString(Files.createDirectories(repoDir.resolve("refs")).resolve("main"), SHA);
        writeBlobAndLink(repoDir, snapshot, "config.json", CONFIG.getBytes(StandardCharsets.UTF_8));
        ModelResolver resolver = ModelResolver.builder().environment(Map.of("HF_HUB_CACHE", cache.toString(),
                "HF_HUB_OFFLINE", "1", "HF_ENDPOINT", hub.endpoint(), "HF_HOME", temp.resolve("hf-home").toString(),
                "HF_HUB_DISABLE_PROGRESS_BARS", "1")).build();
        assertTrue(resolver.offline());
        assertEquals(cache, resolver.cacheDir());
        ModelResolutionException e = assertThrows(ModelResolutionException.class, () -> resolver.locate(REPO));
        assertEquals(Reason.OFFLINE, e.reason());
        assertTrue(e.getMessage().contains("tokenizer.json"), e.getMessage());
        assertTrue(e.getMessage().contains("model.safetensors"), e.getMessage());
        assertTrue(hub.requests().isEmpty());
    }

    @Test
    void partialSnapshotIsCompletedOnline() throws IOException {
        tinyRepo();
        Path repoDir = cache.resolve("models--test-org--tiny-model");
        Path snapshot = Files.createDirectories(repoDir.resolve("snapshots").resolve(SHA));
        Files.createDirectories(repoDir.resolve("blobs"));
        Files.writeString(Files.createDirectories(repoDir.resolve("refs")).resolve("main"), SHA);
        writeBlobAndLink(repoDir, snapshot, "config.json", CONFIG.getBytes(StandardCharsets.UTF_8));
        Path dir = online().build().locate(REPO);
        assertEquals(snapshot, dir);
        assertArrayEquals(weights, Files.readAllBytes(dir.resolve("model.safetensors")));
        assertTrue(hub.requests("hub", "HEAD").stream().noneMatch(r -> r.path().endsWith("/config.json")),
                "files already in the snapshot are not fetched again");
    }

    @Test
    void unreachableHubIsANetworkErrorWithAdvice() throws IOException {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = s.getLocalPort();
        }
        ModelResolutionException e = assertThrows(ModelResolutionException.class, () -> ModelResolver.builder()
                .endpoint("http://127.0.0.1:" + closedPort).cacheDir(cache).offline(false)
                .connectTimeout(Duration.ofSeconds(5)).build().locate(REPO));
        assertEquals(Reason.NETWORK, e.reason());
        assertTrue(e.getMessage().contains("Cannot reach http://127.0.0.1:" + closedPort), e.getMessage());
        assertTrue(e.getMessage().contains(REPO), e.getMessage());
        assertTrue(e.getMessage().contains("local model directory"), e.getMessage());
    }

    @Test
    void notEnoughFreeSpaceFailsBeforeDownloading() {
        tinyRepo();
        ModelResolutionException e = assertThrows(ModelResolutionException.class,
                () -> online().usableSpace(dir -> 1000).build().locate(REPO));
        assertEquals(Reason.DISK_FULL, e.reason());
        assertTrue(e.getMessage().contains("HF_HUB_CACHE"), e.getMessage());
        assertTrue(hub.requests("cdn", "GET").isEmpty());
    }

    @Test
    void repoWithoutSafetensorsIsRefusedWithAdvice() {
        hub.add(new FakeHub.Repo(REPO, SHA).file("config.json", CONFIG).file("pytorch_model.bin", "x"));
        ModelResolutionException e = assertThrows(ModelResolutionException.class, () -> online().build().locate(REPO));
        assertEquals(Reason.UNSUPPORTED_REPO, e.reason());
        assertTrue(e.getMessage().contains("pytorch_model.bin"), e.getMessage());
        assertTrue(e.getMessage().contains("safetensors"), e.getMessage());
    }

    @Test
    void missingPathIsNotSentToTheHub() {
        ModelResolver resolver = online().build();
        ModelResolutionException e = assertThrows(ModelResolutionException.class,
                () -> resolver.locate(temp.resolve("absent").toString()));
        assertEquals(Reason.INVALID_ID, e.reason());
        assertTrue(e.getMessage().contains("model directory not found"), e.getMessage());
        assertThrows(ModelResolutionException.class, () -> resolver.locate("a/b/c"));
        assertTrue(hub.requests().isEmpty());
    }

    static long rangeStart(FakeHub.Request request) {
        String range = request.range();
        assertTrue(range != null && range.matches("bytes=\\d+-"), "Range header " + range);
        return Long.parseLong(range.substring("bytes=".length(), range.length() - 1));
    }

    static void writeBlobAndLink(Path repoDir, Path snapshot, String file, byte[] content) throws IOException {
        String etag = FakeHub.isLfs(file) ? FakeHub.sha256(content) : FakeHub.gitSha1(content);
        Files.write(repoDir.resolve("blobs").resolve(etag), content);
        Files.createSymbolicLink(snapshot.resolve(file), Path.of("../../blobs/" + etag));
    }

    static byte[] bytes(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }
}
