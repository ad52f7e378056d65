package io.github.attentionsinks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The decode loop's rules for composing a step, without a model or threads: short turns first, long prompts sitting
 * out at most one step running, giving way never two steps running nor right after sitting out, and the chunk of
 * long prompts alone doubling and starting over. A prefill chunk of 16 makes short turns those of up to 64 tokens.
 */
class StepPlannerTest {
    /** A generation as the rules see it; the test moves it along by hand. */
    static final class Gen implements StepPlanner.Candidate {
        final String name;
        int promptLeft;
        boolean behind;

        Gen(String name, int promptLeft) {
            this.name = name;
            this.promptLeft = promptLeft;
        }

        @Override
        public int promptLeft() {
            return promptLeft;
        }

        @Override
        public boolean behind() {
            return behind;
        }

        @Override
        public String toString() {
            return name;
        }
    }

    static List<Gen> active(Gen... gens) {
        return new ArrayList<>(List.of(gens));
    }

    /** Runs {@code step} whole: each prompt feeds up to the step's chunk (no chunk boundaries here). */
    static void runWhole(StepPlanner<Gen> planner, StepPlanner.Step<Gen> step) {
        for (Gen g : step.stepping()) {
            g.promptLeft = Math.max(0, g.promptLeft - step.chunk());
        }
        planner.ran(step);
    }

    @Test
    void aShortTurnReadingItsPromptSendsLongPromptsOutForOneStepAndDecodingGoesOn() {
        StepPlanner<Gen> planner = new StepPlanner<>(16, 256, true);
        Gen paste = new Gen("paste", 2000);
        Gen decoding = new Gen("decoding", 0);
        Gen turn = new Gen("turn", 40); // a short turn that takes three steps of 16
        List<Gen> active = active(paste, decoding, turn);

        StepPlanner.Step<Gen> first = planner.next(active);
        assertEquals(List.of(decoding, turn), first.stepping(), "the paste sits out the turn's step");
        assertEquals(16, first.chunk());
        assertFalse(first.mayGiveWay(), "a step with a token to give does not give way");
        assertTrue(planner.nextRunsWhole(), "a long prompt sat out: its next step runs whole");
        runWhole(planner, first);

        StepPlanner.Step<Gen> second = planner.next(active);
        assertEquals(List.of(paste, decoding, turn), second.stepping(), "never two steps running");
        assertTrue(second.readsLongPrompt());
        runWhole(planner, second);

        StepPlanner.Step<Gen> third = planner.next(active);
        assertEquals(List.of(decoding, turn), third.stepping(), "the turn still reads its prompt");
    }

