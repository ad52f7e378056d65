package io.github.attentionsinks.langchain4j;

import static io.github.attentionsinks.langchain4j.StoriesChat.request;
import static org.assertj.core.api.Assertions.assertThat;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.times;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.verifyNoMoreInteractions;

import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.model.chat.listener.ChatModelListener;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The three handler-exception tests of LangChain4j's AbstractStreamingChatModelIT without their "Berlin" assertion
 * (which stories260K cannot meet), plus what the suite does not check: the session stays consistent, so the next
 * turn continues it instead of re-encoding the conversation.
 */
class StreamingHandlerExceptionsTest {
    private static final UserMessage FIRST = UserMessage.from("Hello there");

    /** Records the terminal callbacks; the tests make the handler throw where the suite does. */
    private abstract static class Recorder implements StreamingChatResponseHandler {
        final CompletableFuture<ChatResponse> response = new CompletableFuture<>();
        final List<Throwable> errors = new CopyOnWriteArrayList<>();
        final AtomicInteger partials = new AtomicInteger();

        @Override
        public void onPartialResponse(String partialResponse) {
            partials.incrementAndGet();
        }

        @Override
        public void onCompleteResponse(ChatResponse completeResponse) {
            response.complete(completeResponse);
        }

        @Override
        public void onError(Throwable error) {
            errors.add(error);
        }

        ChatResponse await() throws Exception {
            return response.get(60, TimeUnit.SECONDS);
        }
    }

    @Test
    void eachExceptionFromOnPartialResponseGoesToOnErrorAndTheReplyCompletes() throws Exception {
        RuntimeException userCodeException = new RuntimeException("something wrong happened in user code");
        ChatModelListener listener = mock(ChatModelListener.class);
        try (AttentionSinkStreamingChatModel chat = StoriesChat.streaming().listeners(listener).build()) {
            Recorder handler = new Recorder() {
                @Override
                public void onPartialResponse(String partialResponse) {
                    super.onPartialResponse(partialResponse);
                    throw userCodeException;
                }
            };
            chat.chat(request("p", List.of(FIRST)), handler);

            ChatResponse response = handler.await();
            assertThat(response.aiMessage().text()).isNotBlank();
            assertThat(handler.partials.get()).isGreaterThan(1); // the reply went on after the first exception
            assertThat(handler.errors).hasSize(handler.partials.get()).allMatch(e -> e == userCodeException);
            verify(listener).onRequest(any());
            verify(listener, times(handler.partials.get())).onError(any());
            verify(listener).onResponse(any());
            verifyNoMoreInteractions(listener);
            assertNextTurnContinuesTheSession(chat, "p", response);
        }
    }

    @Test
    void anExceptionFromOnCompleteResponseGoesToOnError() throws Exception {
        RuntimeException userCodeException = new RuntimeException("something wrong happened in user code");
        ChatModelListener listener = mock(ChatModelListener.class);
        try (AttentionSinkStreamingChatModel chat = StoriesChat.streaming().listeners(listener).build()) {
            Recorder handler = new Recorder() {
                @Override
                public void onCompleteResponse(ChatResponse completeResponse) {
                    super.onCompleteResponse(completeResponse);
                    throw userCodeException;
                }
            };
            chat.chat(request("c", List.of(FIRST)), handler);

            ChatResponse response = handler.await();
            awaitErrors(handler, 1);
            assertThat(handler.errors).containsExactly(userCodeException);
            verify(listener).onRequest(any());
            verify(listener).onError(any());
            verify(listener).onResponse(any());
            verifyNoMoreInteractions(listener);
            assertNextTurnContinuesTheSession(chat, "c", response);
        }
    }

    @Test
    void anExceptionFromOnErrorIsIgnored() throws Exception {
        RuntimeException userCodeException = new RuntimeException("something wrong happened in user code");
        ChatModelListener listener = mock(ChatModelListener.class);
        try (AttentionSinkStreamingChatModel chat = StoriesChat.streaming().listeners(listener).build()) {
            Recorder handler = new Recorder() {
                @Override
                public void onCompleteResponse(ChatResponse completeResponse) {
                    super.onCompleteResponse(completeResponse);
                    throw userCodeException; // so that onError is called
                }

                @Override
                public void onError(Throwable error) {
                    super.onError(error);
                    throw new RuntimeException("something unexpected happened, but it should be ignored");
                }
            };
            chat.chat(request("e", List.of(FIRST)), handler);

            ChatResponse response = handler.await();
            awaitErrors(handler, 1);
            assertThat(handler.errors).containsExactly(userCodeException);
            verify(listener).onRequest(any());
            verify(listener).onError(any());
            verify(listener).onResponse(any());
            verifyNoMoreInteractions(listener);
            assertNextTurnContinuesTheSession(chat, "e", response);
        }
    }

    /** onError follows onCompleteResponse on the worker thread: wait for it briefly. */
    private static void awaitErrors(Recorder handler, int n) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (handler.errors.size() < n && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
    }

    /** A failing handler leaves the session consistent: the next turn is fed incrementally (still one rebuild). */
    private static void assertNextTurnContinuesTheSession(AttentionSinkStreamingChatModel chat, Object memoryId,
            ChatResponse first) {
        StoriesChat.Collector next = new StoriesChat.Collector();
        chat.chat(request(memoryId, List.of(FIRST, first.aiMessage(), UserMessage.from("Next"))), next);
        ChatResponse second = next.await();
        ChatSessionStats stats = chat.sessionStats(memoryId).orElseThrow();
        assertThat(stats.turns()).isEqualTo(2);
        assertThat(stats.rebuilds()).as("continued, not rebuilt").isEqualTo(1);
        assertThat(second.tokenUsage().inputTokenCount()).isLessThanOrEqualTo(StoriesChat.nextTurnTokens());
    }
}
