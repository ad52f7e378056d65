package io.github.attentionsinks.langchain4j;

import io.github.attentionsinks.cache.CacheConfig;
import java.util.Arrays;

/**
 * The tokens a chat session's cache holds, each with the text it stands for, kept by the same rule as the cache
 * (the first S tokens of the stream and the W newest; see {@link io.github.attentionsinks.cache.SinkCache}). A turn
 * reads the text of the newest, rewindable part to see where the conversation, as the template renders it now,
 * departs from what the model saw.
 *
 * <p>Pure bookkeeping: no tokenizer, no native memory. Pieces are the text each token adds in context (decoded with
 * special tokens kept); a token that ends inside a multi-byte character has an empty piece and the token completing
 * the character carries it, so a cut just after such a token would split the character.
 */
final class CacheTranscript {
    private final int sinkSize;
    /** Window bound; {@link Integer#MAX_VALUE} for a dense cache. */
    private final int windowSize;

    private int[] sinkIds;
    private String[] sinkPieces;
    private int sinkCount;
    /** The window, oldest first, from {@code start} to {@code start + windowCount} (compacted as it slides). */
    private int[] windowIds = new int[64];
    private String[] windowPieces = new String[64];
    private int start;
    private int windowCount;
    private long streamLength;

    CacheTranscript(CacheConfig config) {
        this.sinkSize = config.bounded() ? config.attentionSinkSize() : 0;
        this.windowSize = config.bounded() ? config.windowSize() : Integer.MAX_VALUE;
        this.sinkIds = new int[sinkSize];
        this.sinkPieces = new String[sinkSize];
    }

    /** Tokens fed since the stream began, evicted ones included. */
    long streamLength() {
        return streamLength;
    }

    /** Tokens held: sinks and window. */
    int length() {
        return sinkCount + windowCount;
    }

    /** As {@link io.github.attentionsinks.cache.SinkCache#rewindable()}. */
    int rewindable() {
        return streamLength == length() ? length() : windowCount;
    }

    /** Records fed tokens and their pieces, evicting as the cache does. */
    void append(int[] ids, String[] pieces) {
        if (ids.length != pieces.length) {
            throw new IllegalArgumentException(ids.length + " ids but " + pieces.length + " pieces");
        }
        for (int i = 0; i < ids.length; i++) {
            if (streamLength < sinkSize) {
                sinkIds[sinkCount] = ids[i];
                sinkPieces[sinkCount++] = pieces[i];
            } else {
                if (start + windowCount == windowIds.length) {
                    makeRoom();
                }
                windowIds[start + windowCount] = ids[i];
                windowPieces[start + windowCount++] = pieces[i];
                if (windowCount > windowSize) {
                    windowPieces[start] = null;
                    start++;
                    windowCount--;
                }
            }
            streamLength++;
        }
    }

    private void makeRoom() {
        if (start > 0) {
            System.arraycopy(windowIds, start, windowIds, 0, windowCount);
            System.arraycopy(windowPieces, start, windowPieces, 0, windowCount);
            Arrays.fill(windowPieces, windowCount, windowPieces.length, null);
            start = 0;
        }
        if (windowCount == windowIds.length) {
            windowIds = Arrays.copyOf(windowIds, windowIds.length * 2);
            windowPieces = Arrays.copyOf(windowPieces, windowPieces.length * 2);
        }
    }

    /** Drops the {@code count} newest tokens, as the cache's rewind does. */
    void rewind(int count) {
        if (count < 0 || count > rewindable()) {
            throw new IllegalArgumentException("can rewind 0.." + rewindable() + " tokens, got " + count);
        }
        int fromWindow = Math.min(count, windowCount);
        for (int i = 0; i < fromWindow; i++) {
            windowPieces[start + windowCount - 1 - i] = null;
        }
        windowCount -= fromWindow;
        sinkCount -= count - fromWindow;
        streamLength -= count;
    }

    void clear() {
        Arrays.fill(sinkPieces, null);
        Arrays.fill(windowPieces, null);
        sinkCount = 0;
        start = 0;
        windowCount = 0;
        streamLength = 0;
    }

    /** The {@code n} newest ids (fewer if the cache holds fewer), as left context for decoding what follows. */
    int[] lastIds(int n) {
        int k = Math.min(n, length());
        int[] out = new int[k];
        for (int i = 0; i < k; i++) {
            int index = length() - k + i;
            out[i] = index < sinkCount ? sinkIds[index] : windowIds[start + index - sinkCount];
        }
        return out;
    }

    /** The text of the {@code count} newest tokens. */
    String lastText(int count) {
        if (count > length()) {
            throw new IllegalArgumentException("only " + length() + " tokens are held, asked for " + count);
        }
        StringBuilder sb = new StringBuilder();
        for (int index = length() - count; index < length(); index++) {
            sb.append(index < sinkCount ? sinkPieces[index] : windowPieces[start + index - sinkCount]);
        }
        return sb.toString();
    }

    /** The rewindable part of the cache: its text, and where each of its tokens ends in that text. */
    Tail tail() {
        int n = rewindable();
        StringBuilder text = new StringBuilder();
        int[] ends = new int[n];
        for (int i = 0; i < n; i++) {
            int index = length() - n + i;
            String piece = index < sinkCount ? sinkPieces[index] : windowPieces[start + index - sinkCount];
            text.append(piece);
            ends[i] = piece.isEmpty() ? -1 : text.length();
        }
        return new Tail(text.toString(), ends);
    }

    /**
     * The newest tokens a session can still drop, as text.
     *
     * @param text their text, oldest first
     * @param ends for token i, the offset in {@code text} just after it, or -1 when it ends inside a character
     *     (cutting after it would split the character)
     */
    record Tail(String text, int[] ends) {
        int tokens() {
            return ends.length;
        }
    }
}
