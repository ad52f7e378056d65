package io.github.attentionsinks.generate;

import io.github.attentionsinks.kernels.VectorMath;
import java.util.Arrays;

/**
 * Finds where top-k's or top-p's cut falls in a row of logits without sorting the row: the interval of logits
 * {@code [lo, hi)} in which the best tokens, counted (top-k) or weighed (top-p) from the top, reach their target, with
 * at most {@link #CUT_TOKENS} tokens inside it unless they tie. Each pass counts and weighs the tokens at or above
 * seven logits spread over the interval ({@link #PLAIN_CUTS} without the Vector API), {@code lo} the first, and keeps
 * the part where the target is reached. Once the interval holds at most {@link #COMPACT_TOKENS} tokens they are
 * copied out and the passes go over the copy.
 *
 * <p>For the 49,152 nearly flat logits of the SmolLM-135M shape with random weights at temperature 0.7 and top-p 0.9
 * that is three passes over the row (19 µs each in vectors), a copy of about 500 tokens (11 µs) and one pass over
 * it: 68 µs, where binning every token one at a time took about 105 (docs/benchmarks.md, "A sampler in vectors").
 * Copying from 4,096 tokens down saved a pass but the copy then took 35 µs: most vectors of the row held a token to
 * copy, which the copy takes lane by lane. One object per {@link Sampler}, not thread-safe; the search reads the
 * logits and weights, never writes them.
 */
final class CutSearch {
    /** At most this many tokens lie between a cut's ends when {@link #find} returns, unless they tie. */
    static final int CUT_TOKENS = 64;
    /** From this many tokens between the ends down, passes go over a copy of those tokens alone. */
    static final int COMPACT_TOKENS = 1024;
    /** A bound on the passes: each keeps a seventh of its interval or less, so the floats between the ends run out. */
    private static final int MAX_PASSES = 40;

    /**
     * Cuts a pass takes where the Vector API is absent. A token's place among them is worked out rather than compared
     * with each ({@link #atOrAbove}), so more cuts cost a pass nearly nothing: one pass over a flat vocabulary, then
     * the copy. A top-p draw over 49,152 logits ({@code SampleBench 0.5 0} without the module) took 1.9 ms with the
     * vector passes' seven cuts compared one by one, 1.0 with 64 cuts, 0.72–0.75 with these, where binning every token
     * had taken 0.48–0.51 (docs/benchmarks.md, "A sampler in vectors").
     */
    static final int PLAIN_CUTS = 1024;

    private float[] cuts;
    private int[] counts;
    private double[] masses;
    /**
     * Per cut, the tokens at or above it but below the next one, and their weights, one place on (the first for the
     * tokens below every cut; {@link #atOrAbove}).
     */
    private int[] bucketCounts;
    private double[] bucketMasses;
    private final int[] indices = new int[COMPACT_TOKENS];
    private final float[] copiedLogits = new float[COMPACT_TOKENS];
    private final float[] copiedWeights = new float[COMPACT_TOKENS];
    /** How many tokens the last {@link #find} copied out (0: it searched the whole row to the end), and from where. */
    private int copied;
    private float copiedLo;
    private float copiedHi;

    /**
     * Where a cut falls: the target is reached at {@code lo} and not at {@code hi}; {@code countAtLo} tokens lie at or
     * above {@code lo}, {@code countAtHi} at or above {@code hi}, weighing {@code massAtHi} (top-p; 0 for top-k).
     */
    record Cut(float lo, float hi, int countAtLo, int countAtHi, double massAtHi) {
        /** How many tokens lie in {@code [lo, hi)}. */
        int between() {
            return countAtLo - countAtHi;
        }
    }

