package io.seedstream.model;

import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** A policy loaded from a Hugging Face model directory: config, weights and tokenizer. */
public final class Policy implements AutoCloseable {

    private final Transformer model;
    private final PolicyTokenizer tokenizer;
    private final Path dir;
    /** The companion files of the directory it was loaded from, by name: kept, since that directory may be pruned. */
    private final java.util.Map<String, byte[]> companions;
    /** The dtype the model came in, which its checkpoints keep (the engine computes in float32). */
    private final SafeTensors.DType dtype;

    private Policy(Transformer model, PolicyTokenizer tokenizer, Path dir, java.util.Map<String, byte[]> companions,
            SafeTensors.DType dtype) {
        this.model = model;
        this.tokenizer = tokenizer;
        this.dir = dir;
        this.companions = companions;
        this.dtype = dtype;
    }

    public static Policy load(Path dir, NDManager manager) throws IOException {
        return load(dir, manager, dir);
    }

    /**
     * A policy whose weights come from {@code weights} (a directory or one safetensors file): the
     * trainer resumes from a checkpoint's float32 master weights when the model's own dtype is
     * narrower. Config, tokenizer, companion files and dtype come from {@code dir}.
     */
    public static Policy load(Path dir, NDManager manager, Path weights) throws IOException {
        for (String f : new String[] {Checkpoints.CONFIG, Checkpoints.TOKENIZER}) {
            if (!Files.isRegularFile(dir.resolve(f))) {
                throw new IOException("model directory " + dir + " has no " + f);
            }
        }
        ModelConfig config = ModelConfig.read(dir.resolve(Checkpoints.CONFIG));
        java.util.Map<String, byte[]> companions = new java.util.LinkedHashMap<>();
        for (String f : COMPANIONS) {
            if (Files.isRegularFile(dir.resolve(f))) {
                companions.put(f, Files.readAllBytes(dir.resolve(f)));
            }
        }
        SafeTensors.DType dtype = Checkpoints.storedDtype(dir);
        Weights loaded = Weights.load(config, weights, manager);
        return new Policy(new Transformer(config, loaded), PolicyTokenizer.load(dir.resolve(Checkpoints.TOKENIZER)), dir,
                companions, dtype);
    }

    public Transformer model() {
        return model;
    }

    public PolicyTokenizer tokenizer() {
        return tokenizer;
    }

    public Path dir() {
        return dir;
    }

    /** The dtype the model came in and its checkpoints are written in. */
    public SafeTensors.DType dtype() {
        return dtype;
    }

    /** A sampler that decodes with this policy's tokenizer and pads with its end-of-sequence token. */
    public Sampler sampler() {
        return new Sampler(model, tokenizer::decode, model.config().eosTokenId());
    }

    /**
     * Files of a hub model directory that travel with every checkpoint: what transformers, vLLM
     * and the chat template need besides config.json, the weights and tokenizer.json.
     */
    static final java.util.List<String> COMPANIONS = java.util.List.of("tokenizer_config.json",
            "special_tokens_map.json", "generation_config.json", "chat_template.jinja", "added_tokens.json",
            "vocab.json", "merges.txt");

    /**
     * Saves the current weights as a checkpoint in the model's own dtype, with this policy's
     * tokenizer and the companion files of the directory it was loaded from (as they were then);
     * returns the weights' sha256.
     */
    public String save(Path out) throws IOException {
        String sha = Checkpoints.save(out, model.config(), model.weights(), tokenizer.json(),
                new Checkpoints.SaveOptions(dtype, Checkpoints.MAX_SHARD_BYTES));
        for (java.util.Map.Entry<String, byte[]> f : companions.entrySet()) {
            Files.write(out.resolve(f.getKey()), f.getValue());
        }
        return sha;
    }

    @Override
    public void close() {
        tokenizer.close();
        model.weights().close();
    }
}
