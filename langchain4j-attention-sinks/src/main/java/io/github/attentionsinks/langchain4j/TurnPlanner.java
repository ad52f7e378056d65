package io.github.attentionsinks.langchain4j;

import java.util.Optional;

/**
 * Where a chat turn continues a session's cache: pure text logic, no tokenizer, threads or native memory.
 *
 * <h2>The texts compared</h2>
 * <ul>
 *   <li>{@code held}: the text of the cache's rewindable tokens (the window; everything before any eviction).
 *   <li>{@code before}: what the cache's newest part says <em>as the template renders it now</em>: the incoming
 *       messages up to the session's last reply, rendered with the generation prompt, followed by the reply exactly
 *       as it was fed. It is rendered from the same message list as {@code now}, so messages a sliding chat memory
 *       dropped are absent from both.
 *   <li>{@code now}: the whole incoming conversation, rendered with the generation prompt.
 * </ul>
 * The common suffix of {@code held} and {@code before} is what the cache is known to hold. The first place where
 * {@code before} and {@code now} differ is where the conversation, as rendered now, departs from it: a reply trimmed
 * by the template ({@code | trim}), reasoning dropped from earlier turns, a system prompt moved to the newest user
 * turn, a cancelled reply the client did not keep. The cache drops its tokens from there (rounded back to a token
 * boundary) and the rest of {@code now} is fed. White space at the very start of the reply may differ without a
 * cut: a template that writes {@code "Assistant: "} renders {@code "Assistant: 's"} for a reply generated as
 * {@code "Assistant:'s"}, and the cache keeps what the model generated.
 *
 * <p>No cut exists (the caller rebuilds) when the divergence lies before what the cache can still drop: in evicted
 * tokens, in the sinks, or where the cache holds something other than {@code before} says.
 */
final class TurnPlanner {
    private TurnPlanner() {}

    /**
     * How to continue: drop the {@code dropTokens} newest tokens, then feed {@code now.substring(feedFrom)}.
     *
     * @param dropTokens newest tokens to rewind (0 when the cache's text is a prefix of what is rendered now)
     * @param feedFrom offset in {@code now} of the text to feed
     */
    record Cut(int dropTokens, int feedFrom) {}

    /**
     * @param tail the cache's rewindable tokens and their text
     * @param before the conversation up to and including the session's last reply, as rendered now (see above)
     * @param replyStart offset in {@code before} where the reply begins (after the generation prompt), or -1
     * @param now the incoming conversation rendered with the generation prompt
     * @return the cut, or empty when the session must be rebuilt
     */
    static Optional<Cut> cut(CacheTranscript.Tail tail, String before, int replyStart, String now) {
        String held = tail.text();
        int known = commonSuffix(held, before);
        if (known == 0) {
            return Optional.empty();
        }
        int heldStart = held.length() - known;
        int beforeStart = before.length() - known;
        Divergence d = diverge(before, now, replyStart);
        if (d.inBefore() < beforeStart) {
            return Optional.empty(); // departs where the cache cannot follow
        }
        int limit = heldStart + (d.inBefore() - beforeStart);
        for (int attempt = 0; attempt < 2; attempt++) {
            int token = lastCleanTokenEndingBy(tail, limit);
            int boundary = token < 0 ? 0 : tail.ends()[token];
            int inBefore = beforeStart + (boundary - heldStart);
            if (inBefore < 0) {
                return Optional.empty();
            }
            int feedFrom = d.toNow(inBefore);
            if (feedFrom < now.length()) {
                return Optional.of(new Cut(tail.tokens() - 1 - token, feedFrom));
            }
            // Nothing new would be fed (the request repeats what the session holds): re-feed the last token's text.
            if (boundary == 0) {
                return Optional.empty();
            }
            limit = boundary - 1;
        }
        return Optional.empty();
    }

    /** The last token (index) that ends at or before {@code limit} on a whole character, or -1 for none. */
    private static int lastCleanTokenEndingBy(CacheTranscript.Tail tail, int limit) {
        int[] ends = tail.ends();
        for (int i = ends.length - 1; i >= 0; i--) {
            if (ends[i] >= 0 && ends[i] <= limit) {
                return i;
            }
        }
        return -1;
    }

    /**
     * Where {@code before} and {@code now} first differ, allowing different white space at {@code replyStart}.
     *
     * @param inBefore offset in {@code before} of the first difference ({@code before.length()} if none)
     * @param skipBefore,skipNow white space skipped at {@code replyStart} in each (0 and 0 when none was)
     */
    record Divergence(int inBefore, int inNow, int replyStart, int skipBefore, int skipNow) {
        /** The offset in {@code now} that corresponds to offset {@code i <= inBefore} of {@code before}. */
        int toNow(int i) {
            if (replyStart < 0 || i <= replyStart) {
                return i;
            }
            if (i <= replyStart + skipBefore) {
                return replyStart + skipNow; // inside the skipped white space: feed from after now's
            }
            return i - skipBefore + skipNow;
        }
    }

    static Divergence diverge(String before, String now, int replyStart) {
        int p = commonPrefix(before, 0, now, 0);
        // Tolerated only when the first difference lies in the white space that starts the reply.
        if (replyStart < 0 || p < replyStart || p == before.length()
                || leadingWhitespace(before, replyStart) < p - replyStart) {
            return new Divergence(p, p, replyStart, 0, 0);
        }
        int skipBefore = leadingWhitespace(before, replyStart);
        int skipNow = leadingWhitespace(now, replyStart);
        if (skipBefore == 0 && skipNow == 0) {
            return new Divergence(p, p, replyStart, 0, 0);
        }
        int q = commonPrefix(before, replyStart + skipBefore, now, replyStart + skipNow);
        return new Divergence(replyStart + skipBefore + q, replyStart + skipNow + q, replyStart, skipBefore,
                skipNow);
    }

    private static int leadingWhitespace(String s, int from) {
        int i = from;
        while (i < s.length() && Character.isWhitespace(s.charAt(i))) {
            i++;
        }
        return i - from;
    }

    static int commonPrefix(String a, int i, String b, int j) {
        int n = 0;
        while (i + n < a.length() && j + n < b.length() && a.charAt(i + n) == b.charAt(j + n)) {
            n++;
        }
        return n;
    }

    static int commonSuffix(String a, String b) {
        int n = 0;
        while (n < a.length() && n < b.length() && a.charAt(a.length() - 1 - n) == b.charAt(b.length() - 1 - n)) {
            n++;
        }
        return n;
    }
}
