package io.github.attentionsinks.examples.cli;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;

/**
 * Writes a Llama checkpoint of a realistic shape with random weights (Hugging Face layout, F32 safetensors), so that
 * speed and memory can be measured without downloading a model. Linear and embedding weights are N(0, 0.02²),
 * norms are ones. The tokenizer is a minimal word-level one: benchmarks feed token ids and never decode.
 */
final class SyntheticLlama {
    /** A model shape. */
    record Shape(String name, int hidden, int layers, int heads, int kvHeads, int intermediate, int vocab,
            boolean tied, int maxPositions, double ropeTheta) {
        int headDim() {
            return hidden / heads;
        }

        long parameters() {
            long attention = (long) hidden * headDim() * (2L * heads + 2L * kvHeads);
            long mlp = 3L * hidden * intermediate;
            return (long) vocab * hidden * (tied ? 1 : 2) + layers * (attention + mlp + 2L * hidden) + hidden;
        }
    }

    /** The shape of SmolLM-135M (HuggingFaceTB/SmolLM-135M). */
    static final Shape SMOLLM_135M = new Shape("smollm-135m", 576, 30, 9, 3, 1536, 49152, true, 2048, 10000.0);
    /** A tiny shape for smoke tests. */
    static final Shape TINY = new Shape("tiny", 64, 2, 4, 2, 128, 256, true, 512, 10000.0);

    static final Map<String, Shape> PRESETS = Map.of(SMOLLM_135M.name(), SMOLLM_135M, TINY.name(), TINY);

    private SyntheticLlama() {}

    static Shape preset(String name) {
        Shape shape = PRESETS.get(name.toLowerCase(Locale.ROOT));
        if (shape == null) {
            throw new IllegalArgumentException("unknown synthetic model '" + name + "': use one of "
                    + new java.util.TreeSet<>(PRESETS.keySet()));
        }
        return shape;
    }

