package io.github.attentionsinks;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import io.github.attentionsinks.cache.CacheConfig;
import io.github.attentionsinks.generate.FinishReason;
import io.github.attentionsinks.generate.GenerationParams;
import io.github.attentionsinks.generate.GenerationResult;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** stories260K against llama2.c's own greedy output (reference-greedy.json). */
class StoriesGreedyTest {
    static AttentionSinkModel model;
    static JsonNode reference;

    @BeforeAll
    static void load() {
        model = Shared.loadStories();
        reference = Shared.json(Shared.stories().resolve("reference-greedy.json"));
    }

    @AfterAll
    static void close() {
        model.close();
    }

    @Test
    void promptEncodesLikeLlama2c() {
        assertArrayEquals(Shared.ints(reference.get("prompt_token_ids")),
                model.tokenizer().encode(reference.get("prompt").asText(), true));
    }

    @Test
    void greedyMatchesReferenceIdsAndTextInEveryMode() {
        int[] expected = Shared.ints(reference.get("generated_token_ids"));
        GenerationParams params = GenerationParams.builder().maxNewTokens(expected.length).build();
        for (CacheConfig cache : new CacheConfig[] {CacheConfig.defaults(), CacheConfig.dense(), CacheConfig.windowed(1020)}) {
            StringBuilder streamed = new StringBuilder();
            try (Session session = model.newSession(cache)) {
                GenerationResult result = session.generate(reference.get("prompt").asText(), params,
                        (id, text) -> streamed.append(text));
                assertArrayEquals(expected, result.tokenIds(), cache.toString());
                assertEquals(reference.get("generated_text").asText(), result.text(), cache.toString());
                assertEquals(result.text(), streamed.toString());
                assertEquals(FinishReason.LENGTH, result.finishReason());
            }
        }
    }

    @Test
    void float16ComputeFollowsTheReferenceForTheFirstTokens() {
        // float16 rounding (~1e-3 relative) is far below the smallest top-2 gap of the first 64 tokens (0.071).
        int[] expected = Shared.ints(reference.get("generated_token_ids"));
        try (AttentionSinkModel half = AttentionSinkModel.builder().modelPath(Shared.stories()).device("cpu")
                .dtype("float16").load(); Session session = half.newSession(CacheConfig.defaults())) {
            int[] ids = session.generate(reference.get("prompt").asText(),
                    GenerationParams.builder().maxNewTokens(16).build(), null).tokenIds();
            assertArrayEquals(java.util.Arrays.copyOf(expected, 16), ids);
        }
    }

    @Test
    void modelIdAcceptsADirectory() {
        try (AttentionSinkModel byId = AttentionSinkModel.builder().modelId(Shared.stories().toString()).device("cpu")
                .load(); Session session = byId.newSession(CacheConfig.defaults())) {
            int[] ids = session.generate(reference.get("prompt").asText(),
                    GenerationParams.builder().maxNewTokens(8).build(), null).tokenIds();
            assertArrayEquals(java.util.Arrays.copyOf(Shared.ints(reference.get("generated_token_ids")), 8), ids);
        }
    }
}
