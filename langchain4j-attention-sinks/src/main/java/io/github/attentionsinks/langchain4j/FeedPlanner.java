package io.github.attentionsinks.langchain4j;

import dev.langchain4j.agent.tool.ToolSpecification;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.UserMessage;
import io.github.attentionsinks.Session;
import io.github.attentionsinks.cache.CacheConfig;
import io.github.attentionsinks.tokenizer.TextTokenizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a chat turn feeds its session, as token ids: the incoming conversation rendered in the shape the template
 * accepts, compared by messages ({@link ConversationRecord}) and then by text ({@link TurnPlanner}) with what the
 * session's cache holds ({@link CacheTranscript}); the rest is encoded as a continuation. When the cache cannot
 * follow, the plan rebuilds the session from the whole rendering, and says how much of it is the beginning that
 * conversations with the same system messages and tools share ({@link SharedPrefixes}). No threads or native memory:
 * the tokenizer and the template only.
 */
final class FeedPlanner {
    /** Rebuilds are logged under the engine's name, as docs/langchain4j.md says. */
    private static final Logger log = LoggerFactory.getLogger(ChatSessionEngine.class);

    private final ChatTemplate template;
    private final TextTokenizer tokenizer;
    private final CacheConfig cache;
    private final boolean shareBeginnings;
    /** The tokens of a newline, which {@link #encodeContinuation} encodes before a text and removes. */
    private final int[] anchorIds;
    /**
     * {@link #sharedBeginning}'s two probe renderings, as tokens, for the system messages and tools conversations
     * started with (at most {@link #PROBES_KEPT}, least recently used dropped first): the same for every conversation
     * that starts with them, so a first turn need not render and encode them again (6–25 ms of each first turn of
     * eight conversations starting together, docs/benchmarks.md). Probes rendered on an earlier day (templates that
     * print the date) can only end a beginning sooner: it is where the probes and the prompt agree.
     */
    private final Map<ProbeKey, int[][]> probesByLead = Collections.synchronizedMap(
            new LinkedHashMap<>(16, 0.75f, true) {
                @Override
                protected boolean removeEldestEntry(Map.Entry<ProbeKey, int[][]> eldest) {
                    return size() > PROBES_KEPT;
                }
            });
    private static final int PROBES_KEPT = 32;

    private record ProbeKey(HistoryShape shape, List<ChatMessage> lead, List<ToolSpecification> tools) {}

    FeedPlanner(ChatTemplate template, TextTokenizer tokenizer, CacheConfig cache, boolean shareBeginnings) {
        this.template = template;
        this.tokenizer = tokenizer;
        this.cache = cache;
        this.shareBeginnings = shareBeginnings;
        this.anchorIds = tokenizer.encode("\n", false);
    }

    /**
     * Whether the tokenizer drops the first token's leading space when it decodes a text on its own, as
     * SentencePiece-style tokenizers do (and Hugging Face's replies with them).
     */
    boolean dropsLeadingSpace() {
        int[] probe = tokenizer.encode("hello", false);
        String standalone = tokenizer.decode(probe, true);
        return (" " + standalone).equals(continuationText(anchorIds, probe));
    }

    /**
     * What to feed this turn: rewind the {@code rewind} newest tokens then feed {@code ids}, or (rebuild) reset the
     * session and feed {@code ids}. {@code messages} is the conversation the session holds afterwards (before the
     * reply). {@code shareable}: how many of a rebuild's first ids any conversation with the same system messages and
     * tools starts with (0 when beginnings are not shared, or for a continuation).
     */
    record Plan(List<ChatMessage> messages, int[] ids, int rewind, boolean rebuild, int shareable) {}