    @Test
    void longPromptsAloneFeedTwiceAsMuchEachStepUpToTheLongPromptChunk() {
        StepPlanner<Gen> planner = new StepPlanner<>(16, 100, true);
        Gen paste = new Gen("paste", 100_000);
        List<Gen> active = active(paste);
        List<Integer> chunks = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            StepPlanner.Step<Gen> step = planner.next(active);
            assertTrue(step.mayGiveWay() && step.alone());
            chunks.add(step.chunk());
            runWhole(planner, step);
        }
        assertEquals(List.of(16, 32, 64, 100, 100, 100), chunks);
    }

    @Test
    void longPromptsAloneTogetherShareTheStepsTokens() {
        StepPlanner<Gen> planner = new StepPlanner<>(16, 256, true);
        List<Gen> active = active(new Gen("a", 100_000), new Gen("b", 100_000), new Gen("c", 100_000));
        List<Integer> chunks = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            StepPlanner.Step<Gen> step = planner.next(active);
            assertEquals(3, step.stepping().size());
            chunks.add(step.chunk());
            runWhole(planner, step);
        }
        // 16, 32, 64, 128, 256, 256 in all: a third each, and never under the prefill chunk
        assertEquals(List.of(16, 16, 21, 42, 85, 85), chunks);
    }

    @Test
    void anyOtherStepStartsTheGrowthOver() {
        StepPlanner<Gen> planner = new StepPlanner<>(16, 256, true);
        Gen paste = new Gen("paste", 100_000);
        List<Gen> active = active(paste);
        runWhole(planner, planner.next(active));
        runWhole(planner, planner.next(active));
        assertEquals(64, planner.next(active).chunk(), "peeked, not run");

        Gen decoding = new Gen("decoding", 0);
        active.add(decoding);
        StepPlanner.Step<Gen> beside = planner.next(active);
        assertEquals(16, beside.chunk(), "beside a decoding generation");
        assertFalse(beside.mayGiveWay());
        runWhole(planner, beside);
        active.remove(decoding);
        assertEquals(16, planner.next(active).chunk(), "alone again: from the prefill chunk");
    }

    @Test
    void aStepThatGaveWayIsFollowedByOneThatRunsWholeWithAChunk() {
        StepPlanner<Gen> planner = new StepPlanner<>(16, 256, true);
        Gen paste = new Gen("paste", 100_000);
        List<Gen> active = active(paste);
        runWhole(planner, planner.next(active));
        runWhole(planner, planner.next(active));
        StepPlanner.Step<Gen> given = planner.next(active);
        assertEquals(64, given.chunk());
        planner.gaveWay();
        assertTrue(planner.nextRunsWhole());

        Gen turn = new Gen("turn", 10);
        active.add(turn);
        StepPlanner.Step<Gen> turns = planner.next(active);
        assertEquals(List.of(turn), turns.stepping(), "the turn's step: the paste sits out");
        runWhole(planner, turns);
        active.remove(turn);

        StepPlanner.Step<Gen> resumed = planner.next(active);
        assertEquals(List.of(paste), resumed.stepping());
        assertFalse(resumed.mayGiveWay(), "after giving way and sitting out, the paste's step runs whole");
        assertEquals(16, resumed.chunk());
        runWhole(planner, resumed);
        assertFalse(planner.nextRunsWhole());
        StepPlanner.Step<Gen> after = planner.next(active);
        assertTrue(after.mayGiveWay());
        assertEquals(16, after.chunk(), "the growth starts over");
    }

    @Test
    void aLongPromptStepAfterOneThatGaveWayRunsWholeEvenWithoutATurnBetween() {
        StepPlanner<Gen> planner = new StepPlanner<>(16, 256, true);
        List<Gen> active = active(new Gen("paste", 100_000));
        planner.next(active);
        planner.gaveWay(); // the turn it gave way to was cancelled before its step, say
        StepPlanner.Step<Gen> next = planner.next(active);
        assertFalse(next.mayGiveWay());
        assertEquals(16, next.chunk());
    }

    @Test
    void stepsThatCannotGiveWayKeepToThePrefillChunk() {
        StepPlanner<Gen> planner = new StepPlanner<>(16, 256, false);
        List<Gen> active = active(new Gen("paste", 100_000));
        for (int i = 0; i < 4; i++) {
            StepPlanner.Step<Gen> step = planner.next(active);
            assertEquals(16, step.chunk());
            assertFalse(step.alone());
            runWhole(planner, step);
        }
    }

    @Test
    void aGenerationWhoseListenerIsBehindSitsStepsOutWithoutCountingAsSittingOut() {
        StepPlanner<Gen> planner = new StepPlanner<>(16, 256, true);
        Gen slow = new Gen("slow", 0);
        Gen other = new Gen("other", 0);
        slow.behind = true;
        List<Gen> active = active(slow, other);
        assertEquals(List.of(other), planner.next(active).stepping());
        assertFalse(planner.nextRunsWhole());
        slow.behind = false;
        assertEquals(List.of(slow, other), planner.next(active).stepping());
        slow.behind = true;
        other.behind = true;
        assertEquals(List.of(), planner.next(active).stepping(), "all behind: an empty step, which the loop skips");
    }

    @Test
    void shortTurnsAreFourChunks() {
        StepPlanner<Gen> planner = new StepPlanner<>(16, 256, true);
        assertTrue(planner.shortTurn(64));
        assertFalse(planner.shortTurn(65));
    }
}
