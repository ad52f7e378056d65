package io.github.attentionsinks.runtime;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;
import io.github.attentionsinks.InvalidSettingException;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts DJL's PyTorch engine the way this library needs it: offline, with no "call home", and with an
 * explicit thread count.
 *
 * <p>DJL otherwise contacts the cloud metadata address and its download site on first use. Unless the
 * user opts in with {@code -Dattentionsinks.allowNativeDownload=true}, this class sets {@code ai.djl.offline}
 * and {@code OPT_OUT_TRACKING} before the engine is touched, so the native library must come from the
 * {@code pytorch-native-*} jar on the class path.
 *
 * <p>The start is quiet: DJL's CUDA probe warnings (a CUDA runtime library without a usable driver, as on a CPU
 * machine with a CUDA image) are left out and the GPUs are counted once (see {@link CudaProbe}); the engine is
 * reported at DEBUG. What a user sees is the one INFO line of {@code AttentionSinkModel} at load.
 */
public final class DjlRuntime {
    private static final Logger log = LoggerFactory.getLogger(DjlRuntime.class);
    private static volatile Engine engine;
    private static volatile int intraOpThreads;
    private static volatile int libtorchThreads;
    private static volatile CudaProbe.Result gpus;

    private DjlRuntime() {}

    /**
     * Why DJL will contact the network despite the properties {@link #engine} sets, or null. DJL reads
     * {@code DJL_OFFLINE} and {@code OPT_OUT_TRACKING} from the environment before system properties, so an
     * environment that sets both to anything but {@code true} (blank included) turns its "call home" on: a request to
     * the cloud metadata address 169.254.169.254 when the engine starts.
     */
    static String environmentOverride(Map<String, String> environment) {
        String offline = environment.get("DJL_OFFLINE");
        String optOut = environment.get("OPT_OUT_TRACKING");
        if (offline == null || Boolean.parseBoolean(offline) || optOut == null || Boolean.parseBoolean(optOut)) {
            return null;
        }
        return "The environment sets DJL_OFFLINE='" + offline + "' and OPT_OUT_TRACKING='" + optOut + "': DJL reads "
                + "them before the system properties this library sets, so it will contact the cloud metadata address "
                + "169.254.169.254 when its engine starts. Unset both, or set either to true.";
    }

    /** Returns the started PyTorch engine, starting it offline on first call. */
    public static Engine engine() {
        Engine e = engine;
        if (e != null) {
            return e;
        }
        synchronized (DjlRuntime.class) {
            if (engine == null) {
                engine = start();
            }
            return engine;
        }
    }

