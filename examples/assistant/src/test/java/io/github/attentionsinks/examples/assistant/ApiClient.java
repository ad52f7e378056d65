package io.github.attentionsinks.examples.assistant;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** A client of the assistant's HTTP API, as other programs would use it (plain HTTP, SSE parsed by hand). */
final class ApiClient {
    static final ObjectMapper JSON = new ObjectMapper();

    private final String base;

    ApiClient(String base) {
        this.base = base;
    }

    /** An SSE event. */
    record Event(String name, String data) {}

    /** A plain response. */
    record Response(int status, String body, Map<String, List<String>> headers) {
        JsonNode json() {
            try {
                return JSON.readTree(body);
            } catch (IOException e) {
                throw new UncheckedIOException("not JSON: " + body, e);
            }
        }

        String header(String name) {
            for (Map.Entry<String, List<String>> e : headers.entrySet()) {
                if (e.getKey() != null && e.getKey().equalsIgnoreCase(name)) {
                    return e.getValue().get(0);
                }
            }
            return null;
        }
    }

    /** A whole streamed reply. */
    record Reply(int status, List<Event> events, String errorBody, String servedBy) {
        String text() {
            StringBuilder s = new StringBuilder();
            events.stream().filter(e -> e.name().equals("token")).forEach(e -> s.append(e.data()));
            return s.toString();
        }

        /** The {@code done} event's JSON; fails naming what came instead. */
        JsonNode done() {
            Event last = events.isEmpty() ? null : events.get(events.size() - 1);
            if (status != 200 || last == null || !last.name().equals("done")) {
                throw new AssertionError("no done event: status " + status + ", " + errorBody + ", last event " + last);
            }
            try {
                return JSON.readTree(last.data());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    String create() {
        Response r = request("POST", "/api/conversations", null);
        if (r.status() != 201) {
            throw new AssertionError("create: " + r.status() + " " + r.body());
        }
        return r.json().get("id").asText();
    }

    Response request(String method, String path, String jsonBody) {
        HttpURLConnection c = open(method, path, jsonBody);
        try {
            int status = c.getResponseCode();
            InputStream in = status >= 400 ? c.getErrorStream() : c.getInputStream();
            String body = in == null ? "" : new String(in.readAllBytes(), StandardCharsets.UTF_8);
            return new Response(status, body, c.getHeaderFields());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            c.disconnect();
        }
    }

    /** A POST whose body is sent chunked, without a Content-Length. */
    Response postChunked(String path, String jsonBody) {
        try {
            HttpURLConnection c = (HttpURLConnection) URI.create(base + path).toURL().openConnection();
            c.setRequestMethod("POST");
            c.setDoOutput(true);
            c.setChunkedStreamingMode(4096);
            c.setRequestProperty("Content-Type", "application/json");
            try (OutputStream out = c.getOutputStream()) {
                out.write(jsonBody.getBytes(StandardCharsets.UTF_8));
            } catch (IOException refusedMidway) {
                // the server may answer and close before the whole body is sent
            }
            int status = c.getResponseCode();
            InputStream in = status >= 400 ? c.getErrorStream() : c.getInputStream();
            String body = in == null ? "" : new String(in.readAllBytes(), StandardCharsets.UTF_8);
            c.disconnect();
            return new Response(status, body, c.getHeaderFields());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    List<Map<String, String>> messages(String id) {
        Response r = request("GET", "/api/conversations/" + id + "/messages", null);
        if (r.status() != 200) {
            throw new AssertionError("messages: " + r.status() + " " + r.body());
        }
        try {
            return JSON.readValue(r.body(), new TypeReference<>() {});
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Sends a message and reads the whole reply. */
    Reply send(String id, String text) {
        try (EventStream stream = stream(id, text)) {
            if (stream.status() != 200) {
                return new Reply(stream.status(), List.of(), stream.errorBody(), stream.servedBy());
            }
            List<Event> events = new ArrayList<>();
            for (Event e = stream.next(); e != null; e = stream.next()) {
                events.add(e);
            }
            return new Reply(200, events, null, stream.servedBy());
        }
    }

    /** Sends a message and returns the reply as it comes. */
    EventStream stream(String id, String text) {
        String body;
        try {
            body = JSON.writeValueAsString(Map.of("text", text));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new EventStream(open("POST", "/api/conversations/" + id + "/messages", body));
    }

    private HttpURLConnection open(String method, String path, String jsonBody) {
        try {
            HttpURLConnection c = (HttpURLConnection) URI.create(base + path).toURL().openConnection();
            c.setRequestMethod(method);
            c.setConnectTimeout(10_000);
            c.setReadTimeout(120_000);
            if (jsonBody != null) {
                c.setDoOutput(true);
                c.setRequestProperty("Content-Type", "application/json");
                try (OutputStream out = c.getOutputStream()) {
                    out.write(jsonBody.getBytes(StandardCharsets.UTF_8));
                }
            }
            return c;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A streamed reply, read event by event; {@link #close()} drops the connection (a client going away). */
    static final class EventStream implements AutoCloseable {
        private final HttpURLConnection connection;
        private final int status;
        private final String errorBody;
        private final BufferedReader reader;

        EventStream(HttpURLConnection connection) {
            this.connection = connection;
            try {
                status = connection.getResponseCode();
                if (status != 200) {
                    InputStream err = connection.getErrorStream();
                    errorBody = err == null ? "" : new String(err.readAllBytes(), StandardCharsets.UTF_8);
                    reader = null;
                } else {
                    errorBody = null;
                    reader = new BufferedReader(new InputStreamReader(connection.getInputStream(), StandardCharsets.UTF_8));
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        int status() {
            return status;
        }

        String errorBody() {
            return errorBody;
        }

        String header(String name) {
            return connection.getHeaderField(name);
        }

        String servedBy() {
            return connection.getHeaderField("X-Upstream");
        }

        /** The next event, or null at the end of the stream. */
        Event next() {
            try {
                String name = null;
                List<String> data = new ArrayList<>();
                for (String line = reader.readLine(); line != null; line = reader.readLine()) {
                    if (line.isEmpty()) {
                        if (name != null || !data.isEmpty()) {
                            return new Event(name == null ? "message" : name, String.join("\n", data));
                        }
                    } else if (line.startsWith("event:")) {
                        name = line.substring(6).trim();
                    } else if (line.startsWith("data:")) {
                        data.add(line.substring(line.startsWith("data: ") ? 6 : 5));
                    }
                }
                return null;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        @Override
        public void close() {
            connection.disconnect();
        }
    }
}
