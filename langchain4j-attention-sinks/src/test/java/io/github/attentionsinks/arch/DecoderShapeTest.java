package io.github.attentionsinks.arch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.attentionsinks.config.ModelConfig;
import io.github.attentionsinks.config.ModelFormatException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** Decoder dimensions read under each family's field names, with refusals that name the field at fault. */
class DecoderShapeTest {
    private static ModelConfig config(String json) throws Exception {
        return new ModelConfig(Path.of("model", "config.json"), new ObjectMapper().readTree(json));
    }

    @Test
    void readsEachFamilysNamesAndAliases() throws Exception {
        DecoderShape llama = DecoderShape.read(config("{\"hidden_size\": 64, \"num_hidden_layers\": 2, "
                + "\"num_attention_heads\": 8, \"num_key_value_heads\": 2, \"vocab_size\": 100, "
                + "\"max_position_embeddings\": 512}"), DecoderShape.HUGGING_FACE);
        assertEquals(new DecoderShape(64, 2, 8, 2, 8, 100, 512), llama);
        DecoderShape oldFalcon = DecoderShape.read(config("{\"hidden_size\": 64, \"n_layer\": 3, \"n_head\": 4, "
                + "\"vocab_size\": 100}"), DecoderShape.HUGGING_FACE);
        assertEquals(new DecoderShape(64, 3, 4, 4, 16, 100, 0), oldFalcon);
        DecoderShape gemma = DecoderShape.read(config("{\"hidden_size\": 60, \"num_hidden_layers\": 1, "
                + "\"num_attention_heads\": 8, \"head_dim\": 32, \"vocab_size\": 100}"), DecoderShape.HUGGING_FACE);
        assertEquals(32, gemma.headDim());
        DecoderShape mpt = DecoderShape.read(config("{\"d_model\": 32, \"n_layers\": 2, \"n_heads\": 4, "
                + "\"vocab_size\": 50, \"max_seq_len\": 128}"), DecoderShape.MPT);
        assertEquals(new DecoderShape(32, 2, 4, 4, 8, 50, 128), mpt);
    }

    @Test
    void refusalsNameTheField() throws Exception {
        ModelFormatException heads = assertThrows(ModelFormatException.class, () -> DecoderShape.read(
                config("{\"n_embd\": 30, \"n_layer\": 2, \"n_head\": 4, \"vocab_size\": 50, \"n_positions\": 64}"),
                DecoderShape.GPT2));
        assertTrue(heads.getMessage().contains("n_head") && heads.getMessage().contains("n_embd (30)"),
                heads.getMessage());
        ModelFormatException kv = assertThrows(ModelFormatException.class, () -> DecoderShape.read(
                config("{\"hidden_size\": 64, \"num_hidden_layers\": 2, \"num_attention_heads\": 8, "
                        + "\"num_key_value_heads\": 3, \"vocab_size\": 100}"), DecoderShape.HUGGING_FACE));
        assertTrue(kv.getMessage().contains("num_key_value_heads"), kv.getMessage());
        ModelFormatException positions = assertThrows(ModelFormatException.class, () -> DecoderShape.read(
                config("{\"n_embd\": 32, \"n_layer\": 2, \"n_head\": 4, \"vocab_size\": 50}"), DecoderShape.GPT2));
        assertTrue(positions.getMessage().contains("n_positions"), positions.getMessage());
    }
}
