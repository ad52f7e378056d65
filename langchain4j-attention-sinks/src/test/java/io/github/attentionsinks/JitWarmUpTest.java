package io.github.attentionsinks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.attentionsinks.cache.CacheConfig;
import io.github.attentionsinks.kernels.WeightKernels;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The JIT warm-up ({@link AttentionSinkModel#warmUp}) runs throwaway steps on the model itself: a conversation fed
 * after it gets the logits it got before it, within 1e-4 (nothing of the throwaway sessions stays in the model's kept
 * buffers; not bit for bit, since the Vector API may sum lanes in another order once compiled: run alone on JDK 25,
 * where the first stream runs before C2 has compiled the kernels, a step differed by 1.1e-5, where a different last
 * prompt token moves the first step's logits by 1.6e-3), and with libtorch multiplying there is nothing to warm.
 */
class JitWarmUpTest {
    @Test
    void throwawayStepsLeaveTheModelAsItWas() {
        CacheConfig cache = CacheConfig.sinks(4, 60);
        int[] prompt = {1, 403, 201, 29, 77, 5, 318, 42};
        try (AttentionSinkModel model = AttentionSinkModel.builder().modelPath(Shared.stories())
                .device(Shared.device()).kernels("java").load()) {
            float[][] before = stream(model, cache, prompt);
            int rounds = JitWarmUp.warm(model).rounds();
            assertTrue(rounds >= 1, "rounds: " + rounds);
            float[][] after = stream(model, cache, prompt);
            for (int t = 0; t < before.length; t++) {
                float diff = Shared.maxAbsDiff(before[t], after[t]);
                assertTrue(diff <= 1e-4f, "step " + t + " differs by " + diff);
            }
        }
    }

    /**
     * The warm-up attends over a long cache alone: the decoder splits one session's keys in parts from 256 keys with
     * two kernel threads (2 × HeapAttention's 128 keys a part), and the chunks that reach them cross its blocks of 64
     * keys. With caches of at most 64 keys, the JIT's code for attention was thrown away in a fresh JVM's first
     * 8-user round and compiled again (docs/benchmarks.md, "A Zen 5 machine").
     */
    @Test
    void warmUpAttendsOverMoreKeysThanOneSessionSplitsInParts() {
        try (AttentionSinkModel model = AttentionSinkModel.builder().modelPath(Shared.stories())
                .device(Shared.device()).kernels("java").load()) {
            JitWarmUp.Outcome outcome = JitWarmUp.warm(model);
            assertTrue(outcome.mostKeysAlone() >= 256, "most keys of a single-session step: " + outcome);
        }
    }

    /**
     * The warm-up's steps take every pass the kernels of each precision make through a tile (each a kernel the JIT
     * compiles separately): when six-row passes replaced eight-row ones, the four-row pass was no longer among them,
     * and a fresh JVM's first 8-user round ran it in the Vector API's Java fallback (80 MB boxed).
     */
    @ParameterizedTest
    @EnumSource(WeightKernels.Precision.class)
    void warmUpStepsTakeEveryRowPassOfTheKernels(WeightKernels.Precision precision) {
        java.util.SortedSet<String> taken = new java.util.TreeSet<>();
        for (int rows : JitWarmUp.STEP_ROWS) {
            taken.addAll(WeightKernels.rowPasses(precision, rows));
        }
        for (int rows : JitWarmUp.LONG_PROMPT_FIRST_CHUNKS) {
            taken.addAll(WeightKernels.rowPasses(precision, rows));
        }
        java.util.SortedSet<String> every = new java.util.TreeSet<>();
        for (int rows = 1; rows <= 96; rows++) {
            every.addAll(WeightKernels.rowPasses(precision, rows));
        }
        assertEquals(every, taken, precision + ": passes of the warm-up's steps "
                + java.util.Arrays.toString(JitWarmUp.STEP_ROWS) + " and long prompt chunks "
                + java.util.Arrays.toString(JitWarmUp.LONG_PROMPT_FIRST_CHUNKS));
    }

    @Test
    void nothingToWarmWithLibtorch() {
        try (AttentionSinkModel model = AttentionSinkModel.builder().modelPath(Shared.stories())
                .device(Shared.device()).kernels("libtorch").load()) {
            assertEquals(new JitWarmUp.Outcome(0, 0), JitWarmUp.warm(model));
            model.warmUp(); // returns at once
        }
    }

    /** The prompt, then 70 greedy tokens past the window's first eviction, as logits per step. */
    private static float[][] stream(AttentionSinkModel model, CacheConfig cache, int[] prompt) {
        try (Session session = model.newSession(cache)) {
            float[][] logits = new float[71][];
            logits[0] = session.appendAll(prompt)[prompt.length - 1];
            for (int t = 1; t < logits.length; t++) {
                logits[t] = session.append(io.github.attentionsinks.generate.Sampler.argmax(logits[t - 1]));
            }
            return logits;
        }
    }
}
