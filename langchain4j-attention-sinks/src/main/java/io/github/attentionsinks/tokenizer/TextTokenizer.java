package io.github.attentionsinks.tokenizer;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import io.github.attentionsinks.config.ModelFormatException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;

/**
 * A model's {@code tokenizer.json} through DJL's Hugging Face tokenizers binding: no truncation, no padding,
 * special tokens (BOS) added as the file's post-processor says, unless tokenizer_config.json's {@code add_bos_token}
 * says otherwise (see {@link #load(Path, TokenizerConfig)}).
 */
public final class TextTokenizer implements AutoCloseable {
    private final HuggingFaceTokenizer tokenizer;
    /** {@code add_bos_token} of tokenizer_config.json, or null to leave BOS to the post-processor. */
    private final Boolean addBos;
    /** The id of {@code bos_token}, or -1 when it has none or it is not a single token. */
    private final int bosId;

    private TextTokenizer(HuggingFaceTokenizer tokenizer, TokenizerConfig config) {
        this.tokenizer = tokenizer;
        int id = -1;
        if (config.bosToken() != null) {
            long[] ids = tokenizer.encode(config.bosToken(), false, false).getIds();
            id = ids.length == 1 ? (int) ids[0] : -1;
        }
        this.bosId = id;
        this.addBos = id >= 0 ? config.addBosToken() : null;
    }

    /** Loads {@code dir/tokenizer.json}; BOS as its post-processor says. */
    public static TextTokenizer load(Path dir) {
        return load(dir, TokenizerConfig.NONE);
    }

    /**
     * Loads {@code dir/tokenizer.json} with the {@code add_bos_token} of {@code config}, as Hugging Face's Llama and
     * Gemma tokenizers apply it: true puts {@code bos_token} first whenever special tokens are asked for (once: not
     * when the text already starts with it), false never adds it, absent leaves it to tokenizer.json's
     * post-processor.
     */
    public static TextTokenizer load(Path dir, TokenizerConfig config) {
        Path file = dir.resolve("tokenizer.json");
        if (!Files.isRegularFile(file)) {
            throw new ModelFormatException(file + ": file not found (a Hugging Face fast tokenizer is required)");
        }
        try {
            // DJL truncates to 512 tokens by default: switch it off, streams are unbounded.
            return new TextTokenizer(HuggingFaceTokenizer.newInstance(file,
                    Map.of("truncation", "false", "padding", "false", "addSpecialTokens", "true")), config);
        } catch (IOException | RuntimeException e) {
            throw new ModelFormatException(file + ": cannot load tokenizer: " + e.getMessage(), e);
        }
    }

    /**
     * Token ids of {@code text}; {@code addSpecialTokens} adds what the post-processor adds (BOS for Llama), with BOS
     * added or left out as {@code add_bos_token} says when tokenizer_config.json sets it.
     */
    public int[] encode(String text, boolean addSpecialTokens) {
        int[] ids = rawEncode(text, addSpecialTokens);
        if (!addSpecialTokens || addBos == null) {
            return ids;
        }
        boolean startsWithBos = ids.length > 0 && ids[0] == bosId;
        if (addBos && !startsWithBos) {
            int[] out = new int[ids.length + 1];
            out[0] = bosId;
            System.arraycopy(ids, 0, out, 1, ids.length);
            return out;
        }
        if (!addBos && startsWithBos) {
            // Drop the BOS the post-processor added, not one the text itself starts with.
            int[] plain = rawEncode(text, false);
            if (plain.length == 0 || plain[0] != bosId) {
                return Arrays.copyOfRange(ids, 1, ids.length);
            }
        }
        return ids;
    }

    /** The BOS id that {@code add_bos_token} adds or removes, or -1 when tokenizer_config.json names none. */
    public int bosTokenId() {
        return bosId;
    }

    private int[] rawEncode(String text, boolean addSpecialTokens) {
        Encoding encoding = tokenizer.encode(text, addSpecialTokens, false);
        long[] ids = encoding.getIds();
        int[] out = new int[ids.length];
        for (int i = 0; i < ids.length; i++) {
            out[i] = (int) ids[i];
        }
        return out;
    }

    /** Text of {@code ids}; special tokens (BOS, EOS, ...) are dropped when {@code skipSpecialTokens}. */
    public String decode(int[] ids, boolean skipSpecialTokens) {
        long[] longs = new long[ids.length];
        for (int i = 0; i < ids.length; i++) {
            longs[i] = ids[i];
        }
        return tokenizer.decode(longs, skipSpecialTokens);
    }

    @Override
    public void close() {
        tokenizer.close();
    }
}
