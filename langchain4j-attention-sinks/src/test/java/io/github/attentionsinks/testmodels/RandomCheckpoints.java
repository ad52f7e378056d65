package io.github.attentionsinks.testmodels;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.attentionsinks.Shared;
import io.github.attentionsinks.config.Json;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Small random-weight checkpoints in a real vocabulary, written at test time (into {@code target/}, never committed),
 * so that the chat path (special tokens, templates, streaming text) can be tested on the tokenizers people run
 * without downloading weights.
 *
 * <p>{@link #write(Path, String, Path, long)} writes a Hugging Face directory: {@code config.json} with the fields the
 * family's loader reads (field sets as in {@code shared/fixtures/<family>/config.json}, scaled down: hidden 16, 2
 * layers, 2 query heads of 8 dims, 1 KV head), {@code model.safetensors} (F32, the family's tensor names, weights
 * N(0, 0.02²) from the seed, norms at unit gain), {@code generation_config.json}, and copies of
 * {@code tokenizer.json} and {@code tokenizer_config.json}. {@code vocab_size} is the tokenizer's size rounded up
 * to a multiple of 128, as real checkpoints pad it (Qwen3: 151,669 tokens, 151,680 rows here), so a model may
 * produce an id the tokenizer does not know, as real ones can.
 *
 * <pre>{@code
 * Path dir = RandomCheckpoints.write(Path.of("target/test-models/qwen3"), "qwen3", RandomCheckpoints.qwen3Tokenizer(), 7);
 * try (AttentionSinkModel model = AttentionSinkModel.load(dir)) { ... }
 * }</pre>
 *
 * <p>Sizes: the embedding dominates (vocab × 16 floats, 9.7 MB for Qwen3's vocabulary; twice that for the untied
 * families llama, mistral, qwen2 and phi3).
 */
public final class RandomCheckpoints {
    /** The families {@link #write} can write, as their {@code model_type}. */
    public static final List<String> FAMILIES = List.of("llama", "mistral", "qwen2", "qwen3", "gemma", "gemma2", "phi3");

    static final int HIDDEN = 16;
    static final int LAYERS = 2;
    static final int HEADS = 2;
    static final int KV_HEADS = 1;
    static final int HEAD_DIM = 8;
    static final int INTERMEDIATE = 32;
    static final int MAX_POSITIONS = 4096;
    /** Small, so that logits over a large vocabulary stay near zero and softmax stays finite and spread out. */
    static final double INIT_STD = 0.02;

    private RandomCheckpoints() {}

    /** The Qwen3 tokenizer and its official chat template ({@code shared/tokenizers/qwen3}). */
    public static Path qwen3Tokenizer() {
        return Shared.dir().resolve("tokenizers/qwen3");
    }

    /** The SmolLM2-135M-Instruct tokenizer ({@code shared/tokenizers/smollm2-instruct}). */
    public static Path smollm2Tokenizer() {
        return Shared.dir().resolve("tokenizers/smollm2-instruct");
    }

    /** A chat template from {@code shared/templates}, by file name. */
    public static Path template(String fileName) {
        return Shared.dir().resolve("templates").resolve(fileName);
    }

    /**
     * Writes a checkpoint of {@code family} in the vocabulary of {@code tokenizerDir} into {@code dir} (created if
     * needed; files there are overwritten) and returns {@code dir}.
     *
     * @param family one of {@link #FAMILIES}
     * @param tokenizerDir a folder with {@code tokenizer.json} and {@code tokenizer_config.json}
     * @param seed the weights are a function of the seed alone: the same seed writes the same bytes
     */
    public static Path write(Path dir, String family, Path tokenizerDir, long seed) {
        return write(dir, family, tokenizerDir, seed, null);
    }

    /**
     * As {@link #write(Path, String, Path, long)}, with {@code chatTemplate} (a {@code .jinja} file, e.g. one of
     * {@code shared/templates}) written as the {@code chat_template} of the copied {@code tokenizer_config.json}
     * in place of the tokenizer's own; {@code null} keeps the tokenizer's.
     */
    public static Path write(Path dir, String family, Path tokenizerDir, long seed, Path chatTemplate) {
        return write(dir, family, tokenizerDir, seed, chatTemplate, HEAD_DIM);
    }

