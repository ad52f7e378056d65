package io.github.attentionsinks.kernels;

import io.github.attentionsinks.ComputeDtype;
import io.github.attentionsinks.InvalidSettingException;
import java.nio.FloatBuffer;
import java.util.Locale;
import java.util.function.IntConsumer;

/**
 * Who multiplies the weight matrices on a CPU: the library's Java Vector API kernels or libtorch. The {@code kernels}
 * setting and its rules live here; the CLI and the Spring starter only add their own option names.
 *
 * <ul>
 *   <li>{@code auto} (default): the Java kernels for float32 and float16 weights on a CPU when the JVM runs with
 *       {@code --add-modules jdk.incubator.vector}; libtorch otherwise. They run on JDK 17 as well as later ones (JDK
 *       17's C2 compiles the single-row kernel about half as fast as 25's, still faster than libtorch's whole step;
 *       docs/benchmarks.md).</li>
 *   <li>{@code java}: the Java kernels, or a refusal saying what is missing.</li>
 *   <li>{@code libtorch}: libtorch for every product.</li>
 * </ul>
 * {@code dtype int8} always uses the Java kernels (libtorch has no int8 product DJL can reach), on any JDK with the
 * module. Float16 weights in the Java kernels are held as float16 and widened to float32 in the product (activations
 * stay float32, as llama.cpp's F16). The GPU path stays on libtorch.
 *
 * <p>An instance owns the kernel threads ({@code threads − 1} helpers) and packs matrices for them; close it with the
 * model.
 */
public final class WeightKernels implements AutoCloseable {
    /** The {@code kernels} setting. */
    public enum Choice {
        AUTO, JAVA, LIBTORCH;

        /**
         * Parses {@code auto} (also null or blank), {@code java} or {@code libtorch}, case-insensitively.
         *
         * @throws InvalidSettingException naming the value and the accepted ones
         */
        public static Choice parse(String option) {
            String value = option == null ? "" : option.trim().toLowerCase(Locale.ROOT);
            switch (value) {
                case "":
                case "auto":
                    return AUTO;
                case "java":
                    return JAVA;
                case "libtorch":
                    return LIBTORCH;
                default:
                    throw new InvalidSettingException("kernels", option, "Unknown kernels '" + option
                            + "': use auto (the default: Java kernels for float32 and float16 with the Vector API "
                            + "module, libtorch otherwise), java or libtorch");
            }
        }
    }

    private static final String MODULE = "jdk.incubator.vector";

    /** How the packed weights are held: as given, rounded to float16, or quantized to int8. */
    public enum Precision {
        FLOAT32, FLOAT16, INT8
    }

    private final Precision precision;
    private final TileThreads threads;

    private WeightKernels(Precision precision, int threads) {
        this.precision = precision;
        this.threads = new TileThreads(threads);
    }

    /** True when the JVM was started with {@code --add-modules jdk.incubator.vector}. */
    public static boolean vectorApiPresent() {
        return ModuleLayer.boot().findModule(MODULE).isPresent();
    }

    /**
     * The kernels for a model, or null for libtorch.
     *
     * @param threads threads per product (the caller's and {@code threads − 1} helpers)
     * @throws InvalidSettingException ({@code dtype} or {@code kernels}) when the combination cannot run, saying why
     *     and what to change
     */
    public static WeightKernels select(Choice choice, ComputeDtype dtype, boolean gpu, int threads) {
        if (dtype == ComputeDtype.INT8) {
            if (gpu) {
                throw new InvalidSettingException("dtype", "int8", "dtype int8 runs on a CPU only (its products are "
                        + "the library's Java kernels); on a GPU use float16 or float32");
            }
            if (choice == Choice.LIBTORCH) {
                throw new InvalidSettingException("kernels", "libtorch", "dtype int8 needs kernels auto or java: "
                        + "libtorch has no int8 weight product that DJL can call");
            }
            requireModule("dtype", "int8", "dtype int8");
            return new WeightKernels(Precision.INT8, threads);
        }
        if (choice == Choice.LIBTORCH) {
            return null;
        }
        String name = choice.name().toLowerCase(Locale.ROOT);
        if (gpu) {
            if (choice == Choice.JAVA) {
                throw new InvalidSettingException("kernels", name, "kernels java multiply weights on a CPU; on a GPU "
                        + "use kernels auto or libtorch");
            }
            return null;
        }
        Precision precision = dtype == ComputeDtype.FLOAT16 ? Precision.FLOAT16 : Precision.FLOAT32;
        if (choice == Choice.JAVA) {
            requireModule("kernels", name, "kernels java");
            return new WeightKernels(precision, threads);
        }
        return vectorApiPresent() ? new WeightKernels(precision, threads) : null;
    }

