package io.github.attentionsinks.generate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.github.attentionsinks.kernels.WeightKernels;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The sampler on hand-made logits, against probabilities computed here by hand. */
class SamplerTest {
    private static final float[] LOGITS = {2f, 1f, 0f, -1f, 0.5f};

    private static double[] softmax(float[] logits, double t) {
        double[] p = new double[logits.length];
        double sum = 0;
        for (int i = 0; i < p.length; i++) {
            p[i] = Math.exp(logits[i] / t);
            sum += p[i];
        }
        for (int i = 0; i < p.length; i++) {
            p[i] /= sum;
        }
        return p;
    }

    private static double[] frequencies(GenerationParams params, int draws) {
        Sampler sampler = new Sampler(params, LOGITS.length, 1);
        double[] f = new double[LOGITS.length];
        for (int i = 0; i < draws; i++) {
            f[sampler.next(LOGITS.clone())] += 1.0 / draws;
        }
        return f;
    }

    @Test
    void greedyTakesTheFirstMaximum() {
        assertEquals(0, Sampler.argmax(LOGITS));
        assertEquals(1, Sampler.argmax(new float[] {0f, 3f, 3f}));
    }

    /**
     * Greedy over a vocabulary of the SmolLM-135M shape's size, in vectors and in the plain loop: the first of tied
     * maxima (in different vectors, and -0.0 before 0.0), a maximum in the scalar tail, and NaN logits, which the loop's
     * comparisons skip (a NaN first stays the answer, as the loop starts there).
     */
    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void greedyOverALargeVocabularyTakesTheFirstMaximum(boolean vectorApi) {
        withVectorApi(vectorApi, () -> {
            float[] logits = gaussianLogits(49_157, 21);
            logits[30_001] = 9f;
            logits[40_000] = 9f;
            assertEquals(30_001, Sampler.argmax(logits));
            logits[49_156] = 10f;
            assertEquals(49_156, Sampler.argmax(logits), "a maximum past the last whole vector");
            logits[17] = Float.NaN;
            assertEquals(49_156, Sampler.argmax(logits), "a NaN logit skipped");
            logits[0] = Float.NaN;
            assertEquals(0, Sampler.argmax(logits), "a NaN first");
            float[] zeros = new float[100];
            java.util.Arrays.fill(zeros, -1f);
            zeros[70] = -0f;
            zeros[90] = 0f;
            assertEquals(70, Sampler.argmax(zeros), "-0.0 and 0.0 tie");
        });
    }

    @Test
    void temperatureSamplingFollowsTheSoftmax() {
        double[] expected = softmax(LOGITS, 0.8);
        double[] f = frequencies(GenerationParams.builder().temperature(0.8).seed(1L).build(), 200_000);
        for (int i = 0; i < LOGITS.length; i++) {
            assertEquals(expected[i], f[i], 0.005, "token " + i);
        }
    }

    @Test
    void topKAndTopPRestrictAndRenormalise() {
        double[] full = softmax(LOGITS, 1.0);
        // top-k 2 keeps tokens 0 and 1.
        double[] f = frequencies(GenerationParams.builder().temperature(1).topK(2).seed(2L).build(), 100_000);
        double z = full[0] + full[1];
        assertEquals(full[0] / z, f[0], 0.006);
        assertEquals(full[1] / z, f[1], 0.006);
        assertEquals(0, f[2] + f[3] + f[4]);
        // top-p: token 0 alone has p0 ≈ 0.55 < 0.6, so tokens 0 and 1 (p ≈ 0.75) are the smallest set reaching 0.6.
        assertTrue(full[0] < 0.6 && full[0] + full[1] >= 0.6);
        f = frequencies(GenerationParams.builder().temperature(1).topP(0.6).seed(3L).build(), 100_000);
        assertEquals(full[0] / z, f[0], 0.006);
        assertEquals(0, f[2] + f[3] + f[4]);
    }

    /**
     * A vocabulary of 5,000 nearly flat logits, where the nucleus holds thousands of tokens across many of the
     * sampler's bins: draws stay inside the set a full sort gives, and follow its renormalised probabilities.
     */
    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void topPOnALargeFlatVocabularyKeepsTheSetAFullSortGives(boolean vectorApi) {
        withVectorApi(vectorApi, () -> topPOnALargeFlatVocabulary());
    }

