package io.github.attentionsinks.examples.assistant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The HTTP API against stories260K and Redis: streaming, history, deletion and every refusal. */
class ConversationApiTest {
    private static RunningApp app;
    private static ApiClient api;

    @BeforeAll
    static void start() {
        app = RunningApp.start(Map.of("assistant.max-message-chars", "200"));
        api = app.client();
    }

    @AfterAll
    static void stop() {
        if (app != null) {
            app.close();
        }
    }

    @Test
    void idsAreRandomAndUnique() {
        Set<String> ids = new HashSet<>();
        for (int i = 0; i < 20; i++) {
            String id = api.create();
            assertTrue(id.matches("[A-Za-z0-9_-]{27}"), id); // 160 bits, URL-safe Base64
            ids.add(id);
        }
        assertEquals(20, ids.size());
    }

    @Test
    void streamsTokensThenDoneAndStoresTheTurn() {
        String id = api.create();
        ApiClient.Reply reply = api.send(id, "Tell me a story about a dog.");
        assertEquals(200, reply.status(), reply.errorBody());
        long tokens = reply.events().stream().filter(e -> e.name().equals("token")).count();
        assertTrue(tokens >= 2, "tokens: " + reply.events());
        JsonNode done = reply.done();
        assertEquals(tokens + 1, reply.events().size(), "only token events before the one done event");
        assertEquals(16, done.get("outputTokens").asInt(), done.toString()); // max-new-tokens, greedy
        assertEquals("LENGTH", done.get("finishReason").asText());
        assertTrue(done.get("inputTokens").asInt() > 5, done.toString());
        assertEquals(64, done.get("cacheCapacity").asInt());
        assertEquals(1, done.get("turns").asInt());
        assertEquals("BUILT", done.get("session").asText());

        List<Map<String, String>> history = api.messages(id);
        assertEquals(List.of(Map.of("role", "user", "text", "Tell me a story about a dog."),
                Map.of("role", "assistant", "text", reply.text())), history, "pieces add up to the stored reply");

        JsonNode second = api.send(id, "What happened next?").done();
        assertEquals("CONTINUED", second.get("session").asText(), "a turn encodes only its new message");
        assertEquals(2, second.get("turns").asInt());
        assertEquals(4, api.messages(id).size());
    }

    @Test
    void piecesKeepLeadingSpacesAndLineBreaks() {
        assertEquals("event: token\ndata:  the\n\n", SseTurnStream.frame("token", " the"));
        assertEquals("event: token\ndata: a\ndata: \ndata: b\n\n", SseTurnStream.frame("token", "a\n\nb"));
        String id = api.create();
        ApiClient.Reply reply = api.send(id, "Once upon a time");
        assertTrue(reply.events().stream().anyMatch(e -> e.name().equals("token") && e.data().startsWith(" ")),
                "some piece starts with a space: " + reply.events());
        assertEquals(api.messages(id).get(1).get("text"), reply.text());
    }

    @Test
    void unknownIdsAre404() {
        String wellFormedButUnknown = "AAAAAAAAAAAAAAAAAAAAAAAAAAA";
        for (String id : List.of(wellFormedButUnknown, "nope", "not-an-id")) {
            assertEquals(404, api.request("GET", "/api/conversations/" + id + "/messages", null).status(), id);
            assertEquals(404, api.request("DELETE", "/api/conversations/" + id, null).status(), id);
        }
        ApiClient.Reply reply = api.send(wellFormedButUnknown, "hello");
        assertEquals(404, reply.status());
        assertTrue(reply.errorBody().contains("POST /api/conversations"), reply.errorBody());
    }

    @Test
    void oversizedAndEmptyMessagesAreRefusedAndNothingIsStored() {
        String id = api.create();
        ApiClient.Reply tooLong = api.send(id, "a".repeat(201));
        assertEquals(413, tooLong.status());
        assertTrue(tooLong.errorBody().contains("201 characters, the limit is 200 (assistant.max-message-chars)"),
                tooLong.errorBody());
        ApiClient.Reply huge = api.send(id, "a".repeat(100_000)); // refused from its Content-Length, unread
        assertEquals(413, huge.status());
        assertTrue(huge.errorBody().contains("assistant.max-message-chars"), huge.errorBody());

        ApiClient.Response chunked = api.postChunked("/api/conversations/" + id + "/messages",
                "{\"text\": \"" + "a".repeat(100_000) + "\"}");
        assertEquals(413, chunked.status(), chunked.body()); // no Content-Length: cut off while reading
        assertTrue(chunked.body().contains("assistant.max-message-chars"), chunked.body());

        ApiClient.Response blank = api.request("POST", "/api/conversations/" + id + "/messages", "{\"text\": \"  \"}");
        assertEquals(400, blank.status());
        assertTrue(blank.body().contains("'text' is required"), blank.body());
        ApiClient.Response notJson = api.request("POST", "/api/conversations/" + id + "/messages", "{text");
        assertEquals(400, notJson.status());
        assertEquals(List.of(), api.messages(id));

        assertEquals(200, api.send(id, "a".repeat(200)).status(), "the limit itself is accepted");
    }

    @Test
    void deleteRemovesTheConversationAndItsSession() {
        String id = api.create();
        api.send(id, "Hello").done();
        assertTrue(app.model().sessionIds().contains(id));
        assertEquals(204, api.request("DELETE", "/api/conversations/" + id, null).status());
        assertEquals(404, api.request("GET", "/api/conversations/" + id + "/messages", null).status());
        assertEquals(404, api.send(id, "Hello again").status());
        assertTrue(!app.model().sessionIds().contains(id), "session freed");
        assertNotEquals(id, api.create());
    }
}
