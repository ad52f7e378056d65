package io.github.attentionsinks.cache;

import ai.djl.ndarray.NDArray;
import io.github.attentionsinks.nn.RotaryEmbedding;

/**
 * Moves cached keys by a number of positions. For RoPE models this is a rotation by {@code delta}
 * (R(a+d) = R(d)·R(a)); for ALiBi and position-free keys it is the identity.
 */
@FunctionalInterface
public interface KeyShifter {
    KeyShifter IDENTITY = new KeyShifter() {
        @Override
        public NDArray shift(NDArray keys, long delta) {
            return keys;
        }

        @Override
        public boolean shiftInPlace(float[] keys, int offset, int count, long delta) {
            return true;
        }
    };

    /** The rotation of a rotary embedding, in libtorch and on the heap. */
    static KeyShifter rotary(RotaryEmbedding rope) {
        return new KeyShifter() {
            @Override
            public NDArray shift(NDArray keys, long delta) {
                return rope.shift(keys, delta);
            }

            @Override
            public boolean shiftInPlace(float[] keys, int offset, int count, long delta) {
                rope.shiftInPlace(keys, offset, count, delta);
                return true;
            }
        };
    }

    /** Returns {@code keys} (last axis = head dim) moved by {@code delta} positions; may return the input. */
    NDArray shift(NDArray keys, long delta);

    /**
     * Moves {@code count} keys of a head's width from {@code offset} by {@code delta} positions in place, on the heap,
     * exactly as {@link #shift} would (a float32 CPU cache moves its sinks so every step, without libtorch calls);
     * returns false, having done nothing, when this shifter has no heap form.
     */
    default boolean shiftInPlace(float[] keys, int offset, int count, long delta) {
        return false;
    }
}
