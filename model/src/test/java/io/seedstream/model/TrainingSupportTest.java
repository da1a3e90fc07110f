package io.seedstream.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.training.GradientCollector;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainingSupportTest {

    private static final Path DIR = QwenFixture.DIR;


    @Test
    void teacherForcedLogprobsMatchTransformersAndPaddingChangesNothing() throws Exception {
        JsonNode tf = QwenFixture.reference().get("teacher_forced");
        try (NDManager m = NDManager.newBaseManager(); Policy policy = Policy.load(DIR, m)) {
            int[] prompt = QwenFixture.ints(tf.get("prompt_ids"));
            int[] cont = QwenFixture.ints(tf.get("continuation_ids"));
            NDList out = ContinuationLogProbs.compute(policy.model(), List.of(prompt, new int[] {3, 4}),
                    List.of(cont, new int[] {5}), m, 1);
            float[] lp = out.get(0).get(new NDIndex("0, :")).toFloatArray();
            for (int j = 0; j < cont.length; j++) {
                assertThat((double) lp[j]).isCloseTo(tf.get("continuation_logprobs").get(j).asDouble(), within(1e-4));
            }
            float[] mask = out.get(1).get(new NDIndex("1, :")).toFloatArray();
            assertThat(mask[0]).isEqualTo(1f);
            assertThat(mask[1]).isEqualTo(0f);
        }
    }

    @Test
    void tokenizerRoundTripsTheFixtureText() throws Exception {
        JsonNode ref = QwenFixture.reference();
        try (PolicyTokenizer t = PolicyTokenizer.load(DIR.resolve("tokenizer.json"))) {
            assertThat(t.encode(ref.get("text").asText())).containsExactly(QwenFixture.ints(ref.get("text_ids")));
            assertThat(t.decode(QwenFixture.ints(ref.get("text_ids")))).isEqualTo(ref.get("text").asText());
        }
    }

    @Test
    void gradientMatchesFiniteDifferences() {
        ModelConfig c = new ModelConfig("llama", 13, 8, 16, 1, 2, 1, 4, 1e-6, 10000, false, false, 32, 0, 0);
        try (NDManager m = NDManager.newBaseManager(); Weights w = Weights.random(c, 5, m)) {
            Transformer model = new Transformer(c, w);
            List<int[]> prompts = List.of(new int[] {1, 2, 3}, new int[] {4});
            List<int[]> conts = List.of(new int[] {5, 6}, new int[] {7, 8, 9});
            String[] names = {"model.layers.0.self_attn.q_proj.weight", "model.layers.0.mlp.down_proj.weight",
                "lm_head.weight", "model.embed_tokens.weight"};
            for (String name : names) {
                NDArray p = w.get(name);
                p.setRequiresGradient(true);
                float analytic;
                try (NDManager step = m.newSubManager();
                        GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                    NDArray loss = ContinuationLogProbs.compute(model, prompts, conts, step, 0).get(0).sum();
                    gc.backward(loss);
                    analytic = p.getGradient().toFloatArray()[3];
                }
                float[] values = p.toFloatArray();
                double eps = 1e-2;
                double[] f = new double[2];
                for (int k = 0; k < 2; k++) {
                    float[] perturbed = values.clone();
                    perturbed[3] += (float) (k == 0 ? eps : -eps);
                    p.set(perturbed);
                    try (NDManager step = m.newSubManager()) {
                        f[k] = ContinuationLogProbs.compute(model, prompts, conts, step, 0).get(0).sum().getFloat();
                    }
                }
                p.set(values);
                double numeric = (f[0] - f[1]) / (2 * eps);
                assertThat((double) analytic).as(name).isCloseTo(numeric, within(2e-3 + 1e-2 * Math.abs(numeric)));
            }
        }
    }

    @Test
    void checkpointsReloadBitExactlyWithAStableSha256(@TempDir Path tmp) throws Exception {
        try (NDManager m = NDManager.newBaseManager(); Policy policy = Policy.load(DIR, m)) {
            String sha = policy.save(tmp.resolve("a"));
            String again = policy.save(tmp.resolve("b"));
            assertThat(sha).isEqualTo(again).hasSize(64);
            try (Policy reloaded = Policy.load(tmp.resolve("a"), m)) {
                for (String name : policy.model().config().weightNames()) {
                    assertThat(reloaded.model().weights().get(name).toFloatArray())
                            .containsExactly(policy.model().weights().get(name).toFloatArray());
                }
                assertThat(reloaded.model().config()).isEqualTo(policy.model().config());
            }
        }
    }

    @Test
    void aLlamaConfigLoadsAndARandomInitIsDeterministic(@TempDir Path tmp) throws Exception {
        Files.writeString(tmp.resolve("config.json"), """
                {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "vocab_size": 97, "hidden_size": 48,
                 "intermediate_size": 96, "num_hidden_layers": 3, "num_attention_heads": 6, "num_key_value_heads": 3,
                 "rms_norm_eps": 1e-5, "rope_theta": 500000.0, "tie_word_embeddings": false,
                 "max_position_embeddings": 128, "bos_token_id": 0, "eos_token_id": [0, 1]}""");
        ModelConfig c = ModelConfig.read(tmp.resolve("config.json"));
        assertThat(c.attentionBias()).isFalse();
        assertThat(c.headDim()).isEqualTo(8);
        assertThat(c.ropeTheta()).isEqualTo(500000.0);
        assertThat(c.weightNames()).contains("lm_head.weight").noneMatch(n -> n.endsWith(".bias"));
        try (NDManager m = NDManager.newBaseManager(); Weights a = Weights.random(c, 11, m); Weights b = Weights.random(c, 11, m)) {
            Checkpoints.save(tmp.resolve("llama"), c, a, Files.readAllBytes(DIR.resolve("tokenizer.json")));
            try (Policy p = Policy.load(tmp.resolve("llama"), m)) {
                assertThat(p.model().weights().get("lm_head.weight").toFloatArray())
                        .containsExactly(b.get("lm_head.weight").toFloatArray());
                try (NDManager step = m.newSubManager()) {
                    NDArray logits = p.model().forward(step.create(new long[] {1, 2, 3}).reshape(1, 3));
                    assertThat(logits.getShape().getShape()).containsExactly(1, 3, 97);
                }
            }
        }
    }

    @Test
    void unsupportedArchitecturesAndMissingTensorsAreNamed(@TempDir Path tmp) throws Exception {
        Files.writeString(tmp.resolve("config.json"), "{\"model_type\": \"gpt2\", \"architectures\": [\"GPT2LMHeadModel\"]}");
        assertThatThrownBy(() -> ModelConfig.read(tmp.resolve("config.json"))).hasMessageContaining("gpt2")
                .hasMessageContaining("GPT2LMHeadModel");
        ModelConfig c = ModelConfig.read(DIR.resolve("config.json"));
        SafeTensors.write(tmp.resolve("partial.safetensors"), java.util.Map.of("model.norm.weight",
                new SafeTensors.Tensor(new long[] {64}, new float[64])));
        try (NDManager m = NDManager.newBaseManager()) {
            assertThatThrownBy(() -> Weights.load(c, tmp.resolve("partial.safetensors"), m))
                    .hasMessageContaining("missing tensor 'model.embed_tokens.weight'");
        }
    }
}
