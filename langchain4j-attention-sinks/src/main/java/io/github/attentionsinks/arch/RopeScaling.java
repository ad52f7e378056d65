package io.github.attentionsinks.arch;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import io.github.attentionsinks.cache.SinkCache;
import io.github.attentionsinks.config.ModelConfig;
import io.github.attentionsinks.config.ModelFormatException;
import io.github.attentionsinks.nn.RotaryEmbedding;
import java.util.List;

/**
 * Inverse frequencies for {@code rope_theta} and the {@code rope_scaling} types this library supports:
 * none/{@code default}, {@code linear}, {@code llama3} and {@code dynamic} (NTK, see {@link DynamicNtk}). Others are
 * refused with the field named.
 */
final class RopeScaling {
    private RopeScaling() {}

    /** Every type this class implements. */
    static final List<String> ALL_TYPES = List.of("default", "linear", "llama3", "dynamic");
    /** What the GPT-NeoX and Falcon classes of transformers 4.34 ship with, besides dynamic (not wired there). */
    static final List<String> LINEAR_ONLY = List.of("default", "linear");

    /** Frequencies for {@code rope_theta} (default 10000) and any supported {@code rope_scaling}. */
    static double[] inverseFrequencies(ModelConfig config, int rotaryDim) {
        return inverseFrequencies(config, rotaryDim, config.optDouble("rope_theta", 10000.0), ALL_TYPES);
    }

    /**
     * Frequencies for {@code base} with the config's {@code rope_scaling}, refusing types outside {@code supported}
     * with the field, the model type and what is supported.
     */
    static double[] inverseFrequencies(ModelConfig config, int rotaryDim, double base, List<String> supported) {
        double[] inv = RotaryEmbedding.defaultInverseFrequencies(base, rotaryDim);
        JsonNode scaling = config.node("rope_scaling");
        if (scaling.isNull()) {
            return inv;
        }
        String type = type(scaling);
        if (!supported.contains(type)) {
            throw new ModelFormatException(config.file() + ": rope_scaling type '" + type + "' is not supported for "
                    + config.modelType() + " (supported: " + String.join(", ", supported)
                    + "); remove rope_scaling or use a model without it");
        }
        switch (type) {
            case "default":
                return inv;
            case "dynamic":
                // The frequencies used while the call's length stays within max_position_embeddings.
                return inv;
            case "linear": {
                double factor = factor(config, scaling, "factor");
                for (int i = 0; i < inv.length; i++) {
                    inv[i] = (float) (inv[i] / factor);
                }
                return inv;
            }
            case "llama3": {
                double factor = factor(config, scaling, "factor");
                double low = factor(config, scaling, "low_freq_factor");
                double high = factor(config, scaling, "high_freq_factor");
                double original = factor(config, scaling, "original_max_position_embeddings");
                double lowWavelen = original / low;
                double highWavelen = original / high;
                for (int i = 0; i < inv.length; i++) {
                    double wavelen = 2 * Math.PI / inv[i];
                    if (wavelen < highWavelen) {
                        continue;
                    }
                    if (wavelen > lowWavelen) {
                        inv[i] = (float) (inv[i] / factor);
                    } else {
                        double smooth = (original / wavelen - low) / (high - low);
                        inv[i] = (float) ((1 - smooth) * inv[i] / factor + smooth * inv[i]);
                    }
                }
                return inv;
            }
            default:
                throw new ModelFormatException(config.file() + ": rope_scaling type '" + type
                        + "' is not supported (supported: default, linear, llama3, dynamic)");
        }
    }

    private static String type(JsonNode scaling) {
        return scaling.has("rope_type") ? scaling.get("rope_type").asText() : scaling.path("type").asText("default");
    }

    /** The dynamic NTK scaling of this config, or null when {@code rope_scaling} is not {@code dynamic}. */
    static DynamicNtk dynamicNtk(ModelConfig config, int rotaryDim) {
        JsonNode scaling = config.node("rope_scaling");
        if (scaling.isNull() || !type(scaling).equals("dynamic")) {
            return null;
        }
        if (!config.has("max_position_embeddings")) {
            throw new ModelFormatException(config.file() + ": rope_scaling type 'dynamic' needs max_position_embeddings");
        }
        return new DynamicNtk(config.optDouble("rope_theta", 10000.0), factor(config, scaling, "factor"),
                config.requirePositiveInt("max_position_embeddings"), rotaryDim);
    }

    /**
     * cos/sin tables for a step: the rotary's own frequencies, or with dynamic NTK the frequencies of this call.
     * The call's length is the cache index after its last token ({@code cacheLengthBefore + n}). In dense mode
     * that is the largest position id + 1, Hugging Face's rule; in sinks and windowed modes it is the largest
     * position the reference implementation gives (cache positions), so scaling starts only when the cache itself
     * outgrows max_position_embeddings.
     */
    static NDArray[] tables(RotaryEmbedding rotary, DynamicNtk dynamic, NDManager step, SinkCache.Step cache, int n) {
        return rotary.tables(step, tableValues(rotary, dynamic, cache, n));
    }

    /** The tables of {@link #tables} on the heap, {@code [n, headDim]} each. */
    static float[][] tableValues(RotaryEmbedding rotary, DynamicNtk dynamic, SinkCache.Step cache, int n) {
        if (dynamic == null) {
            return rotary.tableValues(cache.streamPosition(), n);
        }
        return rotary.tableValues(cache.streamPosition(), n,
                dynamic.inverseFrequencies((long) cache.cacheLengthBefore() + n));
    }

    /**
     * Dynamic NTK scaling: for a forward call whose largest position + 1 is L &gt; max_position_embeddings M,
     * {@code base' = base·(factor·L/M − (factor − 1))^(d/(d−2))} and {@code inv_i = base'^(−2i/d)}, used for that
     * call's queries and new keys only; cached keys keep the rotation they were given. Computed in float32, as
     * Hugging Face does.
     */
    static final class DynamicNtk {
        private final double base;
        private final double factor;
        private final int maxPositions;
        private final int rotaryDim;
        private final double[] defaults;

        DynamicNtk(double base, double factor, int maxPositions, int rotaryDim) {
            this.base = base;
            this.factor = factor;
            this.maxPositions = maxPositions;
            this.rotaryDim = rotaryDim;
            this.defaults = RotaryEmbedding.defaultInverseFrequencies(base, rotaryDim);
        }

        /** Inverse frequencies for a call whose largest position is {@code length − 1}. */
        double[] inverseFrequencies(long length) {
            if (length <= maxPositions) {
                return defaults;
            }
            float scaledBase = (float) base(length);
            double[] inv = new double[rotaryDim / 2];
            for (int i = 0; i < inv.length; i++) {
                float exponent = (float) (2 * i) / (float) rotaryDim;
                inv[i] = 1f / (float) Math.pow(scaledBase, exponent);
            }
            return inv;
        }

        /** The base used for a call of this length; float32 steps in torch's order, to match HF closely. */
        double base(long length) {
            if (length <= maxPositions) {
                return base;
            }
            float scaled = (float) factor * (float) length / (float) maxPositions - (float) (factor - 1);
            return (float) base * (float) Math.pow(scaled, (float) (rotaryDim / (double) (rotaryDim - 2)));
        }
    }

    private static double factor(ModelConfig config, JsonNode scaling, String field) {
        JsonNode n = scaling.get(field);
        if (n == null || !n.isNumber()) {
            throw new ModelFormatException(config.file() + ": rope_scaling." + field + " is missing or not a number");
        }
        return n.doubleValue();
    }
}
