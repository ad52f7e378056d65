package io.github.attentionsinks.kernels;

import java.nio.FloatBuffer;

/**
 * A weight matrix packed for the Java kernels: {@code y = x·Wᵀ} for a Hugging Face {@code [out, in]} weight, on the
 * threads of the {@link WeightKernels} that packed it. Immutable; safe to use from several threads at once.
 */
public abstract class PackedMatrix {
    /** Products smaller than this many multiply-adds run on the calling thread: a hand-off would cost more. */
    private static final long PARALLEL_WORK = 1L << 15;
    /**
     * Multiply-adds per claim of tiles at most (about 8 µs on a core here), since the thread that finishes first
     * waits for the other's last claim. An eighth of a thread's share suits one row, but for eight rows the lm_head's
     * claims of 48 tiles are 14 M multiply-adds each, about 0.4 ms that one thread could sit out every step; with
     * claims of 1 M multiply-adds (three tiles) an 8-session step still waited 0.67 ms in its 30 MLP products.
     */
    private static final long CLAIM_WORK = 1L << 18;

    final int out;
    final int in;
    final int tiles;
    private final TileThreads threads;

    PackedMatrix(int out, int in, TileThreads threads) {
        this.out = out;
        this.in = in;
        this.tiles = VectorProducts.tiles(out);
        this.threads = threads;
    }

    public int outFeatures() {
        return out;
    }

    public int inFeatures() {
        return in;
    }

    /** Heap bytes of an {@code out × in} matrix once packed: outputs padded to whole tiles, int8 with its scales. */
    static long bytes(WeightKernels.Precision precision, long out, long in) {
        long padded = VectorProducts.tiles(Math.toIntExact(out)) * (long) VectorProducts.TILE;
        long blocks = (in + Int8Products.BLOCK - 1) / Int8Products.BLOCK;
        return switch (precision) {
            case FLOAT32 -> padded * in * Float.BYTES;
            case FLOAT16 -> padded * in * Short.BYTES;
            case INT8 -> padded * (in + blocks * Float.BYTES);
        };
    }

    /**
     * The product of {@code rows} input rows.
     *
     * @param x {@code [rows, in]} row-major
     * @return {@code [rows, out]} row-major
     */
    public float[] multiply(float[] x, int rows) {
        float[] y = new float[rows * stride()];
        multiply(x, rows, y);
        if (stride() == out) {
            return y;
        }
        float[] compact = new float[rows * out];
        for (int m = 0; m < rows; m++) {
            System.arraycopy(y, m * stride(), compact, m * out, out);
        }
        return compact;
    }

    /**
     * The product of {@code rows} input rows into a caller's buffer (reused across calls: a prefill chunk's products
     * would otherwise allocate megabytes each).
     *
     * @param x {@code [rows, in]} row-major from index 0 (it may be longer)
     * @param y receives {@code [rows, stride()]} row-major from index 0: row {@code m}'s outputs start at
     *     {@code m·stride()}, and the last {@code stride() − out} of each row are padding
     */
    public void multiply(float[] x, int rows, float[] y) {
        int stride = stride();
        if (x.length < rows * in || y.length < rows * stride) {
            throw new IllegalArgumentException("buffers too small for " + rows + " rows of " + in + " → " + out);
        }
        float[] input = kernelInput(x, rows);
        if ((long) rows * in * stride < PARALLEL_WORK) {
            multiplyTiles(input, rows, y, 0, tiles);
        } else {
            long tileWork = (long) rows * in * VectorProducts.TILE;
            int chunk = (int) Math.max(1, Math.min(tiles / (8L * threads.threads()), CLAIM_WORK / tileWork));
            threads.run(tiles, chunk, (from, to) -> multiplyTiles(input, rows, y, from, to));
        }
    }

    /** The activation of a gated MLP: {@code act(gate)·up}. */
    public enum Gate {
        /** {@code silu(g)·u}. */
        SILU,
        /** {@code gelu(g)·u}, GELU's tanh approximation. */
        GELU_TANH;

        /**
         * {@code out[outOff + i] = act(y[gateOff + i])·y[upOff + i]} for {@code i < n} ({@link VectorMath#siluGate},
         * {@link VectorMath#geluTanhGate}).
         */
        public void apply(float[] y, int gateOff, int upOff, float[] out, int outOff, int n) {
            if (this == SILU) {
                VectorMath.siluGate(y, gateOff, upOff, out, outOff, n);
            } else {
                VectorMath.geluTanhGate(y, gateOff, upOff, out, outOff, n);
            }
        }
    }

    /**
     * Whether {@link #multiplyGated} can run: the outputs are a gate half and an up half of whole tiles each.
     */
    public boolean gatesByTile() {
        return out % (2 * VectorProducts.TILE) == 0;
    }

