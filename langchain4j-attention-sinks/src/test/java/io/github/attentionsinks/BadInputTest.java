package io.github.attentionsinks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.attentionsinks.cache.CacheConfig;
import io.github.attentionsinks.generate.GenerationParams;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every bad input fails with a message that names the file or field at fault. */
class BadInputTest {
    @TempDir
    Path temp;

    private Path copyOfStories() throws IOException {
        Path dir = Files.createDirectories(temp.resolve("model"));
        try (Stream<Path> files = Files.list(Shared.stories())) {
            for (Path f : (Iterable<Path>) files::iterator) {
                Files.copy(f, dir.resolve(f.getFileName()));
                dir.resolve(f.getFileName()).toFile().setWritable(true);
            }
        }
        return dir;
    }

    private static String loadFailure(Path dir) {
        Exception e = assertThrows(RuntimeException.class,
                () -> AttentionSinkModel.builder().modelPath(dir).device("cpu").load().close());
        return e.getMessage();
    }

    @Test
    void missingDirectory() {
        String message = loadFailure(temp.resolve("nope"));
        assertTrue(message.contains("nope") && message.contains("not found"), message);
    }

    @Test
    void missingFiles() throws IOException {
        for (String file : new String[] {"config.json", "model.safetensors", "tokenizer.json"}) {
            Path dir = copyOfStories();
            Files.delete(dir.resolve(file));
            String message = loadFailure(dir);
            assertTrue(message.contains(file), file + ": " + message);
            deleteTree(dir);
        }
    }

    @Test
    void malformedJson() throws IOException {
        Path dir = copyOfStories();
        Files.writeString(dir.resolve("config.json"), "{\"model_type\": \"llama\", \"hidden_size\": }");
        String message = loadFailure(dir);
        assertTrue(message.contains("config.json") && message.contains("malformed JSON") && message.contains("line 1"),
                message);
    }

    @Test
    void missingAndMistypedFields() throws IOException {
        Path dir = copyOfStories();
        String config = Files.readString(dir.resolve("config.json"));
        Files.writeString(dir.resolve("config.json"), config.replace("\"num_hidden_layers\": 5,", ""));
        String message = loadFailure(dir);
        assertTrue(message.contains("config.json") && message.contains("'num_hidden_layers' is missing"), message);
        Files.writeString(dir.resolve("config.json"), config.replace("\"hidden_size\": 64", "\"hidden_size\": \"64\""));
        message = loadFailure(dir);
        assertTrue(message.contains("'hidden_size'") && message.contains("expected a positive integer")
                || message.contains("expected an integer"), message);
    }

    @Test
    void unsupportedModelType() throws IOException {
        Path dir = copyOfStories();
        String config = Files.readString(dir.resolve("config.json"));
        Files.writeString(dir.resolve("config.json"), config.replace("\"model_type\": \"llama\"", "\"model_type\": \"t5\""));
        String message = loadFailure(dir);
        assertTrue(message.contains("model_type 't5' is not supported") && message.contains("llama"), message);
    }

    @Test
    void truncatedAndCorruptSafetensors() throws IOException {
        Path dir = copyOfStories();
        byte[] bytes = Files.readAllBytes(dir.resolve("model.safetensors"));
        Files.write(dir.resolve("model.safetensors"), Arrays.copyOf(bytes, bytes.length / 2));
        String message = loadFailure(dir);
        assertTrue(message.contains("model.safetensors") && message.contains("truncated"), message);

        byte[] corrupt = bytes.clone();
        ByteBuffer.wrap(corrupt).order(ByteOrder.LITTLE_ENDIAN).putLong(0, 1L << 40);
        Files.write(dir.resolve("model.safetensors"), corrupt);
        message = loadFailure(dir);
        assertTrue(message.contains("model.safetensors") && message.contains("header length"), message);

        byte[] badJson = bytes.clone();
        badJson[8] = 'x';
        Files.write(dir.resolve("model.safetensors"), badJson);
        message = loadFailure(dir);
        assertTrue(message.contains("model.safetensors") && message.contains("not valid JSON"), message);

        Files.write(dir.resolve("model.safetensors"), new byte[3]);
        message = loadFailure(dir);
        assertTrue(message.contains("too short"), message);
    }

