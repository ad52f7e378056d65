package io.github.attentionsinks.langchain4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.github.attentionsinks.cache.CacheConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The transcript keeps the cache's rule (first S of the stream, last W) through appends and rewinds: checked against
 * the rule written literally on a list, over a long random stream of chunks and rewinds.
 */
class CacheTranscriptTest {
    static List<CacheConfig> configs() {
        return List.of(CacheConfig.sinks(4, 16), CacheConfig.sinks(1, 5), CacheConfig.windowed(12),
                CacheConfig.dense());
    }

    @ParameterizedTest
    @MethodSource("configs")
    void followsTheCacheRuleThroughAppendsAndRewinds(CacheConfig config) {
        CacheTranscript transcript = new CacheTranscript(config);
        List<Integer> held = new ArrayList<>();
        long stream = 0;
        Random random = new Random(3);
        for (int step = 0; step < 400; step++) {
            if (step % 4 == 3) {
                boolean evicted = stream != held.size();
                int rewindable = evicted ? held.size() - config.attentionSinkSize() : held.size();
                assertEquals(rewindable, transcript.rewindable(), "step " + step);
                int back = random.nextInt(Math.min(7, rewindable) + 1);
                transcript.rewind(back);
                held.subList(held.size() - back, held.size()).clear();
                stream -= back;
                assertThrows(IllegalArgumentException.class, () -> transcript.rewind(transcript.rewindable() + 1));
            } else {
                int n = 1 + random.nextInt(6);
                int[] ids = new int[n];
                String[] pieces = new String[n];
                for (int i = 0; i < n; i++) {
                    ids[i] = (int) stream + i;
                    pieces[i] = "<" + ids[i] + ">";
                    held.add(ids[i]);
                }
                transcript.append(ids, pieces);
                stream += n;
                if (config.bounded() && held.size() > config.capacity()) {
                    List<Integer> kept = new ArrayList<>(held.subList(0, config.attentionSinkSize()));
                    kept.addAll(held.subList(held.size() - config.windowSize(), held.size()));
                    held.clear();
                    held.addAll(kept);
                }
            }
            assertEquals(stream, transcript.streamLength());
            assertEquals(held.size(), transcript.length());
            assertArrayEquals(held.stream().mapToInt(Integer::intValue).toArray(), transcript.lastIds(held.size()));
            CacheTranscript.Tail tail = transcript.tail();
            StringBuilder expected = new StringBuilder();
            for (int id : held.subList(held.size() - tail.tokens(), held.size())) {
                expected.append('<').append(id).append('>');
            }
            assertEquals(expected.toString(), tail.text(), "the rewindable tokens' text, step " + step);
            assertEquals(tail.text().length(), tail.tokens() == 0 ? 0 : tail.ends()[tail.tokens() - 1]);
        }
    }
}
