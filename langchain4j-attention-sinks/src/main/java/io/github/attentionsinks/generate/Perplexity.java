package io.github.attentionsinks.generate;

/** Token log-likelihoods: what the perplexity of a text is made of. */
public final class Perplexity {
    private Perplexity() {}

    /**
     * −ln softmax(logits)[label], in double with the max subtracted first so that no exponential overflows.
     */
    public static double negativeLogLikelihood(float[] logits, int label) {
        double max = Double.NEGATIVE_INFINITY;
        for (float l : logits) {
            max = Math.max(max, l);
        }
        double sum = 0;
        for (float l : logits) {
            sum += Math.exp(l - max);
        }
        return -((logits[label] - max) - Math.log(sum));
    }
}
