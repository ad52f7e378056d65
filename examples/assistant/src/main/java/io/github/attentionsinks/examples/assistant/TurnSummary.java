package io.github.attentionsinks.examples.assistant;

/**
 * The end of a turn, sent as the {@code done} event.
 *
 * @param finishReason why the reply ended ({@code STOP}, {@code LENGTH})
 * @param inputTokens tokens the model encoded for this turn (the new message, or the rebuilt history)
 * @param outputTokens tokens generated
 * @param tokensPerSecond output tokens per second, from the request to the last token
 * @param cacheTokens tokens now in the conversation's KV cache
 * @param cacheCapacity the cache's bound S + W
 * @param turns exchanges stored in the conversation (its memory window)
 * @param session how the model's session continued: {@code BUILT} (first turn on this instance: encoded from the
 *     stored messages, at most S + W tokens), {@code CONTINUED}, {@code REWOUND} or {@code REBUILT}
 */
public record TurnSummary(String finishReason, int inputTokens, int outputTokens, double tokensPerSecond,
        int cacheTokens, int cacheCapacity, int turns, String session) {}