    /**
     * Narrows {@code [lo, hi)} to where the tokens from the best reach {@code target}: their count where {@code w} is
     * null (top-k), else the sum of their weights {@code w}. At {@code lo} every candidate must lie at or above it
     * and reach the target (a weight) or be counted; no token may lie at or above {@code hi}. The logits must hold no
     * NaN.
     *
     * @return the cut, or null for top-k where the candidates number at most {@code target}: nothing to cut
     */
    Cut find(float[] logits, float[] w, float lo, float hi, double target, boolean vector) {
        int cutsPerPass = vector ? VectorMath.CUTS : PLAIN_CUTS;
        if (cuts == null || cuts.length != cutsPerPass) {
            cuts = new float[cutsPerPass];
            counts = new int[cutsPerPass];
            masses = new double[cutsPerPass];
            bucketCounts = new int[cutsPerPass + 1];
            bucketMasses = new double[cutsPerPass + 1];
        }
        copied = 0;
        float[] a = logits;
        float[] x = w;
        int n = logits.length;
        int countAtLo = Integer.MAX_VALUE; // unknown before the first pass
        int countAtHi = 0;
        double massAtHi = 0;
        int countLeftOut = 0; // of the tokens at or above hi when they were copied out, which the copy leaves out
        double massLeftOut = 0;
        for (int pass = 0; pass < MAX_PASSES && countAtLo - countAtHi > CUT_TOKENS && hi > Math.nextUp(lo); pass++) {
            if (a == logits && countAtLo - countAtHi <= COMPACT_TOKENS) {
                n = copy(logits, w, lo, hi, vector);
                a = copiedLogits;
                x = w == null ? null : copiedWeights;
                countLeftOut = countAtHi;
                massLeftOut = massAtHi;
            }
            for (int j = 0; j < cuts.length; j++) {
                cuts[j] = lo + (hi - lo) * j / cuts.length; // from lo, never past hi
            }
            atOrAbove(a, x, n, vector);
            for (int j = 0; j < cuts.length; j++) {
                counts[j] += countLeftOut;
                masses[j] += massLeftOut;
            }
            if (pass == 0 && w == null && counts[0] <= target) {
                return null; // at the candidates' lowest logit: no more of them than k
            }
            int j = cuts.length - 1; // the last cut where the target is reached (lo, which reaches it, at worst)
            while (j > 0 && (w == null ? counts[j] : masses[j]) < target) {
                j--;
            }
            lo = cuts[j];
            countAtLo = counts[j];
            if (j + 1 < cuts.length) {
                hi = cuts[j + 1];
                countAtHi = counts[j + 1];
                massAtHi = masses[j + 1];
            }
        }
        return new Cut(lo, hi, countAtLo, countAtHi, massAtHi);
    }

    /**
     * The indices of the tokens whose logits lie in {@code [lo, hi)}, {@code count} of them (a {@link Cut}'s ends and
     * its {@link Cut#between} or {@link Cut#countAtLo}), in index order; from the last search's copy where it made
     * one that holds them.
     */
    int[] indicesBetween(float[] logits, float lo, float hi, int count, boolean vector) {
        int[] found = new int[count];
        int n = 0;
        if (copied > 0 && count <= copied && lo >= copiedLo && hi <= copiedHi) {
            for (int r = 0; r < copied; r++) {
                if (copiedLogits[r] >= lo && copiedLogits[r] < hi) {
                    found[n++] = indices[r];
                }
            }
        } else {
            n = rowIndicesBetween(logits, lo, hi, found, vector);
        }
        return n == count ? found : Arrays.copyOf(found, n);
    }

    /** Copies the logits (and weights) of the tokens in {@code [lo, hi)} out, with their indices; returns how many. */
    private int copy(float[] logits, float[] w, float lo, float hi, boolean vector) {
        int n = rowIndicesBetween(logits, lo, hi, indices, vector);
        for (int r = 0; r < n; r++) {
            copiedLogits[r] = logits[indices[r]];
            if (w != null) {
                copiedWeights[r] = w[indices[r]];
            }
        }
        copied = n;
        copiedLo = lo;
        copiedHi = hi;
        return n;
    }

    private void atOrAbove(float[] a, float[] w, int n, boolean vector) {
        if (vector) {
            if (w == null) {
                VectorMath.countsAtOrAbove(a, n, cuts, counts);
                Arrays.fill(masses, 0);
            } else {
                VectorMath.massesAtOrAbove(a, w, n, cuts, masses, counts);
            }
            return;
        }
        // Without the Vector API: each token's bucket (the last cut at or above which it lies) from its distance to
        // the first cut, moved to agree with the comparisons where rounding put it one off; then the sums from the top.
        Arrays.fill(bucketCounts, 0);
        Arrays.fill(bucketMasses, 0);
        int last = cuts.length - 1;
        float first = cuts[0];
        float perBucket = last / (cuts[last] - first); // cut j at about first + j / perBucket
        for (int i = 0; i < n; i++) {
            float l = a[i];
            // -1 below the first cut, without a branch: half the tokens lie below it once the passes narrow
            int b = l >= first ? Math.min(last, (int) ((l - first) * perBucket)) : -1;
            while (b < last && l >= cuts[b + 1]) {
                b++;
            }
            while (b > 0 && l < cuts[b]) {
                b--;
            }
            bucketCounts[b + 1]++;
            bucketMasses[b + 1] += w == null ? 0 : w[i];
        }
        int count = 0;
        double mass = 0;
        for (int j = last; j >= 0; j--) {
            count += bucketCounts[j + 1];
            mass += bucketMasses[j + 1];
            counts[j] = count;
            masses[j] = mass;
        }
    }

    /** The indices of the whole row's logits in {@code [lo, hi)}, in order, into {@code into}; returns how many. */
    private static int rowIndicesBetween(float[] a, float lo, float hi, int[] into, boolean vector) {
        if (vector) {
            return VectorMath.indicesBetween(a, a.length, lo, hi, into);
        }
        int found = 0;
        for (int i = 0; i < a.length; i++) {
            if (a[i] >= lo & a[i] < hi) { // one branch, rarely taken: "a[i] >= lo" alone is a coin toss
                into[found++] = i;
            }
        }
        return found;
    }
}
