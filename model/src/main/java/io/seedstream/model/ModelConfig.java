package io.seedstream.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

/**
 * The shape of a decoder-only transformer of the Qwen2 / Llama families, read from a Hugging Face
 * {@code config.json}: RMSNorm, rotary embeddings, grouped-query attention, SwiGLU MLP, optional
 * q/k/v biases, tied or separate output embedding.
 */
public record ModelConfig(
        String modelType,
        int vocabSize,
        int hiddenSize,
        int intermediateSize,
        int numLayers,
        int numHeads,
        int numKvHeads,
        int headDim,
        double rmsNormEps,
        double ropeTheta,
        boolean attentionBias,
        boolean tieWordEmbeddings,
        int maxPositionEmbeddings,
        int bosTokenId,
        int eosTokenId,
        RopeScaling ropeScaling) {

    static final Set<String> SUPPORTED = Set.of("qwen2", "llama");
    private static final ObjectMapper JSON = new ObjectMapper();

    /** A config whose rotary embeddings are not scaled. */
    public ModelConfig(String modelType, int vocabSize, int hiddenSize, int intermediateSize, int numLayers, int numHeads,
            int numKvHeads, int headDim, double rmsNormEps, double ropeTheta, boolean attentionBias,
            boolean tieWordEmbeddings, int maxPositionEmbeddings, int bosTokenId, int eosTokenId) {
        this(modelType, vocabSize, hiddenSize, intermediateSize, numLayers, numHeads, numKvHeads, headDim, rmsNormEps,
                ropeTheta, attentionBias, tieWordEmbeddings, maxPositionEmbeddings, bosTokenId, eosTokenId,
                RopeScaling.NONE);
    }

    public ModelConfig {
        if (ropeScaling == null) {
            throw new IllegalArgumentException("ropeScaling must not be null (RopeScaling.NONE for none)");
        }
        if (!SUPPORTED.contains(modelType)) {
            throw new IllegalArgumentException("model_type was '" + modelType + "', must be one of " + SUPPORTED);
        }
        if (numHeads % numKvHeads != 0) {
            throw new IllegalArgumentException("num_attention_heads " + numHeads
                    + " is not a multiple of num_key_value_heads " + numKvHeads);
        }
        if (headDim % 2 != 0) {
            throw new IllegalArgumentException("head_dim was " + headDim + ", must be even for rotary embeddings");
        }
    }

    public static ModelConfig read(Path configJson) throws IOException {
        return fromJson(JSON.readTree(Files.readString(configJson)));
    }

    public static ModelConfig fromJson(JsonNode n) {
        String type = n.path("model_type").asText("");
        if (!SUPPORTED.contains(type)) {
            JsonNode arch = n.path("architectures");
            throw new IllegalArgumentException("unsupported architecture: model_type '" + type + "'"
                    + (arch.isArray() ? " " + arch : "") + "; supported: " + SUPPORTED);
        }
        int hidden = required(n, "hidden_size");
        int heads = required(n, "num_attention_heads");
        // rope_theta sits at the top level in older configs, under rope_parameters in newer ones
        double theta = n.has("rope_theta") ? n.get("rope_theta").asDouble()
                : n.path("rope_parameters").path("rope_theta").asDouble(10000.0);
        boolean bias = n.has("attention_bias") ? n.get("attention_bias").asBoolean() : type.equals("qwen2");
        int maxPositions = n.path("max_position_embeddings").asInt(4096);
        return new ModelConfig(type, required(n, "vocab_size"), hidden, required(n, "intermediate_size"),
                required(n, "num_hidden_layers"), heads, n.path("num_key_value_heads").asInt(heads),
                n.path("head_dim").asInt(hidden / heads), n.path("rms_norm_eps").asDouble(1e-6), theta, bias,
                n.path("tie_word_embeddings").asBoolean(false), maxPositions,
                n.path("bos_token_id").asInt(0), firstInt(n.get("eos_token_id"), 0),
                RopeScaling.fromConfig(n, maxPositions));
    }

    private static int required(JsonNode n, String key) {
        if (!n.hasNonNull(key)) {
            throw new IllegalArgumentException("config.json has no '" + key + "'");
        }
        return n.get(key).asInt();
    }

    private static int firstInt(JsonNode n, int fallback) {
        if (n == null || n.isNull()) {
            return fallback;
        }
        return n.isArray() ? (n.isEmpty() ? fallback : n.get(0).asInt()) : n.asInt();
    }

    /** config.json in the Hugging Face layout, so a checkpoint opens in transformers too. */
    public ObjectNode toJson() {
        ObjectNode o = JSON.createObjectNode();
        o.putArray("architectures").add(modelType.equals("qwen2") ? "Qwen2ForCausalLM" : "LlamaForCausalLM");
        o.put("model_type", modelType).put("vocab_size", vocabSize).put("hidden_size", hiddenSize)
                .put("intermediate_size", intermediateSize).put("num_hidden_layers", numLayers)
                .put("num_attention_heads", numHeads).put("num_key_value_heads", numKvHeads).put("head_dim", headDim)
                .put("rms_norm_eps", rmsNormEps).put("rope_theta", ropeTheta).put("attention_bias", attentionBias)
                .put("tie_word_embeddings", tieWordEmbeddings).put("max_position_embeddings", maxPositionEmbeddings)
                .put("bos_token_id", bosTokenId).put("eos_token_id", eosTokenId).put("hidden_act", "silu")
                .put("torch_dtype", "float32");
        ropeScaling.putInto(o);
        return o;
    }

    /** How many numbers the weights hold (tied embeddings counted once). */
    public long parameterCount() {
        long n = 0;
        for (String name : weightNames()) {
            long p = 1;
            for (long d : shapeOf(name)) {
                p *= d;
            }
            n += p;
        }
        return n;
    }

    /** Names of every weight tensor this config needs, in Hugging Face's naming. */
    public List<String> weightNames() {
        List<String> names = new java.util.ArrayList<>();
        names.add("model.embed_tokens.weight");
        for (int i = 0; i < numLayers; i++) {
            String p = "model.layers." + i + ".";
            names.add(p + "input_layernorm.weight");
            for (String proj : List.of("q_proj", "k_proj", "v_proj")) {
                names.add(p + "self_attn." + proj + ".weight");
                if (attentionBias) {
                    names.add(p + "self_attn." + proj + ".bias");
                }
            }
            names.add(p + "self_attn.o_proj.weight");
            names.add(p + "post_attention_layernorm.weight");
            names.add(p + "mlp.gate_proj.weight");
            names.add(p + "mlp.up_proj.weight");
            names.add(p + "mlp.down_proj.weight");
        }
        names.add("model.norm.weight");
        if (!tieWordEmbeddings) {
            names.add("lm_head.weight");
        }
        return names;
    }

    /** The shape of a weight, to validate loaded tensors and to initialise new ones. */
    public long[] shapeOf(String name) {
        int q = numHeads * headDim;
        int kv = numKvHeads * headDim;
        if (name.endsWith("embed_tokens.weight") || name.equals("lm_head.weight")) {
            return new long[] {vocabSize, hiddenSize};
        }
        if (name.endsWith("layernorm.weight") || name.equals("model.norm.weight")) {
            return new long[] {hiddenSize};
        }
        if (name.endsWith("q_proj.weight")) {
            return new long[] {q, hiddenSize};
        }
        if (name.endsWith("k_proj.weight") || name.endsWith("v_proj.weight")) {
            return new long[] {kv, hiddenSize};
        }
        if (name.endsWith("q_proj.bias")) {
            return new long[] {q};
        }
        if (name.endsWith("k_proj.bias") || name.endsWith("v_proj.bias")) {
            return new long[] {kv};
        }
        if (name.endsWith("o_proj.weight")) {
            return new long[] {hiddenSize, q};
        }
        if (name.endsWith("gate_proj.weight") || name.endsWith("up_proj.weight")) {
            return new long[] {intermediateSize, hiddenSize};
        }
        if (name.endsWith("down_proj.weight")) {
            return new long[] {hiddenSize, intermediateSize};
        }
        throw new IllegalArgumentException("unknown weight " + name);
    }
}
