package io.github.attentionsinks.arch;

import com.fasterxml.jackson.databind.JsonNode;
import io.github.attentionsinks.config.ModelConfig;
import io.github.attentionsinks.config.ModelFormatException;
import io.github.attentionsinks.nn.RotaryEmbedding;

/**
 * Inverse frequencies for {@code rope_theta} and the {@code rope_scaling} types this library supports:
 * none/{@code default}, {@code linear} and {@code llama3}. Others are refused with the field named.
 */
final class RopeScaling {
    private RopeScaling() {}

    static double[] inverseFrequencies(ModelConfig config, int rotaryDim) {
        double base = config.optDouble("rope_theta", 10000.0);
        double[] inv = RotaryEmbedding.defaultInverseFrequencies(base, rotaryDim);
        JsonNode scaling = config.node("rope_scaling");
        if (scaling.isNull()) {
            return inv;
        }
        String type = scaling.has("rope_type") ? scaling.get("rope_type").asText()
                : scaling.path("type").asText("default");
        switch (type) {
            case "default":
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
                        + "' is not supported (supported: default, linear, llama3)");
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
