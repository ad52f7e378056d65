package io.github.attentionsinks.examples.assistant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Memory that survives: a restarted assistant continues a conversation from Redis, rebuilding its session with at
 * most S + W tokens; and Redis going away fails the turn clearly, losing or duplicating nothing.
 */
class RestartAndOutageTest {

    @Test
    void aRestartedAssistantContinuesTheConversationEncodingAtMostSPlusWTokens() {
        Map<String, String> properties = RunningApp.properties(TestRedis.get().host(), TestRedis.get().port(), Map.of());
        String id;
        List<Map<String, String>> before;
        try (RunningApp first = RunningApp.startWith(properties)) {
            ApiClient api = first.client();
            id = api.create();
            for (String text : List.of("Tell me a story about a cat.", "What did the cat eat?", "Where did it go?",
                    "Who did it meet?", "How did it end?")) {
                api.send(id, text).done();
            }
            before = api.messages(id);
            assertEquals(10, before.size());
        }
        try (RunningApp second = RunningApp.startWith(properties)) { // same Redis, same key prefix
            ApiClient api = second.client();
            assertEquals(before, api.messages(id), "the conversation is still there");
            JsonNode done = api.send(id, "And then?").done();
            assertEquals("BUILT", done.get("session").asText(), "a new process builds the session from Redis");
            int bound = done.get("cacheCapacity").asInt(); // S + W = 4 + 60
            assertEquals(64, bound);
            int encoded = done.get("inputTokens").asInt();
            assertTrue(encoded <= bound, "rebuild encoded " + encoded + " tokens, bound " + bound);
            assertEquals(bound, encoded, "five turns of 16-token replies are longer than the cache: exactly S + W fed");
            assertEquals(6, done.get("turns").asInt());
            JsonNode next = api.send(id, "Was everyone happy?").done();
            assertEquals("CONTINUED", next.get("session").asText());
            assertTrue(next.get("inputTokens").asInt() < encoded / 2,
                    "then only the new message and the template's markup: " + next);
            List<Map<String, String>> after = api.messages(id);
            assertEquals(before, after.subList(0, 10));
            assertEquals(14, after.size());
        }
    }

    @Test
    void redisGoingAwayFailsTheTurnClearlyAndLosesOrDuplicatesNothing() throws Exception {
        try (LoopbackProxy redis = new LoopbackProxy(TestRedis.get().host(), TestRedis.get().port());
                RunningApp app = RunningApp.startWith(RunningApp.properties("127.0.0.1", redis.port(), Map.of(
                        "spring.data.redis.timeout", "1s", "assistant.retry-after", "3s",
                        "langchain4j.attention-sinks.max-new-tokens", "60")))) {
            ApiClient api = app.client();
            String id = api.create();
            List<Map<String, String>> expected = new ArrayList<>();
            ApiClient.Reply first = api.send(id, "Tell me a story.");
            first.done();
            expected.add(Map.of("role", "user", "text", "Tell me a story."));
            expected.add(Map.of("role", "assistant", "text", first.text()));

            // Redis away before the message: refused at once, 503 + Retry-After, nothing generated.
            redis.cut();
            ApiClient.Reply refused = api.send(id, "Are you there?");
            assertEquals(503, refused.status());
            assertTrue(refused.errorBody().contains("Redis"), refused.errorBody());
            assertEquals(503, api.request("GET", "/api/conversations/" + id + "/messages", null).status());
            redis.restore();
            assertEquals(expected, awaitMessages(api, id), "nothing lost, nothing added");

            // Redis away during the reply: the turn ends with an error event (or, if the reply was already stored
            // before the cut, with done); either way the stored conversation is exactly what the client was told.
            String text = "Tell me a long story.";
            ApiClient.Reply cutMidway;
            try (ApiClient.EventStream stream = api.stream(id, text)) {
                assertEquals("token", stream.next().name());
                redis.cut();
                List<ApiClient.Event> events = new ArrayList<>();
                for (ApiClient.Event e = stream.next(); e != null; e = stream.next()) {
                    events.add(e);
                }
                cutMidway = new ApiClient.Reply(200, events, null, null);
            }
            ApiClient.Event end = cutMidway.events().get(cutMidway.events().size() - 1);
            redis.restore();
            if (end.name().equals("error")) {
                assertTrue(end.data().contains("could not be saved"), end.data());
            } else {
                assertEquals("done", end.name());
                expected.add(Map.of("role", "user", "text", text));
            }
            System.out.println("[assistant tests] Redis cut mid-reply ended the turn with: " + end);

            ApiClient.Reply again = sendOnceRedisIsBack(api, id, "Tell me a story again.");
            again.done();
            List<Map<String, String>> stored = awaitMessages(api, id);
            assertEquals(expected, stored.subList(0, expected.size()));
            assertEquals(expected.size() + (end.name().equals("done") ? 3 : 2), stored.size(), stored.toString());
            assertEquals(Map.of("role", "user", "text", "Tell me a story again."), stored.get(stored.size() - 2));
        }
    }

    /** Sends as a client honouring Retry-After would, until Redis answers again. */
    private static ApiClient.Reply sendOnceRedisIsBack(ApiClient api, String id, String text) {
        for (int i = 0; i < 100; i++) {
            ApiClient.Reply r = api.send(id, text);
            if (r.status() != 503) {
                return r;
            }
            TestRedis.sleep(200);
        }
        throw new AssertionError("Redis did not come back within 20 s");
    }

    /** The messages once Redis answers again (the client reconnects in the background). */
    private static List<Map<String, String>> awaitMessages(ApiClient api, String id) {
        for (int i = 0; i < 100; i++) {
            ApiClient.Response r = api.request("GET", "/api/conversations/" + id + "/messages", null);
            if (r.status() == 200) {
                return api.messages(id);
            }
            TestRedis.sleep(100);
        }
        throw new AssertionError("Redis did not come back within 10 s");
    }
}
