package io.github.attentionsinks.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/** JSON file reading with errors that name the file, the line and the column. */
public final class Json {
    public static final ObjectMapper MAPPER = new ObjectMapper();

    private Json() {}

    public static JsonNode readTree(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new ModelFormatException(file + ": file not found");
        }
        try {
            JsonNode node = MAPPER.readTree(file.toFile());
            if (node == null || node.isMissingNode()) {
                throw new ModelFormatException(file + ": file is empty, expected JSON");
            }
            return node;
        } catch (JsonProcessingException e) {
            String where = e.getLocation() == null ? ""
                    : " at line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr();
            throw new ModelFormatException(file + ": malformed JSON" + where + ": " + e.getOriginalMessage(), e);
        } catch (NoSuchFileException e) {
            throw new ModelFormatException(file + ": file not found", e);
        } catch (IOException e) {
            throw new ModelFormatException(file + ": cannot read: " + e.getMessage(), e);
        }
    }
}
