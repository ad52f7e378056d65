package io.github.attentionsinks.examples.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.github.attentionsinks.config.Json;
import io.github.attentionsinks.config.ModelFormatException;
import java.nio.file.Path;

/** Token-id files (a JSON array of integers) and their JSON output form. */
final class TokenIds {
    private TokenIds() {}

    /**
     * Reads a JSON array of token ids, used as-is (no BOS is added).
     *
     * @param vocabSize ids must lie in [0, vocabSize)
     * @throws ModelFormatException naming the file and the offending element
     */
    static int[] read(Path file, int vocabSize) {
        JsonNode root = Json.readTree(file);
        if (!root.isArray()) {
            throw new ModelFormatException(file + ": expected a JSON array of token ids like [1, 403, 407], got "
                    + root.getNodeType().name().toLowerCase());
        }
        if (root.isEmpty()) {
            throw new ModelFormatException(file + ": the token id array is empty");
        }
        int[] ids = new int[root.size()];
        for (int i = 0; i < ids.length; i++) {
            JsonNode n = root.get(i);
            if (!n.canConvertToInt() || !n.isIntegralNumber()) {
                throw new ModelFormatException(file + ": element " + i + " is " + n + ", expected an integer token id");
            }
            ids[i] = n.intValue();
            if (ids[i] < 0 || ids[i] >= vocabSize) {
                throw new ModelFormatException(file + ": token id " + ids[i] + " at index " + i
                        + " is outside the model's vocabulary [0, " + vocabSize + ")");
            }
        }
        return ids;
    }

    /** {@code [1,2,3]}. */
    static String json(int[] ids) {
        StringBuilder sb = new StringBuilder(ids.length * 6 + 2).append('[');
        for (int i = 0; i < ids.length; i++) {
            if (i > 0) {
                sb.append(',');
            }
            sb.append(ids[i]);
        }
        return sb.append(']').toString();
    }
}
