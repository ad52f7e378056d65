package io.github.attentionsinks.generate;

import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Random;

/**
 * Picks the next token from logits: repetition penalty, then greedy or temperature / top-k / top-p sampling,
 * in the order Hugging Face's logits processors apply them. Work per token does not grow with the stream.
 */
public final class Sampler {
    private final GenerationParams params;
    private final Random random;
    private final int[] recentCounts;
    private final ArrayDeque<Integer> recent = new ArrayDeque<>();
    private final int penaltyWindow;

    /**
     * @param vocabSize logits length
     * @param penaltyWindow how many recent tokens the repetition penalty looks at (the cache capacity)
     */
    public Sampler(GenerationParams params, int vocabSize, int penaltyWindow) {
        this.params = params;
        this.random = params.seed() == null ? new Random() : new Random(params.seed());
        this.penaltyWindow = Math.max(1, penaltyWindow);
        this.recentCounts = params.repetitionPenalty() == 1.0 ? null : new int[vocabSize];
    }

    /** Records a token the model has seen (prompt or generated), for the repetition penalty. */
    public void observe(int tokenId) {
        if (recentCounts == null || tokenId < 0 || tokenId >= recentCounts.length) {
            return;
        }
        recent.addLast(tokenId);
        recentCounts[tokenId]++;
        if (recent.size() > penaltyWindow) {
            recentCounts[recent.removeFirst()]--;
        }
    }

    /** Chooses the next token; {@code logits} may be modified. */
    public int next(float[] logits) {
        if (recentCounts != null) {
            float penalty = (float) params.repetitionPenalty();
            for (int id : new java.util.HashSet<>(recent)) {
                logits[id] = logits[id] > 0 ? logits[id] / penalty : logits[id] * penalty;
            }
        }
        if (params.greedy()) {
            return argmax(logits);
        }
        return sample(logits);
    }

    /** Index of the largest logit (the first on ties, as torch.argmax). */
    public static int argmax(float[] logits) {
        int best = 0;
        for (int i = 1; i < logits.length; i++) {
            if (logits[i] > logits[best]) {
                best = i;
            }
        }
        return best;
    }

    private int sample(float[] logits) {
        float invT = (float) (1.0 / params.temperature());
        float max = Float.NEGATIVE_INFINITY;
        for (float l : logits) {
            max = Math.max(max, l);
        }
        // Candidates: tokens within e^-30 of the best in probability (the rest cannot matter at float precision).
        float floor = max - 30f / invT;
        int count = 0;
        long[] keyed = new long[logits.length];
        for (int i = 0; i < logits.length; i++) {
            if (logits[i] >= floor) {
                keyed[count++] = ((long) sortable(logits[i]) << 32) | i;
            }
        }
        keyed = Arrays.copyOf(keyed, count);
        Arrays.sort(keyed);
        int n = params.topK() > 0 ? Math.min(params.topK(), count) : count;
        double[] probs = new double[n];
        double sum = 0;
        for (int r = 0; r < n; r++) {
            int id = (int) keyed[count - 1 - r];
            probs[r] = Math.exp((logits[id] - max) * invT);
            sum += probs[r];
        }
        int keep = n;
        if (params.topP() < 1.0) {
            double cumulative = 0;
            for (int r = 0; r < n; r++) {
                cumulative += probs[r] / sum;
                if (cumulative >= params.topP()) {
                    keep = r + 1;
                    break;
                }
            }
            sum = 0;
            for (int r = 0; r < keep; r++) {
                sum += probs[r];
            }
        }
        double u = random.nextDouble() * sum;
        for (int r = 0; r < keep; r++) {
            u -= probs[r];
            if (u <= 0) {
                return (int) keyed[count - 1 - r];
            }
        }
        return (int) keyed[count - keep];
    }

    /** Maps a float to an int whose signed order is the float's order. */
    private static int sortable(float f) {
        int bits = Float.floatToIntBits(f);
        return bits >= 0 ? bits : bits ^ 0x7FFFFFFF;
    }
}
