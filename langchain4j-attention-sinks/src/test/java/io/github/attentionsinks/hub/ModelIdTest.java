package io.github.attentionsinks.hub;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ModelIdTest {
    @Test
    void parsesRepoAndRevision() {
        assertEquals(new ModelId("HuggingFaceTB/SmolLM2-135M-Instruct", "main"),
                ModelId.parse("HuggingFaceTB/SmolLM2-135M-Instruct").orElseThrow());
        assertEquals(new ModelId("TinyLlama/TinyLlama-1.1B-Chat-v1.0", "v1.0"),
                ModelId.parse("TinyLlama/TinyLlama-1.1B-Chat-v1.0@v1.0").orElseThrow());
        assertEquals(new ModelId("gpt2", "refs/pr/1"), ModelId.parse("gpt2@refs/pr/1").orElseThrow());
        assertTrue(ModelId.parse("a/b@0123456789abcdef0123456789abcdef01234567").orElseThrow().revisionIsCommit());
        assertFalse(ModelId.parse("a/b@main").orElseThrow().revisionIsCommit());
    }

    @Test
    void rejectsPathsAndMalformedIds() {
        for (String bad : new String[] {"", "/abs/path", "a/b/c", "a--b/c", "a/b..c", "a/b@", "a/b@../x", "a/-b",
                "a/b.", "../x", "a b/c", "a/b@x//y"}) {
            assertTrue(ModelId.parse(bad).isEmpty(), bad);
        }
    }

    @Test
    void cacheDirFollowsHuggingfaceHubPrecedence() {
        Path home = Path.of("/home/u");
        assertEquals(Path.of("/home/u/.cache/huggingface/hub"), HfCacheLayout.defaultCacheDir(Map.of(), home));
        assertEquals(Path.of("/x/huggingface/hub"), HfCacheLayout.defaultCacheDir(Map.of("XDG_CACHE_HOME", "/x"), home));
        assertEquals(Path.of("/hf/hub"), HfCacheLayout.defaultCacheDir(Map.of("HF_HOME", "/hf", "XDG_CACHE_HOME", "/x"),
                home));
        assertEquals(Path.of("/c"), HfCacheLayout.defaultCacheDir(Map.of("HF_HUB_CACHE", "/c", "HF_HOME", "/hf"), home));
        assertEquals(Path.of("/home/u/hfc"), HfCacheLayout.defaultCacheDir(Map.of("HF_HUB_CACHE", "~/hfc"), home));
        assertEquals("models--HuggingFaceTB--SmolLM2-135M-Instruct",
                HfCacheLayout.folderName("HuggingFaceTB/SmolLM2-135M-Instruct"));
    }
}
