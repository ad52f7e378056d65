package io.github.attentionsinks.examples.cli;

import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.PartialResponse;
import dev.langchain4j.model.chat.response.PartialResponseContext;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import io.github.attentionsinks.AttentionSinkModel;
import io.github.attentionsinks.cache.CacheConfig;
import io.github.attentionsinks.cache.CacheMode;
import io.github.attentionsinks.generate.GenerationParams;
import io.github.attentionsinks.langchain4j.AttentionSinkChatRequestParameters;
import io.github.attentionsinks.langchain4j.AttentionSinkStreamingChatModel;
import io.github.attentionsinks.langchain4j.ChatSessionStats;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code chat}: a REPL over the LangChain4j streaming chat model. Messages are rendered with the model's chat
 * template (a plain {@code User:/Assistant:} format for models without one); the conversation's session keeps an
 * attention-sink cache, so each turn encodes only the new message however long the chat has run. The CLI keeps the
 * last {@code --history} messages, as a LangChain4j {@code MessageWindowChatMemory} would.
 */
@Command(name = "chat", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Talk to a model in an endless conversation. Each input line is a user message, rendered "
                + "with the model's chat template; the reply is streamed to stdout and statistics go to stderr. "
                + "Commands: /reset forgets the conversation, /exit or /quit (or end of input) quits. A turn that "
                + "fails is reported and leaves the conversation as it was."})
final class ChatCommand implements Callable<Integer> {
    private static final String MEMORY_ID = "cli";
    /** What the REPL's commands do, as its banner and its hints say. */
    private static final String COMMANDS = "/reset forgets, /exit or /quit quits";

    @ParentCommand
    AttentionSinksCli cli;

    @Spec
    CommandSpec spec;

    @Mixin
    ModelOptions modelOptions;

    @Option(names = "--max-new-tokens", paramLabel = "N", defaultValue = "256",
            description = "Most tokens per reply. Default: ${DEFAULT-VALUE}.")
    int maxNewTokens;

    @Option(names = "--system", paramLabel = "TEXT", description = "A system message that opens the conversation.")
    String system;

    @Option(names = "--history", paramLabel = "N", defaultValue = "20",
            description = "Messages kept and re-sent each turn (the cache only encodes what is new). "
                    + "Default: ${DEFAULT-VALUE}.")
    int history;

    @Mixin
    SamplingOptions sampling;

    @Option(names = "--mode", paramLabel = "sinks|windowed", defaultValue = "sinks",
            converter = CacheOptions.ModeConverter.class,
            description = "KV cache mode: sinks or windowed (a conversation keeps a bounded cache). Default: sinks.")
    CacheMode mode;

    @Mixin
    CacheOptions cacheOptions;