    /**
     * A gated MLP's input product and its activation: this matrix is the gate's rows then the up's ({@code out/2}
     * each), and {@code gated[m·out/2 + o] = act(gate[m][o])·up[m][o]}. Each claim of tiles computes a range of gate
     * tiles, the matching up tiles and their activation on one thread, while its products are still in that core's
     * caches: the activation run after the whole product, split across the threads by rows, read about half of its
     * inputs from the other core's cache: 0.3–0.9 ms of an 8-session step on the SmolLM-135M shape and 9 ms of a
     * 54-row prompt step, where the same arithmetic for 8 rows on data in its own cache took 0.15–0.33 ms (a
     * standalone loop).
     *
     * @param x {@code [rows, in]} row-major from index 0
     * @param y scratch for the products, {@code [rows, stride()]}
     * @param gated receives {@code [rows, out/2]} row-major from index 0
     * @throws IllegalStateException unless {@link #gatesByTile()}
     */
    public void multiplyGated(float[] x, int rows, float[] y, Gate gate, float[] gated) {
        if (!gatesByTile()) {
            throw new IllegalStateException(out + " outputs are not two halves of whole tiles of "
                    + VectorProducts.TILE);
        }
        int half = out / 2;
        if (x.length < rows * in || y.length < rows * stride() || gated.length < rows * half) {
            throw new IllegalArgumentException("buffers too small for " + rows + " rows of " + in + " → " + out);
        }
        int gateTiles = tiles / 2;
        float[] input = kernelInput(x, rows);
        if ((long) rows * in * stride() < PARALLEL_WORK) {
            multiplyGatedTiles(input, rows, y, gate, gated, 0, gateTiles);
        } else {
            long tileWork = 2L * rows * in * VectorProducts.TILE;
            int chunk = (int) Math.max(1, Math.min(gateTiles / (8L * threads.threads()), CLAIM_WORK / tileWork));
            threads.run(gateTiles, chunk, (from, to) -> multiplyGatedTiles(input, rows, y, gate, gated, from, to));
        }
    }

    private void multiplyGatedTiles(float[] x, int rows, float[] y, Gate gate, float[] gated, int from, int to) {
        int gateTiles = tiles / 2;
        multiplyTiles(x, rows, y, from, to);
        multiplyTiles(x, rows, y, gateTiles + from, gateTiles + to);
        int half = out / 2;
        int stride = stride();
        int first = from * VectorProducts.TILE;
        int n = (to - from) * VectorProducts.TILE;
        for (int m = 0; m < rows; m++) {
            int at = m * stride + first;
            gate.apply(y, at, at + half, gated, m * half + first, n);
        }
    }

    /** The width of an output row in {@link #multiply(float[], int, float[])}'s buffer: out, rounded up to tiles. */
    public int stride() {
        return tiles * VectorProducts.TILE;
    }

    /** The input rows as {@link #multiplyTiles} reads them: {@code x} itself, or a copy scaled for the kernel. */
    float[] kernelInput(float[] x, int rows) {
        return x;
    }

    /**
     * Fills the outputs of tiles {@code [from, to)} of every row of {@code y} (rows {@code tiles·TILE} wide).
     *
     * @param x the input rows as {@link #kernelInput} returned them
     */
    abstract void multiplyTiles(float[] x, int rows, float[] y, int from, int to);

    /** Float32 weights. */
    static final class Float32 extends PackedMatrix {
        private final float[][] packed;

        Float32(FloatBuffer w, int out, int in, boolean inOut, TileThreads threads) {
            super(out, in, threads);
            packed = VectorProducts.packFloat32(w, out, in, inOut);
        }

        @Override
        void multiplyTiles(float[] x, int rows, float[] y, int from, int to) {
            VectorProducts.float32(packed, in, x, rows, y, from, to);
        }
    }

    /** Float16 weights, widened to float32 in the kernel, or tile by tile for many rows. */
    static final class Float16 extends PackedMatrix {
        private final Float16Products.Tiles packed;

        Float16(FloatBuffer w, int out, int in, boolean inOut, TileThreads threads) {
            super(out, in, threads);
            packed = Float16Products.pack(w, out, in, inOut);
        }

        @Override
        float[] kernelInput(float[] x, int rows) {
            return Float16Products.kernelInput(x, rows, in);
        }

        @Override
        void multiplyTiles(float[] x, int rows, float[] y, int from, int to) {
            Float16Products.multiply(packed, in, x, rows, y, from, to);
        }
    }

    /** Int8 weights with a float32 scale per output and block of inputs. */
    static final class Int8 extends PackedMatrix {
        private final byte[][] quantized;
        private final float[][] scales;

        Int8(FloatBuffer w, int out, int in, boolean inOut, TileThreads threads) {
            super(out, in, threads);
            quantized = new byte[tiles][];
            scales = new float[tiles][];
            Int8Products.pack(w, out, in, inOut, quantized, scales);
        }

        @Override
        void multiplyTiles(float[] x, int rows, float[] y, int from, int to) {
            Int8Products.multiply(quantized, scales, in, x, rows, y, from, to);
        }
    }
}
