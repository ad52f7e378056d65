package io.github.attentionsinks.examples.assistant;

import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.memory.chat.MessageWindowChatMemory;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.PartialResponse;
import dev.langchain4j.model.chat.response.PartialResponseContext;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.chat.response.StreamingHandle;
import io.github.attentionsinks.langchain4j.AttentionSinkChatRequestParameters;
import io.github.attentionsinks.langchain4j.AttentionSinkStreamingChatModel;
import io.github.attentionsinks.langchain4j.ChatSessionStats;
import io.github.attentionsinks.spring.AttentionSinksProperties;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Service;

/**
 * Conversations: created and deleted in Redis, and their turns run on the streaming chat model.
 *
 * <p>A turn reads the stored messages, sends them with the new message to the model under the conversation's id
 * (its memory id, so the model keeps one attention-sink session per conversation) and, once the reply is complete,
 * stores the message and the reply together in one write through a {@link MessageWindowChatMemory}. A failed or
 * cancelled turn stores nothing, so the conversation stays as it was: nothing lost, nothing duplicated. After a
 * restart (or on another instance) the model has no session for the conversation and builds it from the stored
 * messages, encoding at most S + W tokens; that is logged with the count.
 */
@Service
public class ConversationService {
    private static final Logger log = LoggerFactory.getLogger(ConversationService.class);

    private final AttentionSinkStreamingChatModel model;
    private final RedisChatMemoryStore store;
    private final AssistantProperties properties;
    private final int cacheCapacity;
    private final Set<String> answering = ConcurrentHashMap.newKeySet();

    public ConversationService(AttentionSinkStreamingChatModel model, RedisChatMemoryStore store,
            AssistantProperties properties, AttentionSinksProperties modelProperties) {
        this.model = model;
        this.store = store;
        this.properties = properties;
        this.cacheCapacity = modelProperties.getAttentionSinkSize() + modelProperties.getWindowSize();
    }

    /** Creates an empty conversation (with the configured system message) and returns its id. */
    public String create() {
        List<ChatMessage> initial = properties.systemMessage().isBlank()
                ? List.of() : List.of(SystemMessage.from(properties.systemMessage()));
        String id;
        do {
            id = ConversationIds.newId();
        } while (!store.create(id, initial)); // 160 random bits: a collision is astronomically unlikely
        return id;
    }

    /** The conversation's user and assistant messages, oldest first. */
    public List<ChatLine> history(String id) {
        List<ChatLine> lines = new ArrayList<>();
        for (ChatMessage message : load(id)) {
            if (message instanceof UserMessage user) {
                lines.add(new ChatLine("user", user.singleText()));
            } else if (message instanceof AiMessage ai) {
                lines.add(new ChatLine("assistant", ai.text() == null ? "" : ai.text()));
            }
        }
        return lines;
    }

    /** Deletes the conversation and frees its model session. */
    public void delete(String id) {
        if (!ConversationIds.isWellFormed(id) || !store.delete(id)) {
            throw new ConversationNotFoundException(id);
        }
        model.evictSession(id);
    }

    /**
     * Starts a turn; the reply goes to {@code listener}.
     *
     * @throws ConversationNotFoundException for an unknown id
     * @throws MessageTooLongException over {@code assistant.max-message-chars}
     * @throws ConversationBusyException while the conversation's previous reply is still being generated
     * @throws io.github.attentionsinks.CapacityExceededException when the model has as many requests as it queues
     * @throws org.springframework.dao.DataAccessException when Redis cannot be reached
     */
    public Turn send(String id, String text, TurnListener listener) {
        if (text.length() > properties.maxMessageChars()) {
            throw new MessageTooLongException(text.length(), properties.maxMessageChars());
        }
        if (!ConversationIds.isWellFormed(id)) {
            throw new ConversationNotFoundException(id);
        }
        // Claimed before reading: a history read while the previous turn is still being stored would lose that turn.
        if (!answering.add(id)) {
            throw new ConversationBusyException(id);
        }
        try {
            List<ChatMessage> history = load(id);
            UserMessage message = UserMessage.from(text);
            List<ChatMessage> messages = new ArrayList<>(history);
            messages.add(message);
            ChatRequest request = ChatRequest.builder()
                    .messages(messages)
                    .parameters(AttentionSinkChatRequestParameters.builder().memoryId(id).build())
                    .build();
            ReplyHandler handler = new ReplyHandler(id, messages, listener);
            handler.handle = model.startChat(request, handler);
            return handler;
        } catch (RuntimeException e) {
            answering.remove(id);
            throw e;
        }
    }

    private List<ChatMessage> load(String id) {
        if (!ConversationIds.isWellFormed(id)) {
            throw new ConversationNotFoundException(id);
        }
        return store.find(id).orElseThrow(() -> new ConversationNotFoundException(id));
    }

