package io.seedstream.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

/** rope_scaling as the hub's Llama 3.x and Qwen configs publish it, against transformers' published formulas. */
class RopeScalingTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** Llama 3.1 8B's shape of rope settings: theta 500000, head_dim 128, llama3 scaling by 8 from 8192. */
    private static JsonNode llama31(String ropeScaling) throws Exception {
        return JSON.readTree("""
                {"model_type": "llama", "vocab_size": 97, "hidden_size": 256, "intermediate_size": 64,
                 "num_hidden_layers": 1, "num_attention_heads": 2, "num_key_value_heads": 1,
                 "rope_theta": 500000.0, "max_position_embeddings": 131072, "rope_scaling": %s}""".formatted(ropeScaling));
    }

    private static double plain(int i) {
        return 1.0 / Math.pow(500000.0, 2.0 * i / 128);
    }

    @Test
    void llama3KeepsHighFrequenciesDividesLowOnesAndBlendsBetween() throws Exception {
        ModelConfig c = ModelConfig.fromJson(llama31("""
                {"factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                 "original_max_position_embeddings": 8192, "rope_type": "llama3"}"""));
        assertThat(c.ropeScaling().type()).isEqualTo(RopeScaling.Type.LLAMA3);
        double[] inv = c.ropeScaling().inverseFrequencies(128, 500000, 131072, 0);
        int kept = 0;
        int divided = 0;
        int blended = 0;
        for (int i = 0; i < 64; i++) {
            double wavelen = 2 * Math.PI / plain(i);
            if (wavelen < 8192 / 4.0) {
                assertThat(inv[i]).as("i=%d", i).isCloseTo(plain(i), within(1e-15));
                kept++;
            } else if (wavelen > 8192 / 1.0) {
                assertThat(inv[i]).as("i=%d", i).isCloseTo(plain(i) / 8, within(1e-15));
                divided++;
            } else {
                double smooth = (8192 / wavelen - 1) / (4 - 1);
                assertThat(inv[i] / plain(i)).as("i=%d", i).isCloseTo((1 - smooth) / 8 + smooth, within(1e-12))
                        .isBetween(1 / 8.0, 1.0);
                blended++;
            }
        }
        assertThat(kept).isPositive();
        assertThat(divided).isPositive();
        assertThat(blended).isPositive();
        // written back as transformers reads it
        assertThat(ModelConfig.fromJson(c.toJson())).isEqualTo(c);
    }

    @Test
    void linearDynamicAndYarnFollowTheirFormulas() throws Exception {
        double[] linear = ModelConfig.fromJson(llama31("{\"type\": \"linear\", \"factor\": 4}")).ropeScaling()
                .inverseFrequencies(128, 500000, 131072, 0);
        assertThat(linear[5]).isCloseTo(plain(5) / 4, within(1e-15));

        RopeScaling dynamic = ModelConfig.fromJson(llama31("{\"rope_type\": \"dynamic\", \"factor\": 2}")).ropeScaling();
        assertThat(dynamic.inverseFrequencies(128, 500000, 131072, 1000)[7]).isCloseTo(plain(7), within(1e-15));
        double base = 500000 * Math.pow(2.0 * 262144 / 131072 - 1, 128 / 126.0);
        assertThat(dynamic.inverseFrequencies(128, 500000, 131072, 262144)[7])
                .isCloseTo(1 / Math.pow(base, 14 / 128.0), within(1e-15));

        RopeScaling yarn = ModelConfig.fromJson(llama31("""
                {"rope_type": "yarn", "factor": 4.0, "original_max_position_embeddings": 32768}""")).ropeScaling();
        assertThat(yarn.attentionFactor()).isCloseTo(0.1 * Math.log(4) + 1, within(1e-12));
        double[] inv = yarn.inverseFrequencies(128, 500000, 131072, 0);
        assertThat(inv[0]).isCloseTo(plain(0), within(1e-15)); // fast dimensions extrapolate
        assertThat(inv[63]).isCloseTo(plain(63) / 4, within(1e-15)); // slow ones interpolate
        for (int i = 1; i < 64; i++) {
            assertThat(inv[i] / plain(i)).isBetween(0.25 - 1e-12, 1 + 1e-12).isLessThanOrEqualTo(inv[i - 1] / plain(i - 1) + 1e-12);
        }
    }

    @Test
    void aScaledModelRunsAndAnUnknownTypeIsNamed() throws Exception {
        assertThatThrownBy(() -> ModelConfig.fromJson(llama31("{\"rope_type\": \"longrope\", \"factor\": 4}")))
                .hasMessageContaining("rope_scaling.rope_type 'longrope'");
        assertThatThrownBy(() -> ModelConfig.fromJson(llama31("{\"rope_type\": \"linear\"}")))
                .hasMessageContaining("'factor'");
        assertThat(ModelConfig.fromJson(llama31("null")).ropeScaling()).isEqualTo(RopeScaling.NONE);

        ModelConfig scaled = ModelConfig.fromJson(llama31("{\"rope_type\": \"yarn\", \"factor\": 4.0}"));
        ModelConfig unscaled = ModelConfig.fromJson(llama31("null"));
        try (NDManager m = NDManager.newBaseManager(); Weights w = Weights.random(unscaled, 5, m)) {
            NDArray ids = m.create(new long[] {3, 1, 4, 1, 5}).reshape(1, 5);
            float[] a = new Transformer(scaled, w).forward(ids).toFloatArray();
            float[] b = new Transformer(unscaled, w).forward(ids).toFloatArray();
            assertThat(a).hasSameSizeAs(b).isNotEqualTo(b);
        }
    }
}
