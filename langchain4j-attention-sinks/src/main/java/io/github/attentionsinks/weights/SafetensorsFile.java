package io.github.attentionsinks.weights;

import com.fasterxml.jackson.databind.JsonNode;
import io.github.attentionsinks.config.Json;
import io.github.attentionsinks.config.ModelFormatException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One {@code .safetensors} file: its header is parsed and validated up front, tensor data is memory-mapped on
 * demand (read-only, never copied here), so files over 2 GB work and nothing is held twice.
 */
public final class SafetensorsFile implements AutoCloseable {
    /** A header over 100 MB is certainly corrupt; the format's own reader refuses those too. */
    private static final long MAX_HEADER_BYTES = 100L * 1024 * 1024;

    private final Path path;
    private final FileChannel channel;
    private final long dataStart;
    private final Map<String, TensorInfo> tensors;

    /** Where one tensor lies in the file. */
    public record TensorInfo(String name, String dtype, long[] shape, long begin, long end) {
        public long elementCount() {
            long n = 1;
            for (long d : shape) {
                n *= d;
            }
            return n;
        }
    }

    private SafetensorsFile(Path path, FileChannel channel, long dataStart, Map<String, TensorInfo> tensors) {
        this.path = path;
        this.channel = channel;
        this.dataStart = dataStart;
        this.tensors = tensors;
    }

    /** Opens and validates a file's header; every error names the file and what is wrong. */
    public static SafetensorsFile open(Path path) {
        FileChannel channel;
        try {
            channel = FileChannel.open(path, StandardOpenOption.READ);
        } catch (java.nio.file.NoSuchFileException e) {
            throw new ModelFormatException(path + ": file not found");
        } catch (IOException e) {
            throw new ModelFormatException(path + ": cannot open: " + e.getMessage(), e);
        }
        try {
            long size = channel.size();
            if (size < 8) {
                throw corrupt(path, "file is " + size + " bytes, too short for the 8-byte header length");
            }
            ByteBuffer lengthBytes = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(channel, lengthBytes, 0);
            long headerLength = lengthBytes.getLong(0);
            if (headerLength <= 0 || headerLength > MAX_HEADER_BYTES || headerLength > size - 8) {
                throw corrupt(path, "header length " + headerLength + " does not fit a file of " + size + " bytes");
            }
            ByteBuffer headerBytes = ByteBuffer.allocate((int) headerLength);
            readFully(channel, headerBytes, 8);
            JsonNode header;
            try {
                header = Json.MAPPER.readTree(new String(headerBytes.array(), StandardCharsets.UTF_8));
            } catch (IOException e) {
                throw corrupt(path, "header is not valid JSON (" + e.getMessage().lines().findFirst().orElse("") + ")");
            }
            if (header == null || !header.isObject()) {
                throw corrupt(path, "header is not a JSON object");
            }
            long dataStart = 8 + headerLength;
            long dataSize = size - dataStart;
            Map<String, TensorInfo> tensors = new LinkedHashMap<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = header.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                if (e.getKey().equals("__metadata__")) {
                    continue;
                }
                tensors.put(e.getKey(), parseTensor(path, e.getKey(), e.getValue(), dataSize));
            }
            return new SafetensorsFile(path, channel, dataStart, Collections.unmodifiableMap(tensors));
        } catch (IOException e) {
            closeQuietly(channel);
            throw new ModelFormatException(path + ": cannot read: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            closeQuietly(channel);
            throw e;
        }
    }

    private static TensorInfo parseTensor(Path path, String name, JsonNode node, long dataSize) {
        JsonNode dtype = node.get("dtype");
        JsonNode shape = node.get("shape");
        JsonNode offsets = node.get("data_offsets");
        if (dtype == null || !dtype.isTextual() || shape == null || !shape.isArray() || offsets == null
                || !offsets.isArray() || offsets.size() != 2) {
            throw corrupt(path, "tensor '" + name + "' needs dtype, shape and data_offsets [begin, end]");
        }
        long[] dims = new long[shape.size()];
        for (int i = 0; i < dims.length; i++) {
            if (!shape.get(i).canConvertToLong() || shape.get(i).longValue() < 0) {
                throw corrupt(path, "tensor '" + name + "' has an invalid shape " + shape);
            }
            dims[i] = shape.get(i).longValue();
        }
        long begin = offsets.get(0).asLong(-1);
        long end = offsets.get(1).asLong(-1);
        if (begin < 0 || end < begin || end > dataSize) {
            throw corrupt(path, "tensor '" + name + "' has data_offsets " + offsets + " outside the "
                    + dataSize + " data bytes (truncated file?)");
        }
        TensorInfo info = new TensorInfo(name, dtype.asText(), dims, begin, end);
        int width = DTypes.byteWidth(dtype.asText());
        if (width > 0 && info.elementCount() * width != end - begin) {
            throw corrupt(path, "tensor '" + name + "' of dtype " + dtype.asText() + " and shape " + shape
                    + " needs " + info.elementCount() * width + " bytes, but its data_offsets span " + (end - begin));
        }
        return info;
    }

    public Path path() {
        return path;
    }

    public Map<String, TensorInfo> tensors() {
        return tensors;
    }

    /** Maps one tensor's bytes read-only, little-endian. The buffer must never be written through. */
    public ByteBuffer map(TensorInfo info) {
        try {
            return channel.map(FileChannel.MapMode.READ_ONLY, dataStart + info.begin(), info.end() - info.begin())
                    .order(ByteOrder.LITTLE_ENDIAN);
        } catch (IOException e) {
            throw new ModelFormatException(path + ": cannot map tensor '" + info.name() + "': " + e.getMessage(), e);
        }
    }

    private static void readFully(FileChannel channel, ByteBuffer buffer, long position) throws IOException {
        long pos = position;
        while (buffer.hasRemaining()) {
            int n = channel.read(buffer, pos);
            if (n < 0) {
                throw new IOException("unexpected end of file");
            }
            pos += n;
        }
    }

    private static ModelFormatException corrupt(Path path, String what) {
        return new ModelFormatException(path + ": corrupt or truncated safetensors file: " + what);
    }

    private static void closeQuietly(FileChannel channel) {
        try {
            channel.close();
        } catch (IOException ignored) {
            // nothing useful to do on a failed open
        }
    }

    @Override
    public void close() {
        closeQuietly(channel);
    }
}
