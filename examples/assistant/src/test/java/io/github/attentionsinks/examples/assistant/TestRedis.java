package io.github.attentionsinks.examples.assistant;

import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.utility.DockerImageName;

/**
 * The Redis the tests use, one per test JVM: a Testcontainers {@code redis:7-alpine} container where a Docker engine
 * answers, else a {@code redis-server} process (Debian's {@code redis-server}, installed by {@code .ci/run}) on a
 * free loopback port. Which one is printed. With neither, every test that needs Redis fails, saying how to get one.
 * {@code -Dassistant.test.redis=process|docker} forces one.
 */
final class TestRedis {
    private static TestRedis instance;

    private final String description;
    private final String host;
    private final int port;

    private TestRedis(String description, String host, int port) {
        this.description = description;
        this.host = host;
        this.port = port;
    }

    /** Starts Redis on first use; it is stopped when the test JVM exits. */
    static synchronized TestRedis get() {
        if (instance == null) {
            instance = start();
            System.out.println("[assistant tests] Redis: " + instance.description);
        }
        return instance;
    }

    String host() {
        return host;
    }

    int port() {
        return port;
    }

    private static TestRedis start() {
        String forced = System.getProperty("assistant.test.redis", "");
        if (!forced.equals("process") && (forced.equals("docker") || dockerAvailable())) {
            GenericContainer<?> container = new GenericContainer<>(DockerImageName.parse("redis:7-alpine"))
                    .withExposedPorts(6379);
            container.start();
            Runtime.getRuntime().addShutdownHook(new Thread(container::stop));
            return new TestRedis("Testcontainers container redis:7-alpine at " + container.getHost() + ":"
                    + container.getMappedPort(6379), container.getHost(), container.getMappedPort(6379));
        }
        File server = redisServer();
        if (server == null) {
            throw new IllegalStateException("No Redis for the assistant tests: no Docker engine answers (Testcontainers) "
                    + "and no redis-server is on the PATH. Install one: apt-get install -y redis-server (.ci/run "
                    + "does), or start a Docker engine.");
        }
        try {
            int port = freePort();
            Path log = Files.createTempFile("assistant-test-redis", ".log");
            Process process = new ProcessBuilder(server.getPath(), "--port", Integer.toString(port),
                    "--bind", "127.0.0.1", "--save", "", "--appendonly", "no")
                    .redirectErrorStream(true).redirectOutput(log.toFile()).start();
            Runtime.getRuntime().addShutdownHook(new Thread(() -> stop(process)));
            awaitPort("127.0.0.1", port, process, log);
            return new TestRedis("redis-server process " + server + " on 127.0.0.1:" + port
                    + " (no Docker engine for Testcontainers)", "127.0.0.1", port);
        } catch (IOException e) {
            throw new IllegalStateException("Could not start " + server + ": " + e.getMessage(), e);
        }
    }

    private static boolean dockerAvailable() {
        // Ask Testcontainers only where an engine may be (it logs its failed probes as errors otherwise).
        boolean mayHaveEngine = System.getenv("DOCKER_HOST") != null || new File("/var/run/docker.sock").exists()
                || new File(System.getProperty("user.home"), ".testcontainers.properties").exists();
        if (!mayHaveEngine) {
            return false;
        }
        try {
            return DockerClientFactory.instance().isDockerAvailable();
        } catch (RuntimeException | Error e) {
            return false;
        }
    }

    private static File redisServer() {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin").split(File.pathSeparator)) {
            File f = new File(dir, "redis-server");
            if (f.canExecute()) {
                return f;
            }
        }
        File debian = new File("/usr/bin/redis-server");
        return debian.canExecute() ? debian : null;
    }

    static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    /**
     * Waits for {@code process} to listen on {@code port}, 90 s at most: the two-instance test takes about 18 s alone
     * here, but under {@code strace -f} an instance starting beside two other JVMs printed nothing in 30 s, twice.
     */
    static void awaitPort(String host, int port, Process process, Path log) throws IOException {
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("process exited with " + process.exitValue() + " before listening on "
                        + port + ": " + Files.readString(log));
            }
            try (Socket ignored = new Socket(host, port)) {
                return;
            } catch (IOException notYet) {
                sleep(50);
            }
        }
        throw new IllegalStateException("nothing listens on " + host + ":" + port + " after 90 s: " + Files.readString(log));
    }

    static void stop(Process process) {
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
