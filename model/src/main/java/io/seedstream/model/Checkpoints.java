package io.seedstream.model;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * Checkpoints in the Hugging Face layout (config.json, model.safetensors, tokenizer.json): a
 * policy saved here opens in transformers, and reloads bit-exactly here.
 */
public final class Checkpoints {

    public static final String CONFIG = "config.json";
    public static final String WEIGHTS = "model.safetensors";
    public static final String TOKENIZER = "tokenizer.json";

    private Checkpoints() {}

    /**
     * Writes the checkpoint into {@code dir} (created if needed), through a temporary file and a
     * rename so a crash never leaves half a weights file, and returns the weights' sha256.
     */
    public static String save(Path dir, ModelConfig config, Weights weights, byte[] tokenizerJson) throws IOException {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve(CONFIG), new ObjectMapper().writerWithDefaultPrettyPrinter()
                .writeValueAsString(config.toJson()));
        Path tmp = dir.resolve(WEIGHTS + ".tmp");
        SafeTensors.write(tmp, weights.toTensors());
        Files.move(tmp, dir.resolve(WEIGHTS), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        if (tokenizerJson != null) {
            Files.write(dir.resolve(TOKENIZER), tokenizerJson);
        }
        return sha256(dir.resolve(WEIGHTS));
    }

    public static String sha256(Path file) throws IOException {
        try (InputStream in = new DigestInputStream(Files.newInputStream(file), MessageDigest.getInstance("SHA-256"))) {
            byte[] buf = new byte[1 << 16];
            while (in.read(buf) >= 0) {
                // digesting while reading
            }
            return HexFormat.of().formatHex(((DigestInputStream) in).getMessageDigest().digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 missing from the JVM", e);
        }
    }
}
