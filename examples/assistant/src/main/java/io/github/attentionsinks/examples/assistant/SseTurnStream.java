package io.github.attentionsinks.examples.assistant;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Map;
import org.springframework.http.MediaType;
import org.springframework.web.servlet.mvc.method.annotation.ResponseBodyEmitter;

/**
 * Writes a turn as Server-Sent Events: {@code event: token} per piece of the reply, then {@code event: done} (JSON
 * {@link TurnSummary}) or {@code event: error} (JSON {@code {"message"}}).
 *
 * <p>Frames are written here rather than by Spring's {@code SseEmitter}, which writes {@code data:} with no space
 * after the colon: a piece starting with a space (" the") would lose it, since an SSE parser drops one space there.
 * Writing {@code data: } first keeps it, and a piece with line breaks is split over several {@code data:} lines,
 * which a parser joins with {@code \n} again.
 */
final class SseTurnStream implements TurnListener {
    static final MediaType TEXT_EVENT_STREAM_UTF8 = new MediaType("text", "event-stream", java.nio.charset.StandardCharsets.UTF_8);
    private static final MediaType TEXT_UTF8 = new MediaType("text", "plain", java.nio.charset.StandardCharsets.UTF_8);

    private final ResponseBodyEmitter emitter;
    private final ObjectMapper json;

    SseTurnStream(ResponseBodyEmitter emitter, ObjectMapper json) {
        this.emitter = emitter;
        this.json = json;
    }

    /** One SSE frame: the event name, then the data split into lines. */
    static String frame(String event, String data) {
        StringBuilder frame = new StringBuilder("event: ").append(event).append('\n');
        for (String line : data.split("\r\n|\r|\n", -1)) {
            frame.append("data: ").append(line).append('\n');
        }
        return frame.append('\n').toString();
    }

    @Override
    public void onToken(String text) {
        send(frame("token", text)); // an IOException here means the client is gone: the turn is cancelled
    }

    @Override
    public void onDone(TurnSummary summary) {
        try {
            send(frame("done", json.writeValueAsString(summary)));
            emitter.complete();
        } catch (RuntimeException | JsonProcessingException e) {
            emitter.completeWithError(e);
        }
    }

    @Override
    public void onError(String message) {
        try {
            send(frame("error", json.writeValueAsString(Map.of("message", message))));
            emitter.complete();
        } catch (RuntimeException | JsonProcessingException e) {
            emitter.completeWithError(e);
        }
    }

    private void send(String frame) {
        try {
            emitter.send(frame, TEXT_UTF8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
