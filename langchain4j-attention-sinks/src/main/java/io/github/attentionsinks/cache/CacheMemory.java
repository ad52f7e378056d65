package io.github.attentionsinks.cache;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import io.github.attentionsinks.kernels.Float16Bits;
import io.github.attentionsinks.kernels.VectorMath;
import io.github.attentionsinks.kernels.WeightKernels;
import io.github.attentionsinks.nn.TensorMemory;
import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.nio.ShortBuffer;

/**
 * A CPU cache's four buffers (keys, values, sink keys, sink values) seen from Java, for decoders that compute on the
 * heap and for moving the sinks without libtorch calls: the same memory libtorch reads and writes, no copy. Entries
 * are float32 ({@link Floats}) or float16 ({@link Halves}); offsets count values, not bytes. Made when a cache's
 * buffers are and dropped when they are replaced. Reads and writes of different places may run on several threads at
 * once (absolute buffer operations, per-thread scratch).
 */
abstract sealed class CacheMemory permits CacheMemory.Floats, CacheMemory.Halves {
    static final int KEYS = 0;
    static final int VALUES = 1;
    static final int SINK_KEYS = 2;
    static final int SINK_VALUES = 3;

    /** The keys' and values' memory as bytes in native order, for vector loads straight from it. */
    final ByteBuffer keyBytes;
    final ByteBuffer valueBytes;

    private CacheMemory(NDArray keys, NDArray values) {
        this.keyBytes = TensorMemory.bytes(keys);
        this.valueBytes = TensorMemory.bytes(values);
    }

    /** The memory of a cache's buffers of entries of {@code type} (float32 or float16); sink buffers may be null. */
    static CacheMemory of(DataType type, NDArray keys, NDArray values, NDArray sinkKeys, NDArray sinkValues) {
        return type == DataType.FLOAT16 ? new Halves(keys, values, sinkKeys, sinkValues)
                : new Floats(keys, values, sinkKeys, sinkValues);
    }

    /** Values {@code [at, at + n)} of {@code buffer} into {@code target} from {@code offset}, as float32. */
    abstract void get(int buffer, int at, float[] target, int offset, int n);

    /**
     * Stores {@code n} floats from {@code source[offset]} at value {@code at} of {@code buffer}; a float16 buffer rounds
     * them to nearest even and refuses one that would round to an infinity or is NaN ({@link
     * SinkCache.ValueOutOfRangeException}, naming {@code layer}).
     */
    abstract void put(int buffer, int at, float[] source, int offset, int n, int layer);

    /** Copies {@code n} values from {@code from} of one buffer to {@code to} of another, unchanged. */
    abstract void copy(int fromBuffer, int from, int toBuffer, int to, int n);

    /**
     * {@link #put} of {@code n} floats to values {@code at}, {@code at + stride}, … of {@code buffer}: one key's
     * values in a buffer of keys stored in blocks ({@link SinkCache}, "Keys in blocks").
     */
    abstract void putStrided(int buffer, int at, int stride, float[] source, int offset, int n, int layer);

    /** {@link #get} of values {@code at}, {@code at + stride}, … of {@code buffer} into {@code n} floats. */
    abstract void getStrided(int buffer, int at, int stride, float[] target, int offset, int n);

    /**
     * Copies {@code n} values of the keys, {@code stride} apart (1: contiguous), from value {@code from} here to
     * value {@code to} of {@code target}'s keys (a memory of the same type; it may be this one, where a contiguous copy
     * must not overlap its source). The bits are copied as they are.
     */
    abstract void copyKeysTo(CacheMemory target, int from, int to, int stride, int n);

    private static String what(int buffer) {
        return buffer == KEYS || buffer == SINK_KEYS ? "key" : "value";
    }

    /** Float32 entries. */
    static final class Floats extends CacheMemory {
        private final FloatBuffer[] buffers;

        Floats(NDArray keys, NDArray values, NDArray sinkKeys, NDArray sinkValues) {
            super(keys, values);
            buffers = new FloatBuffer[] {keyBytes.asFloatBuffer(), valueBytes.asFloatBuffer(),
                sinkKeys == null ? null : TensorMemory.floats(sinkKeys),
                sinkValues == null ? null : TensorMemory.floats(sinkValues)};
        }

        @Override
        void get(int buffer, int at, float[] target, int offset, int n) {
            buffers[buffer].get(at, target, offset, n);
        }

        @Override
        void put(int buffer, int at, float[] source, int offset, int n, int layer) {
            buffers[buffer].put(at, source, offset, n);
        }

        @Override
        void copy(int fromBuffer, int from, int toBuffer, int to, int n) {
            buffers[toBuffer].put(to, buffers[fromBuffer], from, n);
        }