    /** One turn's bridge from the model's callbacks to the listener; ends the turn exactly once. */
    private final class ReplyHandler implements StreamingChatResponseHandler, Turn {
        private final String id;
        private final List<ChatMessage> messages;
        private final TurnListener listener;
        private final long startNanos = System.nanoTime();
        private final AtomicBoolean ended = new AtomicBoolean();
        private volatile boolean cancelRequested;
        /** The model's handle of this turn, set as soon as the turn is queued. */
        private volatile StreamingHandle handle;

        ReplyHandler(String id, List<ChatMessage> messages, TurnListener listener) {
            this.id = id;
            this.messages = messages;
            this.listener = listener;
        }

        /**
         * Cancels the turn at the model, which stops within a token or, while the turn still waits for its place,
         * never runs it; no callback follows, so the conversation is freed here.
         */
        @Override
        public void cancel() {
            cancelRequested = true; // also seen at the next piece, should the handle not be set yet
            StreamingHandle turn = handle;
            if (turn != null) {
                turn.cancel();
                if (end()) {
                    log.info("conversation {}: reply cancelled (client gone or timed out); nothing stored",
                            LogIds.shorten(id));
                }
            }
        }

        @Override
        public void onPartialResponse(PartialResponse partial, PartialResponseContext context) {
            if (ended.get()) {
                return;
            }
            if (!cancelRequested) {
                try {
                    listener.onToken(partial.text());
                    return;
                } catch (RuntimeException e) {
                    log.debug("conversation {}: client gone ({})", LogIds.shorten(id), e.toString());
                }
            }
            context.streamingHandle().cancel();
            if (end()) {
                log.info("conversation {}: reply cancelled (client gone or timed out); nothing stored",
                        LogIds.shorten(id));
            }
        }

        @Override
        public void onPartialResponse(String partialResponse) {
            throw new UnsupportedOperationException("the two-argument onPartialResponse is used");
        }

        @Override
        public void onCompleteResponse(ChatResponse response) {
            if (ended.get()) {
                return;
            }
            if (cancelRequested) { // the client left (or timed out) after the last piece: it never saw "done"
                if (end()) {
                    log.info("conversation {}: reply cancelled (client gone or timed out); nothing stored",
                            LogIds.shorten(id));
                }
                return;
            }
            List<ChatMessage> stored = new ArrayList<>(messages);
            stored.add(response.aiMessage());
            MessageWindowChatMemory memory = MessageWindowChatMemory.builder()
                    .id(id).maxMessages(properties.memoryMaxMessages()).chatMemoryStore(store).build();
            try {
                memory.set(stored); // one SET of message and reply together, trimmed to the window
            } catch (RuntimeException e) {
                log.warn("conversation {}: reply not stored: {}", LogIds.shorten(id), e.toString());
                if (end()) {
                    listener.onError("The reply could not be saved (" + describe(e) + "); the conversation is as it "
                            + "was before this message: send it again");
                }
                return;
            }
            if (!end()) {
                return;
            }
            double seconds = (System.nanoTime() - startNanos) / 1e9;
            int output = response.tokenUsage() == null ? 0 : response.tokenUsage().outputTokenCount();
            int input = response.tokenUsage() == null ? 0 : response.tokenUsage().inputTokenCount();
            ChatSessionStats stats = model.sessionStats(id).orElse(null);
            String continuation = stats == null ? "NONE" : stats.lastTurn().name();
            if (stats != null && (stats.lastTurn() == ChatSessionStats.Continuation.BUILT
                    || stats.lastTurn() == ChatSessionStats.Continuation.REBUILT)) {
                log.info("conversation {}: session {} from {} stored messages: {} tokens encoded (bound S + W = {})",
                        LogIds.shorten(id), continuation.toLowerCase(), messages.size() - 1, input, cacheCapacity);
            }
            List<ChatMessage> window = stored.subList(Math.max(0, stored.size() - properties.memoryMaxMessages()),
                    stored.size()); // what the memory kept
            int turns = (int) window.stream().filter(m -> m instanceof UserMessage).count();
            listener.onDone(new TurnSummary(response.finishReason() == null ? "STOP" : response.finishReason().name(),
                    input, output, seconds > 0 ? output / seconds : 0, stats == null ? 0 : stats.cacheLength(),
                    cacheCapacity, turns, continuation));
        }

        @Override
        public void onError(Throwable error) {
            if (ended.get()) {
                return;
            }
            log.warn("conversation {}: turn failed: {}", LogIds.shorten(id), error.toString());
            if (end()) {
                listener.onError("The reply failed (" + describe(error) + "); nothing was stored: send the message again");
            }
        }

        /** Marks the turn ended and frees the conversation for its next message; true the first time only. */
        private boolean end() {
            if (ended.compareAndSet(false, true)) {
                answering.remove(id);
                return true;
            }
            return false;
        }
    }

    private static String describe(Throwable e) {
        String message = e.getMessage();
        return message == null || message.isBlank() ? e.getClass().getSimpleName() : message;
    }
}