    private static Engine start() {
        if (!Boolean.getBoolean("attentionsinks.allowNativeDownload")) {
            System.setProperty("ai.djl.offline", "true");
        }
        // DJL reads OPT_OUT_TRACKING from the environment or from a system property of the same name.
        if (System.getProperty("OPT_OUT_TRACKING") == null) {
            System.setProperty("OPT_OUT_TRACKING", "true");
        }
        String override = environmentOverride(System.getenv());
        if (override != null) {
            log.warn(override);
        }
        int threads = Integer.getInteger("attentionsinks.threads", Runtime.getRuntime().availableProcessors());
        if (System.getProperty("ai.djl.pytorch.num_threads") == null) {
            System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(threads));
        }
        if (System.getProperty("ai.djl.pytorch.num_interop_threads") == null) {
            System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
        }
        Engine started;
        try {
            CudaProbe.silenceDjlWarnings();
            started = Engine.getEngine("PyTorch");
        } catch (RuntimeException | UnsatisfiedLinkError e) {
            throw new IllegalStateException("Could not start DJL's PyTorch engine offline. Put the native "
                    + "library on the class path (ai.djl.pytorch:pytorch-native-cpu:2.7.1:linux-x86_64, or a CUDA "
                    + "flavour for GPUs), or allow DJL to download it with -Dattentionsinks.allowNativeDownload=true. "
                    + "Cause: " + e.getMessage(), e);
        }
        JniUtils.setNumThreads(threads);
        intraOpThreads = threads;
        libtorchThreads = threads;
        gpus = CudaProbe.probe();
        log.debug("PyTorch engine {} started, {} intra-op threads, {}", started.getVersion(), threads,
                gpus.describe());
        return started;
    }

    /**
     * The threads a product may use: {@code -Dattentionsinks.threads}, default one per CPU. libtorch starts with this
     * many intra-op threads, and the Java kernels use as many.
     */
    public static int intraOpThreads() {
        engine();
        return intraOpThreads;
    }

    /** The intra-op threads libtorch computes with now: {@link #intraOpThreads()}, or 1 once Java kernels run. */
    public static int libtorchThreads() {
        engine();
        return libtorchThreads;
    }

    /**
     * Gives libtorch one intra-op thread from now on, for the whole process: once the Java kernels do the weight
     * products, libtorch's remaining work per step is small operations, and its OpenMP threads spinning beside the
     * kernels' threads on the same cores cost more than they save (SmolLM-135M shape on 2 cores: 85 ms/token
     * against 26 ms, docs/benchmarks.md).
     */
    public static synchronized void leaveCoresToJavaKernels() {
        engine();
        if (libtorchThreads != 1) {
            JniUtils.setNumThreads(1);
            libtorchThreads = 1;
            log.debug("libtorch now computes on 1 intra-op thread: the Java kernels use {}", intraOpThreads);
        }
    }

    /** The GPUs DJL can use, counted once when the engine started. */
    public static int gpuCount() {
        engine();
        return gpus.gpuCount();
    }

    /**
     * Parses a device option: {@code auto} (a GPU when DJL sees one, else the CPU), {@code cpu}, {@code cuda}
     * or {@code cuda:N} (also {@code gpu}/{@code gpu:N}).
     *
     * @throws UnknownDeviceException for a value that names no device, with the accepted forms
     * @throws DeviceUnavailableException for a GPU that DJL does not see, with CUDA's reason when it gave one
     */
    public static Device device(String option) {
        String value = option == null ? "auto" : option.trim().toLowerCase(java.util.Locale.ROOT);
        engine();
        int gpuCount = gpus.gpuCount();
        if (value.equals("auto") || value.isEmpty()) {
            return gpuCount > 0 ? Device.gpu(0) : Device.cpu();
        }
        if (value.equals("cpu")) {
            return Device.cpu();
        }
        if (value.startsWith("cuda") || value.startsWith("gpu")) {
            String rest = value.substring(value.startsWith("cuda") ? 4 : 3);
            int index = 0;
            if (!rest.isEmpty()) {
                if (!rest.startsWith(":")) {
                    throw badDevice(option);
                }
                try {
                    index = Integer.parseInt(rest.substring(1));
                } catch (NumberFormatException ex) {
                    throw badDevice(option);
                }
            }
            if (index >= gpuCount) {
                // The probe's reason (e.g. a driver too old for the CUDA runtime) is what a GPU user needs here.
                throw new DeviceUnavailableException(option, "Device '" + option + "' requested but DJL sees "
                        + gpus.describe() + ". Put a CUDA flavour of the PyTorch native library on the class "
                        + "path (see README, 'GPU') and check the NVIDIA driver, or use --device cpu.");
            }
            return Device.gpu(index);
        }
        throw badDevice(option);
    }

    private static UnknownDeviceException badDevice(String option) {
        return new UnknownDeviceException(option, "Unknown device '" + option + "': use auto, cpu, cuda or cuda:N");
    }

    /** A device option that names no device. */
    public static final class UnknownDeviceException extends InvalidSettingException {
        UnknownDeviceException(String value, String message) {
            super("device", value, message);
        }
    }

    /** A GPU was asked for that DJL does not see (no CUDA build of libtorch, no driver, or an index too high). */
    public static final class DeviceUnavailableException extends InvalidSettingException {
        DeviceUnavailableException(String value, String message) {
            super("device", value, message);
        }
    }
}