    @Override
    public Integer call() throws IOException {
        modelOptions.validate(spec);
        sampling.validate(spec, maxNewTokens);
        if (history < 2) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--history must be >= 2, got " + history);
        }
        CacheConfig cache = cacheOptions.config(spec, mode);
        if (!cache.bounded()) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                    "chat keeps a bounded cache per conversation: use --mode sinks or windowed");
        }
        PrintStream out = cli.out;
        PrintStream err = cli.err;
        BufferedReader lines = new BufferedReader(new InputStreamReader(cli.in, StandardCharsets.UTF_8));
        try (AttentionSinkModel model = modelOptions.load();
                AttentionSinkStreamingChatModel chat = chatModel(model, cache)) {
            List<ChatMessage> messages = new ArrayList<>();
            err.println("[chat] " + model.directory() + ", " + cache + (chat.chatTemplate().isFallback()
                    ? ", no chat template: plain User:/Assistant: format" : ", model's chat template")
                    + ". " + COMMANDS + ".");
            while (true) {
                err.print("> ");
                err.flush();
                String line = lines.readLine();
                String command = line == null ? "/exit" : line.strip();
                if (command.equals("/exit") || command.equals("/quit")) {
                    break;
                }
                if (command.equals("/reset")) {
                    messages.clear();
                    chat.evictSession(MEMORY_ID);
                    err.println("[chat] conversation forgotten");
                    continue;
                }
                if (line.startsWith("/") && command.indexOf(' ') < 0) {
                    // Not sent to the model: most likely a mistyped command. A leading space sends it as text.
                    err.println("[chat] unknown command " + command + ": " + COMMANDS
                            + " (start a line with a space to send it as a message)");
                    continue;
                }
                if (line.isBlank()) {
                    continue;
                }
                messages.add(UserMessage.from(line));
                ChatResponse response;
                try {
                    response = turn(chat, window(messages), out);
                } catch (RuntimeException e) {
                    // The history goes back to what it was; the chat model brings its session in line with it
                    // at the next turn (continuing it, or encoding it again after a reply that failed midway).
                    messages.remove(messages.size() - 1);
                    err.println("[chat] error: " + AttentionSinksCli.describe(e)
                            + "; the conversation is as it was before this message");
                    continue;
                }
                messages.add(response.aiMessage());
                while (messages.size() > history) {
                    messages.remove(0);
                }
                err.println(String.format(Locale.ROOT, "[chat] %d tokens in, %d out, finish: %s%s",
                        response.tokenUsage().inputTokenCount(), response.tokenUsage().outputTokenCount(),
                        response.finishReason().name().toLowerCase(Locale.ROOT),
                        chat.sessionStats(MEMORY_ID).map(ChatCommand::sessionStatistics).orElse("")));
            }
        }
        return 0;
    }

    /**
     * The session after a turn, for the statistics line: how the turn continued the cache, what it shared or rewound,
     * and the cache's size.
     */
    static String sessionStatistics(ChatSessionStats s) {
        StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "; turn %d %s", s.turns(),
                s.lastTurn().name().toLowerCase(Locale.ROOT)));
        if (s.lastRewoundTokens() > 0) {
            b.append(", ").append(s.lastRewoundTokens()).append(" tokens rewound");
        }
        if (s.lastSharedTokens() > 0) {
            b.append(", ").append(s.lastSharedTokens()).append(" prompt tokens shared");
        }
        return b.append(String.format(Locale.ROOT, "; cache %d tokens (%s), stream %d", s.cacheLength(),
                ProcessMemory.format(s.cacheBytes()), s.streamLength())).toString();
    }

    private AttentionSinkStreamingChatModel chatModel(AttentionSinkModel model, CacheConfig cache) {
        GenerationParams p = sampling.params(model, maxNewTokens);
        AttentionSinkStreamingChatModel.Builder b = AttentionSinkStreamingChatModel.builder().model(model)
                .attentionSinkSize(cache.attentionSinkSize()).windowSize(cache.windowSize())
                .maxNewTokens(maxNewTokens).temperature(p.temperature()).topK(p.topK()).topP(p.topP())
                .repetitionPenalty(p.repetitionPenalty()).seed(p.seed()).maxSessions(1).maxBatchSize(1);
        if (!p.stopStrings().isEmpty()) {
            b.stopSequences(p.stopStrings());
        }
        return b.build();
    }

    /** The system message (if any) followed by the kept messages. */
    private List<ChatMessage> window(List<ChatMessage> messages) {
        List<ChatMessage> all = new ArrayList<>(messages.size() + 1);
        if (system != null && !system.isBlank()) {
            all.add(SystemMessage.from(system));
        }
        all.addAll(messages);
        return all;
    }

    private static ChatResponse turn(AttentionSinkStreamingChatModel chat, List<ChatMessage> messages, PrintStream out)
            throws IOException {
        CompletableFuture<ChatResponse> done = new CompletableFuture<>();
        boolean[] printed = {false};
        ChatRequest request = ChatRequest.builder().messages(messages)
                .parameters(AttentionSinkChatRequestParameters.builder().memoryId(MEMORY_ID).build()).build();
        chat.chat(request, new StreamingChatResponseHandler() {
            @Override
            public void onPartialResponse(PartialResponse partial, PartialResponseContext context) {
                out.print(partial.text());
                out.flush();
                printed[0] = true;
            }

            @Override
            public void onCompleteResponse(ChatResponse response) {
                done.complete(response);
            }

            @Override
            public void onError(Throwable error) {
                done.completeExceptionally(error);
            }
        });
        try {
            ChatResponse response = done.get();
            out.println();
            out.flush();
            return response;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        } catch (ExecutionException e) {
            if (printed[0]) {
                out.println(); // the part of the reply streamed before the failure ends its line
            }
            Throwable cause = e.getCause();
            throw cause instanceof RuntimeException r ? r : new IllegalStateException(cause.getMessage(), cause);
        }
    }
}