        @Override
        void putStrided(int buffer, int at, int stride, float[] source, int offset, int n, int layer) {
            FloatBuffer b = buffers[buffer];
            for (int i = 0; i < n; i++) {
                b.put(at + i * stride, source[offset + i]);
            }
        }

        @Override
        void getStrided(int buffer, int at, int stride, float[] target, int offset, int n) {
            FloatBuffer b = buffers[buffer];
            for (int i = 0; i < n; i++) {
                target[offset + i] = b.get(at + i * stride);
            }
        }

        @Override
        void copyKeysTo(CacheMemory target, int from, int to, int stride, int n) {
            FloatBuffer source = buffers[KEYS];
            FloatBuffer into = ((Floats) target).buffers[KEYS];
            if (stride == 1) {
                into.put(to, source, from, n);
                return;
            }
            for (int i = 0; i < n; i++) {
                into.put(to + i * stride, source.get(from + i * stride));
            }
        }
    }

    /** Float16 entries: rounded as they are stored, widened as they are read. */
    static final class Halves extends CacheMemory {
        /** Vectors widen when the decoders that read run on the Vector API; a libtorch decoder's sinks go one by one. */
        private static final boolean VECTORS = WeightKernels.vectorApiPresent();
        /** A thread's float16 bits on their way in or out: several threads read and write at once. */
        private static final ThreadLocal<short[]> SCRATCH = ThreadLocal.withInitial(() -> new short[0]);
        private final ShortBuffer[] buffers;

        Halves(NDArray keys, NDArray values, NDArray sinkKeys, NDArray sinkValues) {
            super(keys, values);
            buffers = new ShortBuffer[] {keyBytes.asShortBuffer(), valueBytes.asShortBuffer(),
                sinkKeys == null ? null : TensorMemory.bytes(sinkKeys).asShortBuffer(),
                sinkValues == null ? null : TensorMemory.bytes(sinkValues).asShortBuffer()};
        }

        @Override
        void get(int buffer, int at, float[] target, int offset, int n) {
            short[] bits = scratch(n);
            buffers[buffer].get(at, bits, 0, n);
            if (VECTORS) {
                VectorMath.widenHalves(bits, 0, target, offset, n);
                return;
            }
            for (int i = 0; i < n; i++) {
                target[offset + i] = Float16Bits.toFloat(bits[i]);
            }
        }

        @Override
        void put(int buffer, int at, float[] source, int offset, int n, int layer) {
            buffers[buffer].put(at, rounded(buffer, source, offset, n, layer), 0, n);
        }

        /**
         * {@code n} floats rounded to float16 bits in this thread's scratch, all of them checked before any is
         * stored, so a refused value leaves the buffer unchanged.
         */
        private static short[] rounded(int buffer, float[] source, int offset, int n, int layer) {
            short[] bits = scratch(n);
            for (int i = 0; i < n; i++) {
                short h = Float16Bits.fromFloat(source[offset + i]);
                if ((h & 0x7c00) == 0x7c00) {
                    throw new SinkCache.ValueOutOfRangeException(layer, what(buffer), source[offset + i]);
                }
                bits[i] = h;
            }
            return bits;
        }

        @Override
        void copy(int fromBuffer, int from, int toBuffer, int to, int n) {
            buffers[toBuffer].put(to, buffers[fromBuffer], from, n);
        }

        @Override
        void putStrided(int buffer, int at, int stride, float[] source, int offset, int n, int layer) {
            short[] bits = rounded(buffer, source, offset, n, layer);
            ShortBuffer b = buffers[buffer];
            for (int i = 0; i < n; i++) {
                b.put(at + i * stride, bits[i]);
            }
        }

        @Override
        void getStrided(int buffer, int at, int stride, float[] target, int offset, int n) {
            ShortBuffer b = buffers[buffer];
            for (int i = 0; i < n; i++) {
                target[offset + i] = Float16Bits.toFloat(b.get(at + i * stride));
            }
        }

        @Override
        void copyKeysTo(CacheMemory target, int from, int to, int stride, int n) {
            ShortBuffer source = buffers[KEYS];
            ShortBuffer into = ((Halves) target).buffers[KEYS];
            if (stride == 1) {
                into.put(to, source, from, n);
                return;
            }
            for (int i = 0; i < n; i++) {
                into.put(to + i * stride, source.get(from + i * stride));
            }
        }

        private static short[] scratch(int n) {
            short[] bits = SCRATCH.get();
            if (bits.length < n) {
                bits = new short[n];
                SCRATCH.set(bits);
            }
            return bits;
        }
    }
}