    /**
     * As {@link #write(Path, String, Path, long, Path)} with heads of {@code headDim} dimensions instead of 8, for a
     * family whose config names its head size apart from the hidden size (qwen3, gemma, gemma2): kernels that work
     * on whole vectors of a head need heads of 16, 32 or 64.
     */
    public static Path write(Path dir, String family, Path tokenizerDir, long seed, Path chatTemplate, int headDim) {
        if (headDim != HEAD_DIM && !List.of("qwen3", "gemma", "gemma2").contains(family)) {
            throw new IllegalArgumentException("family '" + family + "' derives its head size from the hidden size ("
                    + HIDDEN + " / " + HEADS + "): use qwen3, gemma or gemma2 for heads of " + headDim);
        }
        if (!FAMILIES.contains(family)) {
            throw new IllegalArgumentException("family '" + family + "' is not one of " + FAMILIES);
        }
        try {
            Files.createDirectories(dir);
            Path tokenizerJson = tokenizerDir.resolve("tokenizer.json");
            JsonNode tokenizer = Json.readTree(tokenizerJson);
            ObjectNode tokenizerConfig = (ObjectNode) Json.readTree(tokenizerDir.resolve("tokenizer_config.json"));
            if (chatTemplate != null) {
                tokenizerConfig.put("chat_template", Files.readString(chatTemplate, StandardCharsets.UTF_8));
            }
            int vocab = roundUp(tokenizerSize(tokenizer, tokenizerJson), 128);
            Integer bos = tokenId(tokenizer, tokenizerConfig.get("bos_token"));
            Integer eos = tokenId(tokenizer, tokenizerConfig.get("eos_token"));
            // Real generation configs (Qwen, Llama 3) list several eos ids: the chat end and the document end.
            List<Integer> eosIds = new ArrayList<>();
            if (eos != null) {
                eosIds.add(eos);
            }
            Integer endOfText = tokenId(tokenizer, Json.MAPPER.getNodeFactory().textNode("<|endoftext|>"));
            if (endOfText != null && !eosIds.contains(endOfText)) {
                eosIds.add(endOfText);
            }
            Files.copy(tokenizerJson, dir.resolve("tokenizer.json"), StandardCopyOption.REPLACE_EXISTING);
            Json.MAPPER.writerWithDefaultPrettyPrinter().writeValue(dir.resolve("tokenizer_config.json").toFile(),
                    tokenizerConfig);
            writeJson(dir.resolve("config.json"), config(family, vocab, bos, eos, headDim));
            ObjectNode generation = Json.MAPPER.createObjectNode();
            generation.set("bos_token_id", bos == null ? null : generation.numberNode(bos));
            ArrayNode eosArray = generation.putArray("eos_token_id");
            eosIds.forEach(eosArray::add);
            generation.put("do_sample", false);
            generation.put("transformers_version", "4.47.0");
            writeJson(dir.resolve("generation_config.json"), generation);
            // Gemma's norms compute x·(1 + w): unit gain is w = 0.
            writeSafetensors(dir.resolve("model.safetensors"), tensors(family, vocab, headDim),
                    new SplittableRandom(seed), family.startsWith("gemma") ? 0f : 1f);
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(dir + ": cannot write a random " + family + " checkpoint", e);
        }
    }

    /** Number of ids the tokenizer can produce: one past the largest id of the vocabulary and the added tokens. */
    static int tokenizerSize(JsonNode tokenizer, Path file) {
        int max = -1;
        JsonNode vocab = tokenizer.path("model").path("vocab");
        if (!vocab.isObject()) {
            throw new IllegalArgumentException(file + ": model.vocab is not an object (only BPE/WordPiece/WordLevel "
                    + "tokenizers are supported here)");
        }
        for (JsonNode id : vocab) {
            max = Math.max(max, id.intValue());
        }
        for (JsonNode added : tokenizer.path("added_tokens")) {
            max = Math.max(max, added.path("id").intValue());
        }
        return max + 1;
    }

    /** The id of a special token given as a string or as {@code {"content": ...}}; null when absent or unknown. */
    static Integer tokenId(JsonNode tokenizer, JsonNode token) {
        if (token == null || token.isNull()) {
            return null;
        }
        String content = token.isTextual() ? token.asText() : token.path("content").asText(null);
        for (JsonNode added : tokenizer.path("added_tokens")) {
            if (added.path("content").asText().equals(content)) {
                return added.path("id").intValue();
            }
        }
        JsonNode id = tokenizer.path("model").path("vocab").get(content);
        return id == null ? null : id.intValue();
    }

    private static int roundUp(int n, int multiple) {
        return (n + multiple - 1) / multiple * multiple;
    }

