package io.github.attentionsinks.hub;

import java.lang.reflect.Method;

/**
 * Receives download progress, one {@link Transfer} per file. {@link #terminal()} draws a progress bar on stderr
 * only when the process has an interactive terminal; {@link #none()} is silent.
 */
public interface DownloadProgress {

    /**
     * A file transfer is starting.
     *
     * @param label what is being downloaded, e.g. {@code org/name model.safetensors}
     * @param totalBytes the file size, or -1 when unknown
     * @param resumedFrom bytes already present from an earlier, interrupted attempt
     */
    Transfer start(String label, long totalBytes, long resumedFrom);

    /** Progress of one file. */
    interface Transfer extends AutoCloseable {
        /** {@code bytesDone} counts from the start of the file, including resumed bytes. */
        void update(long bytesDone);

        /** The transfer ended (successfully or not). */
        @Override
        void close();
    }

    /** Reports nothing. */
    static DownloadProgress none() {
        return (label, total, resumedFrom) -> new Transfer() {
            @Override
            public void update(long bytesDone) {}

            @Override
            public void close() {}
        };
    }

    /**
     * A progress bar on stderr when a terminal is attached ({@link System#console()} is present and, on Java 22+,
     * is a terminal), else {@link #none()}, so logs and pipes get no progress noise.
     */
    static DownloadProgress terminal() {
        return isInteractiveTerminal() ? new TerminalProgress() : none();
    }

    /** True when stdin and stdout are a terminal. */
    static boolean isInteractiveTerminal() {
        java.io.Console console = System.console();
        if (console == null) {
            return false;
        }
        // Java 22+ returns a console even when redirected; Console.isTerminal() tells the truth there.
        try {
            Method isTerminal = java.io.Console.class.getMethod("isTerminal");
            return (Boolean) isTerminal.invoke(console);
        } catch (NoSuchMethodException e) {
            return true;
        } catch (ReflectiveOperationException | RuntimeException e) {
            return false;
        }
    }
}
