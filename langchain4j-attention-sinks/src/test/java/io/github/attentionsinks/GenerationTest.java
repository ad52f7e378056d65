package io.github.attentionsinks;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import com.fasterxml.jackson.databind.JsonNode;
import io.github.attentionsinks.cache.CacheConfig;
import io.github.attentionsinks.generate.FinishReason;
import io.github.attentionsinks.generate.GenerationParams;
import io.github.attentionsinks.generate.GenerationResult;
import io.github.attentionsinks.generate.TokenListener;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Generation on stories260K: stopping, sampling, cancellation and continuing a stream across calls. */
class GenerationTest {
    static AttentionSinkModel model;
    static String prompt;
    static int[] reference;
    static String referenceText;

    @BeforeAll
    static void load() {
        model = AttentionSinkModel.builder().modelPath(Shared.stories()).device("cpu").load();
        JsonNode ref = Shared.json(Shared.stories().resolve("reference-greedy.json"));
        prompt = ref.get("prompt").asText();
        reference = Shared.ints(ref.get("generated_token_ids"));
        referenceText = ref.get("generated_text").asText();
    }

    @AfterAll
    static void close() {
        model.close();
    }

    private static GenerationResult run(GenerationParams params, TokenListener listener) {
        try (Session s = model.newSession(CacheConfig.defaults())) {
            return s.generate(prompt, params, listener);
        }
    }

    /**
     * A prompt is fed in pieces of at most the scheduler's chunk, except that a last part of at most half a chunk
     * goes with the piece before it (a step for a few tokens costs nearly a decode step); never across the session's
     * own chunks ({@link Session#maxChunk}, the window of 40 here), whose ends are a prompt's ends in this.
     */
    @Test
    void aPromptsTailOfAtMostHalfAChunkGoesWithThePieceBeforeIt() {
        assertEquals(List.of(24), pieces(24, 16));
        assertEquals(List.of(16, 9), pieces(25, 16));
        assertEquals(List.of(16, 24), pieces(40, 16));
        assertEquals(List.of(3), pieces(3, 16));
        assertEquals(List.of(1, 1), pieces(2, 1), "a chunk of one token has no tail to take");
        assertEquals(List.of(16, 24, 24), pieces(64, 16), "never across the session's chunks of 40");
        assertEquals(List.of(16, 24, 16), pieces(56, 16), "the first chunk ends with 24, the prompt with 16");
    }

    /** The sizes of the prompt pieces a generation feeds with pieces of {@code chunk} tokens. */
    private static List<Integer> pieces(int promptLength, int chunk) {
        int[] ids = new int[promptLength];
        Arrays.fill(ids, 1);
        try (Session s = model.newSession(CacheConfig.sinks(4, 40))) {
            Generation g = new Generation(s, ids, GenerationParams.builder().maxNewTokens(1).build(), null);
            List<Integer> sizes = new java.util.ArrayList<>();
            while (g.prefilling()) {
                sizes.add(g.nextFeed(chunk).length);
            }
            return sizes;
        }
    }

    @Test
    void stopStringEndsTheTextBeforeIt() {
        StringBuilder streamed = new StringBuilder();
        GenerationResult r = run(GenerationParams.builder().maxNewTokens(64).stopStrings(List.of(" girl")).build(),
                (id, t) -> streamed.append(t));
        assertEquals(FinishReason.STOP_STRING, r.finishReason());
        assertEquals(", there was a little", r.text());
        assertEquals(r.text(), streamed.toString());
    }

    @Test
    void eosStopsAndIsNotPrintedUnlessIgnored() {
        int eos = reference[3];
        GenerationResult r = run(GenerationParams.builder().maxNewTokens(64).eosTokenIds(Set.of(eos)).build(), null);
        assertEquals(FinishReason.EOS, r.finishReason());
        assertArrayEquals(Arrays.copyOf(reference, 4), r.tokenIds());
        assertEquals(model.tokenizer().decode(Arrays.copyOf(reference, 3), true).length(), r.text().length());
        GenerationResult ignored = run(GenerationParams.builder().maxNewTokens(10).eosTokenIds(Set.of(eos))
                .ignoreEos(true).build(), null);
        assertArrayEquals(Arrays.copyOf(reference, 10), ignored.tokenIds());
    }