    private static ObjectNode config(String family, int vocab, Integer bos, Integer eos, int headDim) {
        ObjectNode c = Json.MAPPER.createObjectNode();
        String className = switch (family) {
            case "llama" -> "LlamaForCausalLM";
            case "mistral" -> "MistralForCausalLM";
            case "qwen2" -> "Qwen2ForCausalLM";
            case "qwen3" -> "Qwen3ForCausalLM";
            case "gemma" -> "GemmaForCausalLM";
            case "gemma2" -> "Gemma2ForCausalLM";
            default -> "Phi3ForCausalLM";
        };
        c.putArray("architectures").add(className);
        c.put("model_type", family);
        c.put("_name_or_path", "random-" + family);
        c.put("hidden_size", HIDDEN);
        c.put("num_hidden_layers", LAYERS);
        c.put("num_attention_heads", HEADS);
        c.put("num_key_value_heads", KV_HEADS);
        c.put("intermediate_size", INTERMEDIATE);
        c.put("vocab_size", vocab);
        c.put("max_position_embeddings", MAX_POSITIONS);
        c.put("initializer_range", INIT_STD);
        c.set("bos_token_id", bos == null ? null : c.numberNode(bos));
        c.set("eos_token_id", eos == null ? null : c.numberNode(eos));
        c.put("tie_word_embeddings", tied(family));
        c.put("torch_dtype", "float32");
        c.put("use_cache", true);
        switch (family) {
            case "llama" -> {
                c.put("hidden_act", "silu");
                c.put("rms_norm_eps", 1e-6);
                c.put("rope_theta", 10000.0);
                c.put("attention_bias", false);
                c.put("mlp_bias", false);
                c.putNull("rope_scaling");
            }
            case "mistral" -> {
                c.put("hidden_act", "silu");
                c.put("rms_norm_eps", 1e-5);
                c.put("rope_theta", 10000.0);
                c.put("sliding_window", 4096);
            }
            case "qwen2" -> {
                c.put("hidden_act", "silu");
                c.put("rms_norm_eps", 1e-6);
                c.put("rope_theta", 1000000.0);
                c.put("use_sliding_window", false);
                c.putNull("sliding_window");
                c.put("max_window_layers", LAYERS);
            }
            case "qwen3" -> {
                c.put("hidden_act", "silu");
                c.put("head_dim", headDim);
                c.put("rms_norm_eps", 1e-6);
                c.put("rope_theta", 1000000.0);
                c.put("attention_bias", false);
                c.put("use_sliding_window", false);
                c.putNull("sliding_window");
                c.putArray("layer_types").add("full_attention").add("full_attention");
            }
            case "gemma" -> {
                c.put("head_dim", headDim);
                c.put("hidden_act", "gelu_pytorch_tanh");
                c.put("hidden_activation", "gelu_pytorch_tanh");
                c.put("rms_norm_eps", 1e-6);
                c.put("rope_theta", 10000.0);
                c.put("attention_bias", false);
            }
            case "gemma2" -> {
                c.put("head_dim", headDim);
                c.put("hidden_activation", "gelu_pytorch_tanh");
                c.put("rms_norm_eps", 1e-6);
                c.put("rope_theta", 10000.0);
                c.put("query_pre_attn_scalar", headDim);
                c.put("attn_logit_softcapping", 50.0);
                c.put("final_logit_softcapping", 30.0);
                c.put("sliding_window", 4096);
                c.put("cache_implementation", "hybrid");
            }
            default -> { // phi3
                c.put("hidden_act", "silu");
                c.put("rms_norm_eps", 1e-5);
                c.put("rope_theta", 10000.0);
                c.putNull("rope_scaling");
                c.putNull("sliding_window");
                c.put("original_max_position_embeddings", MAX_POSITIONS);
            }
        }
        return c;
    }

    /** Gemma ties by design and Qwen3's small models tie; the others carry a separate lm_head, as the fixtures do. */
    private static boolean tied(String family) {
        return family.equals("qwen3") || family.startsWith("gemma");
    }

    /** A tensor to write; {@code norm} ones are set to unit gain instead of random. */
    private record Tensor(String name, long[] shape, boolean norm) {
        int elements() {
            long n = 1;
            for (long d : shape) {
                n *= d;
            }
            return Math.toIntExact(n);
        }
    }

