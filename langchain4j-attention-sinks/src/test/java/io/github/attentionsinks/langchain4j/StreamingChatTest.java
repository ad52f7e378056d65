package io.github.attentionsinks.langchain4j;

import static io.github.attentionsinks.langchain4j.StoriesChat.request;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.langchain4j.agent.tool.ToolSpecification;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.ImageContent;
import dev.langchain4j.data.message.TextContent;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.exception.UnsupportedFeatureException;
import dev.langchain4j.model.chat.listener.ChatModelErrorContext;
import dev.langchain4j.model.chat.listener.ChatModelListener;
import dev.langchain4j.model.chat.listener.ChatModelRequestContext;
import dev.langchain4j.model.chat.listener.ChatModelResponseContext;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.ResponseFormat;
import dev.langchain4j.model.chat.request.ResponseFormatType;
import dev.langchain4j.model.chat.request.json.JsonObjectSchema;
import dev.langchain4j.model.chat.request.json.JsonSchema;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.output.FinishReason;
import io.github.attentionsinks.Session;
import io.github.attentionsinks.cache.CacheConfig;
import io.github.attentionsinks.generate.GenerationParams;
import io.github.attentionsinks.generate.GenerationResult;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/** The streaming chat model on stories260K: streaming, cancellation, listeners, errors. */
class StreamingChatTest {

    /** The prompt the plain-text fallback renders for one user message, written out by hand. */
    static int[] fallbackPromptIds(String userText) {
        return StoriesChat.model().tokenizer().encode("<s>User: " + userText + "\nAssistant:", false);
    }

    @Test
    void partialsConcatenateToTheCompleteResponseWhichMatchesThePlainApi() {
        String prompt = "Once upon a time";
        try (AttentionSinkStreamingChatModel chat = StoriesChat.streaming().maxNewTokens(16).build()) {
            StoriesChat.Collector c = new StoriesChat.Collector();
            chat.chat(request("u", List.of(UserMessage.from(prompt))), c);
            ChatResponse response = c.await();
            c.assertSingleTerminalCallback();
            assertFalse(c.partials.isEmpty());
            assertEquals(response.aiMessage().text(), c.text());

            // The same prompt through the plain Session API, greedy, ending at stories260K's special tokens.
            int[] ids = fallbackPromptIds(prompt);
            GenerationParams params = GenerationParams.builder().maxNewTokens(16).eosTokenIds(Set.of(0, 1, 2))
                    .build();
            GenerationResult expected;
            try (Session session = StoriesChat.model().newSession(CacheConfig.sinks(4, 128))) {
                expected = session.generate(ids, params, null);
            }
            // One leading space is dropped, as Hugging Face's decode of the reply does for SentencePiece.
            String expectedText = expected.text().startsWith(" ") ? expected.text().substring(1) : expected.text();
            assertEquals(expectedText, response.aiMessage().text());
            assertEquals(ids.length, response.tokenUsage().inputTokenCount());
            assertEquals(expected.tokenIds().length, response.tokenUsage().outputTokenCount());
            assertEquals(expected.finishReason() == io.github.attentionsinks.generate.FinishReason.LENGTH
                    ? FinishReason.LENGTH : FinishReason.STOP, response.finishReason());
            assertEquals("stories260K", response.modelName());
            assertNotNull(response.id());
            assertTrue(c.threads.stream().allMatch(t -> t.startsWith("attention-sink-chat-")), c.threads.toString());
        }
    }

