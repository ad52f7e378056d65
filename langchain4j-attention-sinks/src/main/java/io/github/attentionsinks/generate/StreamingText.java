package io.github.attentionsinks.generate;

import io.github.attentionsinks.tokenizer.StreamingDecoder;
import io.github.attentionsinks.tokenizer.TextTokenizer;
import java.util.List;

/**
 * The text of a generation as it streams: UTF-8-safe incremental decoding, then stop strings. Special tokens
 * are skipped in the text.
 */
public final class StreamingText {
    private final StreamingDecoder decoder;
    private final StopStringMatcher stops;
    private final StringBuilder text = new StringBuilder();

    /** @param context the ids just before the generated ones (the prompt) */
    public StreamingText(TextTokenizer tokenizer, int[] context, List<String> stopStrings) {
        this.decoder = new StreamingDecoder(tokenizer, context, true);
        this.stops = new StopStringMatcher(stopStrings);
    }

    /** Adds a token; returns the text that may be shown now. */
    public String push(int tokenId) {
        String piece = stops.accept(decoder.push(tokenId));
        text.append(piece);
        return piece;
    }

    /** True once a stop string appeared; the text ends before it. */
    public boolean stopped() {
        return stops.stopped();
    }

    /** Emits whatever was held back at the end of generation. */
    public String flush() {
        String piece = stops.stopped() ? "" : stops.accept(decoder.flush()) + stops.flush();
        text.append(piece);
        return piece;
    }

    /** All text emitted so far. */
    public String text() {
        return text.toString();
    }
}
