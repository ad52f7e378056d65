package io.github.attentionsinks.weights;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import io.github.attentionsinks.config.Json;
import io.github.attentionsinks.config.ModelFormatException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * The tensors of a Hugging Face checkpoint directory: {@code model.safetensors}, or the shards listed by
 * {@code model.safetensors.index.json}. Tensors are created in the caller's manager in the compute dtype.
 *
 * <p>F32 tensors on the CPU wrap the memory-mapped file without a copy; F16 and BF16 are widened in Java
 * (DJL 0.36 aborts the JVM on BF16 tensors), so each weight exists once in native memory.
 */
public final class WeightStore implements AutoCloseable {
    private final Path dir;
    private final DataType matrixType;
    private final Map<String, SafetensorsFile> files = new LinkedHashMap<>();
    private final Map<String, SafetensorsFile> byTensor = new HashMap<>();

    private WeightStore(Path dir, DataType matrixType) {
        this.dir = dir;
        this.matrixType = matrixType;
    }

    /** Opens the checkpoint in {@code dir}; errors name the missing or corrupt file. */
    public static WeightStore open(Path dir) {
        return open(dir, null);
    }

    /**
     * Opens the checkpoint in {@code dir}, storing matrices (tensors of two or more dimensions: projections and
     * embeddings) as {@code matrixType} whatever compute dtype the caller asks for; vectors (norms, biases) keep the
     * compute dtype. Null stores everything in the compute dtype.
     */
    public static WeightStore open(Path dir, DataType matrixType) {
        WeightStore store = new WeightStore(dir, matrixType);
        try {
            Path index = dir.resolve("model.safetensors.index.json");
            Path single = dir.resolve("model.safetensors");
            if (Files.isRegularFile(index)) {
                JsonNode map = Json.readTree(index).get("weight_map");
                if (map == null || !map.isObject()) {
                    throw new ModelFormatException(index + ": missing object 'weight_map'");
                }
                for (Iterator<Map.Entry<String, JsonNode>> it = map.fields(); it.hasNext(); ) {
                    Map.Entry<String, JsonNode> e = it.next();
                    String shard = e.getValue().asText();
                    SafetensorsFile file = store.files.computeIfAbsent(shard, s -> SafetensorsFile.open(dir.resolve(s)));
                    if (!file.tensors().containsKey(e.getKey())) {
                        throw new ModelFormatException(index + ": tensor '" + e.getKey() + "' is mapped to " + shard
                                + ", which does not contain it");
                    }
                    store.byTensor.put(e.getKey(), file);
                }
            } else if (Files.isRegularFile(single)) {
                SafetensorsFile file = SafetensorsFile.open(single);
                store.files.put(single.getFileName().toString(), file);
                for (String name : file.tensors().keySet()) {
                    store.byTensor.put(name, file);
                }
            } else {
                String other = Files.isRegularFile(dir.resolve("pytorch_model.bin"))
                        ? " (found pytorch_model.bin: convert it to safetensors, e.g. with transformers' save_pretrained(safe_serialization=True))"
                        : "";
                throw new ModelFormatException(dir + ": no model.safetensors or model.safetensors.index.json" + other);
            }
            return store;
        } catch (RuntimeException e) {
            store.close();
            throw e;
        }
    }

    public boolean contains(String name) {
        return byTensor.containsKey(name);
    }

    public Set<String> names() {
        return byTensor.keySet();
    }

    /** The shape stored for a tensor. */
    public long[] shapeOf(String name) {
        return info(name).shape().clone();
    }

    /**
     * Creates tensor {@code name} in {@code manager} as {@code computeType} (matrices as the store's matrix dtype when
     * one is set), checking its shape.
     *
     * @param expectedShape the shape the architecture needs; a mismatch names the tensor, file and both shapes
     */
    public NDArray load(String name, NDManager manager, DataType computeType, long... expectedShape) {
        SafetensorsFile.TensorInfo info = info(name);
        SafetensorsFile file = byTensor.get(name);
        if (expectedShape != null && expectedShape.length > 0 && !Arrays.equals(info.shape(), expectedShape)) {
            throw new ModelFormatException(file.path() + ": tensor '" + name + "' has shape "
                    + Arrays.toString(info.shape()) + ", but config.json implies " + Arrays.toString(expectedShape));
        }
        Shape shape = new Shape(info.shape());
        ByteBuffer bytes = file.map(info);
        NDArray array;
        switch (info.dtype()) {
            case "F32" -> array = manager.create(bytes, shape, DataType.FLOAT32);
            case "F16" -> array = manager.create(bytes, shape, DataType.FLOAT16);
            case "BF16" -> array = manager.create(widenBf16(bytes, info.elementCount()), shape, DataType.FLOAT32);
            default -> throw new ModelFormatException(file.path() + ": tensor '" + name + "' has dtype "
                    + info.dtype() + "; only F32, F16 and BF16 weights are supported");
        }
        DataType target = matrixType != null && info.shape().length >= 2 ? matrixType : computeType;
        if (array.getDataType() != target) {
            NDArray converted = array.toType(target, false);
            array.close();
            array = converted;
        }
        return array;
    }

    /** bfloat16 is the upper half of a float32: widen by shifting, in Java. */
    private static ByteBuffer widenBf16(ByteBuffer src, long count) {
        ByteBuffer dst = ByteBuffer.allocateDirect(Math.toIntExact(count * 4)).order(ByteOrder.nativeOrder());
        for (long i = 0; i < count; i++) {
            int bits = (src.getShort((int) (i * 2)) & 0xFFFF) << 16;
            dst.putInt((int) (i * 4), bits);
        }
        return dst;
    }

    private SafetensorsFile.TensorInfo info(String name) {
        SafetensorsFile file = byTensor.get(name);
        if (file == null) {
            throw new ModelFormatException(dir + ": tensor '" + name + "' not found in the checkpoint "
                    + files.keySet() + " (is the model_type right for these weights?)");
        }
        return file.tensors().get(name);
    }

    @Override
    public void close() {
        files.values().forEach(SafetensorsFile::close);
    }
}
