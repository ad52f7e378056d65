package io.github.attentionsinks.examples.demos;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/** What both demos need besides the library: the default model, offline DJL, process RSS, byte formatting. */
final class DemoSupport {
    /** The model used when {@code --model} is omitted and no shared test models sit beside the checkout. */
    static final String HUB_DEFAULT_MODEL = "HuggingFaceTB/SmolLM2-135M-Instruct";

    private static final Path PROC_STATUS = Path.of("/proc/self/status");

    private DemoSupport() {}

    /**
     * The tiny stories260K model when the repository's shared models are beside the checkout ({@code ../shared},
     * or {@code shared} inside it), else {@link #HUB_DEFAULT_MODEL} (resolved through the Hugging Face cache).
     */
    static String defaultModel() {
        for (String dir : new String[] {"../shared/models/stories260K", "shared/models/stories260K"}) {
            Path p = Path.of(dir);
            if (Files.isRegularFile(p.resolve("config.json"))) {
                return p.toAbsolutePath().normalize().toString();
            }
        }
        return HUB_DEFAULT_MODEL;
    }

    /** As the CLI does: DJL must neither download native libraries nor call home. */
    static void offlineDjl() {
        if (System.getProperty("ai.djl.offline") == null) {
            System.setProperty("ai.djl.offline", "true");
        }
        if (System.getProperty("OPT_OUT_TRACKING") == null) {
            System.setProperty("OPT_OUT_TRACKING", "true");
        }
    }

    /** Resident set size of this process in bytes (VmRSS in /proc/self/status), or -1 where /proc is missing. */
    static long residentBytes() {
        try {
            for (String line : Files.readAllLines(PROC_STATUS)) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.substring(6).trim().split("\\s+")[0]) * 1024; // reported in kB
                }
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }

    /** 812 B, 1.5 KiB, 230.0 MiB, 1.21 GiB; "n/a" for negative values. */
    static String bytes(long bytes) {
        if (bytes < 0) {
            return "n/a";
        }
        if (bytes < 1024) {
            return bytes + " B";
        }
        if (bytes < 1024L * 1024) {
            return String.format(Locale.ROOT, "%.1f KiB", bytes / 1024.0);
        }
        if (bytes < 1024L * 1024 * 1024) {
            return String.format(Locale.ROOT, "%.1f MiB", bytes / (1024.0 * 1024));
        }
        return String.format(Locale.ROOT, "%.2f GiB", bytes / (1024.0 * 1024 * 1024));
    }

    /** Prints {@code error: message} and the usage hint, and returns the usage-error exit code. */
    static int usageError(PrintStream err, String demo, String message) {
        err.println("error: " + message);
        err.println("Run with --help for the options of " + demo + ".");
        return 2;
    }
}
