package io.github.attentionsinks;

import io.github.attentionsinks.generate.TokenListener;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * Carries a generation's tokens from the decode thread to the thread waiting in {@link DecodeScheduler#generate},
 * which calls the listener: the decode loop hands tokens over and goes on with the other generations, so a slow
 * listener delays only its own generation ({@link #behind}).
 */
final class TokenHandOff implements TokenListener {
    private static final Object END = new Object();
    private final TokenListener listener;
    private final LinkedBlockingQueue<Object> pieces = new LinkedBlockingQueue<>();
    private volatile RuntimeException failure;

    TokenHandOff(TokenListener listener) {
        this.listener = listener;
    }

    private record Piece(int tokenId, String text) {}

    @Override
    public void onToken(int tokenId, String piece) {
        pieces.add(new Piece(tokenId, piece));
    }

    @Override
    public boolean isCancelled() {
        return failure != null || listener.isCancelled();
    }

    /**
     * Whether the generation must sit out the next step: two tokens wait for delivery, so the listener has not
     * taken the one before last within a whole step. Not one waiting token: that is the token of the step just
     * run, handed over microseconds before the next step starts, and the listener's thread has seldom been
     * scheduled yet (8 conversations through the chat model on 2 cores: 160 sit-outs in 254 steps, 112 steps
     * of 7 rows; the aggregate rate was 202 tokens/s, and 229 and 252 in two runs after this change). Never once
     * cancelled, or the generation could not step to see it.
     */
    boolean behind() {
        return pieces.size() >= 2 && !isCancelled();
    }

    /** No more tokens: {@link #deliverUntilEnd} returns once it has delivered the ones before. */
    void end() {
        pieces.add(END);
    }

    /** Cancels the generation (seen at its next step) and stops delivering: the caller's wait went wrong. */
    void fail(RuntimeException error) {
        failure = error;
    }

    /** What the listener threw (or {@link #fail} was given), which cancelled the generation; null if nothing. */
    RuntimeException failure() {
        return failure;
    }

    /** Calls the listener with each token as it comes, on the calling thread, until {@link #end}. */
    void deliverUntilEnd() throws InterruptedException {
        for (Object next = pieces.take(); next != END; next = pieces.take()) {
            if (failure == null) {
                Piece p = (Piece) next;
                try {
                    listener.onToken(p.tokenId, p.text);
                } catch (RuntimeException e) {
                    failure = e; // the decode loop sees it as a cancellation at its next step
                }
            }
        }
    }
}
