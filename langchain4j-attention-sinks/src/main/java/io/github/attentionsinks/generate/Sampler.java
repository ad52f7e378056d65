package io.github.attentionsinks.generate;

import io.github.attentionsinks.kernels.VectorMath;
import io.github.attentionsinks.kernels.WeightKernels;
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
     * Whether the weights' exponentials, the maximum and {@link CutSearch}'s passes run in the Java Vector API ({@link
     * VectorMath}): one at a time with {@code Math.exp}, sampling over the 49,152 logits of a nearly flat distribution
     * (a model with random weights) took 0.33 ms a token at temperature 0.7 and 0.52 with top-p 0.9; in vectors 0.15
     * and 0.28 at first, now about 0.15 with top-p (docs/benchmarks.md, "A sampler in vectors"). Tests turn it off to
     * run the plain loops too.
     */
    static volatile boolean vectorApi = WeightKernels.vectorApiPresent();

    private float[] weights;
    private CutSearch cutSearch;

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

    /**
     * Draws throwaway tokens from a row of {@link #WARM_UP_VOCABULARY} nearly flat logits, at temperature 0.7 alone,
     * with top-p 0.9 and with top-k 50 as well: enough calls for C2 to compile the sampler's passes in vectors ({@link
     * CutSearch}, {@link VectorMath#walk}) before a request samples. Until C2 has them they run the Vector API's Java
     * fallback, which allocates every vector: without this, the first 8-user chat round of a fresh JVM sampling at
     * temperature 0.7 and top-p 0.9 (SmolLM-135M shape) made 223–240 tokens/s where the sampler before these passes
     * made 251–255 (docs/benchmarks.md, "A sampler in vectors"). It costs about 0.8 s once per JVM (the calls, not the
     * row, take the time: 4,096 logits took 1.0 s, 512 0.77). A no-op without the Vector API.
     */
    public static void warmUp() {
        if (!vectorApi) {
            return;
        }
        float[] row = new float[WARM_UP_VOCABULARY];
        Random random = new Random(11);
        for (int i = 0; i < row.length; i++) {
            row[i] = (float) (random.nextGaussian() * 0.5);
        }
        Sampler[] samplers = {
            new Sampler(GenerationParams.builder().temperature(0.7).seed(1L).build(), row.length, 1),
            new Sampler(GenerationParams.builder().temperature(0.7).topP(0.9).seed(2L).build(), row.length, 1),
            new Sampler(GenerationParams.builder().temperature(0.7).topK(50).topP(0.9).seed(3L).build(), row.length, 1)
        };
        for (int d = 0; d < WARM_UP_DRAWS; d++) {
            for (Sampler sampler : samplers) {
                sampler.next(row); // no repetition penalty: the row stays as it is
            }
        }
    }

    /** Logits of {@link #warmUp}'s row: enough that top-p's search copies tokens out, as for a real vocabulary. */
    static final int WARM_UP_VOCABULARY = 1024;
    /**
     * Draws of each of {@link #warmUp}'s samplers: C2 compiles a method with loops after 600 calls at the least
     * ({@code -XX:Tier4MinInvocationThreshold}), and the walk runs once a draw.
     */
    static final int WARM_UP_DRAWS = 2000;

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

    /**
     * Index of the largest logit (the first on ties, as torch.argmax). In vectors, the maximum and then the first
     * logit equal to it: the loop below waits on each comparison, and a batched step takes its sessions' tokens one
     * after another on the decode thread while the kernel threads wait (8 greedy sessions of the SmolLM-135M shape's
     * 49,152 logits: 0.14 ms a step in the loop, 0.05 this way; docs/benchmarks.md, "Serial work of a batched step").
     * A NaN logit, which the vector maximum carries, leaves it to the loop, whose comparisons skip it.
     */
    public static int argmax(float[] logits) {
        if (vectorApi) {
            int first = VectorMath.indexOf(logits, 0, logits.length, VectorMath.max(logits, 0, logits.length));
            if (first >= 0) {
                return first;
            }
        }
        int best = 0;
        for (int i = 1; i < logits.length; i++) {
            if (logits[i] > logits[best]) {
                best = i;
            }
        }
        return best;
    }

    /**
     * Samples from the softmax of {@code logits / temperature}, restricted as top-k and top-p say. The work is linear
     * in the vocabulary, in passes over the whole of it ({@link CutSearch}): only the tokens at top-k's or top-p's cut
     * are sorted, never the whole vocabulary. Sorting all 49,152 candidates of a nearly flat distribution (a model
     * with random weights) took 2.4–2.8 ms a token; binning them one at a time, about 0.2 ms at temperature 0.7 and
     * top-p 0.9 (docs/benchmarks.md, "A sampler in vectors"). A batched step samples its sessions' rows on two
     * threads while the others wait.
     */
    private int sample(float[] logits) {
        float invT = (float) (1.0 / params.temperature());
        boolean vector = vectorApi;
        int n = logits.length;
        float max = Float.NEGATIVE_INFINITY;
        float min = Float.POSITIVE_INFINITY;
        if (vector) {
            max = VectorMath.max(logits, 0, n);
            min = VectorMath.min(logits, 0, n);
        } else {
            for (float l : logits) {
                max = Math.max(max, l);
                min = Math.min(min, l);
            }
        }
        if (!Float.isFinite(max)) {
            throw new IllegalStateException("cannot sample from logits whose largest value is " + max
                    + ": the model's output holds a NaN or an infinity");
        }
        // Candidates: tokens within e^-30 of the best in probability (the rest cannot matter at float precision).
        float floor = max - 30f / invT;
        float[] w = weights(n);
        double sum = vector ? VectorMath.expWeights(logits, max, invT, floor, w, n)
                : plainExpWeights(logits, max, invT, floor, w);
        float lo = Math.max(floor, min); // every candidate at or above it, and usually the logits' range is narrower
        float top = Math.nextUp(max); // no token at or above it
        if (params.topK() > 0) {
            CutSearch.Cut cut = cuts().find(logits, null, lo, top, params.topK(), vector);
            if (cut != null) { // more candidates than k
                return sampleTopK(logits, cut, top, w, params.topK());
            }
        }
        if (params.topP() < 1.0) {
            return sampleNucleus(logits, lo, top, w, sum);
        }
        double[] u = {random.nextDouble() * sum};
        int token = walk(logits, w, floor, u, vector);
        if (token >= 0) {
            return token;
        }
        int last = n - 1; // rounding left some of u: the last candidate
        while (last > 0 && !(w[last] > 0)) {
            last--;
        }
        return last;
    }

    /** The k best candidates by {@link #key}, best first; then top-p among them and a draw. */
    private int sampleTopK(float[] logits, CutSearch.Cut cut, float top, float[] w, int k) {
        long[] candidates = keys(logits, cuts().indicesBetween(logits, cut.lo(), top, cut.countAtLo(), vectorApi));
        Arrays.sort(candidates); // the k best and a few more (at most CutSearch.CUT_TOKENS), unless they tie
        long[] best = Arrays.copyOfRange(candidates, candidates.length - k, candidates.length);
        double sum = 0;
        for (long key : best) {
            sum += w[(int) key];
        }
        int keep = k;
        if (params.topP() < 1.0) {
            keep = keptFromTheTop(best, w, sum, 0, params.topP());
            sum = 0;
            for (int r = 0; r < keep; r++) {
                sum += w[(int) best[k - 1 - r]];
            }
        }
        return drawFromTheTop(best, keep, w, random.nextDouble() * sum);
    }

    /**
     * Top-p without top-k: the smallest set of best candidates whose probability reaches p. {@link CutSearch} finds
     * the logits where the set reaches p; the tokens above them are all kept, and only the few between are sorted,
     * by {@link #key}. The draw goes through the kept tokens above the cut in index order, then through those at it,
     * best first.
     */
    private int sampleNucleus(float[] logits, float lo, float top, float[] w, double sum) {
        double target = params.topP();
        CutSearch.Cut cut = cuts().find(logits, w, lo, top, target * sum, vectorApi);
        long[] edgeKeys = keys(logits, cuts().indicesBetween(logits, cut.lo(), cut.hi(), cut.between(), vectorApi));
        Arrays.sort(edgeKeys);
        int n = edgeKeys.length;
        int keep = keptFromTheTop(edgeKeys, w, sum, cut.massAtHi() / sum, target);
        double kept = cut.massAtHi();
        for (int r = 0; r < keep; r++) {
            kept += w[(int) edgeKeys[n - 1 - r]];
        }
        double[] u = {random.nextDouble() * kept};
        int token = cut.countAtHi() > 0 ? walk(logits, w, cut.hi(), u, vectorApi) : -1;
        return token >= 0 ? token : drawFromTheTop(edgeKeys, keep, w, u[0]);
    }

    private CutSearch cuts() {
        if (cutSearch == null) {
            cutSearch = new CutSearch();
        }
        return cutSearch;
    }

    private static long[] keys(float[] logits, int[] indices) {
        long[] keys = new long[indices.length];
        for (int r = 0; r < indices.length; r++) {
            keys[r] = key(logits, indices[r]);
        }
        return keys;
    }

    /**
     * Takes the weights of the tokens at or above {@code from} off {@code u[0]} in index order: the token where it
     * runs out, or -1 with what is left in {@code u[0]}.
     */
    private static int walk(float[] logits, float[] w, float from, double[] u, boolean vector) {
        if (vector) {
            return VectorMath.walk(logits, w, logits.length, from, u);
        }
        double left = u[0];
        for (int i = 0; i < logits.length; i++) {
            left -= logits[i] >= from ? w[i] : 0; // no branch on the logit, which is a coin toss
            if (left <= 0 && logits[i] >= from) {
                u[0] = left;
                return i;
            }
        }
        u[0] = left;
        return -1;
    }

    /** {@link VectorMath#expWeights} where the Vector API is absent; its sum in one lane, as CutSearch's. */
    private static double plainExpWeights(float[] logits, float max, float invT, float floor, float[] w) {
        double sum = 0;
        for (int i = 0; i < logits.length; i++) {
            float p = logits[i] >= floor ? (float) Math.exp((logits[i] - max) * invT) : 0f;
            w[i] = p;
            sum += p;
        }
        return sum;
    }

    /**
     * How many of {@code keys} (sorted ascending, so walked from the last) it takes, best first, for the probability
     * already kept ({@code cumulative}) to reach {@code p}; all of them if rounding leaves it short.
     */
    private static int keptFromTheTop(long[] keys, float[] w, double sum, double cumulative, double p) {
        int n = keys.length;
        for (int r = 0; r < n; r++) {
            cumulative += w[(int) keys[n - 1 - r]] / sum;
            if (cumulative >= p) {
                return r + 1;
            }
        }
        return n;
    }

    /** The token where {@code u} runs out over the best {@code keep} of {@code keys}; the last of them if not. */
    private static int drawFromTheTop(long[] keys, int keep, float[] w, double u) {
        int n = keys.length;
        for (int r = 0; r < keep; r++) {
            u -= w[(int) keys[n - 1 - r]];
            if (u <= 0) {
                return (int) keys[n - 1 - r];
            }
        }
        return (int) keys[n - keep];
    }

    /** Orders candidates by logit, then by index (the higher index first among equal logits, as before). */
    private static long key(float[] logits, int i) {
        return ((long) sortable(logits[i]) << 32) | i;
    }

    /** A per-sampler buffer for the candidates' unnormalized probabilities, allocated once. */
    private float[] weights(int size) {
        if (weights == null || weights.length != size) {
            weights = new float[size];
        }
        return weights;
    }

    /** Maps a float to an int whose signed order is the float's order. */
    private static int sortable(float f) {
        int bits = Float.floatToIntBits(f);
        return bits >= 0 ? bits : bits ^ 0x7FFFFFFF;
    }
}
