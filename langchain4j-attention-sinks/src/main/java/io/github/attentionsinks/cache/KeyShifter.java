package io.github.attentionsinks.cache;

import ai.djl.ndarray.NDArray;

/**
 * Moves cached keys by a number of positions. For RoPE models this is a rotation by {@code delta}
 * (R(a+d) = R(d)·R(a)); for ALiBi and position-free keys it is the identity.
 */
@FunctionalInterface
public interface KeyShifter {
    KeyShifter IDENTITY = (keys, delta) -> keys;

    /** Returns {@code keys} (last axis = head dim) moved by {@code delta} positions; may return the input. */
    NDArray shift(NDArray keys, long delta);
}
