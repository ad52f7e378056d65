package io.github.attentionsinks.tokenizer;

import java.util.Arrays;

/**
 * Turns a stream of token ids into text pieces whose concatenation equals decoding all ids at once.
 *
 * <p>Decoding one id at a time loses leading spaces (SentencePiece strips the first one) and splits multi-byte
 * characters across byte-fallback tokens. So each step decodes a short window of recent ids with and without
 * the new ones and emits the difference, holding output back while it ends in an incomplete character
 * (U+FFFD). The window is reset after each emission, so the work per token is constant.
 */
public final class StreamingDecoder {
    /** Prompt tokens kept as left context so the first piece carries its leading space. */
    private static final int CONTEXT_TOKENS = 4;
    /** Past this many held-back tokens the text is emitted as is (real replacement characters). */
    private static final int MAX_PENDING = 16;

    private final TextTokenizer tokenizer;
    private final boolean skipSpecialTokens;
    /** Recent ids: [0, readOffset) were emitted already (left context), [readOffset, size) are pending. */
    private int[] ids;
    private int size;
    private int readOffset;

    /**
     * @param context the ids before the stream (the prompt's last few are used as left context)
     */
    public StreamingDecoder(TextTokenizer tokenizer, int[] context, boolean skipSpecialTokens) {
        this.tokenizer = tokenizer;
        this.skipSpecialTokens = skipSpecialTokens;
        int keep = Math.min(CONTEXT_TOKENS, context.length);
        this.ids = new int[64];
        System.arraycopy(context, context.length - keep, ids, 0, keep);
        this.size = keep;
        this.readOffset = keep;
    }

    /** Adds one token; returns the text it completes (possibly empty). */
    public String push(int tokenId) {
        if (size == ids.length) {
            ids = Arrays.copyOf(ids, ids.length * 2);
        }
        ids[size++] = tokenId;
        String prefix = tokenizer.decode(Arrays.copyOfRange(ids, 0, readOffset), skipSpecialTokens);
        String full = tokenizer.decode(Arrays.copyOfRange(ids, 0, size), skipSpecialTokens);
        boolean incomplete = full.endsWith("\uFFFD") && size - readOffset < MAX_PENDING;
        if (full.length() <= prefix.length() || incomplete) {
            return "";
        }
        String piece = full.substring(prefix.length());
        // Slide the window: the tokens just emitted become the left context of the next piece.
        System.arraycopy(ids, readOffset, ids, 0, size - readOffset);
        size -= readOffset;
        readOffset = size;
        return piece;
    }

    /** Text still held back (an incomplete character at the end of the stream). */
    public String flush() {
        if (readOffset >= size) {
            return "";
        }
        String prefix = tokenizer.decode(Arrays.copyOfRange(ids, 0, readOffset), skipSpecialTokens);
        String full = tokenizer.decode(Arrays.copyOfRange(ids, 0, size), skipSpecialTokens);
        readOffset = size;
        return full.length() > prefix.length() ? full.substring(prefix.length()) : "";
    }
}