    @Test
    void cancelStopsWithinOneTokenAndTheSessionContinues() {
        try (AttentionSinkStreamingChatModel chat = StoriesChat.streaming().maxNewTokens(64).build()) {
            List<String> afterCancel = new CopyOnWriteArrayList<>();
            StoriesChat.Collector cancelled = new StoriesChat.Collector((partial, context) -> {
                if (context.streamingHandle().isCancelled()) {
                    afterCancel.add(partial.text());
                }
            });
            StoriesChat.Collector canceller = new StoriesChat.Collector();
            // Cancel from inside the third partial.
            StoriesChat.Collector first = new StoriesChat.Collector((partial, context) -> {
                cancelled.partials.add(partial.text());
                if (cancelled.partials.size() == 3) {
                    context.streamingHandle().cancel();
                    assertTrue(context.streamingHandle().isCancelled());
                }
            });
            UserMessage u1 = UserMessage.from("Tell me a story");
            chat.chat(request("c", List.of(u1)), first);
            // Same memory id: runs after the cancelled turn has ended. The client did not store the partial reply.
            UserMessage u2 = UserMessage.from("Another one");
            chat.chat(request("c", List.of(u1, u2)), canceller);
            ChatResponse second = canceller.await();

            assertEquals(3, first.partials.size(), "no partial after cancel(): " + first.partials);
            assertEquals(0, first.completions.get() + first.errors.get(), "no callback after cancel()");
            assertTrue(afterCancel.isEmpty());
            // The partial reply stays in the session: the next turn was fed incrementally, not rebuilt.
            ChatSessionStats stats = chat.sessionStats("c").orElseThrow();
            assertEquals(2, stats.turns());
            assertEquals(1, stats.rebuilds());
            assertTrue(second.tokenUsage().inputTokenCount() < fallbackPromptIds("Another one").length + 4,
                    "second turn fed " + second.tokenUsage().inputTokenCount());
            assertEquals(second.aiMessage().text(), canceller.text());
        }
    }

