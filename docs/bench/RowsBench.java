import io.github.attentionsinks.*;
import io.github.attentionsinks.cache.CacheConfig;
import io.github.attentionsinks.generate.*;
import java.nio.file.Path;
import java.util.*;

/**
 * One session at 1,100 tokens appends chunks of 1 to 8 tokens, 30 of each size a round (medians, ms): how a step's
 * cost grows with its rows, on the model in /tmp/smol (the SmolLM-135M shape, random float32 weights; any model
 * directory works). Used in docs/benchmarks.md ("Cache reads in place on JDK 19 and later"):
 *
 * <pre>
 * mvn -q package -DskipTests   # examples/target/attention-sinks.jar
 * javac --release 17 -cp examples/target/attention-sinks.jar -d /tmp/rb docs/bench/RowsBench.java
 * java --add-modules jdk.incubator.vector -Xmx3g -cp examples/target/attention-sinks.jar:/tmp/rb RowsBench
 * </pre>
 */
public class RowsBench {
    public static void main(String[] a) throws Exception {
        try (AttentionSinkModel m = AttentionSinkModel.load(Path.of("/tmp/smol"));
             Session session = m.newSession(CacheConfig.defaults())) {
            SplittableRandom r = new SplittableRandom(1);
            int[] prompt = new int[1100];
            for (int i = 0; i < prompt.length; i++) prompt[i] = r.nextInt(m.vocabSize());
            session.generate(prompt, GenerationParams.builder().maxNewTokens(8).temperature(0).ignoreEos(true).build(), null);
            session.discardPendingToken();
            for (int round = 0; round < 3; round++) {
                StringBuilder sb = new StringBuilder("java " + Runtime.version().feature() + ":");
                for (int rows = 1; rows <= 8; rows++) {
                    double[] ms = new double[30];
                    for (int t = 0; t < 30; t++) {
                        int[] ids = new int[rows];
                        for (int i = 0; i < rows; i++) ids[i] = r.nextInt(m.vocabSize());
                        long t0 = System.nanoTime();
                        session.append(ids);
                        ms[t] = (System.nanoTime() - t0) / 1e6;
                    }
                    Arrays.sort(ms);
                    sb.append(String.format(" %d rows %.1f", rows, ms[15]));
                }
                System.out.println(sb);
            }
        }
    }
}
