package io.github.attentionsinks;

import io.github.attentionsinks.generate.FinishReason;
import io.github.attentionsinks.generate.GenerationParams;
import io.github.attentionsinks.generate.GenerationResult;
import io.github.attentionsinks.generate.Sampler;
import io.github.attentionsinks.generate.StreamingText;
import io.github.attentionsinks.generate.TokenListener;
import java.util.Arrays;

/**
 * One generation as a sequence of steps, so that it can run alone ({@link Session#generate}) or beside others in
 * one batched forward pass ({@link DecodeScheduler}) with exactly the same result: the caller feeds
 * {@link #nextFeed} to the session, hands the logits that follow to {@link #accept}, and repeats until
 * {@link #done}. The prompt may be fed in chunks; the logits after a chunk that does not end the prompt are ignored.
 *
 * <p>Generation stops before feeding its last sampled token (EOS, stop string, length): that token is left pending
 * in the session and fed first by its next call.
 */
final class Generation {
    private final Session session;
    private final GenerationParams params;
    private final TokenListener out;
    private final Sampler sampler;
    private final StreamingText text;
    private final int[] prompt;
    private final int encoded;
    private int promptFed;
    /** Prompt tokens left in the current chunk (Session feeds long inputs in chunks of its maxChunk). */
    private int chunkRoom;
    private boolean lastFeedEndsChunk = true;
    /** Before the last prompt feed (for {@link #takeBackPromptFeed}): prompt tokens fed, or -1 after another feed. */
    private int promptFedBefore = -1;
    private int chunkRoomBefore;
    private boolean lastFeedEndsChunkBefore;
    private int[] generated;
    private int count;
    private int next = -1;
    /** A token {@link #sampleAhead} drew for the next {@link #accept}, or -1. */
    private int sampledAhead = -1;
    private FinishReason reason;
    private final long started = System.nanoTime();
    private long prefilled;
    private long finished;

    Generation(Session session, int[] promptIds, GenerationParams params, TokenListener listener) {
        if (promptIds == null || promptIds.length == 0) {
            throw new IllegalArgumentException("prompt is empty: give at least one token");
        }
        AttentionSinkModel model = session.model();
        if (!model.hasTokenizer() && !params.stopStrings().isEmpty()) {
            model.tokenizer(); // throws: stop strings are matched on text
        }
        this.session = session;
        this.params = params;
        this.out = listener == null ? TokenListener.NONE : listener;
        this.sampler = new Sampler(params, model.vocabSize(), session.cacheConfig().capacity());
        for (int id : promptIds) {
            sampler.observe(id);
        }
        this.prompt = promptIds.clone();
        this.encoded = promptIds.length + (session.hasPendingToken() ? 1 : 0);
        // Without a tokenizer there is no text to stream: ids only.
        this.text = model.hasTokenizer() ? new StreamingText(model.tokenizer(), promptIds, params.stopStrings())
                : null;
        this.generated = new int[Math.min(params.maxNewTokens(), 1024)];
        this.chunkRoom = session.maxChunk() - (session.hasPendingToken() ? 1 : 0);
    }

    Session session() {
        return session;
    }

    boolean done() {
        return reason != null;
    }

    /**
     * Tokens this generation may still feed its session: the prompt left, and one for each token it may still draw
     * (the last one drawn may be left pending instead).
     */
    long tokensLeftToFeed() {
        return (long) promptLeft() + params.maxNewTokens() - count;
    }

    /** True while prompt tokens remain to be fed. */
    boolean prefilling() {
        return promptFed < prompt.length;
    }

    /** Prompt tokens not fed yet. */
    int promptLeft() {
        return prompt.length - promptFed;
    }

    /**
     * The tokens to feed next: while the prompt lasts, up to {@code maxTokens} of it, never across the boundary of
     * the chunks {@link Session#append} would feed it in (a pending token of the session is fed before the first),
     * and all up to that boundary or the prompt's end where at most half of {@code maxTokens} more would be left for
     * another step; then the token just sampled. Why the tail goes along: every step reads all the weights, so a
     * step for a few prompt tokens costs nearly a decode step (an 8-session chat turn's new messages, about 24 tokens
     * each, took a step of 16 each, 147–156 ms, then one of 8 each, 92–114 ms, with a 16-token limit;
     * docs/benchmarks.md).
     */
    int[] nextFeed(int maxTokens) {
        if (done()) {
            throw new IllegalStateException("the generation has finished");
        }
        if (prefilling()) {
            promptFedBefore = promptFed;
            chunkRoomBefore = chunkRoom;
            lastFeedEndsChunkBefore = lastFeedEndsChunk;
            int upToBoundary = Math.min(prompt.length - promptFed, chunkRoom);
            int n = upToBoundary - maxTokens <= maxTokens / 2 ? upToBoundary : maxTokens;
            int[] feed = Arrays.copyOfRange(prompt, promptFed, promptFed + n);
            promptFed += n;
            chunkRoom -= n;
            lastFeedEndsChunk = chunkRoom == 0 || !prefilling();
            if (chunkRoom == 0) {
                chunkRoom = session.maxChunk();
            }
            return feed;
        }
        promptFedBefore = -1;
        lastFeedEndsChunk = true;
        return new int[] {next};
    }

