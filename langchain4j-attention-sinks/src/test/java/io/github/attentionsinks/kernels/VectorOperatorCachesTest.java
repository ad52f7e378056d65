package io.github.attentionsinks.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.attentionsinks.AttentionSinkModel;
import io.github.attentionsinks.Session;
import io.github.attentionsinks.cache.CacheConfig;
import io.github.attentionsinks.generate.GenerationParams;
import io.github.attentionsinks.generate.TokenListener;
import io.github.attentionsinks.testmodels.RandomCheckpoints;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.ShortVector;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link VectorOperatorCaches} leaves nothing for the library's vector code to add to the Vector API's operator
 * caches: with the caches emptied (as in a fresh JVM) and filled, a model with heads of four vectors (the kernels'
 * own forms) in every weight dtype and cache dtype, prompt chunks, batches of 8, 5, 3, 2 and 1 sessions and sampled
 * generation (temperature, top-k, top-p, repetition penalty) leave every cache as the filling left it. An operator
 * the filling missed would be added here, and in a served JVM could take the caches' miss path after C2 compiled it
 * (see {@link VectorOperatorCaches}). The caches are the static {@code ImplCache} fields of each element type's vector
 * class, read by reflection (surefire opens the module to the tests).
 */
class VectorOperatorCachesTest {
    private static final Class<?>[] VECTORS = {FloatVector.class, DoubleVector.class, IntVector.class,
        LongVector.class, ShortVector.class, ByteVector.class};

    @TempDir
    static Path temp;

    @Test
    void theLibrarysVectorCodeFindsEveryOperatorCached() throws Exception {
        Map<String, Object[]> caches = caches();
        assertTrue(caches.size() >= VECTORS.length * 4, "found only these operator caches: " + caches.keySet());
        for (Object[] cache : caches.values()) {
            Arrays.fill(cache, null);
        }
        VectorOperatorCaches.fillAll();
        Map<String, Integer> filled = entries();
        int total = filled.values().stream().mapToInt(Integer::intValue).sum();
        assertTrue(total >= 100, "the filling cached only " + total + " operators: " + filled);

        int headDim = 4 * VectorMath.lanes();
        Path dir = RandomCheckpoints.write(temp.resolve("qwen3-head" + headDim), "qwen3",
                RandomCheckpoints.smollm2Tokenizer(), 21, null, headDim);
        for (String dtype : new String[] {"float32", "float16", "int8"}) {
            for (String cacheDtype : new String[] {"float32", "float16"}) {
                run(dir, dtype, cacheDtype);
                assertEquals(filled, entries(), dtype + " weights, " + cacheDtype + " cache: operators added");
            }
        }
    }

    /** Prompt chunks, batched steps of several sizes and sampled generation on one model. */
    private static void run(Path dir, String dtype, String cacheDtype) {
        try (AttentionSinkModel model = AttentionSinkModel.builder().modelPath(dir).kernels("java").dtype(dtype)
                .cacheDtype(cacheDtype).load()) {
            List<Session> sessions = new ArrayList<>();
            for (int s = 0; s < 8; s++) {
                Session session = model.newSession(CacheConfig.sinks(4, 60));
                int[] prompt = new int[40 + s];
                for (int i = 0; i < prompt.length; i++) {
                    prompt[i] = 10 + (i * 7919 + s * 131) % 49000;
                }
                session.appendAll(prompt);
                sessions.add(session);
            }
            for (int size : new int[] {8, 5, 3, 2, 1}) {
                for (int step = 0; step < 12; step++) {
                    List<int[]> tokens = new ArrayList<>();
                    for (int s = 0; s < size; s++) {
                        tokens.add(new int[] {10 + (step * 104729 + s * 17) % 49000});
                    }
                    model.appendBatch(sessions.subList(0, size), tokens);
                }
            }
            GenerationParams sampled = GenerationParams.builder().maxNewTokens(24).temperature(0.8).topK(40).topP(0.9)
                    .repetitionPenalty(1.1).seed(7L).ignoreEos(true).build();
            sessions.get(0).generate(new int[] {11, 12, 13}, sampled, TokenListener.NONE);
            sessions.forEach(Session::close);
        }
    }

    /** The operator caches of every element type's vector class, by class and field name. */
    private static Map<String, Object[]> caches() throws ReflectiveOperationException {
        Map<String, Object[]> caches = new TreeMap<>();
        for (Class<?> vector : VECTORS) {
            for (Field field : vector.getDeclaredFields()) {
                if (Modifier.isStatic(field.getModifiers()) && field.getType().getSimpleName().equals("ImplCache")) {
                    field.setAccessible(true);
                    Field entries = field.getType().getDeclaredField("cache");
                    entries.setAccessible(true);
                    caches.put(vector.getSimpleName() + "." + field.getName(), (Object[]) entries.get(field.get(null)));
                }
            }
        }
        return caches;
    }

    /** Entries held, per cache. */
    private static Map<String, Integer> entries() throws ReflectiveOperationException {
        Map<String, Integer> entries = new TreeMap<>();
        caches().forEach((name, cache) -> entries.put(name, (int) Arrays.stream(cache).filter(e -> e != null).count()));
        return entries;
    }
}
