package io.github.attentionsinks.examples.assistant;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.util.List;
import java.util.Map;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.servlet.mvc.method.annotation.ResponseBodyEmitter;

/**
 * The HTTP API. A conversation id is the only credential: whoever holds it can read, continue and delete the
 * conversation, and ids are random (160 bits), so they cannot be guessed or listed.
 */
@RestController
@RequestMapping("/api/conversations")
public class AssistantController {
    private final ConversationService conversations;
    private final AssistantProperties properties;
    /**
     * Writes the SSE events' JSON. Its own Jackson 2 mapper rather than the application's: Spring Boot 3.5
     * auto-configures a Jackson 2 ObjectMapper, Boot 4 a Jackson 3 JsonMapper, and this controller serves both.
     */
    private final ObjectMapper json = new ObjectMapper();

    public AssistantController(ConversationService conversations, AssistantProperties properties) {
        this.conversations = conversations;
        this.properties = properties;
    }

    /** The body of {@code POST .../messages}. */
    public record MessageRequest(String text) {}

    /** Creates a conversation: {@code 201 {"id": ...}}. */
    @PostMapping
    public ResponseEntity<Map<String, String>> create() {
        String id = conversations.create();
        return ResponseEntity.created(URI.create("/api/conversations/" + id)).body(Map.of("id", id));
    }

    /** Streams the reply as Server-Sent Events; refusals (404, 409, 413, 400, 503) come before the stream starts. */
    @PostMapping(path = "/{id}/messages", consumes = MediaType.APPLICATION_JSON_VALUE)
    public ResponseEntity<ResponseBodyEmitter> send(@PathVariable("id") String id, @RequestBody MessageRequest body) {
        if (body == null || body.text() == null || body.text().isBlank()) {
            throw new InvalidMessageException("Field 'text' is required and must not be blank: send {\"text\": \"...\"}");
        }
        ResponseBodyEmitter emitter = new ResponseBodyEmitter(properties.replyTimeout().toMillis());
        Turn turn = conversations.send(id, body.text(), new SseTurnStream(emitter, json));
        emitter.onTimeout(turn::cancel);
        emitter.onError(error -> turn.cancel());
        return ResponseEntity.ok()
                .contentType(SseTurnStream.TEXT_EVENT_STREAM_UTF8)
                .header("Cache-Control", "no-cache")
                .header("X-Accel-Buffering", "no") // nginx: pass each event on at once
                .body(emitter);
    }

    /** The conversation's messages, oldest first; 404 for an unknown id. */
    @GetMapping("/{id}/messages")
    public List<ChatLine> messages(@PathVariable("id") String id) {
        return conversations.history(id);
    }

    /** Deletes the conversation and frees its model session: 204, or 404 for an unknown id. */
    @DeleteMapping("/{id}")
    public ResponseEntity<Void> delete(@PathVariable("id") String id) {
        conversations.delete(id);
        return ResponseEntity.status(HttpStatus.NO_CONTENT).build();
    }
}
