import io.github.attentionsinks.AttentionSinkModel;
import io.github.attentionsinks.DecodeScheduler;
import io.github.attentionsinks.Session;
import io.github.attentionsinks.cache.CacheConfig;
import io.github.attentionsinks.generate.GenerationParams;
import java.nio.file.Path;
import java.util.SplittableRandom;

/**
 * A long prompt alone on a {@link DecodeScheduler}, as a chat user's long paste with nobody else active: the time to
 * its first token, in a fresh session with the default cache (sinks 4 + 1020) each time, for each setting given as
 * {@code PREFILL_CHUNK/LONG_PROMPT_CHUNK}, interleaved, round after round (the first round warms the JIT up).
 * {@code -Ddtype=float16} or {@code int8} sets the weights' dtype. Used in docs/benchmarks.md ("A long prompt alone read
 * in growing chunks"):
 *
 * <pre>
 * javac -cp examples/target/attention-sinks.jar -d /tmp/pa docs/bench/PrefillAlone.java
 * java --add-modules jdk.incubator.vector -Xmx3g -cp examples/target/attention-sinks.jar:/tmp/pa PrefillAlone \
 *     /tmp/smol 2000 16/16,16/256 4
 * </pre>
 */
public class PrefillAlone {
    public static void main(String[] args) {
        Path dir = Path.of(args[0]);
        int tokens = Integer.parseInt(args[1]);
        String[] settings = args[2].split(",");
        int rounds = Integer.parseInt(args[3]);
        GenerationParams oneToken = GenerationParams.builder().maxNewTokens(1).temperature(0).ignoreEos(true).build();
        SplittableRandom random = new SplittableRandom(7);
        try (AttentionSinkModel model = AttentionSinkModel.builder().modelPath(dir)
                .dtype(System.getProperty("dtype", "float32")).load()) {
            for (int round = 0; round < rounds; round++) {
                StringBuilder line = new StringBuilder("round " + round);
                for (String setting : settings) {
                    String[] chunks = setting.split("/");
                    int prefillChunk = Integer.parseInt(chunks[0]);
                    int longPromptChunk = Integer.parseInt(chunks[1]);
                    int[] ids = new int[tokens];
                    for (int i = 0; i < tokens; i++) {
                        ids[i] = 10 + random.nextInt(model.vocabSize() - 10);
                    }
                    try (DecodeScheduler scheduler = new DecodeScheduler(model, 8, 8, prefillChunk, longPromptChunk);
                         Session session = model.newSession(CacheConfig.defaults())) {
                        long t0 = System.nanoTime();
                        scheduler.submit(session, ids, oneToken, null).join();
                        double seconds = (System.nanoTime() - t0) / 1e9;
                        line.append(String.format("  %s: %.2f s (%.0f tokens/s, %d steps)", setting, seconds,
                                tokens / seconds, scheduler.steps()));
                    }
                }
                System.out.println(line);
            }
        }
    }
}
