package io.github.attentionsinks.langchain4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.langchain4j.memory.chat.MessageWindowChatMemory;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.service.AiServices;
import dev.langchain4j.service.MemoryId;
import dev.langchain4j.service.SystemMessage;
import dev.langchain4j.service.TokenStream;
import dev.langchain4j.service.UserMessage;
import io.github.attentionsinks.AttentionSinkModel;
import io.github.attentionsinks.Shared;
import io.github.attentionsinks.testmodels.RandomCheckpoints;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The chat path as a user meets it, on every real chat template in {@code shared/templates} (and the two shipped
 * with the real tokenizers): a random-weight model in a real vocabulary (Qwen3's for the Qwen and DeepSeek
 * templates, SmolLM2's for the others), an AI service with a {@code @SystemMessage}, a sliding
 * {@code MessageWindowChatMemory(12)}, two users over 30 turns each, replies cut by the token limit, ended by the
 * model's own end-of-turn tokens, and cancelled mid-stream. The cache (S = 4, W = 252) evicts within the first
 * turns.
 *
 * <p>Every turn must succeed, no turn after the first may rebuild its session, and a turn may feed at most the new
 * user message, the previous exchange (which some templates re-render: Mistral moves the system prompt into the
 * newest user turn, Qwen3 and DeepSeek-R1 drop earlier reasoning) and the template's markup. A rebuild would feed
 * the whole remembered conversation, far past that bound after a few turns. The second user's first turn must copy
 * the beginning the first user's encoded ({@link SharedPrefixes}): more tokens than the system prompt alone.
 */
class RealTemplatesConversationTest {
    static final int S = 4;
    static final int W = 252;
    static final int TURNS = 30;
    static final String SYSTEM = "You are a helpful assistant. Answer briefly.";
    /** Template markup of one exchange and a generation prompt, and a date line, in the tokens of either vocabulary. */
    static final int MARKUP = 80;

    interface Assistant {
        @SystemMessage(SYSTEM)
        TokenStream chat(@MemoryId String user, @UserMessage String message);
    }

    static Stream<Arguments> templates() throws IOException {
        Path dir = Shared.dir().resolve("templates");
        List<Path> files;
        try (Stream<Path> list = Files.list(dir)) {
            files = list.filter(p -> p.toString().endsWith(".jinja")).sorted().toList();
        }
        Stream<Arguments> shipped = Stream.of(
                Arguments.of("qwen3 tokenizer's own", "qwen3", RandomCheckpoints.qwen3Tokenizer(), null),
                Arguments.of("smollm2 tokenizer's own", "llama", RandomCheckpoints.smollm2Tokenizer(), null));
        String only = System.getProperty("templates.only", "");
        return Stream.concat(shipped, files.stream().filter(f -> f.toString().contains(only)).map(f -> {
            String name = f.getFileName().toString().toLowerCase(Locale.ROOT);
            boolean qwenVocab = name.contains("qwen") || name.contains("deepseek");
            String family = name.contains("qwen3") ? "qwen3" : qwenVocab ? "qwen2"
                    : name.contains("gemma-2") ? "gemma2" : name.contains("gemma") ? "gemma"
                    : name.contains("phi") ? "phi3" : name.contains("mistral") ? "mistral" : "llama";
            return Arguments.of(f.getFileName().toString(), family,
                    qwenVocab ? RandomCheckpoints.qwen3Tokenizer() : RandomCheckpoints.smollm2Tokenizer(), f);
        }));
    }

    @ParameterizedTest(name = "{0} ({1})")
    @MethodSource("templates")
    void twoUsersOverThirtyTurnsNeverRebuildAfterTheFirst(String name, String family, Path tokenizer, Path template)
            throws Exception {
        Path dir = RandomCheckpoints.write(Path.of("target", "test-models", "templates",
                name.replaceAll("[^A-Za-z0-9_.-]", "_")), family, tokenizer, 11, template);
        try (AttentionSinkModel model = AttentionSinkModel.builder().modelPath(dir).device("cpu").load();
             AttentionSinkStreamingChatModel chat = AttentionSinkStreamingChatModel.builder().model(model)
                     .attentionSinkSize(S).windowSize(W).maxNewTokens(10).temperature(1.0).seed(5L).build()) {
            Assistant assistant = AiServices.builder(Assistant.class)
                    .streamingChatModel(chat)
                    .chatMemoryProvider(id -> MessageWindowChatMemory.withMaxMessages(12))
                    .chatRequestTransformer(AttentionSinks.memoryIdTransformer())
                    .build();
            String[] users = {"ann", "bo"};
            String[] previousExchange = {"", ""};
            int maxInput = 0;
            int rewinds = 0;
            int shared = -1;
            for (int t = 0; t < TURNS; t++) {
                for (int u = 0; u < users.length; u++) {
                    String message = (u == 0 ? "Tell me more about the red fox, part " : "¿Qué hizo el gato? 第")
                            + t + (u == 0 ? "." : "部 🐈");
                    boolean cancel = t % 7 == 3;
                    Turn turn = turn(assistant, users[u], message, cancel);
                    ChatSessionStats stats = chat.sessionStats(users[u]).orElseThrow();
                    assertEquals(1, stats.rebuilds(), name + ", " + users[u] + ", turn " + t
                            + ": only the first turn may build the session; " + stats);
                    assertTrue(stats.cacheLength() <= S + W, stats.toString());
                    assertEquals(t == 0 ? ChatSessionStats.Continuation.BUILT : null,
                            t == 0 ? stats.lastTurn() : null, stats.toString());
                    if (t > 0) {
                        assertTrue(stats.lastTurn() == ChatSessionStats.Continuation.CONTINUED
                                || stats.lastTurn() == ChatSessionStats.Continuation.REWOUND, stats.toString());
                        int bound = model.tokenizer().encode(SYSTEM + previousExchange[u] + message, false).length
                                + MARKUP;
                        assertTrue(stats.lastInputTokens() <= bound, name + ", " + users[u] + ", turn " + t
                                + ": fed " + stats.lastInputTokens() + " tokens, more than the new message, the "
                                + "previous exchange and markup (" + bound + "); " + stats);
                        maxInput = Math.max(maxInput, stats.lastInputTokens());
                    }
                    if (t == 0 && u == 1) {
                        shared = stats.lastSharedTokens();
                    }
                    if (stats.lastTurn() == ChatSessionStats.Continuation.REWOUND) {
                        rewinds++;
                    }
                    previousExchange[u] = message + (turn.reply == null ? "" : turn.reply);
                }
            }
            int systemTokens = model.tokenizer().encode(SYSTEM, false).length;
            // The second user's first turn starts from the first user's beginning: the system prompt and markup.
            assertTrue(shared > systemTokens, name + ": the second conversation copied " + shared
                    + " tokens of its beginning, not even the " + systemTokens + " of the system prompt");
            System.out.printf("%-55s %-7s max input/turn %3d, turns with a rewind %2d of %d, beginning copied %3d%n",
                    name, family, maxInput, rewinds, TURNS * users.length, shared);
        }
    }

    /** What one streamed turn left: the reply text, or null when it was cancelled. */
    record Turn(String reply) {}

    static Turn turn(Assistant assistant, String user, String message, boolean cancel) throws Exception {
        CompletableFuture<ChatResponse> done = new CompletableFuture<>();
        AtomicInteger partials = new AtomicInteger();
        assistant.chat(user, message)
                .onPartialResponseWithContext((partial, context) -> {
                    if (cancel && partials.incrementAndGet() == 1) {
                        context.streamingHandle().cancel();
                        done.complete(null);
                    }
                })
                .onCompleteResponse(done::complete)
                .onError(done::completeExceptionally)
                .start();
        ChatResponse response = done.get(60, TimeUnit.SECONDS);
        if (cancel && response == null) {
            // the worker finishes the cancelled turn before the next request of this user runs
            return new Turn(null);
        }
        return new Turn(response.aiMessage().text());
    }
}
