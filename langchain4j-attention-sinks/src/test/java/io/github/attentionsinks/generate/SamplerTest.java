package io.github.attentionsinks.generate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

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
