package io.github.attentionsinks.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.NullNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A model's {@code config.json}, read once, with typed accessors whose errors name the file and the field.
 *
 * <p>Architectures read the fields they need from here; nothing else parses the config.
 */
public final class ModelConfig {
    private final Path file;
    private final JsonNode root;

    public ModelConfig(Path file, JsonNode root) {
        this.file = file;
        this.root = root;
        if (!root.isObject()) {
            throw new ModelFormatException(file + ": expected a JSON object at the top level");
        }
    }

    /** Reads {@code dir/config.json}. */
    public static ModelConfig read(Path dir) {
        Path file = dir.resolve("config.json");
        return new ModelConfig(file, Json.readTree(file));
    }

    public Path file() {
        return file;
    }

    public JsonNode json() {
        return root;
    }

    public String modelType() {
        return requireString("model_type");
    }

    public boolean has(String field) {
        JsonNode n = root.get(field);
        return n != null && !n.isNull();
    }

    public JsonNode node(String field) {
        JsonNode n = root.get(field);
        return n == null ? NullNode.getInstance() : n;
    }

    public String requireString(String field) {
        JsonNode n = require(field);
        if (!n.isTextual()) {
            throw invalid(field, n, "a string");
        }
        return n.asText();
    }

    public int requireInt(String field) {
        JsonNode n = require(field);
        if (!n.isIntegralNumber() || !n.canConvertToInt()) {
            throw invalid(field, n, "an integer");
        }
        return n.intValue();
    }

    public int requirePositiveInt(String field) {
        int v = requireInt(field);
        if (v <= 0) {
            throw invalid(field, root.get(field), "a positive integer");
        }
        return v;
    }

    public int optInt(String field, int defaultValue) {
        return has(field) ? requireInt(field) : defaultValue;
    }

    public double requireDouble(String field) {
        JsonNode n = require(field);
        if (!n.isNumber()) {
            throw invalid(field, n, "a number");
        }
        return n.doubleValue();
    }

    public double optDouble(String field, double defaultValue) {
        return has(field) ? requireDouble(field) : defaultValue;
    }

    public boolean optBoolean(String field, boolean defaultValue) {
        if (!has(field)) {
            return defaultValue;
        }
        JsonNode n = root.get(field);
        if (!n.isBoolean()) {
            throw invalid(field, n, "true or false");
        }
        return n.booleanValue();
    }

    public String optString(String field, String defaultValue) {
        return has(field) ? requireString(field) : defaultValue;
    }

    /** Token ids of a field that may be a single integer or an array of integers (as {@code eos_token_id}). */
    public List<Integer> optIntList(String field) {
        List<Integer> ids = new ArrayList<>();
        if (!has(field)) {
            return ids;
        }
        JsonNode n = root.get(field);
        if (n.isIntegralNumber()) {
            ids.add(n.intValue());
        } else if (n.isArray()) {
            for (JsonNode e : n) {
                if (!e.isIntegralNumber()) {
                    throw invalid(field, n, "an integer or an array of integers");
                }
                ids.add(e.intValue());
            }
        } else {
            throw invalid(field, n, "an integer or an array of integers");
        }
        return ids;
    }

    private JsonNode require(String field) {
        JsonNode n = root.get(field);
        if (n == null || n.isNull()) {
            throw new ModelFormatException(file + ": required field '" + field + "' is missing");
        }
        return n;
    }

    /** An error for a field whose value is present but unusable. */
    public ModelFormatException invalid(String field, JsonNode value, String expected) {
        return new ModelFormatException(file + ": field '" + field + "' is " + value + ", expected " + expected);
    }
}
