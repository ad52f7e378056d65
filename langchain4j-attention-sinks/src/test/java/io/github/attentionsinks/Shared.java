package io.github.attentionsinks;

import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.JsonNode;
import io.github.attentionsinks.config.Json;
import java.nio.file.Files;
import java.nio.file.Path;

/** Locates the read-only models and fixtures shared beside the repository (../shared). */
public final class Shared {
    private Shared() {}

    public static Path dir() {
        String prop = System.getProperty("attentionsinks.shared.dir");
        Path p = prop != null ? Path.of(prop) : Path.of("..", "shared");
        if (!Files.isDirectory(p)) {
            p = Path.of("..", "..", "shared");
        }
        if (!Files.isDirectory(p)) {
            throw new IllegalStateException("shared/ models and fixtures not found (looked at " + prop
                    + " and ../shared); set -Dattentionsinks.shared.dir");
        }
        return p.toAbsolutePath().normalize();
    }

    /**
     * The device the model-running tests use: {@code cpu}, or what {@code -Dattentionsinks.test.device} names
     * ({@code cuda} on a machine with a GPU and DJL's CUDA natives), so the parity tests check a GPU too.
     */
    public static String device() {
        return System.getProperty("attentionsinks.test.device", "cpu");
    }

    /**
     * The {@code kernels} setting of the parity, batching and scheduler tests: {@code -Dattentionsinks.test.kernels}
     * ({@code auto} by default: the Java kernels, since the test JVM has the Vector API module); the build runs those
     * tests a second time with {@code libtorch}.
     */
    public static String kernels() {
        return System.getProperty("attentionsinks.test.kernels", "auto");
    }

    public static Path stories() {
        return dir().resolve("models/stories260K");
    }

    /** stories260K on the tests' {@link #device()} with their {@link #kernels()}; the caller closes it. */
    public static AttentionSinkModel loadStories() {
        return AttentionSinkModel.builder().modelPath(stories()).device(device()).kernels(kernels()).load();
    }

    public static Path fixture(String name) {
        return dir().resolve("fixtures").resolve(name);
    }

    public static JsonNode json(Path file) {
        return Json.readTree(file);
    }

    public static int[] ints(JsonNode array) {
        int[] out = new int[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i).intValue();
        }
        return out;
    }

    public static float[][] matrix(JsonNode rows) {
        float[][] out = new float[rows.size()][];
        for (int r = 0; r < out.length; r++) {
            JsonNode row = rows.get(r);
            out[r] = new float[row.size()];
            for (int c = 0; c < out[r].length; c++) {
                out[r][c] = (float) row.get(c).doubleValue();
            }
        }
        return out;
    }

    /** Keys per block of {@code model}'s caches of {@code cacheType} entries (SinkCache, "Keys in blocks"); 0: rows. */
    public static int keyBlock(AttentionSinkModel model, DataType cacheType) {
        return model.network().keyBlock(cacheType);
    }

    public static float maxAbsDiff(float[] a, float[] b) {
        if (a.length != b.length) {
            throw new AssertionError("lengths differ: " + a.length + " vs " + b.length);
        }
        float max = 0;
        for (int i = 0; i < a.length; i++) {
            max = Math.max(max, Math.abs(a[i] - b[i]));
        }
        return max;
    }
}
