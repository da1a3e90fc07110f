package io.seedstream.model;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import ai.djl.ndarray.NDArray;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * Checkpoints in the Hugging Face layout (config.json, tokenizer.json, and the weights either in
 * model.safetensors or in shards named by model.safetensors.index.json, as save_pretrained writes
 * them): a policy saved here opens in transformers, and reloads bit-exactly here.
 */
public final class Checkpoints {

    public static final String CONFIG = "config.json";
    public static final String WEIGHTS = "model.safetensors";
    public static final String TOKENIZER = "tokenizer.json";
    public static final String INDEX = "model.safetensors.index.json";

    /** transformers' default {@code max_shard_size} ("5GB"). */
    public static final long MAX_SHARD_BYTES = 5_000_000_000L;

    private static final Pattern SHARD = Pattern.compile("model-\\d{5}-of-\\d{5}\\.safetensors");
    private static final ObjectMapper JSON = new ObjectMapper();

    /** How weights are written: their dtype, and the largest shard before the next one begins. */
    public record SaveOptions(SafeTensors.DType dtype, long maxShardBytes) {
        public static final SaveOptions DEFAULT = new SaveOptions(SafeTensors.DType.F32, MAX_SHARD_BYTES);

        public SaveOptions {
            if (maxShardBytes < 1) {
                throw new IllegalArgumentException("the shard size must be positive, was " + maxShardBytes);
            }
        }
    }

    private Checkpoints() {}

    /**
     * The dtype a directory's weights are stored in: that of its token embedding, the largest
     * tensor (a hub checkpoint stores all its matrices in one dtype).
     */
    public static SafeTensors.DType storedDtype(Path dir) throws IOException {
        String embedding = "model.embed_tokens.weight";
        Path file = weightFiles(dir).get(embedding);
        if (file == null) {
            throw new IOException("no tensor '" + embedding + "' in " + dir);
        }
        return SafeTensors.header(file).entry(embedding).dtype();
    }

    /** Whether a directory holds weights, in one file or in shards. */
    public static boolean hasWeights(Path dir) {
        return Files.isRegularFile(dir.resolve(WEIGHTS)) || Files.isRegularFile(dir.resolve(INDEX));
    }

    /**
     * Which file holds each tensor of a checkpoint directory: the shards its index names (each
     * checked to exist), else every tensor of its single model.safetensors.
     */
    public static Map<String, Path> weightFiles(Path dir) throws IOException {
        Path index = dir.resolve(INDEX);
        Map<String, Path> out = new LinkedHashMap<>();
        if (!Files.isRegularFile(index)) {
            Path single = dir.resolve(WEIGHTS);
            if (!Files.isRegularFile(single)) {
                throw new IOException("model directory " + dir + " has neither " + WEIGHTS + " nor " + INDEX);
            }
            for (String name : SafeTensors.header(single).entries().keySet()) {
                out.put(name, single);
            }
            return out;
        }
        JsonNode map;
        try {
            map = JSON.readTree(index.toFile()).get("weight_map");
        } catch (JsonProcessingException e) {
            throw new IOException(index + " is not valid JSON: " + e.getOriginalMessage());
        }
        if (map == null || !map.isObject() || map.isEmpty()) {
            throw new IOException(index + " has no weight_map object naming each tensor's shard");
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = map.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String file = e.getValue().asText("");
            Path shard = dir.resolve(file).normalize();
            if (!e.getValue().isTextual() || file.isEmpty() || !shard.getParent().equals(dir.normalize())) {
                throw new IOException(index + ": tensor '" + e.getKey() + "' names '" + e.getValue()
                        + "', not a file of the model directory");
            }
            if (!Files.isRegularFile(shard)) {
                throw new IOException(index + " names shard " + file + " (for '" + e.getKey() + "'), which is missing");
            }
            out.put(e.getKey(), shard);
        }
        return out;
    }

    /** The sha256 that names a checkpoint's weights: of model.safetensors, or of the index then each shard in name order. */
    public static String weightsSha256(Path dir) throws IOException {
        Path index = dir.resolve(INDEX);
        if (!Files.isRegularFile(index)) {
            return sha256(dir.resolve(WEIGHTS));
        }
        List<Path> files = new ArrayList<>(List.of(index));
        new java.util.TreeSet<>(weightFiles(dir).values()).forEach(files::add);
        return sha256(files);
    }

