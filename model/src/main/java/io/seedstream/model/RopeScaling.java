package io.seedstream.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * How a config stretches rotary embeddings past the context the model was trained on
 * ({@code rope_scaling}, or {@code rope_parameters} in newer configs), as transformers computes
 * the inverse frequencies for each type:
 *
 * <ul>
 *   <li>{@code linear}: every frequency divided by {@code factor};
 *   <li>{@code llama3}: wavelengths above {@code original / low_freq_factor} divided by the
 *       factor, below {@code original / high_freq_factor} kept, smoothly blended between;
 *   <li>{@code dynamic} (NTK): past {@code max_position_embeddings}, the base grows with the
 *       sequence: {@code theta * (factor * len / max - (factor - 1))^(d / (d - 2))};
 *   <li>{@code yarn}: extrapolated and interpolated frequencies blended over a ramp between
 *       {@code beta_fast} and {@code beta_slow} rotations, cos and sin scaled by the attention
 *       factor {@code 0.1 ln(factor) + 1}.
 * </ul>
 */
public record RopeScaling(Type type, double factor, double lowFreqFactor, double highFreqFactor,
        int originalMaxPositions, double betaFast, double betaSlow, double attentionFactor, boolean truncate) {

    public enum Type { NONE, LINEAR, LLAMA3, DYNAMIC, YARN }

    public static final RopeScaling NONE = new RopeScaling(Type.NONE, 1, 0, 0, 0, 0, 0, 1, true);

    public RopeScaling {
        if (type != Type.NONE && !(factor >= 1)) {
            throw new IllegalArgumentException("rope_scaling.factor must be >= 1, was " + factor);
        }
        if (type == Type.LLAMA3 && !(highFreqFactor > lowFreqFactor && originalMaxPositions > 0)) {
            throw new IllegalArgumentException("rope_scaling (llama3) needs high_freq_factor > low_freq_factor and "
                    + "original_max_position_embeddings, had " + highFreqFactor + ", " + lowFreqFactor + ", "
                    + originalMaxPositions);
        }
    }

    /** The scaling a config asks for; a clear error naming the field for a type transformers has and we do not. */
    static RopeScaling fromConfig(JsonNode config, int maxPositions) {
        JsonNode n = config.hasNonNull("rope_scaling") ? config.get("rope_scaling") : config.path("rope_parameters");
        String field = config.hasNonNull("rope_scaling") ? "rope_scaling" : "rope_parameters";
        if (n.isMissingNode() || n.isNull() || n.isEmpty()) {
            return NONE;
        }
        String name = n.hasNonNull("rope_type") ? n.get("rope_type").asText() : n.path("type").asText("default");
        Type type = switch (name) {
            case "default" -> Type.NONE;
            case "linear" -> Type.LINEAR;
            case "llama3" -> Type.LLAMA3;
            case "dynamic" -> Type.DYNAMIC;
            case "yarn" -> Type.YARN;
            default -> throw new IllegalArgumentException(field + ".rope_type '" + name + "' is not supported; "
                    + "supported: default, linear, llama3, dynamic, yarn");
        };
        if (type == Type.NONE) {
            return NONE;
        }
        if (!n.hasNonNull("factor")) {
            throw new IllegalArgumentException(field + " (" + name + ") has no 'factor'");
        }
        double factor = n.get("factor").asDouble();
        int original = n.path("original_max_position_embeddings").asInt(maxPositions);
        double attention = 1;
        if (type == Type.YARN) {
            attention = n.hasNonNull("attention_factor") ? n.get("attention_factor").asDouble()
                    : n.hasNonNull("mscale") && n.hasNonNull("mscale_all_dim")
                            ? mscale(factor, n.get("mscale").asDouble()) / mscale(factor, n.get("mscale_all_dim").asDouble())
                            : mscale(factor, 1);
        }
        return new RopeScaling(type, factor, n.path("low_freq_factor").asDouble(1), n.path("high_freq_factor").asDouble(4),
                original, n.path("beta_fast").asDouble(32), n.path("beta_slow").asDouble(1), attention,
                n.path("truncate").asBoolean(true));
    }

    private static double mscale(double scale, double m) {
        return scale <= 1 ? 1.0 : 0.1 * m * Math.log(scale) + 1.0;
    }

    /** The config's {@code rope_scaling} as transformers reads it back (absent for none). */
    void putInto(ObjectNode config) {
        if (type == Type.NONE) {
            return;
        }
        ObjectNode o = config.putObject("rope_scaling");
        o.put("rope_type", type.name().toLowerCase(java.util.Locale.ROOT)).put("factor", factor);
        switch (type) {
            case LLAMA3 -> o.put("low_freq_factor", lowFreqFactor).put("high_freq_factor", highFreqFactor)
                    .put("original_max_position_embeddings", originalMaxPositions);
            case YARN -> o.put("original_max_position_embeddings", originalMaxPositions).put("beta_fast", betaFast)
                    .put("beta_slow", betaSlow).put("attention_factor", attentionFactor).put("truncate", truncate);
            default -> { }
        }
    }

    /**
     * The inverse frequencies, D/2 of them, for a forward pass whose largest position is
     * {@code seqLen - 1} (only the dynamic type depends on it).
     */
    double[] inverseFrequencies(int headDim, double theta, int maxPositions, long seqLen) {
        int half = headDim / 2;
        double base = theta;
        if (type == Type.DYNAMIC && seqLen > maxPositions) {
            base = theta * Math.pow(factor * seqLen / maxPositions - (factor - 1), headDim / (headDim - 2.0));
        }
        double[] inv = new double[half];
        for (int i = 0; i < half; i++) {
            inv[i] = 1.0 / Math.pow(base, (2.0 * i) / headDim);
        }
        switch (type) {
            case LINEAR -> {
                for (int i = 0; i < half; i++) {
                    inv[i] /= factor;
                }
            }
            case LLAMA3 -> {
                double lowWavelen = originalMaxPositions / lowFreqFactor;
                double highWavelen = originalMaxPositions / highFreqFactor;
                for (int i = 0; i < half; i++) {
                    double wavelen = 2 * Math.PI / inv[i];
                    if (wavelen > lowWavelen) {
                        inv[i] /= factor;
                    } else if (wavelen >= highWavelen) {
                        double smooth = (originalMaxPositions / wavelen - lowFreqFactor) / (highFreqFactor - lowFreqFactor);
                        inv[i] = (1 - smooth) * inv[i] / factor + smooth * inv[i];
                    }
                }
            }
            case YARN -> {
                double low = correctionDim(betaFast, headDim, theta);
                double high = correctionDim(betaSlow, headDim, theta);
                if (truncate) {
                    low = Math.floor(low);
                    high = Math.ceil(high);
                }
                low = Math.max(low, 0);
                high = Math.min(high, headDim - 1);
                if (low == high) {
                    high += 0.001;
                }
                for (int i = 0; i < half; i++) {
                    double ramp = Math.min(1, Math.max(0, (i - low) / (high - low)));
                    double extrapolation = 1 - ramp; // the share kept at the original frequency
                    inv[i] = inv[i] / factor * (1 - extrapolation) + inv[i] * extrapolation;
                }
            }
            default -> { }
        }
        return inv;
    }

    /** The dimension whose frequency turns {@code rotations} times over the original context. */
    private double correctionDim(double rotations, int headDim, double theta) {
        return headDim * Math.log(originalMaxPositions / (rotations * 2 * Math.PI)) / (2 * Math.log(theta));
    }
}
