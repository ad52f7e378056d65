package io.github.attentionsinks.examples.assistant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * Past one machine: two assistant processes behind nginx, which routes by conversation id
 * ({@code hash $conversation_id consistent}), sharing one Redis. When the instance holding a conversation dies, nginx
 * sends its next message to the other, which builds the session from Redis (at most S + W tokens) and goes on.
 * The nginx configuration is the one shown in docs/assistant.md ({@code nginx.conf} beside this test).
 */
class TwoInstancesBehindNginxTest {
    private static final File NGINX = new File("/usr/sbin/nginx");

    @Test
    void theOtherInstanceContinuesAConversationWhenItsInstanceDies() throws Exception {
        if (!NGINX.canExecute()) {
            String reason = "nginx is not installed (" + NGINX + "): apt-get install -y nginx (.ci/run does)";
            System.out.println("[assistant tests] SKIPPED TwoInstancesBehindNginxTest: " + reason);
            Assumptions.abort(reason);
        }
        Path dir = Files.createTempDirectory("assistant-nginx");
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        String keyPrefix = RunningApp.freshKeyPrefix();
        int portA = TestRedis.freePort();
        int portB = TestRedis.freePort();
        int nginxPort = TestRedis.freePort();
        List<Process> processes = new ArrayList<>();
        try {
            Process a = startInstance(portA, keyPrefix, dir.resolve("a.log"));
            processes.add(a);
            Process b = startInstance(portB, keyPrefix, dir.resolve("b.log"));
            processes.add(b);
            processes.add(startNginx(dir, nginxPort, portA, portB));
            TestRedis.awaitPort("127.0.0.1", portA, a, dir.resolve("a.log"));
            TestRedis.awaitPort("127.0.0.1", portB, b, dir.resolve("b.log"));

            ApiClient api = new ApiClient("http://127.0.0.1:" + nginxPort);
            String id = api.create();
            String servedBy = null;
            for (String text : List.of("Tell me a story about a fox.", "What did the fox find?", "Who helped it?",
                    "Where did they go?")) {
                ApiClient.Reply reply = api.send(id, text);
                reply.done();
                assertTrue(servedBy == null || servedBy.equals(reply.servedBy()),
                        "one instance serves a conversation: " + servedBy + " then " + reply.servedBy());
                servedBy = reply.servedBy();
            }
            List<Map<String, String>> before = api.messages(id);
            assertEquals(8, before.size());

            Process holder = servedBy.endsWith(":" + portA) ? a : b;
            int otherPort = holder == a ? portB : portA;
            holder.destroyForcibly().waitFor(); // a crash: no goodbye
            System.out.println("[assistant tests] killed the instance at " + servedBy + "; the conversation moves to port "
                    + otherPort);

            ApiClient.Reply moved = api.send(id, "What happened then?");
            JsonNode done = moved.done();
            assertTrue(moved.servedBy().endsWith(":" + otherPort), "served by " + moved.servedBy());
            assertEquals("BUILT", done.get("session").asText(), "the other instance builds the session from Redis");
            assertTrue(done.get("inputTokens").asInt() <= done.get("cacheCapacity").asInt(),
                    "bounded rebuild: " + done);
            List<Map<String, String>> after = api.messages(id);
            assertEquals(before, after.subList(0, 8), "nothing lost");
            assertEquals(10, after.size(), "nothing duplicated");

            JsonNode next = api.send(id, "And then?").done();
            assertEquals("CONTINUED", next.get("session").asText());
            assertNotEquals(servedBy, moved.servedBy());
        } finally {
            for (Process p : processes) {
                TestRedis.stop(p);
            }
        }
    }

    private static Process startInstance(int port, String keyPrefix, Path log) throws IOException {
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx512m",
                "-Dai.djl.offline=true", "-DOPT_OUT_TRACKING=true",
                "-cp", System.getProperty("java.class.path"), AssistantApplication.class.getName()));
        RunningApp.properties(TestRedis.get().host(), TestRedis.get().port(), Map.of(
                "server.port", Integer.toString(port), "assistant.key-prefix", keyPrefix))
                .forEach((k, v) -> command.add("--" + k + "=" + v));
        return new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    private static Process startNginx(Path dir, int port, int portA, int portB) throws IOException {
        String template;
        try (var in = TwoInstancesBehindNginxTest.class.getResourceAsStream("nginx.conf")) {
            template = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        }
        // The documented configuration, with this test's ports and a private prefix for nginx's files.
        String conf = "daemon off;\npid " + dir + "/nginx.pid;\nevents { worker_connections 256; }\n"
                + "http {\n    access_log " + dir + "/access.log;\n"
                + "    client_body_temp_path " + dir + "/tmp-body; proxy_temp_path " + dir + "/tmp-proxy;\n"
                + "    fastcgi_temp_path " + dir + "/tmp-fcgi; uwsgi_temp_path " + dir + "/tmp-uwsgi; scgi_temp_path "
                + dir + "/tmp-scgi;\n"
                + template.replace("127.0.0.1:8081", "127.0.0.1:" + portA).replace("127.0.0.1:8082", "127.0.0.1:" + portB)
                        .replace("listen 127.0.0.1:8080", "listen 127.0.0.1:" + port)
                + "}\n";
        Path file = dir.resolve("nginx.conf");
        Files.writeString(file, conf);
        Path log = dir.resolve("error.log");
        Process nginx = new ProcessBuilder(NGINX.getPath(), "-p", dir.toString(), "-c", file.toString(), "-e",
                log.toString()).redirectErrorStream(true).redirectOutput(dir.resolve("nginx.out").toFile()).start();
        TestRedis.awaitPort("127.0.0.1", port, nginx, dir.resolve("nginx.out"));
        return nginx;
    }
}
