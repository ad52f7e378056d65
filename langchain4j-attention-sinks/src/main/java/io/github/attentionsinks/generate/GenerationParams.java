package io.github.attentionsinks.generate;

import java.util.List;
import java.util.Set;

/**
 * How to generate: length, sampling and stopping. Build with {@link #builder()}; a model's own defaults
 * (generation_config.json) come from {@code AttentionSinkModel.generationDefaults()}.
 *
 * @param maxNewTokens most tokens to generate (&gt; 0)
 * @param temperature 0 for greedy decoding, else the softmax temperature
 * @param topK keep the k most likely tokens (0 = off)
 * @param topP keep the smallest set of tokens whose probability reaches p (1 = off)
 * @param repetitionPenalty HF-style penalty (&gt; 1 discourages repeats, 1 = off) over the tokens the cache can hold
 * @param seed sampling seed, or null for a random one
 * @param stopStrings generation stops before the first of these appears in the text (it is not emitted)
 * @param eosTokenIds generation stops after one of these (unless {@code ignoreEos})
 * @param ignoreEos keep generating through end-of-sequence tokens
 * @param holdLastToken whether the token that ends generation (EOS, stop string or length; it is not fed) is held
 *     and fed first by the session's next call, so the stream continues through it (default); false drops it, as a
 *     chat turn does, whose template writes the end of the turn itself
 */
public record GenerationParams(int maxNewTokens, double temperature, int topK, double topP,
        double repetitionPenalty, Long seed, List<String> stopStrings, Set<Integer> eosTokenIds, boolean ignoreEos,
        boolean holdLastToken) {

    public GenerationParams {
        if (maxNewTokens < 1) {
            throw new IllegalArgumentException("max new tokens must be > 0, got " + maxNewTokens);
        }
        if (!(temperature >= 0) || Double.isInfinite(temperature)) {
            throw new IllegalArgumentException("temperature must be >= 0 (0 = greedy), got " + temperature);
        }
        if (topK < 0) {
            throw new IllegalArgumentException("top-k must be >= 0 (0 = off), got " + topK);
        }
        if (!(topP > 0 && topP <= 1)) {
            throw new IllegalArgumentException("top-p must be in (0, 1], got " + topP);
        }
        if (!(repetitionPenalty > 0) || Double.isInfinite(repetitionPenalty)) {
            throw new IllegalArgumentException("repetition penalty must be > 0 (1 = off), got " + repetitionPenalty);
        }
        stopStrings = stopStrings == null ? List.of() : List.copyOf(stopStrings);
        for (String s : stopStrings) {
            if (s.isEmpty()) {
                throw new IllegalArgumentException("stop strings must not be empty");
            }
        }
        eosTokenIds = eosTokenIds == null ? Set.of() : Set.copyOf(eosTokenIds);
    }

    public boolean greedy() {
        return temperature == 0;
    }

    public static Builder builder() {
        return new Builder();
    }

    public Builder toBuilder() {
        return new Builder().maxNewTokens(maxNewTokens).temperature(temperature).topK(topK).topP(topP)
                .repetitionPenalty(repetitionPenalty).seed(seed).stopStrings(stopStrings).eosTokenIds(eosTokenIds)
                .ignoreEos(ignoreEos).holdLastToken(holdLastToken);
    }

    /** Defaults: 256 new tokens, greedy, no top-k/top-p/penalty, no stop strings, no EOS ids. */
    public static final class Builder {
        private int maxNewTokens = 256;
        private double temperature = 0;
        private int topK = 0;
        private double topP = 1.0;
        private double repetitionPenalty = 1.0;
        private Long seed;
        private List<String> stopStrings = List.of();
        private Set<Integer> eosTokenIds = Set.of();
        private boolean ignoreEos;
        private boolean holdLastToken = true;

        public Builder maxNewTokens(int v) { maxNewTokens = v; return this; }
        public Builder temperature(double v) { temperature = v; return this; }
        public Builder topK(int v) { topK = v; return this; }
        public Builder topP(double v) { topP = v; return this; }
        public Builder repetitionPenalty(double v) { repetitionPenalty = v; return this; }
        public Builder seed(Long v) { seed = v; return this; }
        public Builder stopStrings(List<String> v) { stopStrings = v; return this; }
        public Builder eosTokenIds(Set<Integer> v) { eosTokenIds = v; return this; }
        public Builder ignoreEos(boolean v) { ignoreEos = v; return this; }
        public Builder holdLastToken(boolean v) { holdLastToken = v; return this; }

        public GenerationParams build() {
            return new GenerationParams(maxNewTokens, temperature, topK, topP, repetitionPenalty, seed, stopStrings,
                    eosTokenIds, ignoreEos, holdLastToken);
        }
    }
}