    /**
     * Undoes the last {@link #nextFeed}, a part of the prompt whose step was given up before it was committed: the
     * same tokens are fed next.
     *
     * @throws IllegalStateException if the last feed was not prompt tokens, or was taken back already
     */
    void takeBackPromptFeed() {
        if (promptFedBefore < 0) {
            throw new IllegalStateException("the last feed was not prompt tokens, or was taken back already");
        }
        promptFed = promptFedBefore;
        chunkRoom = chunkRoomBefore;
        lastFeedEndsChunk = lastFeedEndsChunkBefore;
        promptFedBefore = -1;
    }

    /**
     * Whether the last feed ends one of the chunks {@link Session#append} would feed (the cache evicts after it);
     * false for a part of a chunk split further, after which eviction waits for the chunk's end.
     */
    boolean lastFeedEndsChunk() {
        return lastFeedEndsChunk;
    }

    /** Whether {@link #accept} would draw a token from the next logits by sampling rather than argmax. */
    boolean samplesRandomly() {
        return !params.greedy() && !prefilling() && count < params.maxNewTokens();
    }

    /**
     * Draws the token that {@link #accept} of these logits would, ahead of it: each generation has its own sampler, so
     * a batched step samples its rows on several threads, then accepts them in order on one. Nothing is drawn where
     * accept would draw nothing (a prompt chunk that is not the last, a generation at its length); a token drawn for
     * a generation cancelled meanwhile is dropped.
     */
    void sampleAhead(float[] logits) {
        if (samplesRandomly()) {
            sampledAhead = sample(logits);
        }
    }

    private int sample(float[] logits) {
        int token = sampler.next(logits);
        sampler.observe(token);
        return token;
    }

    /**
     * Consumes the logits that followed the last feed: a prompt chunk that is not the last is only fed; otherwise a
     * token is sampled, streamed and either queued as the next feed or left pending as the generation ends.
     */
    void accept(float[] logits) {
        int ahead = sampledAhead;
        sampledAhead = -1;
        if (prefilling()) {
            return;
        }
        if (prefilled == 0) {
            prefilled = System.nanoTime();
        }
        if (count >= params.maxNewTokens()) {
            finish(FinishReason.LENGTH);
            return;
        }
        if (out.isCancelled()) {
            finish(FinishReason.CANCELLED);
            return;
        }
        int token = ahead >= 0 ? ahead : sample(logits);
        if (count == generated.length) {
            generated = Arrays.copyOf(generated, generated.length * 2);
        }
        generated[count++] = token;
        if (!params.ignoreEos() && params.eosTokenIds().contains(token)) {
            session.leavePending(token);
            finish(FinishReason.EOS);
            return;
        }
        out.onToken(token, text == null ? "" : text.push(token));
        if (text != null && text.stopped()) {
            session.leavePending(token);
            finish(FinishReason.STOP_STRING);
            return;
        }
        if (count == params.maxNewTokens()) {
            session.leavePending(token);
            finish(FinishReason.LENGTH);
            return;
        }
        next = token;
    }

    private void finish(FinishReason why) {
        reason = why;
        if (!params.holdLastToken()) {
            session.discardPendingToken();
        }
        String tail = text == null ? "" : text.flush();
        if (!tail.isEmpty()) {
            out.onToken(-1, tail);
        }
        finished = System.nanoTime();
    }

    GenerationResult result() {
        if (!done()) {
            throw new IllegalStateException("the generation has not finished");
        }
        long prefillEnd = prefilled == 0 ? finished : prefilled;
        return new GenerationResult(Arrays.copyOf(generated, count), text == null ? "" : text.text(), reason,
                encoded, prefillEnd - started, finished - prefillEnd);
    }
}
