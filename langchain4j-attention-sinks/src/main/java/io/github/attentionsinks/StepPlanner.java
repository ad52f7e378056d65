package io.github.attentionsinks;

import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;

/**
 * The rules by which {@link DecodeScheduler}'s decode loop composes its next step, apart from its threads and the
 * model: which active generations take part, how many prompt tokens each one reading its prompt feeds, and whether the
 * step may give way to a short turn queued during it.
 *
 * <ul>
 *   <li>A short turn is a prompt of at most {@value #SHORT_TURN_CHUNKS} chunks of {@code prefillChunk} tokens left to
 *       feed; a longer one is a long prompt. In a step where a short turn reads its prompt, long prompts sit out, but
 *       never two steps running; decoding generations take part in every step.</li>
 *   <li>A generation whose listener is behind sits steps out until it catches up.</li>
 *   <li>A step that only reads long prompts may give way to a short turn queued during it, unless the last such step
 *       gave way or a long prompt in it sat out the last step: that step runs whole, so a long prompt is read at no
 *       less than half its speed however often short turns come. (Without the second rule a long prompt could sit
 *       out, give way and sit out again, a third of its speed under a steady stream of short turns: 51 steps for 20
 *       chunks in {@code DecodeSchedulerTest}, where half speed allows 43.)</li>
 *   <li>A generation reading its prompt feeds {@code prefillChunk} tokens a step, except in steps of long prompts
 *       alone that may give way (and only where steps can give way): the first feeds {@code prefillChunk} tokens in
 *       all, and each such step that ran whole doubles what the next feeds, up to {@code longPromptChunk}; any other
 *       step starts it over. Several long prompts share a step's tokens, each feeding at least {@code prefillChunk}:
 *       eight pastes at once make steps of 256 rows, not 2,048, whose layers a short turn would wait for. Nobody's
 *       token waits for such a step, so a long paste alone is read in large steps, and a step given up never drops
 *       much work unless no turn came for several steps.</li>
 * </ul>
 *
 * <p>Used by the decode thread only.
 *
 * @param <J> a generation as the decode loop holds it
 */
final class StepPlanner<J extends StepPlanner.Candidate> {
    /** Prompts of at most this many chunks are short turns, which go first. */
    static final int SHORT_TURN_CHUNKS = 4;

    /** What the rules read of an active generation. */
    interface Candidate {
        /** Prompt tokens it has still to feed: 0 once it decodes. */
        int promptLeft();

        /** Whether its listener is behind, so that stepping it would only queue more tokens to deliver. */
        boolean behind();
    }

    /**
     * The next step: the generations that take part, in the order they were active; the most prompt tokens each one
     * reading its prompt feeds; whether the step may give way; whether it reads a long prompt; whether it is a step of
     * long prompts alone whose chunk grows.
     */
    record Step<J>(List<J> stepping, int chunk, boolean mayGiveWay, boolean readsLongPrompt, boolean alone) {}

    private final int prefillChunk;
    private final int longPromptChunk;
    private final int shortTurnTokens;
    private final boolean stepsGiveWay;
    /** The long prompts that sat out the last step. */
    private final Set<J> satOut = Collections.newSetFromMap(new IdentityHashMap<>());
    /** A step of long prompts gave way, and no step with a long prompt has run whole since. */
    private boolean lastGaveWay;
    /** What the long prompts feed in all in the next step of long prompts alone. */
    private int aloneChunk;

    /**
     * @param stepsGiveWay whether the model's steps can stop for a short turn (decoders on the Java heap); without
     *     it, every step feeds {@code prefillChunk}
     */
    StepPlanner(int prefillChunk, int longPromptChunk, boolean stepsGiveWay) {
        this.prefillChunk = prefillChunk;
        this.longPromptChunk = longPromptChunk;
        this.stepsGiveWay = stepsGiveWay;
        this.shortTurnTokens = (int) Math.min(Integer.MAX_VALUE, (long) SHORT_TURN_CHUNKS * prefillChunk);
        this.aloneChunk = prefillChunk;
    }

    /** Whether a prompt of {@code tokens} is a short turn. */
    boolean shortTurn(int tokens) {
        return tokens <= shortTurnTokens;
    }

    /** The next step of the {@code active} generations (it may take none of them: all behind). */
    Step<J> next(List<J> active) {
        boolean shortTurnReading = false;
        for (J job : active) {
            shortTurnReading |= job.promptLeft() > 0 && shortTurn(job.promptLeft());
        }
        boolean resumingAfterSittingOut = false;
        boolean longPromptsOnly = true;
        boolean anyLongPrompt = false;
        List<J> stepping = new ArrayList<>(active.size());
        for (J job : active) {
            boolean longPrompt = !shortTurn(job.promptLeft());
            if (job.behind()) {
                continue;
            }
            if (satOut.remove(job)) {
                resumingAfterSittingOut = true;
            } else if (shortTurnReading && longPrompt) {
                satOut.add(job);
                continue;
            }
            stepping.add(job);
            longPromptsOnly &= longPrompt;
            anyLongPrompt |= longPrompt;
        }
        boolean mayGiveWay = longPromptsOnly && !lastGaveWay && !resumingAfterSittingOut;
        boolean alone = mayGiveWay && stepsGiveWay && !stepping.isEmpty();
        int chunk = alone ? Math.max(prefillChunk, aloneChunk / stepping.size()) : prefillChunk;
        return new Step<>(stepping, chunk, mayGiveWay, anyLongPrompt, alone);
    }

    /** {@code step} ran whole (or its generations one by one, after a failure). */
    void ran(Step<J> step) {
        if (step.readsLongPrompt()) {
            lastGaveWay = false;
        }
        aloneChunk = step.alone() ? (int) Math.min(longPromptChunk, 2L * aloneChunk) : prefillChunk;
    }

    /** The step gave way to a short turn: nothing of it was committed. */
    void gaveWay() {
        lastGaveWay = true;
    }

    /** Whether the next step with generations in it must run whole: a long prompt sat out or gave way. */
    boolean nextRunsWhole() {
        return lastGaveWay || !satOut.isEmpty();
    }

    /** Forgets the generations: the decode loop failed them all. */
    void clear() {
        satOut.clear();
    }
}