    /**
     * What this turn feeds: a continuation where the cache can follow the incoming conversation, else a rebuild.
     *
     * @param record what the session consumed, or null (no turn completed, or the last one failed)
     * @param turns turns the session served
     * @param session the session, or null before its first turn
     * @param transcript the tokens in the session's cache and their text
     * @param key the memory id, for the log
     */
    Plan plan(ConversationRecord record, int turns, Session session, CacheTranscript transcript,
            List<ChatMessage> incoming, List<ToolSpecification> tools, Object key) {
        Rendering rendering = renderAccepted(incoming, tools);
        String why;
        if (record == null) {
            why = turns == 0 ? null : "the previous turn did not complete";
        } else if (session == null || transcript.streamLength() != session.streamLength()
                || transcript.length() != session.cacheLength()) {
            // never expected: the transcript follows every change of the cache; a rebuild puts them in step again
            log.warn("Session {}: its transcript is out of step with its cache; rebuilding", key);
            why = "the transcript is out of step with the cache";
        } else if (!record.tools().equals(tools)) {
            // the tools are part of the rendered prompt (usually the system turn): what the cache holds is stale
            why = "the tool specifications differ from the previous turn's";
        } else {
            ConversationRecord.Alignment a = record.continuedBy(incoming);
            if (a == null) {
                why = "the messages do not continue the conversation this session consumed";
            } else {
                Optional<TurnPlanner.Cut> cut = Optional.empty();
                try {
                    String prompt = rendering.render(template, a.messages().subList(0, a.replyIndex()), tools);
                    String before = prompt + record.replyFedText();
                    cut = TurnPlanner.cut(transcript.tail(), before, prompt.length(), rendering.text());
                } catch (ChatTemplate.ChatTemplateException e) {
                    log.debug("Session {}: the template refuses the conversation before the last reply", key, e);
                }
                if (cut.isEmpty()) {
                    why = "the conversation as rendered now departs from the session before its newest "
                            + transcript.rewindable() + " tokens (evicted or sinks)";
                } else {
                    int[] ids = encodeContinuation(rendering.text().substring(cut.get().feedFrom()));
                    if (ids.length > 0) {
                        if (cut.get().dropTokens() > 0) {
                            log.debug("Session {}: rewinding {} tokens where the conversation is rendered "
                                    + "differently now", key, cut.get().dropTokens());
                        }
                        return new Plan(new ArrayList<>(incoming), ids, cut.get().dropTokens(), false, 0);
                    }
                    why = "there is nothing new to feed";
                }
            }
        }
        if (why != null) {
            log.debug("Rebuilding session {} from {} messages: {}", key, incoming.size(), why);
        }
        int[] ids = tokenizer.encode(rendering.text(), false);
        if (cache.bounded() && ids.length > cache.capacity()) {
            // The cache would keep only the first S and the last W tokens anyway: feed just those.
            int s = cache.attentionSinkSize();
            int w = cache.windowSize();
            int[] kept = new int[s + w];
            System.arraycopy(ids, 0, kept, 0, s);
            System.arraycopy(ids, ids.length - w, kept, s, w);
            log.debug("Session {}: rebuild keeps {} of {} prompt tokens (sinks + window)", key, kept.length,
                    ids.length);
            ids = kept;
        }
        return new Plan(new ArrayList<>(incoming), ids, 0, true, sharedBeginning(rendering, incoming, tools, ids));
    }

    /**
     * How many of a rebuilt prompt's first tokens any conversation with the same system messages and tools starts
     * with: where two renderings that differ only in the first user message's text stop agreeing, and {@code ids}
     * agrees with them so far. 0 when prompt beginnings are not shared.
     */
    private int sharedBeginning(Rendering rendering, List<ChatMessage> incoming, List<ToolSpecification> tools,
            int[] ids) {
        if (!shareBeginnings) {
            return 0;
        }
        List<ChatMessage> lead = new ArrayList<>();
        for (ChatMessage m : incoming) {
            if (!(m instanceof SystemMessage)) {
                break;
            }
            lead.add(m);
        }
        ProbeKey key = new ProbeKey(rendering.shape(), List.copyOf(lead), List.copyOf(tools));
        int[][] probes = probesByLead.get(key);
        if (probes == null) {
            probes = probe(rendering, lead, tools);
            probesByLead.put(key, probes);
        }
        if (probes.length == 0) {
            return 0; // the template wants more than a system and a user message: nothing is shared
        }
        return SharedPrefixes.commonLength(probes[0], probes[1], ids);
    }

