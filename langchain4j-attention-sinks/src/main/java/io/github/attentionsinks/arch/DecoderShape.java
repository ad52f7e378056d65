package io.github.attentionsinks.arch;

import io.github.attentionsinks.config.ModelConfig;
import java.util.List;

/**
 * The dimensions of a decoder, read once from config.json under the names its family uses (Hugging Face's
 * {@code hidden_size}, GPT-2's {@code n_embd}, MPT's {@code d_model}, ...) and checked together, each refusal naming
 * the field: the heads divide the hidden size (unless {@code head_dim} is given), the KV heads divide the heads.
 *
 * @param maxPositions the trained context, 0 when the config does not give it
 */
record DecoderShape(int hidden, int layers, int heads, int kvHeads, int headDim, int vocab, int maxPositions) {

    /**
     * The field names of one config family. Lists hold a name and its older aliases, read when the first is absent.
     *
     * @param kvHeads the KV head count field, or null when KV heads equal heads
     * @param headDim the head width field, or null when it is always hidden / heads
     */
    record Names(String hidden, List<String> layers, List<String> heads, String kvHeads, String headDim,
            String maxPositions, boolean maxPositionsRequired) {}

    /** Hugging Face's names (Llama and the modern architectures, GPT-NeoX, Falcon with its old aliases). */
    static final Names HUGGING_FACE = new Names("hidden_size", List.of("num_hidden_layers", "n_layer"),
            List.of("num_attention_heads", "n_head"), "num_key_value_heads", "head_dim", "max_position_embeddings",
            false);
    /** GPT-2's names; its learned positions make {@code n_positions} required. */
    static final Names GPT2 = new Names("n_embd", List.of("n_layer"), List.of("n_head"), null, null, "n_positions",
            true);
    /** GPT-J's: GPT-2's names, with {@code n_positions} optional. */
    static final Names GPTJ = new Names("n_embd", List.of("n_layer"), List.of("n_head"), null, null, "n_positions",
            false);
    /** MPT's names. */
    static final Names MPT = new Names("d_model", List.of("n_layers"), List.of("n_heads"), null, null, "max_seq_len",
            false);

    static DecoderShape read(ModelConfig config, Names names) {
        int hidden = config.requirePositiveInt(names.hidden());
        int layers = config.requirePositiveInt(present(config, names.layers()));
        String headsField = present(config, names.heads());
        int heads = config.requirePositiveInt(headsField);
        int headDim;
        if (names.headDim() != null && config.has(names.headDim())) {
            headDim = config.requirePositiveInt(names.headDim());
        } else if (hidden % heads != 0) {
            throw config.invalid(headsField, config.node(headsField), "a divisor of " + names.hidden() + " ("
                    + hidden + ")");
        } else {
            headDim = hidden / heads;
        }
        int kvHeads = heads;
        if (names.kvHeads() != null && config.has(names.kvHeads())) {
            kvHeads = config.requireInt(names.kvHeads());
            if (kvHeads <= 0 || heads % kvHeads != 0) {
                throw config.invalid(names.kvHeads(), config.node(names.kvHeads()),
                        "a positive divisor of " + headsField + " (" + heads + ")");
            }
        }
        int maxPositions = names.maxPositionsRequired() ? config.requirePositiveInt(names.maxPositions())
                : config.optInt(names.maxPositions(), 0);
        return new DecoderShape(hidden, layers, heads, kvHeads, headDim, config.requirePositiveInt("vocab_size"),
                maxPositions);
    }

    /** The same shape with another KV head count (Falcon's layouts decide it from other fields). */
    DecoderShape withKvHeads(int kvHeadCount) {
        return new DecoderShape(hidden, layers, heads, kvHeadCount, headDim, vocab, maxPositions);
    }

    /** The first of {@code names} the config has, else the first (so that a missing field is named as it should be). */
    private static String present(ModelConfig config, List<String> names) {
        for (String name : names) {
            if (config.has(name)) {
                return name;
            }
        }
        return names.get(0);
    }
}
