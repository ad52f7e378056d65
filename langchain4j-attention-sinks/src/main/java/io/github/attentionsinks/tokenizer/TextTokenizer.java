package io.github.attentionsinks.tokenizer;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import io.github.attentionsinks.config.ModelFormatException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * A model's {@code tokenizer.json} through DJL's Hugging Face tokenizers binding: no truncation, no padding,
 * special tokens (BOS) added as the file's post-processor says.
 */
public final class TextTokenizer implements AutoCloseable {
    private final HuggingFaceTokenizer tokenizer;

    private TextTokenizer(HuggingFaceTokenizer tokenizer) {
        this.tokenizer = tokenizer;
    }

    /** Loads {@code dir/tokenizer.json}. */
    public static TextTokenizer load(Path dir) {
        Path file = dir.resolve("tokenizer.json");
        if (!Files.isRegularFile(file)) {
            throw new ModelFormatException(file + ": file not found (a Hugging Face fast tokenizer is required)");
        }
        try {
            // DJL truncates to 512 tokens by default: switch it off, streams are unbounded.
            return new TextTokenizer(HuggingFaceTokenizer.newInstance(file,
                    Map.of("truncation", "false", "padding", "false", "addSpecialTokens", "true")));
        } catch (IOException | RuntimeException e) {
            throw new ModelFormatException(file + ": cannot load tokenizer: " + e.getMessage(), e);
        }
    }

    /** Token ids of {@code text}; {@code addSpecialTokens} adds what the post-processor adds (BOS for Llama). */
    public int[] encode(String text, boolean addSpecialTokens) {
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
