package io.github.attentionsinks.examples.cli;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/** Resident memory (/proc/self/status on Linux), heap and CPU time of this process, and byte formatting. */
public final class ProcessMemory {
    private static final Path STATUS = Path.of("/proc/self/status");

    private ProcessMemory() {}

    /** Resident set size in bytes (VmRSS), or -1 where /proc is not available. */
    public static long residentBytes() {
        return statusField("VmRSS:");
    }

    /** Peak resident set size in bytes (VmHWM), or -1 where /proc is not available. */
    static long peakResidentBytes() {
        return statusField("VmHWM:");
    }

    /** Heap the JVM has committed (part of the RSS; it grows with allocation pressure up to -Xmx). */
    static long heapCommittedBytes() {
        return Runtime.getRuntime().totalMemory();
    }

    /** CPU time of the whole process (all threads) in nanoseconds, or -1 when the JVM cannot tell. */
    static long processCpuNanos() {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            return os.getProcessCpuTime();
        }
        return -1;
    }

    private static long statusField(String name) {
        try {
            for (String line : Files.readAllLines(STATUS)) {
                if (line.startsWith(name)) {
                    String[] parts = line.substring(name.length()).trim().split("\\s+");
                    return Long.parseLong(parts[0]) * 1024; // reported in kB
                }
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }

    /** 1.5 MiB, 230.0 MiB, 1.21 GiB; "n/a" for negative values. */
    public static String format(long bytes) {
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
}
