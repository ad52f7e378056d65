package io.github.attentionsinks.generate;

/**
 * What one generation produced.
 *
 * @param tokenIds the generated ids (the EOS id included when one ended generation)
 * @param text the generated text, as streamed
 * @param finishReason why it stopped
 * @param inputTokens tokens encoded for the prompt in this call
 * @param prefillNanos time spent encoding the prompt
 * @param decodeNanos time spent generating
 */
public record GenerationResult(int[] tokenIds, String text, FinishReason finishReason, int inputTokens,
        long prefillNanos, long decodeNanos) {

    /** Generated tokens per second (decode only). */
    public double tokensPerSecond() {
        return decodeNanos == 0 ? 0 : tokenIds.length / (decodeNanos / 1e9);
    }
}