    /**
     * Why {@link #select} left {@code choice} on libtorch where the Java kernels would have run, for the load line; null
     * when it did not (a GPU, {@code kernels libtorch}, or the module present). {@code auto} falls back quietly.
     */
    public static String autoFallbackHint(Choice choice, boolean gpu) {
        return choice == Choice.AUTO && !gpu && !vectorApiPresent()
                ? "start the JVM with --add-modules " + MODULE + " for the Java kernels, about 3x faster on a CPU and "
                        + "4-5x with several conversations batched"
                : null;
    }

    private static void requireModule(String setting, String value, String what) {
        if (!vectorApiPresent()) {
            throw new InvalidSettingException(setting, value, what + " needs the Java Vector API: start the JVM with "
                    + "--add-modules " + MODULE + " (JDK 17 or later; JDK 21+ runs it fastest), e.g. in "
                    + "JDK_JAVA_OPTIONS or the launcher's JVM arguments");
        }
    }

    /** Threads per product: the caller's and the helpers. */
    public int threads() {
        return threads.threads();
    }

    /** How matrices are held once packed. */
    public Precision precision() {
        return precision;
    }

    /** Heap bytes a matrix of {@code out × in} takes once packed. */
    public long packedBytes(long out, long in) {
        return PackedMatrix.bytes(precision, out, in);
    }

    /**
     * Whether the Java heap can take {@code bytes} of packed weights now (with 10% to spare).
     *
     * @param required true: throw instead of returning false, saying how much heap to give
     */
    public static boolean heapCanHold(long bytes, boolean required) {
        Runtime runtime = Runtime.getRuntime();
        long available = runtime.maxMemory() - (runtime.totalMemory() - runtime.freeMemory());
        if (bytes <= available * 0.9) {
            return true;
        }
        if (!required) {
            return false;
        }
        throw new IllegalStateException("the Java kernels need " + (bytes >> 20) + " MiB of Java heap for the "
                + "packed weights, but about " + (available >> 20) + " MiB are free: raise -Xmx (e.g. -Xmx"
                + ((bytes * 2 + (256L << 20)) >> 20) + "m), or use kernels libtorch with dtype float32 or float16");
    }

    /**
     * Packs (and for int8 quantizes) a float32 weight.
     *
     * @param weight {@code [out, in]} row-major, or {@code [in, out]} when {@code inOut}
     */
    public PackedMatrix pack(float[] weight, int out, int in, boolean inOut) {
        return pack(FloatBuffer.wrap(weight), out, in, inOut);
    }

    /**
     * Packs (and for int8 quantizes) a float32 weight read from a buffer (a view of a libtorch array: no copy of the
     * whole matrix on the heap while packing).
     *
     * @param weight {@code [out, in]} row-major from index 0, or {@code [in, out]} when {@code inOut}
     */
    public PackedMatrix pack(FloatBuffer weight, int out, int in, boolean inOut) {
        if (weight.limit() != (long) out * in) {
            throw new IllegalArgumentException("weight has " + weight.limit() + " values, expected " + out + " × " + in);
        }
        return switch (precision) {
            case FLOAT32 -> new PackedMatrix.Float32(weight, out, in, inOut, threads);
            case FLOAT16 -> new PackedMatrix.Float16(weight, out, in, inOut, threads);
            case INT8 -> new PackedMatrix.Int8(weight, out, in, inOut, threads);
        };
    }

    /**
     * Runs {@code task} for {@code 0..count-1} on the kernel threads (the caller's among them), each index once, and
     * returns when all are done; tasks must be independent. The decoder steps its sessions' attention this way,
     * since libtorch computes on one thread while the Java kernels run.
     */
    public void forEach(int count, IntConsumer task) {
        // One task per claim: tasks are coarse (a session's attention for one KV head), and with chunks of three a
        // thread finishing early waited for up to three (measured: the helper idle a quarter of an 8-session step).
        threads.run(count, 1, (from, to) -> {
            for (int i = from; i < to; i++) {
                task.accept(i);
            }
        });
    }

    /**
     * The kernels a product of {@code rows} rows runs through its tiles, by name: passes of six (with AVX-512), four,
     * two and one rows for float32; of eight, four, two and one for float16 and, from two rows on, int8, whose single
     * row has a kernel of its own. Each is compiled by the JIT separately; the warm-up's shapes must take them all.
     */
    public static java.util.SortedSet<String> rowPasses(Precision precision, int rows) {
        return switch (precision) {
            case FLOAT32 -> VectorProducts.rowPasses(rows);
            case FLOAT16 -> Float16Products.rowPasses(rows);
            case INT8 -> Int8Products.rowPasses(rows);
        };
    }

    /** For the load line: e.g. {@code java int8 (Species[float, 16, S_512_BIT], 2 threads)}. */
    public String describe() {
        return "java " + precision.name().toLowerCase(Locale.ROOT) + " (" + VectorProducts.species() + ", " + threads.threads()
                + " threads)";
    }

    @Override
    public void close() {
        threads.close();
    }
}
