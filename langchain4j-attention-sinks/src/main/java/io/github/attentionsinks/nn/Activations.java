package io.github.attentionsinks.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import java.util.Locale;

/** The activation functions Hugging Face configs name in {@code hidden_act}. */
public final class Activations {
    private static final float SQRT_2_OVER_PI = (float) Math.sqrt(2.0 / Math.PI);

    private Activations() {}

    public static NDArray silu(NDArray x) {
        return x.mul(JniUtils.sigmoid((PtNDArray) x));
    }

    /** GELU with the exact erf form ({@code gelu} in HF). */
    public static NDArray geluExact(NDArray x) {
        return JniUtils.gelu((PtNDArray) x);
    }

    /** GELU with the tanh approximation ({@code gelu_new}, {@code gelu_pytorch_tanh}). */
    public static NDArray geluTanh(NDArray x) {
        NDArray inner = x.mul(x).mul(0.044715f).add(1f).mul(x).mul(SQRT_2_OVER_PI);
        return inner.tanh().add(1f).mul(x).mul(0.5f);
    }

    /** Resolves a {@code hidden_act} name; unknown names fail with the accepted list. */
    public static Activation byName(String name, String where) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "silu", "swish" -> Activation.SILU;
            case "gelu" -> Activation.GELU_EXACT;
            case "gelu_new", "gelu_pytorch_tanh", "gelu_fast", "gelu_tanh" -> Activation.GELU_TANH;
            default -> throw new IllegalArgumentException(where + ": unsupported activation '" + name
                    + "' (supported: silu, gelu, gelu_new, gelu_pytorch_tanh)");
        };
    }
}
