package io.github.attentionsinks.examples.demos;

import io.github.attentionsinks.examples.cli.ModelOptions;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;

/** What both demos need besides the library and the CLI's helpers: the default model and usage errors. */
final class DemoSupport {
    private DemoSupport() {}

    /**
     * The tiny stories260K model when the repository's shared models are beside the checkout ({@code ../shared},
     * or {@code shared} inside it), else the CLI's default model (resolved through the Hugging Face cache).
     */
    static String defaultModel() {
        for (String dir : new String[] {"../shared/models/stories260K", "shared/models/stories260K"}) {
            Path p = Path.of(dir);
            if (Files.isRegularFile(p.resolve("config.json"))) {
                return p.toAbsolutePath().normalize().toString();
            }
        }
        return ModelOptions.DEFAULT_MODEL;
    }

    /** Prints {@code error: message} and the usage hint, and returns the usage-error exit code. */
    static int usageError(PrintStream err, String demo, String message) {
        err.println("error: " + message);
        err.println("Run with --help for the options of " + demo + ".");
        return 2;
    }
}
