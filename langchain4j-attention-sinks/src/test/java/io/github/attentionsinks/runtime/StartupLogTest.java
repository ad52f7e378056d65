package io.github.attentionsinks.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.attentionsinks.AttentionSinkModel;
import io.github.attentionsinks.Session;
import io.github.attentionsinks.Shared;
import io.github.attentionsinks.cache.CacheConfig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A start as a CPU user sees it: a model load in a fresh JVM (DJL probes CUDA while its engine starts, once per
 * JVM), logging at INFO with every logger at its default, the CUDA probe's included. On a machine with the CUDA
 * runtime library but no driver (this project's machines have /usr/local/cuda without a GPU) DJL alone logs "Failed
 * to detect GPU count" at WARN four times; the start must log no warning and exactly one line of ours.
 */
class StartupLogTest {
    /** Set explicitly, so the count in the line is checked rather than taken from the machine. */
    private static final int THREADS = 2;

    @Test
    void aCpuStartLogsOneInfoLineAndNoWarning() throws Exception {
        Path model = Shared.stories();
        List<String> log = runInFreshJvm(model.toString(), "auto");

        assertThat(log).as("the child's log").noneMatch(line -> line.startsWith("WARN ") || line.startsWith("ERROR "))
                .noneMatch(line -> line.contains("Failed to detect GPU count"));
        List<String> ours = log.stream().filter(line -> line.startsWith("INFO io.github.attentionsinks.")).toList();
        assertThat(ours).as("INFO lines of this library in " + log).hasSize(1);
        assertThat(ours.get(0)).contains("Loaded llama model " + model, "device cpu", "dtype float32",
                "libtorch " + THREADS + " intra-op threads");
        // The child runs without --add-modules jdk.incubator.vector: the line says what would be faster.
        assertThat(ours.get(0)).contains(
                "kernels libtorch (start the JVM with --add-modules jdk.incubator.vector for the Java kernels");
        assertThat(log).as("the child's own report").contains("loaded on cpu()")
                .anyMatch(line -> line.matches("a session fed \\d+ tokens"));
    }

    @Test
    void aRequestedCudaDeviceThatDjlCannotSeeStillFailsLoudly() throws Exception {
        List<String> log = runInFreshJvm(Shared.stories().toString(), "cuda");
        assertThat(log).anyMatch(line -> line.contains("failed: Device 'cuda' requested but DJL sees 0 GPU(s)")
                && line.contains("use --device cpu"));
    }

    /** The stderr and stdout lines of {@link StartupLogMain} run on this test class path. */
    private static List<String> runInFreshJvm(String model, String device) throws IOException, InterruptedException {
        String classPath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx1g",
                "-cp", classPath,
                // System properties win over the test resources' simplelogger.properties, which quiets these.
                "-Dorg.slf4j.simpleLogger.defaultLogLevel=info",
                "-Dorg.slf4j.simpleLogger.log.ai.djl.util.cuda.CudaUtils=info",
                "-Dorg.slf4j.simpleLogger.log.io.github.attentionsinks.AttentionSinkModel=info",
                "-Dorg.slf4j.simpleLogger.showThreadName=false",
                "-Dattentionsinks.threads=" + THREADS,
                StartupLogMain.class.getName(), model, device));
        Process child = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(child.waitFor(60, TimeUnit.SECONDS)).as("child finished").isTrue();
        return out.lines().toList();
    }

    /**
     * The child: loads the model on the given device, feeds a session a few tokens (without the Vector API module no
     * class of the Java kernels may load on the way: a float32 cache once asked them for its key layout and failed
     * with NoClassDefFoundError) and reports the outcome on stdout.
     */
    public static final class StartupLogMain {
        public static void main(String[] args) {
            try (AttentionSinkModel m = AttentionSinkModel.builder().modelPath(Path.of(args[0])).device(args[1])
                    .load()) {
                System.out.println("loaded on " + m.device());
                try (Session session = m.newSession(CacheConfig.sinks(4, 64))) {
                    float[][] logits = session.appendAll(m.tokenizer().encode("Once upon a time", true));
                    System.out.println("a session fed " + logits.length + " tokens");
                }
            } catch (RuntimeException e) {
                System.out.println("failed: " + e.getMessage());
            } catch (LinkageError e) {
                System.out.println("failed: " + e);
            }
        }
    }
}
