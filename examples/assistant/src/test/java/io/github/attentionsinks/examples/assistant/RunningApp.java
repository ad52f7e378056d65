package io.github.attentionsinks.examples.assistant;

import io.github.attentionsinks.langchain4j.AttentionSinkStreamingChatModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

/** The assistant started in this JVM on a random port against the tests' Redis, with stories260K. */
final class RunningApp implements AutoCloseable {
    private final ConfigurableApplicationContext context;
    private final int port;

    private RunningApp(ConfigurableApplicationContext context) {
        this.context = context;
        this.port = Integer.parseInt(context.getEnvironment().getProperty("local.server.port"));
    }

    /** The stories260K checkpoint ({@code -Dattentionsinks.shared.dir}, set by the build, else ../../shared). */
    static Path stories() {
        String prop = System.getProperty("attentionsinks.shared.dir");
        Path shared = prop != null ? Path.of(prop) : Path.of("..", "..", "..", "shared");
        Path dir = shared.resolve("models/stories260K").toAbsolutePath().normalize();
        if (!Files.isRegularFile(dir.resolve("config.json"))) {
            throw new IllegalStateException("stories260K not found at " + dir + "; set -Dattentionsinks.shared.dir");
        }
        return dir;
    }

    /** A key prefix of its own, so that tests sharing one Redis never see each other's conversations. */
    static String freshKeyPrefix() {
        return "test-" + UUID.randomUUID() + ":";
    }

    /**
     * The properties every test instance has: the model on the CPU, greedy, short replies, a cache of 4 + 60 tokens
     * (so that a few turns overflow it), the tests' Redis; {@code overrides} win.
     */
    static Map<String, String> properties(String redisHost, int redisPort, Map<String, String> overrides) {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("langchain4j.attention-sinks.model", stories().toString());
        p.put("langchain4j.attention-sinks.device", "cpu");
        p.put("langchain4j.attention-sinks.temperature", "0");
        p.put("langchain4j.attention-sinks.max-new-tokens", "16");
        p.put("langchain4j.attention-sinks.window-size", "60");
        p.put("spring.data.redis.host", redisHost);
        p.put("spring.data.redis.port", Integer.toString(redisPort));
        p.put("assistant.key-prefix", freshKeyPrefix());
        p.put("server.port", "0");
        p.put("server.shutdown", "immediate");
        p.put("spring.main.banner-mode", "off");
        p.putAll(overrides);
        return p;
    }

    static RunningApp start(Map<String, String> overrides) {
        return startWith(properties(TestRedis.get().host(), TestRedis.get().port(), overrides));
    }

    static RunningApp startWith(Map<String, String> properties) {
        List<String> args = new ArrayList<>();
        properties.forEach((k, v) -> args.add("--" + k + "=" + v));
        AssistantApplication.offlineDefaults();
        return new RunningApp(new SpringApplicationBuilder(AssistantApplication.class).run(args.toArray(String[]::new)));
    }

    int port() {
        return port;
    }

    ApiClient client() {
        return new ApiClient("http://127.0.0.1:" + port);
    }

    AttentionSinkStreamingChatModel model() {
        return context.getBean(AttentionSinkStreamingChatModel.class);
    }

    @Override
    public void close() {
        context.close();
    }
}