    @Test
    void tensorShapeAndDtypeMismatch() throws IOException {
        Path dir = copyOfStories();
        String config = Files.readString(dir.resolve("config.json"));
        Files.writeString(dir.resolve("config.json"), config.replace("\"intermediate_size\": 172", "\"intermediate_size\": 160"));
        String message = loadFailure(dir);
        assertTrue(message.contains("mlp.gate_proj.weight") && message.contains("[172, 64]")
                && message.contains("[160, 64]"), message);

        Files.writeString(dir.resolve("config.json"), config);
        rewriteHeader(dir.resolve("model.safetensors"), "\"model.norm.weight\":{\"dtype\":\"F32\"",
                "\"model.norm.weight\":{\"dtype\":\"I32\"");
        message = loadFailure(dir);
        assertTrue(message.contains("model.norm.weight") && message.contains("I32"), message);
    }

    @Test
    void badSizesAndEmptyPrompt() throws IOException {
        assertEquals("attention-sink-size must be >= 0, got -1",
                assertThrows(IllegalArgumentException.class, () -> CacheConfig.sinks(-1, 10)).getMessage());
        assertEquals("window-size must be >= 1, got 0",
                assertThrows(IllegalArgumentException.class, () -> CacheConfig.sinks(4, 0)).getMessage());
        try (AttentionSinkModel model = AttentionSinkModel.builder().modelPath(Shared.stories()).device("cpu").load();
                Session session = model.newSession(CacheConfig.defaults())) {
            GenerationParams params = GenerationParams.builder().maxNewTokens(4).build();
            assertTrue(assertThrows(IllegalArgumentException.class, () -> session.generate("", params, null))
                    .getMessage().contains("prompt is empty"));
            assertTrue(assertThrows(IllegalArgumentException.class, () -> session.generate(new int[0], params, null))
                    .getMessage().contains("prompt is empty"));
            assertTrue(assertThrows(IllegalArgumentException.class, () -> session.append(512))
                    .getMessage().contains("outside the vocabulary"));
            assertThrows(IllegalArgumentException.class, () -> GenerationParams.builder().maxNewTokens(0).build());
            assertThrows(IllegalArgumentException.class, () -> GenerationParams.builder().temperature(-1).build());
            assertThrows(IllegalArgumentException.class, () -> GenerationParams.builder().topP(0).build());
            // The session is still usable after the refused calls.
            assertEquals(8, session.generate("Once", params.toBuilder().maxNewTokens(8).build(), null).tokenIds().length);
        }
        assertThrows(IllegalArgumentException.class,
                () -> AttentionSinkModel.builder().modelPath(Shared.stories()).device("tpu").load());
        assertThrows(IllegalArgumentException.class,
                () -> AttentionSinkModel.builder().modelPath(Shared.stories()).dtype("int3").load());
    }

    @Test
    void densePastTrainedContextAndLargeCachesAreAllowed() {
        try (AttentionSinkModel model = AttentionSinkModel.builder().modelPath(Shared.stories()).device("cpu").load();
                Session dense = model.newSession(CacheConfig.dense());
                Session big = model.newSession(CacheConfig.sinks(4, 2000))) {
            int[] ids = new int[600];
            Arrays.fill(ids, 300);
            ids[0] = 1;
            assertEquals(512, dense.append(ids).length);
            assertEquals(600, dense.cacheLength());
            assertEquals(512, big.append(ids).length);
        }
    }

    private static void rewriteHeader(Path file, String from, String to) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        String all = new String(bytes, StandardCharsets.ISO_8859_1);
        assertTrue(all.contains(from), "fixture header has " + from);
        Files.write(file, all.replace(from, to).getBytes(StandardCharsets.ISO_8859_1));
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                Files.delete(f);
            }
        }
        Files.delete(dir);
    }
}
