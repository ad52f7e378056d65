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
     * Whether the weights' exponentials are taken in the Java Vector API ({@link VectorMath#expWeights}): one at a
     * time with {@code Math.exp}, sampling over the 49,152 logits of a nearly flat distribution (a model with random
     * weights) took 0.33 ms a token at temperature 0.7 and 0.52 with top-p 0.9; in vectors 0.15 and 0.28. Tests turn
     * it off to run the plain loops too.
     */
    static volatile boolean vectorApi = WeightKernels.vectorApiPresent();

    private float[] weights;
    private double[] binMass;
    private int[] binCount;
    /** Per token, its bin in {@link #sampleNucleus}, or {@link #BINS} for a token that is no candidate. */
    private short[] binOf;

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
     * in the vocabulary: only top-k's k tokens and the tokens at top-p's edge are sorted, never the whole vocabulary.
     * Sorting all 49,152 candidates of a nearly flat distribution (a model with random weights) took 2.4–2.8 ms a
     * token, and a batched step samples its sessions one after another.
     */
    private int sample(float[] logits) {
        float invT = (float) (1.0 / params.temperature());
        boolean vector = vectorApi;
        float max = Float.NEGATIVE_INFINITY;
        if (vector) {
            max = VectorMath.max(logits, 0, logits.length);
        } else {
            for (float l : logits) {
                max = Math.max(max, l);
            }
        }
        // Candidates: tokens within e^-30 of the best in probability (the rest cannot matter at float precision).
        float floor = max - 30f / invT;
        float[] w = weights(logits.length);
        double sum;
        if (vector) {
            sum = VectorMath.expWeights(logits, max, invT, floor, w, logits.length);
        } else {
            sum = 0;
            for (int i = 0; i < logits.length; i++) {
                float p = logits[i] >= floor ? (float) Math.exp((logits[i] - max) * invT) : 0f;
                w[i] = p;
                sum += p;
            }
        }
        int count = 0;
        if (params.topK() > 0) {
            for (float l : logits) {
                count += l >= floor ? 1 : 0;
            }
        }
        if (params.topK() > 0 && params.topK() < count) {
            return sampleTopK(logits, floor, w, params.topK());
        }
        if (params.topP() < 1.0) {
            return sampleNucleus(logits, max, floor, w, sum);
        }
        double u = random.nextDouble() * sum;
        int last = 0;
        for (int i = 0; i < w.length; i++) {
            if (w[i] > 0) {
                last = i;
                u -= w[i];
                if (u <= 0) {
                    return i;
                }
            }
        }
        return last;
    }

    /** The {@code k} best candidates by {@link #key}, best first; then top-p among them and a draw. */
    private int sampleTopK(float[] logits, float floor, float[] w, int k) {
        long[] heap = new long[k]; // the k best keys so far, the least of them at the root
        int size = 0;
        for (int i = 0; i < logits.length; i++) {
            if (logits[i] < floor) {
                continue;
            }
            long key = key(logits, i);
            if (size < k) {
                heap[size] = key;
                siftUp(heap, size++);
            } else if (key > heap[0]) {
                heap[0] = key;
                siftDown(heap, k);
            }
        }
        Arrays.sort(heap);
        double sum = 0;
        for (long key : heap) {
            sum += w[(int) key];
        }
        int keep = k;
        if (params.topP() < 1.0) {
            keep = keptFromTheTop(heap, w, sum, 0, params.topP());
            sum = 0;
            for (int r = 0; r < keep; r++) {
                sum += w[(int) heap[k - 1 - r]];
            }
        }
        return drawFromTheTop(heap, keep, w, random.nextDouble() * sum);
    }

    /**
     * Top-p without top-k: the smallest set of best candidates whose probability reaches p. Candidates fall into
     * {@link #BINS} bins by logit, best first; whole bins are kept while the set stays below p, and only the tokens of
     * the bin where it reaches p are sorted, by {@link #key}.
     */
    private int sampleNucleus(float[] logits, float max, float floor, float[] w, double sum) {
        if (binMass == null) {
            binMass = new double[BINS];
            binCount = new int[BINS];
        }
        if (binOf == null || binOf.length != logits.length) {
            binOf = new short[logits.length];
        }
        Arrays.fill(binMass, 0);
        Arrays.fill(binCount, 0);
        float perBin = BINS / (max - floor);
        // Each token's bin is kept for the two passes below, which read it instead of working it out again: at
        // temperature 0.7 and top-p 0.9 over 49,152 nearly flat logits, 0.23-0.30 ms a token against 0.36-0.49.
        for (int i = 0; i < logits.length; i++) {
            if (w[i] > 0) {
                int b = bin(logits[i], max, perBin);
                binOf[i] = (short) b;
                binMass[b] += w[i];
                binCount[b]++;
            } else {
                binOf[i] = BINS;
            }
        }
        double target = params.topP();
        double cumulative = 0; // of the bins before the edge
        int edge = -1;
        for (int b = 0; b < BINS; b++) {
            if (binCount[b] == 0) {
                continue;
            }
            if (edge >= 0) {
                cumulative += binMass[edge] / sum;
            }
            edge = b; // the last bin with candidates, if rounding leaves the total short of p
            if (cumulative + binMass[b] / sum >= target) {
                break;
            }
        }
        long[] edgeKeys = new long[binCount[edge]];
        int n = 0;
        for (int i = 0; i < logits.length; i++) {
            if (binOf[i] == edge) {
                edgeKeys[n++] = key(logits, i);
            }
        }
        Arrays.sort(edgeKeys);
        int keep = keptFromTheTop(edgeKeys, w, sum, cumulative, target);
        double kept = 0;
        for (int b = 0; b < edge; b++) {
            kept += binMass[b];
        }
        for (int r = 0; r < keep; r++) {
            kept += w[(int) edgeKeys[n - 1 - r]];
        }
        double u = random.nextDouble() * kept;
        for (int i = 0; i < logits.length; i++) {
            if (binOf[i] < edge) {
                u -= w[i];
                if (u <= 0) {
                    return i;
                }
            }
        }
        return drawFromTheTop(edgeKeys, keep, w, u);
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

    /**
     * Bins of {@link #sampleNucleus}: enough that the bin at p's edge holds few tokens of a flat distribution (and
     * few enough for a {@code short}).
     */
    private static final short BINS = 4096;

    /** The bin of a candidate's logit: 0 for the best, higher for lower logits (equal logits share a bin). */
    private static int bin(float logit, float max, float perBin) {
        return Math.min(BINS - 1, (int) ((max - logit) * perBin));
    }

    /** Orders candidates by logit, then by index (the higher index first among equal logits, as before). */
    private static long key(float[] logits, int i) {
        return ((long) sortable(logits[i]) << 32) | i;
    }

    private static void siftUp(long[] heap, int at) {
        while (at > 0) {
            int parent = (at - 1) / 2;
            if (heap[parent] <= heap[at]) {
                return;
            }
            long t = heap[parent];
            heap[parent] = heap[at];
            heap[at] = t;
            at = parent;
        }
    }

    private static void siftDown(long[] heap, int size) {
        int at = 0;
        while (true) {
            int least = at;
            int left = 2 * at + 1;
            if (left < size && heap[left] < heap[least]) {
                least = left;
            }
            if (left + 1 < size && heap[left + 1] < heap[least]) {
                least = left + 1;
            }
            if (least == at) {
                return;
            }
            long t = heap[least];
            heap[least] = heap[at];
            heap[at] = t;
            at = least;
        }
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
