package io.github.attentionsinks.runtime;

import ai.djl.util.cuda.CudaLibrary;
import ai.djl.util.cuda.CudaUtils;
import java.lang.reflect.Field;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * DJL's CUDA probe, without its warnings. DJL's {@link CudaUtils#getGpuCount()} logs "Failed to detect GPU count:
 * CUDA driver version is insufficient for CUDA runtime version" at WARN each time it is called on a machine that has
 * the CUDA runtime library but no usable driver (a CPU machine with a CUDA toolkit or image): twice while the engine
 * starts, twice more when the tokenizer's native library loads, again on every later call. The count is probed here
 * once, through DJL's own bindings but without logging, and the reason there is no GPU is kept for the place it
 * matters: an explicitly requested {@code cuda} device fails with it (see {@link DjlRuntime#device}); otherwise it
 * is logged once at DEBUG.
 *
 * <p>DJL has no switch for these warnings other than its private {@code CudaUtils.logging} flag, which
 * {@link #silenceDjlWarnings()} turns off (by reflection) for the JVM before the engine starts: DJL probes again
 * whenever one of its native libraries loads, always with the same answer. SLF4J offers no portable way to change a
 * logger's level. If a DJL version lacks the flag, or the JVM denies access, the warnings come back: nothing else
 * changes.
 */
final class CudaProbe {
    private static final Logger log = LoggerFactory.getLogger(CudaProbe.class);
    /** cudaGetDeviceCount's "no device" code: a plain absence, not a problem. */
    private static final int NO_DEVICE = 100;

    private CudaProbe() {}

    /**
     * What DJL sees of CUDA.
     *
     * @param gpuCount the GPUs DJL can use
     * @param problem  why CUDA reports no GPU although its runtime library is there (CUDA's own message and code),
     *                 or {@code null} when there is nothing to report
     */
    record Result(int gpuCount, String problem) {
        String describe() {
            return problem == null ? gpuCount + " GPU(s)" : gpuCount + " GPU(s): " + problem;
        }
    }

    /** Turns DJL's own CUDA probe warnings off for this JVM (see the class comment), where DJL lets it. */
    static void silenceDjlWarnings() {
        try {
            Field flag = CudaUtils.class.getDeclaredField("logging");
            flag.setAccessible(true);
            flag.setBoolean(null, false);
        } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
            log.debug("DJL's CudaUtils.logging cannot be turned off; its CUDA probe warnings stay on", e);
        }
    }

    /** Counts the GPUs once, as DJL does, without logging. */
    static Result probe() {
        if (Boolean.getBoolean("ai.djl.util.cuda.fork")) {
            return new Result(CudaUtils.getGpuCount(), null); // DJL probes in a child process then; it does not warn
        }
        CudaLibrary cuda = cudaLibrary();
        if (cuda == null) {
            return new Result(CudaUtils.getGpuCount(), null); // no CUDA runtime found: 0, nothing to explain
        }
        int[] count = new int[1];
        int code = cuda.cudaGetDeviceCount(count);
        if (code == 0) {
            return new Result(count[0], null);
        }
        if (code == NO_DEVICE) {
            return new Result(0, null);
        }
        return new Result(0, "CUDA reports \"" + cuda.cudaGetErrorString(code) + "\" (error " + code + ")");
    }

    /** DJL's binding of the CUDA runtime library, or null when it found none (or cannot be read). */
    private static CudaLibrary cudaLibrary() {
        try {
            Field lib = CudaUtils.class.getDeclaredField("LIB");
            lib.setAccessible(true);
            return (CudaLibrary) lib.get(null);
        } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
            log.debug("DJL's CudaUtils.LIB cannot be read; counting GPUs through CudaUtils", e);
            return null;
        }
    }
}