    private void topPOnALargeFlatVocabulary() {
        float[] logits = gaussianLogits(5000, 5);
        double t = 0.7;
        double p = 0.8;
        boolean[] kept = nucleus(logits, t, p);
        double[] probs = softmax(logits, t);
        double keptMass = 0;
        int keptCount = 0;
        for (int i = 0; i < logits.length; i++) {
            if (kept[i]) {
                keptMass += probs[i];
                keptCount++;
            }
        }
        assertTrue(keptCount > 1000 && keptCount < 4900, "a nucleus of " + keptCount);
        Sampler sampler = new Sampler(GenerationParams.builder().temperature(t).topP(p).seed(7L).build(),
                logits.length, 1);
        int draws = 100_000;
        double[] f = new double[logits.length];
        for (int d = 0; d < draws; d++) {
            int token = sampler.next(logits.clone());
            assertTrue(kept[token], "token " + token + " is outside the nucleus");
            f[token] += 1.0 / draws;
        }
        // By tenths of the nucleus in index order, against the renormalised probabilities.
        for (int part = 0; part < 10; part++) {
            double expected = 0;
            double seen = 0;
            for (int i = part * 500; i < (part + 1) * 500; i++) {
                if (kept[i]) {
                    expected += probs[i] / keptMass;
                    seen += f[i];
                }
            }
            assertEquals(expected, seen, 0.006, "tokens " + part * 500 + ".." + ((part + 1) * 500 - 1));
        }
    }

    /**
     * Temperature alone on 4,000 tokens, the last 100 of them far below the best (never candidates): the draws follow
     * the softmax, by tenths of the vocabulary, with the weights' exponentials taken in the Vector API and in plain
     * loops.
     */
    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void temperatureOnALargeVocabularyFollowsTheSoftmax(boolean vectorApi) {
        withVectorApi(vectorApi, () -> {
            float[] logits = gaussianLogits(4000, 13);
            for (int i = 3900; i < logits.length; i++) {
                logits[i] = -1000f;
            }
            double t = 0.8;
            double[] probs = softmax(logits, t);
            Sampler sampler = new Sampler(GenerationParams.builder().temperature(t).seed(17L).build(),
                    logits.length, 1);
            int draws = 100_000;
            double[] tenths = new double[10];
            for (int d = 0; d < draws; d++) {
                int token = sampler.next(logits.clone());
                assertTrue(token < 3900, "token " + token + " is far below the best");
                tenths[token / 400] += 1.0 / draws;
            }
            for (int part = 0; part < 10; part++) {
                double expected = 0;
                for (int i = part * 400; i < (part + 1) * 400; i++) {
                    expected += probs[i];
                }
                assertEquals(expected, tenths[part], 0.006, "tokens " + part * 400 + ".." + ((part + 1) * 400 - 1));
            }
        });
    }

    private static void withVectorApi(boolean on, Runnable test) {
        assumeTrue(!on || WeightKernels.vectorApiPresent(), "the Vector API module is not in this JVM");
        boolean before = Sampler.vectorApi;
        Sampler.vectorApi = on;
        try {
            test.run();
        } finally {
            Sampler.vectorApi = before;
        }
    }

    /** Equal logits at top-p's edge: the higher index goes first, as a sort by (logit, index) from the top does. */
    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void topPAtATieKeepsTheHigherIndicesFirst(boolean vectorApi) {
        withVectorApi(vectorApi, this::topPAtATie);
    }

    private void topPAtATie() {
        float[] logits = new float[1000];
        for (int i = 0; i < logits.length; i++) {
            logits[i] = i % 4; // 250 tokens each of 0, 1, 2 and 3
        }
        double p = 0.8;
        boolean[] kept = nucleus(logits, 1.0, p);
        Sampler sampler = new Sampler(GenerationParams.builder().temperature(1).topP(p).seed(8L).build(),
                logits.length, 1);
        for (int d = 0; d < 20_000; d++) {
            int token = sampler.next(logits.clone());
            assertTrue(kept[token], "token " + token + " (logit " + logits[token] + ") is outside the nucleus");
        }
        // The cut falls inside the 2s: some are kept, the ones of the highest indices.
        assertTrue(kept[998] && !kept[2], "the cut falls inside the tokens of logit 2");
    }

    /** Top-k with top-p on a large vocabulary: only the k best can come, then only those reaching p among them. */
    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void topKThenTopPOnALargeVocabulary(boolean vectorApi) {
        withVectorApi(vectorApi, this::topKThenTopP);
    }

