package io.github.attentionsinks.nn;

import ai.djl.ndarray.NDArray;
import java.util.function.UnaryOperator;

/**
 * The activation functions this library implements, by what they compute: a decoder that runs its MLP on the Java
 * heap must know which one it has, not only how to apply it to an NDArray.
 */
public enum Activation implements UnaryOperator<NDArray> {
    /** {@code x·sigmoid(x)} ({@code silu}, {@code swish}). */
    SILU {
        @Override
        public NDArray apply(NDArray x) {
            return Activations.silu(x);
        }
    },
    /** GELU with the exact erf form ({@code gelu}). */
    GELU_EXACT {
        @Override
        public NDArray apply(NDArray x) {
            return Activations.geluExact(x);
        }
    },
    /** GELU with the tanh approximation ({@code gelu_new}, {@code gelu_pytorch_tanh}). */
    GELU_TANH {
        @Override
        public NDArray apply(NDArray x) {
            return Activations.geluTanh(x);
        }
    }
}