    /** Writes config.json, model.safetensors and tokenizer.json into {@code dir} (created if needed). */
    static void write(Shape s, Path dir, long seed) throws IOException {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("config.json"), config(s), StandardCharsets.UTF_8);
        Files.writeString(dir.resolve("tokenizer.json"), TOKENIZER, StandardCharsets.UTF_8);
        writeSafetensors(dir.resolve("model.safetensors"), tensors(s), new SplittableRandom(seed));
    }

    /**
     * A synthetic model written to a new temporary directory, removed on {@link #close} and also when the JVM exits
     * first (an interrupted benchmark): the SmolLM-135M shape is about 0.5 GB of random weights.
     */
    static final class TemporaryModel implements AutoCloseable {
        final Path dir;
        private final Thread cleanup;

        TemporaryModel(Shape shape, long seed) throws IOException {
            dir = Files.createTempDirectory("attention-sinks-synthetic-");
            cleanup = new Thread(() -> {
                try {
                    deleteRecursively(dir);
                } catch (IOException ignored) {
                    // best effort at exit
                }
            });
            Runtime.getRuntime().addShutdownHook(cleanup);
            try {
                write(shape, dir, seed);
            } catch (IOException | RuntimeException e) {
                close();
                throw e;
            }
        }

        @Override
        public void close() throws IOException {
            deleteRecursively(dir);
            Runtime.getRuntime().removeShutdownHook(cleanup);
        }
    }

    private static void deleteRecursively(Path dir) throws IOException {
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    private static String config(Shape s) {
        return String.format(Locale.ROOT, """
                {
                  "architectures": ["LlamaForCausalLM"],
                  "model_type": "llama",
                  "_name_or_path": "synthetic-%s",
                  "hidden_size": %d,
                  "num_hidden_layers": %d,
                  "num_attention_heads": %d,
                  "num_key_value_heads": %d,
                  "intermediate_size": %d,
                  "vocab_size": %d,
                  "tie_word_embeddings": %b,
                  "max_position_embeddings": %d,
                  "rope_theta": %.1f,
                  "rms_norm_eps": 1e-05,
                  "hidden_act": "silu",
                  "bos_token_id": 1,
                  "eos_token_id": 2,
                  "torch_dtype": "float32"
                }
                """, s.name(), s.hidden(), s.layers(), s.heads(), s.kvHeads(), s.intermediate(), s.vocab(), s.tied(),
                s.maxPositions(), s.ropeTheta());
    }

    /** A tensor to write: name, shape, and whether it is a norm (ones) or random. */
    private record Tensor(String name, long[] shape, boolean ones) {
        long elements() {
            long n = 1;
            for (long d : shape) {
                n *= d;
            }
            return n;
        }
    }

    private static List<Tensor> tensors(Shape s) {
        int h = s.hidden();
        int q = s.heads() * s.headDim();
        int kv = s.kvHeads() * s.headDim();
        List<Tensor> list = new ArrayList<>();
        list.add(new Tensor("model.embed_tokens.weight", new long[] {s.vocab(), h}, false));
        for (int l = 0; l < s.layers(); l++) {
            String p = "model.layers." + l + ".";
            list.add(new Tensor(p + "input_layernorm.weight", new long[] {h}, true));
            list.add(new Tensor(p + "self_attn.q_proj.weight", new long[] {q, h}, false));
            list.add(new Tensor(p + "self_attn.k_proj.weight", new long[] {kv, h}, false));
            list.add(new Tensor(p + "self_attn.v_proj.weight", new long[] {kv, h}, false));
            list.add(new Tensor(p + "self_attn.o_proj.weight", new long[] {h, q}, false));
            list.add(new Tensor(p + "post_attention_layernorm.weight", new long[] {h}, true));
            list.add(new Tensor(p + "mlp.gate_proj.weight", new long[] {s.intermediate(), h}, false));
            list.add(new Tensor(p + "mlp.up_proj.weight", new long[] {s.intermediate(), h}, false));
            list.add(new Tensor(p + "mlp.down_proj.weight", new long[] {h, s.intermediate()}, false));
        }
        list.add(new Tensor("model.norm.weight", new long[] {h}, true));
        if (!s.tied()) {
            list.add(new Tensor("lm_head.weight", new long[] {s.vocab(), h}, false));
        }
        return list;
    }

    /**
     * The safetensors format: an 8-byte little-endian header length, a JSON header mapping each name to its dtype,
     * shape and [begin, end) byte offsets in the data section, padded with spaces to a multiple of 8, then the data.
     */
    private static void writeSafetensors(Path file, List<Tensor> tensors, SplittableRandom random) throws IOException {
        Map<String, Object> header = new LinkedHashMap<>();
        header.put("__metadata__", Map.of("format", "pt"));
        long offset = 0;
        for (Tensor t : tensors) {
            long bytes = t.elements() * Float.BYTES;
            header.put(t.name(), Map.of("dtype", "F32", "shape", t.shape(), "data_offsets", new long[] {offset, offset + bytes}));
            offset += bytes;
        }
        byte[] json = io.github.attentionsinks.config.Json.MAPPER.writeValueAsBytes(header);
        int padded = (json.length + 7) / 8 * 8;
        ByteBuffer head = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
        head.putLong(padded).put(json);
        while (head.hasRemaining()) {
            head.put((byte) ' ');
        }
        head.flip();
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            writeFully(channel, head);
            ByteBuffer chunk = ByteBuffer.allocateDirect(1 << 22).order(ByteOrder.LITTLE_ENDIAN);
            for (Tensor t : tensors) {
                for (long left = t.elements(); left > 0; ) {
                    chunk.clear();
                    int n = (int) Math.min(left, chunk.capacity() / Float.BYTES);
                    for (int i = 0; i < n; i++) {
                        chunk.putFloat(t.ones() ? 1f : (float) (random.nextGaussian() * 0.02));
                    }
                    chunk.flip();
                    writeFully(channel, chunk);
                    left -= n;
                }
            }
        }
    }

    private static void writeFully(FileChannel channel, ByteBuffer buffer) throws IOException {
        while (buffer.hasRemaining()) {
            channel.write(buffer);
        }
    }

    /** A word-level tokenizer with a handful of words; enough to load, benchmarks feed ids directly. */
    private static final String TOKENIZER = """
            {
              "version": "1.0",
              "truncation": null,
              "padding": null,
              "added_tokens": [
                {"id": 0, "content": "<unk>", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true},
                {"id": 1, "content": "<s>", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true},
                {"id": 2, "content": "</s>", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true}
              ],
              "normalizer": null,
              "pre_tokenizer": {"type": "Whitespace"},
              "post_processor": null,
              "decoder": null,
              "model": {"type": "WordLevel", "vocab": {"<unk>": 0, "<s>": 1, "</s>": 2, "the": 3, "a": 4, "sink": 5},
                        "unk_token": "<unk>"}
            }
            """;
}