    @Test
    void theTokenThatEndsGenerationIsHeldForTheNextCallUnlessDropped() {
        int eos = reference[3];
        GenerationParams held = GenerationParams.builder().maxNewTokens(64).eosTokenIds(Set.of(eos)).build();
        int[] promptIds = model.tokenizer().encode(prompt, true);
        try (Session s = model.newSession(CacheConfig.defaults())) {
            s.generate(promptIds, held, null);
            assertEquals(promptIds.length + 4, s.streamLength(), "prompt, three fed tokens and the held EOS");
            assertEquals(promptIds.length + 3, s.cacheLength());
        }
        try (Session s = model.newSession(CacheConfig.defaults())) {
            s.generate(promptIds, held.toBuilder().holdLastToken(false).build(), null);
            assertEquals(promptIds.length + 3, s.streamLength(), "the EOS is dropped, as a chat turn needs");
            s.generate(new int[] {eos}, held.toBuilder().maxNewTokens(1).build(), null);
            assertEquals(promptIds.length + 5, s.streamLength(), "the next call starts from the fed tokens");
        }
    }

    @Test
    void topKOneIsGreedyAndSeedsReproduce() {
        GenerationResult topOne = run(GenerationParams.builder().maxNewTokens(32).temperature(1.0).topK(1).seed(5L)
                .build(), null);
        assertArrayEquals(Arrays.copyOf(reference, 32), topOne.tokenIds());
        GenerationParams hot = GenerationParams.builder().maxNewTokens(32).temperature(1.2).seed(11L).build();
        assertArrayEquals(run(hot, null).tokenIds(), run(hot, null).tokenIds());
        assertNotEquals(Arrays.toString(run(hot, null).tokenIds()),
                Arrays.toString(run(hot.toBuilder().seed(12L).build(), null).tokenIds()));
    }

    @Test
    void cancellationStopsAndTheSessionGoesOn() {
        try (Session s = model.newSession(CacheConfig.defaults())) {
            int[] count = {0};
            GenerationResult r = s.generate(prompt, GenerationParams.builder().maxNewTokens(64).build(),
                    new TokenListener() {
                        @Override
                        public void onToken(int tokenId, String text) {
                            count[0]++;
                        }

                        @Override
                        public boolean isCancelled() {
                            return count[0] >= 5;
                        }
                    });
            assertEquals(FinishReason.CANCELLED, r.finishReason());
            assertArrayEquals(Arrays.copyOf(reference, 5), r.tokenIds());
            // The stream continues exactly where greedy decoding would have gone.
            int[] next = s.generate(new int[] {reference[5]}, GenerationParams.builder().maxNewTokens(8).build(), null)
                    .tokenIds();
            assertArrayEquals(Arrays.copyOfRange(reference, 6, 14), next);
        }
    }

    @Test
    void aSecondCallContinuesTheStreamLikeOneLongPrompt() {
        GenerationParams params = GenerationParams.builder().maxNewTokens(12).build();
        try (Session turns = model.newSession(CacheConfig.sinks(4, 30));
                Session whole = model.newSession(CacheConfig.sinks(4, 30))) {
            int[] promptIds = model.tokenizer().encode(prompt, true);
            int[] first = turns.generate(prompt, params, null).tokenIds();
            int[] more = model.tokenizer().encode(" Then the sun", false);
            int[] second = turns.generate(more, params, null).tokenIds();
            assertEquals(promptIds.length + first.length + more.length + second.length, turns.streamLength());

            int[] all = concat(promptIds, first, more);
            int[] expected = whole.generate(all, params, null).tokenIds();
            assertArrayEquals(expected, second);
        }
    }

    private static int[] concat(int[]... parts) {
        int[] out = new int[Arrays.stream(parts).mapToInt(p -> p.length).sum()];
        int at = 0;
        for (int[] p : parts) {
            System.arraycopy(p, 0, out, at, p.length);
            at += p.length;
        }
        return out;
    }
}
