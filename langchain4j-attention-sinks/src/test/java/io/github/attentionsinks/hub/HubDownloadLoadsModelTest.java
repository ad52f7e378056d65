package io.github.attentionsinks.hub;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.github.attentionsinks.AttentionSinkModel;
import io.github.attentionsinks.Session;
import io.github.attentionsinks.Shared;
import io.github.attentionsinks.cache.CacheConfig;
import io.github.attentionsinks.generate.GenerationParams;
import io.github.attentionsinks.generate.GenerationResult;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * End to end: the real stories260K checkpoint served by the fake Hub, its weights download interrupted half-way
 * and resumed, then loaded from the cache snapshot (symlinks into blobs/) and checked against llama2.c's greedy
 * output in reference-greedy.json.
 */
class HubDownloadLoadsModelTest {
    static final String REPO = "karpathy-test/stories260K";
    static final String SHA = "fedcba9876543210fedcba9876543210fedcba98";

    @TempDir
    Path temp;

    @Test
    void interruptedDownloadResumesAndTheSnapshotLoadsAndGeneratesLikeLlama2c() throws IOException {
        Path source = Shared.stories();
        FakeHub.Repo repo = new FakeHub.Repo(REPO, SHA);
        for (String file : List.of("README.md", "config.json", "generation_config.json", "model.safetensors",
                "reference-greedy.json", "special_tokens_map.json", "tokenizer.json", "tokenizer.model",
                "tokenizer_config.json")) {
            repo.file(file, Files.readAllBytes(source.resolve(file)));
        }
        byte[] weights = repo.files.get("model.safetensors");
        Path cache = temp.resolve("cache");
        Path dir;
        try (FakeHub hub = new FakeHub()) {
            hub.add(repo);
            hub.dropConnection(weights, weights.length / 2, 1);
            ModelResolver.Builder builder = ModelResolver.builder().endpoint(hub.endpoint()).cacheDir(cache)
                    .token(null).offline(false).maxRetries(0).readTimeout(Duration.ofSeconds(10));
            ModelResolutionException e = assertThrows(ModelResolutionException.class, () -> builder.build().locate(REPO));
            assertEquals(ModelResolutionException.Reason.INTERRUPTED, e.reason());
            long kept = Files.size(cache.resolve("models--karpathy-test--stories260K/blobs")
                    .resolve(FakeHub.sha256(weights) + ".incomplete"));
            assertTrue(kept > 0 && kept <= weights.length / 2, "kept " + kept);
            dir = builder.build().locate(REPO);
            assertEquals("bytes=" + kept + "-", hub.requests("cdn", "GET").get(1).range());
        }
        assertArrayEquals(weights, Files.readAllBytes(dir.resolve("model.safetensors")));
        assertFalse(Files.exists(dir.resolve("tokenizer.model")), "only the files the runtime needs are fetched");
        assertFalse(Files.exists(dir.resolve("reference-greedy.json")));
        // Now offline, through the public static-style entry point's instance form.
        assertEquals(dir, ModelResolver.builder().cacheDir(cache).offline(true).build().locate(REPO));

        JsonNode reference = Shared.json(source.resolve("reference-greedy.json"));
        int[] expected = Arrays.copyOf(Shared.ints(reference.get("generated_token_ids")), 16);
        try (AttentionSinkModel model = AttentionSinkModel.builder().modelPath(dir).device("cpu").load();
                Session session = model.newSession(CacheConfig.defaults())) {
            GenerationResult result = session.generate(reference.get("prompt").asText(),
                    GenerationParams.builder().maxNewTokens(expected.length).build(), (id, text) -> { });
            assertArrayEquals(expected, result.tokenIds());
        }
    }
}
