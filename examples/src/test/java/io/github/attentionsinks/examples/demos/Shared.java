package io.github.attentionsinks.examples.demos;

import java.nio.file.Files;
import java.nio.file.Path;

/** The read-only models beside the repository (../shared), as the parent pom passes them to Surefire. */
final class Shared {
    private Shared() {}

    static Path stories() {
        String prop = System.getProperty("attentionsinks.shared.dir");
        for (Path p : new Path[] {prop == null ? null : Path.of(prop), Path.of("..", "shared"), Path.of("..", "..", "shared")}) {
            if (p != null && Files.isDirectory(p)) {
                return p.toAbsolutePath().normalize().resolve("models/stories260K");
            }
        }
        throw new IllegalStateException("shared/ models not found (looked at " + prop + " and ../shared); "
                + "set -Dattentionsinks.shared.dir");
    }
}