    private void topKThenTopP() {
        float[] logits = gaussianLogits(49_152, 9);
        java.util.Set<Integer> best = new java.util.HashSet<>(
                java.util.Arrays.asList(bestFirst(logits)).subList(0, 50));
        Sampler sampler = new Sampler(GenerationParams.builder().temperature(1).topK(50).topP(0.5).seed(10L).build(),
                logits.length, 1);
        java.util.Set<Integer> seen = new java.util.HashSet<>();
        for (int d = 0; d < 5_000; d++) {
            int token = sampler.next(logits.clone());
            assertTrue(best.contains(token), "token " + token + " is not among the 50 best");
            seen.add(token);
        }
        assertTrue(seen.size() > 5 && seen.size() < 50, seen.size() + " tokens came: top-p cut the 50");
    }

    /**
     * Top-k of more than the 64 tokens the cut's search ends on: 100 tokens tied at the best logit, 1,000 spread
     * below. The search's second pass starts where exactly k tokens lie at or above its lowest logit, which is not
     * "no more candidates than k": only the 100 may come.
     */
    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void topKOfMoreThanTheSearchSortsKeepsOnlyTheK(boolean vectorApi) {
        withVectorApi(vectorApi, () -> {
            float[] logits = new float[1100];
            java.util.Random random = new java.util.Random(4);
            for (int i = 0; i < logits.length; i++) {
                logits[i] = i % 11 == 0 ? 5f : 4f * random.nextFloat();
            }
            Sampler sampler = new Sampler(GenerationParams.builder().temperature(1).topK(100).seed(12L).build(),
                    logits.length, 1);
            java.util.Set<Integer> seen = new java.util.HashSet<>();
            for (int d = 0; d < 5_000; d++) {
                int token = sampler.next(logits.clone());
                assertEquals(5f, logits[token], "token " + token + " is not among the 100 best");
                seen.add(token);
            }
            assertTrue(seen.size() > 90, seen.size() + " of the 100 tied tokens came");
        });
    }

    /** Nearly flat logits, as a model with random weights gives: standard normal, seeded. */
    private static float[] gaussianLogits(int vocabulary, long seed) {
        java.util.Random random = new java.util.Random(seed);
        float[] logits = new float[vocabulary];
        for (int i = 0; i < logits.length; i++) {
            logits[i] = (float) random.nextGaussian();
        }
        return logits;
    }

    /** Token ids by logit from the best, the higher index first among equal logits. */
    private static Integer[] bestFirst(float[] logits) {
        Integer[] order = new Integer[logits.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        java.util.Arrays.sort(order, (a, b) -> logits[a] != logits[b] ? Float.compare(logits[b], logits[a]) : b - a);
        return order;
    }

    /** The smallest set of best tokens (by logit, then higher index) whose softmax at {@code t} reaches {@code p}. */
    private static boolean[] nucleus(float[] logits, double t, double p) {
        double[] probs = softmax(logits, t);
        boolean[] kept = new boolean[logits.length];
        double cumulative = 0;
        for (int i : bestFirst(logits)) {
            kept[i] = true;
            cumulative += probs[i];
            if (cumulative >= p) {
                break;
            }
        }
        return kept;
    }

    @Test
    void sameSeedSameTokens() {
        GenerationParams p = GenerationParams.builder().temperature(1.5).seed(99L).build();
        Sampler a = new Sampler(p, LOGITS.length, 1);
        Sampler b = new Sampler(p, LOGITS.length, 1);
        for (int i = 0; i < 100; i++) {
            assertEquals(a.next(LOGITS.clone()), b.next(LOGITS.clone()));
        }
    }

    @Test
    void repetitionPenaltyDividesPositiveAndMultipliesNegativeLogitsOfRecentTokens() {
        Sampler sampler = new Sampler(GenerationParams.builder().repetitionPenalty(2.0).build(), 5, 2);
        sampler.observe(0);
        sampler.observe(3);
        float[] logits = LOGITS.clone();
        // 0: 2 -> 1; 3: -1 -> -2; the best is then token 1 (1.0) vs token 0 (1.0): first maximum wins -> 0.
        assertEquals(0, sampler.next(logits));
        assertEquals(1f, logits[0]);
        assertEquals(-2f, logits[3]);
        // The window holds 2 tokens: observing two more forgets 0 and 3.
        sampler.observe(4);
        sampler.observe(4);
        logits = LOGITS.clone();
        sampler.next(logits);
        assertEquals(2f, logits[0]);
        assertEquals(0.25f, logits[4]);
    }
}
