package io.github.attentionsinks.langchain4j;

import dev.langchain4j.agent.tool.ToolSpecification;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import io.github.attentionsinks.AttentionSinkModel;
import io.github.attentionsinks.Session;
import io.github.attentionsinks.cache.CacheConfig;
import io.github.attentionsinks.tokenizer.StreamingDecoder;
import io.github.attentionsinks.tokenizer.TextTokenizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * One conversation of a {@link ChatSessionEngine}: its session (created on first use), what its cache holds as tokens
 * and text ({@link CacheTranscript}) and as messages ({@link ConversationRecord}), and its statistics. Used by one
 * worker thread at a time ({@link SessionRegistry}); the record and the statistics are also read by other threads.
 */
final class ConversationState implements SessionRegistry.State {
    private final AttentionSinkModel model;
    private final CacheConfig cache;
    private final TextTokenizer tokenizer;
    Session session;
    /** The cache's tokens and their text, kept in step with the session by the turns. */
    final CacheTranscript transcript;
    /**
     * What the cache holds, published before the turn's callbacks run (so a caller that got its reply sees it); null
     * while a turn changes the cache or after a failure (the next turn then rebuilds).
     */
    volatile ConversationRecord record;
    int turns;
    /** Turns that rebuilt the session, and turns that rewound it (counted as they do it, failed turns included). */
    int rebuilds;
    int rewinds;
    private ChatSessionStats.Continuation lastTurn = ChatSessionStats.Continuation.NONE;
    private int lastRewoundTokens;
    private int lastInputTokens;
    private int lastSharedTokens;
    private int lastOutputTokens;
    private volatile ChatSessionStats stats;

    ConversationState(AttentionSinkModel model, CacheConfig cache, TextTokenizer tokenizer) {
        this.model = model;
        this.cache = cache;
        this.tokenizer = tokenizer;
        this.transcript = new CacheTranscript(cache);
    }

    Session session() {
        if (session == null) {
            session = model.newSession(cache);
        }
        return session;
    }

    /**
     * Records what a turn fed (its prompt ids, then the reply ids that reached the cache) with each token's text in
     * context, and returns the reply's text as fed.
     */
    String transcribe(int[] promptIds, int[] replyIds) {
        int[] all = Arrays.copyOf(promptIds, promptIds.length + replyIds.length);
        System.arraycopy(replyIds, 0, all, promptIds.length, replyIds.length);
        StreamingDecoder decoder = new StreamingDecoder(tokenizer, transcript.lastIds(8), false);
        String[] pieces = new String[all.length];
        for (int i = 0; i < all.length; i++) {
            pieces[i] = decoder.push(all[i]);
        }
        if (all.length > 0) {
            pieces[all.length - 1] += decoder.flush();
        }
        transcript.append(all, pieces);
        StringBuilder reply = new StringBuilder();
        for (int i = promptIds.length; i < all.length; i++) {
            reply.append(pieces[i]);
        }
        return reply.toString();
    }

    void record(ConversationRecord old, List<ChatMessage> messages, List<ToolSpecification> tools, AiMessage reply,
            String fedText, boolean cancelled) {
        List<Boolean> flags = new ArrayList<>(messages.size() + 1);
        for (ChatMessage m : messages) {
            flags.add(old != null && old.isGhost(m));
        }
        List<ChatMessage> c = new ArrayList<>(messages);
        c.add(reply);
        flags.add(cancelled);
        record = fedText == null ? null : new ConversationRecord(List.copyOf(c), List.copyOf(flags), fedText, tools);
    }

    /** Where {@code incoming} continues this conversation, or null. */
    ConversationRecord.Alignment continuedBy(List<ChatMessage> incoming) {
        ConversationRecord r = record;
        return r == null ? null : r.continuedBy(incoming);
    }

    /**
     * Counts a finished turn: how it continued the cache ({@code plan}), the prompt tokens of it that were copied from
     * a shared beginning, the tokens generated; then publishes the statistics.
     */
    void turnDone(FeedPlanner.Plan plan, int copied, int generated, Session s) {
        lastInputTokens = plan.ids().length - copied;
        lastSharedTokens = copied;
        lastOutputTokens = generated;
        lastRewoundTokens = plan.rewind();
        lastTurn = plan.rebuild() ? (turns == 0 ? ChatSessionStats.Continuation.BUILT
                : ChatSessionStats.Continuation.REBUILT)
                : plan.rewind() > 0 ? ChatSessionStats.Continuation.REWOUND : ChatSessionStats.Continuation.CONTINUED;
        turns++;
        snapshot(s);
    }

    ChatSessionStats stats(Object key) {
        ChatSessionStats s = stats;
        return s == null
                ? new ChatSessionStats(key, 0, 0, 0, ChatSessionStats.Continuation.NONE, 0, 0, 0, 0, 0, 0, 0)
                : new ChatSessionStats(key, s.turns(), s.rebuilds(), s.rewinds(), s.lastTurn(), s.lastRewoundTokens(),
                        s.lastInputTokens(), s.lastSharedTokens(), s.lastOutputTokens(), s.streamLength(),
                        s.cacheLength(), s.cacheBytes());
    }

    private void snapshot(Session s) {
        stats = new ChatSessionStats(null, turns, rebuilds, rewinds, lastTurn, lastRewoundTokens, lastInputTokens,
                lastSharedTokens, lastOutputTokens, s.streamLength(), s.cacheLength(), s.cacheBytes());
    }

    /** After a failed turn: the statistics as the session now stands, if it can tell. */
    void snapshotSafely() {
        try {
            if (session != null) {
                snapshot(session);
            }
        } catch (RuntimeException ignored) {
            // stats are best effort
        }
    }

    @Override
    public void close() {
        if (session != null) {
            session.close();
            session = null;
        }
        transcript.clear();
        record = null;
    }
}