    /** {@link #save(Path, ModelConfig, Weights, byte[], SaveOptions)} in float32, shards of 5 GB. */
    public static String save(Path dir, ModelConfig config, Weights weights, byte[] tokenizerJson) throws IOException {
        return save(dir, config, weights, tokenizerJson, SaveOptions.DEFAULT);
    }

    /**
     * Writes the checkpoint into {@code dir} (created if needed) and returns the weights' sha256
     * ({@link #weightsSha256}). Weights up to one shard's size go to model.safetensors, larger ones
     * to {@code model-0000i-of-0000n.safetensors} and an index; each file is written under a
     * temporary name and renamed, so a crash never leaves half a weights file, and the other
     * layout's files left by an earlier save are removed.
     */
    public static String save(Path dir, ModelConfig config, Weights weights, byte[] tokenizerJson, SaveOptions options)
            throws IOException {
        Files.createDirectories(dir);
        ObjectNode configJson = config.toJson().put("torch_dtype", options.dtype().torchName());
        Files.writeString(dir.resolve(CONFIG), JSON.writerWithDefaultPrettyPrinter().writeValueAsString(configJson));
        List<Map<String, NDArray>> shards = new ArrayList<>();
        long shardBytes = 0;
        long total = 0;
        for (Map.Entry<String, NDArray> e : weights.all().entrySet()) {
            long bytes = SafeTensors.bytes(e.getValue().getShape().getShape(), options.dtype());
            if (shards.isEmpty() || (shardBytes > 0 && shardBytes + bytes > options.maxShardBytes())) {
                shards.add(new LinkedHashMap<>());
                shardBytes = 0;
            }
            shards.get(shards.size() - 1).put(e.getKey(), e.getValue());
            shardBytes += bytes;
            total += bytes;
        }
        if (shards.size() <= 1) {
            writeAtomically(dir.resolve(WEIGHTS), shards.isEmpty() ? Map.of() : shards.get(0), options.dtype());
            deleteShards(dir, List.of());
        } else {
            ObjectNode index = JSON.createObjectNode();
            index.putObject("metadata").put("total_size", total);
            Map<String, String> weightMap = new TreeMap<>();
            List<String> names = new ArrayList<>();
            for (int i = 0; i < shards.size(); i++) {
                String name = String.format(java.util.Locale.ROOT, "model-%05d-of-%05d.safetensors", i + 1, shards.size());
                names.add(name);
                writeAtomically(dir.resolve(name), shards.get(i), options.dtype());
                shards.get(i).keySet().forEach(k -> weightMap.put(k, name));
            }
            ObjectNode map = index.putObject("weight_map");
            weightMap.forEach(map::put);
            Path tmp = dir.resolve(INDEX + ".tmp");
            Files.writeString(tmp, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(index));
            Files.move(tmp, dir.resolve(INDEX), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            Files.deleteIfExists(dir.resolve(WEIGHTS));
            deleteShards(dir, names);
        }
        if (tokenizerJson != null) {
            Files.write(dir.resolve(TOKENIZER), tokenizerJson);
        }
        return weightsSha256(dir);
    }

    private static void writeAtomically(Path file, Map<String, NDArray> tensors, SafeTensors.DType dtype) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        SafeTensors.write(tmp, tensors, dtype);
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /** Removes the index and every shard file but those kept (an earlier save's other layout). */
    private static void deleteShards(Path dir, List<String> keep) throws IOException {
        if (keep.isEmpty()) {
            Files.deleteIfExists(dir.resolve(INDEX));
        }
        try (var files = Files.list(dir)) {
            for (Path f : files.toList()) {
                String name = f.getFileName().toString();
                if (SHARD.matcher(name).matches() && !keep.contains(name)) {
                    Files.delete(f);
                }
            }
        }
    }

    public static String sha256(Path file) throws IOException {
        return sha256(List.of(file));
    }

    /** The sha256 of the files' bytes one after the other. */
    private static String sha256(List<Path> files) throws IOException {
        MessageDigest digest;
        try {
            digest = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 missing from the JVM", e);
        }
        byte[] buf = new byte[1 << 16];
        for (Path file : files) {
            try (InputStream in = new DigestInputStream(Files.newInputStream(file), digest)) {
                while (in.read(buf) >= 0) {
                    // digesting while reading
                }
            }
        }
        return HexFormat.of().formatHex(digest.digest());
    }
}