    /**
     * The tokens of {@code lead} followed by a user message "A", and by "Z", rendered in {@code rendering}'s shape;
     * none when the template refuses such a conversation.
     */
    private int[][] probe(Rendering rendering, List<ChatMessage> lead, List<ToolSpecification> tools) {
        int[][] probes = new int[2][];
        try {
            for (int i = 0; i < 2; i++) {
                List<ChatMessage> probe = new ArrayList<>(lead);
                probe.add(UserMessage.from(i == 0 ? "A" : "Z"));
                probes[i] = tokenizer.encode(rendering.render(template, probe, tools), false);
            }
        } catch (ChatTemplate.ChatTemplateException e) {
            return new int[0][];
        }
        return probes;
    }

    /**
     * The incoming conversation rendered with the generation prompt, in the first form the template accepts: as it
     * is, else reshaped for strict templates ({@link StrictHistory}), else also without a system role. Earlier
     * parts of the conversation are rendered in the same form, so that the two renderings compare.
     */
    private Rendering renderAccepted(List<ChatMessage> incoming, List<ToolSpecification> tools) {
        ChatTemplate.ChatTemplateException refusal = null;
        for (HistoryShape shape : HistoryShape.values()) {
            try {
                return new Rendering(shape, shape.render(template, incoming, tools));
            } catch (ChatTemplate.ChatTemplateException e) {
                if (!e.refusedByTemplate()) {
                    throw e;
                }
                if (refusal == null) {
                    refusal = e;
                } else {
                    refusal.addSuppressed(e);
                }
            }
        }
        throw refusal;
    }

    /** The forms a history is rendered in, tried in this order until the template accepts one. */
    enum HistoryShape {
        AS_IS,
        STRICT,
        NO_SYSTEM_ROLE;

        List<ChatMessage> apply(List<ChatMessage> messages) {
            return switch (this) {
                case AS_IS -> messages;
                case STRICT -> StrictHistory.of(messages);
                case NO_SYSTEM_ROLE -> StrictHistory.withoutSystemRole(messages);
            };
        }

        String render(ChatTemplate template, List<ChatMessage> messages, List<ToolSpecification> tools) {
            return template.render(apply(messages), tools, true);
        }
    }

    /** A conversation rendered in the given shape. */
    private record Rendering(HistoryShape shape, String text) {
        /** Renders another list (an earlier part of the conversation) in the same shape. */
        String render(ChatTemplate template, List<ChatMessage> messages, List<ToolSpecification> tools) {
            return shape.render(template, messages, tools);
        }
    }

    /**
     * Tokens of text that continues a stream. SentencePiece tokenizers put a space marker before the first piece
     * of any text they encode, so the text is encoded after a newline anchor whose tokens are then removed.
     */
    int[] encodeContinuation(String text) {
        int[] both = tokenizer.encode("\n" + text, false);
        if (both.length >= anchorIds.length
                && Arrays.equals(Arrays.copyOf(both, anchorIds.length), anchorIds)) {
            return Arrays.copyOfRange(both, anchorIds.length, both.length);
        }
        return tokenizer.encode(text, false);
    }

    /** The text {@code ids} add after {@code context} (decoding in context keeps their leading space). */
    String continuationText(int[] context, int[] ids) {
        if (ids.length == 0) {
            return "";
        }
        int[] all = Arrays.copyOf(context, context.length + ids.length);
        System.arraycopy(ids, 0, all, context.length, ids.length);
        String base = tokenizer.decode(context, false);
        String full = tokenizer.decode(all, false);
        return full.startsWith(base) ? full.substring(base.length()) : null;
    }
}