    private static List<Tensor> tensors(String family, int vocab, int headDim) {
        int h = HIDDEN;
        int q = HEADS * headDim;
        int kv = KV_HEADS * headDim;
        List<Tensor> list = new ArrayList<>();
        list.add(new Tensor("model.embed_tokens.weight", new long[] {vocab, h}, false));
        for (int l = 0; l < LAYERS; l++) {
            String p = "model.layers." + l + ".";
            list.add(new Tensor(p + "input_layernorm.weight", new long[] {h}, true));
            if (family.equals("phi3")) {
                list.add(new Tensor(p + "self_attn.qkv_proj.weight", new long[] {q + 2L * kv, h}, false));
            } else {
                list.add(new Tensor(p + "self_attn.q_proj.weight", new long[] {q, h}, false));
                list.add(new Tensor(p + "self_attn.k_proj.weight", new long[] {kv, h}, false));
                list.add(new Tensor(p + "self_attn.v_proj.weight", new long[] {kv, h}, false));
            }
            if (family.equals("qwen2")) {
                list.add(new Tensor(p + "self_attn.q_proj.bias", new long[] {q}, false));
                list.add(new Tensor(p + "self_attn.k_proj.bias", new long[] {kv}, false));
                list.add(new Tensor(p + "self_attn.v_proj.bias", new long[] {kv}, false));
            }
            if (family.equals("qwen3")) {
                list.add(new Tensor(p + "self_attn.q_norm.weight", new long[] {headDim}, true));
                list.add(new Tensor(p + "self_attn.k_norm.weight", new long[] {headDim}, true));
            }
            list.add(new Tensor(p + "self_attn.o_proj.weight", new long[] {h, q}, false));
            list.add(new Tensor(p + "post_attention_layernorm.weight", new long[] {h}, true));
            if (family.equals("gemma2")) {
                list.add(new Tensor(p + "pre_feedforward_layernorm.weight", new long[] {h}, true));
                list.add(new Tensor(p + "post_feedforward_layernorm.weight", new long[] {h}, true));
            }
            if (family.equals("phi3")) {
                list.add(new Tensor(p + "mlp.gate_up_proj.weight", new long[] {2L * INTERMEDIATE, h}, false));
            } else {
                list.add(new Tensor(p + "mlp.gate_proj.weight", new long[] {INTERMEDIATE, h}, false));
                list.add(new Tensor(p + "mlp.up_proj.weight", new long[] {INTERMEDIATE, h}, false));
            }
            list.add(new Tensor(p + "mlp.down_proj.weight", new long[] {h, INTERMEDIATE}, false));
        }
        list.add(new Tensor("model.norm.weight", new long[] {h}, true));
        // Tied checkpoints as saved by HF still hold lm_head.weight (equal to the embedding); the loaders use the
        // embedding when tied, so writing it would only double the file.
        if (!tied(family)) {
            list.add(new Tensor("lm_head.weight", new long[] {vocab, h}, false));
        }
        return list;
    }

    /**
     * The safetensors format: an 8-byte little-endian header length, a JSON header mapping each name to its dtype,
     * shape and [begin, end) byte offsets in the data section, padded with spaces to a multiple of 8, then the data.
     */
    private static void writeSafetensors(Path file, List<Tensor> tensors, SplittableRandom random, float normValue)
            throws IOException {
        Map<String, Object> header = new LinkedHashMap<>();
        header.put("__metadata__", Map.of("format", "pt"));
        long offset = 0;
        for (Tensor t : tensors) {
            long bytes = (long) t.elements() * Float.BYTES;
            header.put(t.name(), Map.of("dtype", "F32", "shape", t.shape(), "data_offsets",
                    new long[] {offset, offset + bytes}));
            offset += bytes;
        }
        byte[] json = Json.MAPPER.writeValueAsBytes(header);
        int padded = (json.length + 7) / 8 * 8;
        try (OutputStream out = new java.io.BufferedOutputStream(Files.newOutputStream(file), 1 << 20)) {
            ByteBuffer head = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(padded);
            out.write(head.array());
            out.write(json);
            for (int i = json.length; i < padded; i++) {
                out.write(' ');
            }
            for (Tensor t : tensors) {
                ByteBuffer data = ByteBuffer.allocate(t.elements() * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
                for (int i = 0; i < t.elements(); i++) {
                    data.putFloat(t.norm() ? normValue : (float) (random.nextGaussian() * INIT_STD));
                }
                out.write(data.array());
            }
        }
    }

    private static void writeJson(Path file, JsonNode node) throws IOException {
        Json.MAPPER.writerWithDefaultPrettyPrinter().writeValue(file.toFile(), node);
    }
}
