package io.github.attentionsinks.spring;

import java.nio.file.Files;
import java.nio.file.Path;

/** The shared stories260K checkpoint (../shared/models/stories260K, or -Dattentionsinks.shared.dir). */
public final class Stories {
    private Stories() {}

    public static Path dir() {
        String prop = System.getProperty("attentionsinks.shared.dir");
        Path shared = prop != null ? Path.of(prop) : Path.of("..", "..", "shared");
        Path dir = shared.resolve("models/stories260K").toAbsolutePath().normalize();
        if (!Files.isRegularFile(dir.resolve("config.json"))) {
            throw new IllegalStateException("stories260K not found at " + dir + "; set -Dattentionsinks.shared.dir");
        }
        return dir;
    }

    /** The properties every test context needs: the model on the CPU, short greedy replies. */
    public static String[] baseProperties() {
        return new String[] {
            "langchain4j.attention-sinks.model=" + dir(),
            "langchain4j.attention-sinks.device=cpu",
            "langchain4j.attention-sinks.temperature=0",
            "langchain4j.attention-sinks.max-new-tokens=6",
            // S + W = 128 stays inside the model's 512 trained positions.
            "langchain4j.attention-sinks.window-size=124",
        };
    }
}