    /**
     * {@code startChat} hands out the turn's handle before the turn runs: a turn cancelled while it waits behind
     * another never runs (no callback, no session work), and the conversation's next turn runs as its first.
     */
    @Test
    void aTurnCancelledWhileQueuedNeverRuns() throws Exception {
        try (AttentionSinkStreamingChatModel chat = StoriesChat.streaming().maxNewTokens(32).maxBatchSize(1).build()) {
            java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
            StoriesChat.Collector busy = new StoriesChat.Collector((partial, context) -> {
                try {
                    release.await(); // holds the only worker until the queued turn is cancelled
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            chat.chat(request("busy", List.of(UserMessage.from("Tell me a story"))), busy);
            StoriesChat.Collector queued = new StoriesChat.Collector();
            UserMessage u1 = UserMessage.from("Hello");
            dev.langchain4j.model.chat.response.StreamingHandle handle =
                    chat.startChat(request("q", List.of(u1)), queued);
            assertFalse(handle.isCancelled());
            handle.cancel();
            release.countDown();
            busy.await();
            // Same memory id: runs after the cancelled turn's place in the queue has passed.
            StoriesChat.Collector next = new StoriesChat.Collector();
            chat.startChat(request("q", List.of(UserMessage.from("Hi"))), next);
            next.await();
            assertEquals(List.of(), queued.partials, "the cancelled turn streamed nothing");
            assertEquals(0, queued.completions.get() + queued.errors.get(), "no callback for the cancelled turn");
            assertEquals(1, chat.sessionStats("q").orElseThrow().turns(), "only the next turn ran");
        }
    }

    @Test
    void interruptingABlockingChatCancelsItAndTheSessionStaysUsable() {
        try (AttentionSinkChatModel chat = StoriesChat.blocking().maxNewTokens(200).build()) {
            UserMessage u1 = UserMessage.from("Tell me a long story");
            Thread.currentThread().interrupt();
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> chat.chat(request("i", List.of(u1))));
            assertTrue(Thread.interrupted(), "the interrupt flag is kept");
            assertTrue(e.getMessage().contains("interrupted"), e.getMessage());
            ChatResponse next = chat.chat(request("i", List.of(u1, UserMessage.from("Short, please"))));
            assertTrue(next.tokenUsage().outputTokenCount() > 0);
            assertTrue(chat.sessionStats("i").orElseThrow().cacheLength() <= 4 + 128);
        }
    }

    @Test
    void theBlockingViewContinuesTheStreamingModelsSessions() {
        try (AttentionSinkStreamingChatModel chat = StoriesChat.streaming().build()) {
            AttentionSinkChatModel blocking = chat.blocking();
            UserMessage u1 = UserMessage.from("Hi");
            StoriesChat.Collector first = new StoriesChat.Collector();
            chat.chat(request("m", List.of(u1)), first);
            ChatResponse r1 = first.await();

            UserMessage u2 = UserMessage.from("Next");
            ChatResponse r2 = blocking.chat(request("m", List.of(u1, r1.aiMessage(), u2)));
            assertEquals(2, chat.sessionStats("m").orElseThrow().turns());
            assertEquals(1, blocking.sessionStats("m").orElseThrow().rebuilds(), "one session, continued");
            assertTrue(r2.tokenUsage().inputTokenCount() <= StoriesChat.nextTurnTokens(), r2.tokenUsage().toString());

            blocking.close(); // a view: the sessions belong to the streaming model
            StoriesChat.Collector third = new StoriesChat.Collector();
            chat.chat(request("m", List.of(u1, r1.aiMessage(), u2, r2.aiMessage(), UserMessage.from("More"))), third);
            third.await();
            assertEquals(3, chat.sessionStats("m").orElseThrow().turns());
            assertEquals(1, chat.sessionStats("m").orElseThrow().rebuilds());
            assertEquals(chat.listeners(), blocking.listeners());
        }
    }

    @Test
    void listenersSeeRequestResponseAndErrors() {
        List<String> events = new CopyOnWriteArrayList<>();
        List<ChatRequest> requests = new CopyOnWriteArrayList<>();
        List<ChatResponse> responses = new CopyOnWriteArrayList<>();
        ChatModelListener listener = new ChatModelListener() {
            @Override
            public void onRequest(ChatModelRequestContext ctx) {
                events.add("request");
                requests.add(ctx.chatRequest());
            }

            @Override
            public void onResponse(ChatModelResponseContext ctx) {
                events.add("response");
                responses.add(ctx.chatResponse());
            }

            @Override
            public void onError(ChatModelErrorContext ctx) {
                events.add("error:" + ctx.error().getClass().getSimpleName());
            }
        };
        try (AttentionSinkStreamingChatModel chat = StoriesChat.streaming().listeners(listener).maxNewTokens(8)
                .build()) {
            StoriesChat.Collector c = new StoriesChat.Collector();
            chat.chat(request("l", List.of(UserMessage.from("Hi"))), c);
            ChatResponse response = c.await();
            StoriesChat.Collector bad = new StoriesChat.Collector();
            // A refused request throws from chat(), before doChat queues anything: LangChain4j has already told
            // the listeners of the request, and (as with its other providers) does not report the throw to them.
            assertThrows(IllegalArgumentException.class, () -> chat.chat(
                    ChatRequest.builder().messages(UserMessage.from("Hi")).maxOutputTokens(0).build(), bad));
            assertEquals(0, bad.completions.get() + bad.errors.get() + bad.partials.size());

            assertEquals(List.of("request", "response", "request"), events);
            // Defaults were merged into the request the listener saw, keeping the memory id.
            AttentionSinkChatRequestParameters p = assertInstanceOf(AttentionSinkChatRequestParameters.class,
                    requests.get(0).parameters());
            assertEquals("l", p.memoryId());
            assertEquals(8, p.maxOutputTokens());
            assertEquals(0.0, p.temperature());
            assertEquals(response, responses.get(0));
        }
        try (AttentionSinkChatModel chat = StoriesChat.blocking().listeners(listener).build()) {
            events.clear();
            chat.chat(request("l", List.of(UserMessage.from("Hi"))));
            assertEquals(List.of("request", "response"), events);
        }
    }

    @Test
    void badInputsAreRefusedClearlyAndLeaveTheSessionUsable() {
        ToolSpecification tool = ToolSpecification.builder().name("weather")
                .parameters(JsonObjectSchema.builder().addStringProperty("city").build()).build();
        JsonSchema schema = JsonSchema.builder().name("Answer")
                .rootElement(JsonObjectSchema.builder().addStringProperty("a").build()).build();
        UserMessage image = UserMessage.from(TextContent.from("what is this?"),
                ImageContent.from("https://example.com/cat.png"));
        List<Function<List<ChatMessage>, ChatRequest>> bad = List.of(
                m -> ChatRequest.builder().messages(image).build(),
                m -> ChatRequest.builder().messages(m).toolSpecifications(tool).build(),
                m -> ChatRequest.builder().messages(m).responseFormat(ResponseFormat.builder()
                        .type(ResponseFormatType.JSON).jsonSchema(schema).build()).build(),
                m -> ChatRequest.builder().messages(m).maxOutputTokens(0).build(),
                m -> ChatRequest.builder().messages(m).maxOutputTokens(-3).build(),
                m -> ChatRequest.builder().messages(m).frequencyPenalty(0.5).build());
        List<String> expected = List.of("Content of type image is not supported",
                "tool specifications are not supported", "JSON response format (with schema) is not supported",
                "maxOutputTokens must be > 0, got 0", "maxOutputTokens must be > 0, got -3",
                "'frequencyPenalty' parameter is not supported");
        // A missing feature is LangChain4j's UnsupportedFeatureException, a value out of range is not.
        List<Class<? extends RuntimeException>> types = List.of(UnsupportedFeatureException.class,
                UnsupportedFeatureException.class, UnsupportedFeatureException.class, IllegalArgumentException.class,
                IllegalArgumentException.class, UnsupportedFeatureException.class);
        List<ChatMessage> ok = List.of(UserMessage.from("Hi"));
        try (AttentionSinkStreamingChatModel streaming = StoriesChat.streaming().build();
                AttentionSinkChatModel blocking = StoriesChat.blocking().build()) {
            for (int i = 0; i < bad.size(); i++) {
                ChatRequest r = bad.get(i).apply(ok);
                StoriesChat.Collector c = new StoriesChat.Collector();
                // Refused synchronously by both models, with no handler callback.
                RuntimeException e = assertThrows(types.get(i), () -> streaming.chat(r, c));
                assertTrue(e.getMessage().contains(expected.get(i)), e.getMessage());
                assertEquals(0, c.completions.get() + c.errors.get() + c.partials.size());
                RuntimeException thrown = assertThrows(types.get(i), () -> blocking.chat(r));
                assertTrue(thrown.getMessage().contains(expected.get(i)), thrown.getMessage());
            }
            // LangChain4j itself refuses an empty message list before the model is called.
            IllegalArgumentException empty = assertThrows(IllegalArgumentException.class,
                    () -> blocking.chat(new ArrayList<ChatMessage>()));
            assertTrue(empty.getMessage().contains("messages"), empty.getMessage());

            // A failed template render (here the template refuses) reaches onError; the session still works.
            StoriesChat.Collector c = new StoriesChat.Collector();
            streaming.chat(request("b", ok), c);
            c.await();
            assertEquals(1, streaming.sessionStats("b").orElseThrow().turns());
            assertTrue(blocking.chat(ok).aiMessage().text() != null);
        }
        try (AttentionSinkStreamingChatModel strict = StoriesChat.streaming()
                .chatTemplate("{% if messages | length > 1 %}{{ raise_exception('one message only') }}{% endif %}"
                        + "{{ bos_token }}{{ messages[0].content }}")
                .build()) {
            StoriesChat.Collector first = new StoriesChat.Collector();
            strict.chat(request("t", ok), first);
            first.await();
            StoriesChat.Collector refused = new StoriesChat.Collector();
            strict.chat(request("t", List.of(ok.get(0), AiMessage.from("x"), UserMessage.from("y"))), refused);
            assertEquals("chat template refused the messages: one message only", refused.awaitError().getMessage());
            refused.assertSingleTerminalCallback();
            StoriesChat.Collector again = new StoriesChat.Collector();
            strict.chat(request("t", ok), again);
            again.await();
            assertEquals(2, strict.sessionStats("t").orElseThrow().turns());
        }
    }
}
