package io.seedstream.model;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The shipped Hugging Face Qwen2 fixture: its directory, what transformers computed, its model. */
final class QwenFixture {

    static final Path DIR = Path.of("src/test/resources/hf/qwen2-tiny");

    static JsonNode reference() {
        try {
            return new ObjectMapper().readTree(Files.readString(DIR.resolve("reference.json")));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Transformer model(NDManager manager) throws IOException {
        ModelConfig config = ModelConfig.read(DIR.resolve("config.json"));
        return new Transformer(config, Weights.load(config, DIR.resolve("model.safetensors"), manager));
    }

    static int[] ints(JsonNode a) {
        int[] out = new int[a.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = a.get(i).asInt();
        }
        return out;
    }

    private QwenFixture() {}
}
