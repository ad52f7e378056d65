package io.github.attentionsinks.langchain4j;

import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Throwaway conversations through a new chat engine's whole turn path (template, tokenizer, turn planning, shared
 * prompt beginnings, the decode loop, sampling, streaming of the reply), so that the first real conversations do not
 * pay for compiling it. The model's own warm-up ({@code AttentionSinkModel.warmUp}) compiles the kernels; the chat
 * path around them was still compiled during a fresh JVM's first eight conversations at once: 1.0–1.5 s of compiler
 * time in that round on 2 cores, 0.5–0.7 s after these conversations, and that round's rate rose from a median of 237
 * to 260 tokens/s in fifteen interleaved pairs (SmolLM-135M shape, docs/benchmarks.md).
 *
 * <p>The conversations go straight to the engine, not through a chat model: no listener hears them and no metric
 * counts them, and they are evicted afterwards. The prompt beginning they kept ({@link SharedPrefixes}: the template's
 * turns up to the first user message, a default system prompt among them, when that is long enough to keep) stays
 * kept, since every conversation without a system message begins with it: a fresh JVM's first conversations copy it
 * instead of encoding it before their own prompts. On the SmolLM-135M shape (SmolLM2's template, whose default system
 * prompt makes 24 tokens) a fresh JVM's first eight one-turn conversations at once made a median of 307 tokens/s
 * against 279 in twelve interleaved pairs, and a single first conversation's first token came after 47–65 ms instead
 * of 115–124 (docs/benchmarks.md, "The warm-up's prompt beginning kept"). Like the model's warm-up, only the first
 * in a JVM does the work, and only with the Java kernels.
 */
final class ChatWarmUp {
    private static final Logger log = LoggerFactory.getLogger(ChatWarmUp.class);
    private static final AtomicBoolean DONE = new AtomicBoolean();
    /** Conversations at once: a full batch of the default {@code maxBatchSize}. */
    static final int CONVERSATIONS = 8;
    /** Turns each: the first renders and encodes a new conversation, the second continues one. */
    static final int TURNS = 2;
    /**
     * Reply tokens a turn, so 64 eight-session decode steps: enough that the decoder's per-layer code
     * ({@code HeapForward.layer}, {@code PackedLinear.applyRows}) reaches C2 here. With 8 (16 steps) it reached C2
     * late in a fresh JVM's first real 8-user round, 145 ms of a compiler thread on 2 cores; with 32 that round's
     * compiler time fell from a median of 332 ms to 197 and its rate rose from a median of 282 to 295 tokens/s
     * (SmolLM-135M shape, 20 interleaved pairs, docs/benchmarks.md), for about a second more at startup.
     */
    static final int REPLY_TOKENS = 32;
    /** A large model's turns take seconds each: past this the turns still running are cancelled. */
    private static final long MAX_MILLIS = 5_000;

    private ChatWarmUp() {}

    /**
     * Warms {@code engine}'s turn path once per JVM, with the Java kernels only (with libtorch multiplying, the
     * conversations took 4.5 s on the SmolLM-135M shape for a path whose steps are three times slower anyway); see
     * the class comment. Never throws.
     */
    static void run(ChatSessionEngine engine, int conversations) {
        if (engine.model().javaKernels() && DONE.compareAndSet(false, true)) {
            try {
                warm(engine, conversations, MAX_MILLIS);
            } catch (RuntimeException e) {
                // Only a speed-up: the first conversations compile the chat path instead.
                log.warn("The chat warm-up failed; the first conversations will compile the chat path instead", e);
            }
        }
    }

    /**
     * The warm-up itself, whether or not this JVM has had one: {@code conversations} conversations of {@link #TURNS}
     * turns at once, then evicted.
     *
     * @return the turns that completed; fewer when some failed or ran past {@code maxMillis}
     */
    static int warm(ChatSessionEngine engine, int conversations, long maxMillis) {
        long start = System.nanoTime();
        long deadline = start + TimeUnit.MILLISECONDS.toNanos(maxMillis);
        List<Object> ids = new ArrayList<>();
        List<List<ChatMessage>> histories = new ArrayList<>();
        for (int c = 0; c < conversations; c++) {
            ids.add(new Object()); // a key no request of a user can name
            histories.add(new ArrayList<>());
        }
        int completed = 0;
        try {
            for (int turn = 0; turn < TURNS; turn++) {
                List<CompletableFuture<ChatResponse>> replies = new ArrayList<>();
                List<ChatTurnHandle> handles = new ArrayList<>();
                for (int c = 0; c < conversations; c++) {
                    histories.get(c).add(UserMessage.from(turn == 0
                            ? "Hello! Tell me something about the number " + (17 + 13 * c) + ", please."
                            : "And what about " + (18 + 13 * c) + "?"));
                    ChatTurnHandle handle = new ChatTurnHandle();
                    handles.add(handle);
                    replies.add(submit(engine, ids.get(c), histories.get(c), handle));
                }
                for (int c = 0; c < conversations; c++) {
                    AiMessage reply = await(replies.get(c), handles, deadline);
                    if (reply == null) {
                        return completed;
                    }
                    histories.get(c).add(reply);
                    completed++;
                }
            }
            return completed;
        } finally {
            // Not handed out yet: these are its only conversations (one still running: after it). The beginning they
            // kept stays: it is what every conversation without a system message begins with.
            engine.evictConversations();
            log.debug("Warmed up the chat path in {} ms ({} throwaway turns)",
                    (System.nanoTime() - start) / 1_000_000, completed);
        }
    }

    private static CompletableFuture<ChatResponse> submit(ChatSessionEngine engine, Object id,
            List<ChatMessage> history, ChatTurnHandle handle) {
        ChatRequest request = ChatRequest.builder().messages(List.copyOf(history))
                .parameters(AttentionSinkChatRequestParameters.builder().memoryId(id).maxOutputTokens(REPLY_TOKENS)
                        .build())
                .build();
        return engine.submitForReply(request, handle);
    }

    /**
     * The reply's message; null past {@code deadline}, when every turn of the round is cancelled (a cancelled turn
     * gets no callback, so nothing more is awaited). Past the deadline a reply is not taken even if it is already
     * there, so a warm-up given no time completes no turn, however fast a turn ran (CI once saw one finish before
     * the others were submitted).
     */
    private static AiMessage await(CompletableFuture<ChatResponse> reply, List<ChatTurnHandle> handles,
            long deadline) {
        try {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new TimeoutException();
            }
            return reply.get(left, TimeUnit.NANOSECONDS).aiMessage();
        } catch (TimeoutException e) {
            handles.forEach(ChatTurnHandle::cancel);
            log.debug("The chat warm-up ran past its time; its turns still running were cancelled");
            return null;
        } catch (InterruptedException e) {
            handles.forEach(ChatTurnHandle::cancel);
            Thread.currentThread().interrupt();
            return null;
        } catch (ExecutionException e) {
            handles.forEach(ChatTurnHandle::cancel);
            throw new IllegalStateException("a throwaway turn failed", e.getCause());
        }
    }
}
