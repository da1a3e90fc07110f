package io.seedstream.cli.stage;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.seedstream.cli.CliRun;
import io.seedstream.model.CharacterTokenizer;
import io.seedstream.model.Checkpoints;
import io.seedstream.model.ContinuationLogProbs;
import io.seedstream.model.ModelConfig;
import io.seedstream.model.Policy;
import io.seedstream.model.SafeTensors;
import io.seedstream.model.Weights;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class TrainCommandTest {

    private static final String ALPHABET = "0123456789+-=";
    private static final ModelConfig CONFIG = new ModelConfig("qwen2",
            CharacterTokenizer.vocabularySize(List.of("<eos>"), ALPHABET), 16, 32, 2, 4, 2, 4, 1e-6, 10000, true,
            true, 64, 0, 0);

    /**
     * One step on two groups: the printed loss is the constant-aggregated clipped loss recomputed
     * here in double precision from the model's log-probs, and since AdamW's first step moves
     * every weight by lr * g / (|g| + eps), weights with a gradient move by almost exactly lr.
     */
    @Test
    void stepPrintsLossAndNormAndWritesTheUpdatedModel(@TempDir Path tmp) throws Exception {
        Path model = tmp.resolve("model");
        try (NDManager m = NDManager.newBaseManager(); Weights w = Weights.random(CONFIG, 4, m)) {
            Checkpoints.save(model, CONFIG, w, CharacterTokenizer.json(List.of("<eos>"), ALPHABET));
        }
        int[][] prompts = {{3, 4, 5}, {3, 4, 5}, {6, 7}};
        int[][] completions = {{8, 9, 0}, {10}, {11, 12, 13, 0}};
        double[][] old = {{-2.5, -2.9, -2.7}, {-1.1}, {-2.6, -2.4, -3.0, -2.2}};
        double[] adv = {0.6, -0.6, 0.3};
        String groups = "{\"groups\": ["
                + "{\"prompt_ids\": [3,4,5], \"answers\": ["
                + "{\"completion_ids\": [8,9,0], \"old_logprobs\": [-2.5,-2.9,-2.7], \"scaled_advantage\": 0.6},"
                + "{\"completion_ids\": [10], \"old_logprobs\": [-1.1], \"scaled_advantage\": -0.6}]},"
                + "{\"prompt_ids\": [6,7], \"answers\": ["
                + "{\"completion_ids\": [11,12,13,0], \"old_logprobs\": [-2.6,-2.4,-3.0,-2.2], \"scaled_advantage\": 0.3}]}"
                + "]}";
        Path file = tmp.resolve("groups.json");
        Files.writeString(file, groups);
        double lr = 1e-3;
        String out = CliRun.ok("train", "step", "--model-dir", model.toString(), "--groups", file.toString(), "--out",
                tmp.resolve("out").toString(), "--lr", String.valueOf(lr), "--max-len", "8");
        JsonNode json = new ObjectMapper().readTree(out.trim());
        assertThat(out.trim().lines()).hasSize(1);

        double expected = 0;
        try (NDManager m = NDManager.newBaseManager(); Policy p = Policy.load(model, m)) {
            float[] lp = ContinuationLogProbs.compute(p.model(), List.of(prompts), List.of(completions), m, 0).get(0)
                    .toFloatArray();
            int l = 4;
            for (int i = 0; i < 3; i++) {
                for (int t = 0; t < completions[i].length; t++) {
                    double ratio = Math.exp(lp[i * l + t] - old[i][t]);
                    expected += Math.max(-adv[i] * ratio, -adv[i] * Math.min(Math.max(ratio, 0.8), 1.2));
                }
            }
            expected /= 8.0 * 3; // --max-len 8, mean over 3 answers
        }
        assertThat(json.get("loss").asDouble()).isCloseTo(expected, within(1e-6));
        assertThat(json.get("grad_norm").asDouble()).isPositive();

        Map<String, SafeTensors.Tensor> before = SafeTensors.read(model.resolve("model.safetensors"));
        Map<String, SafeTensors.Tensor> after = SafeTensors.read(tmp.resolve("out/model.safetensors"));
        assertThat(Files.exists(tmp.resolve("out/tokenizer.json"))).isTrue();
        long moved = 0;
        long total = 0;
        for (String name : before.keySet()) {
            float[] a = before.get(name).data();
            float[] b = after.get(name).data();
            for (int i = 0; i < a.length; i++) {
                double d = Math.abs(b[i] - a[i]);
                assertThat(d).isLessThanOrEqualTo(lr * 1.0001);
                if (d > lr * 0.99) {
                    moved++;
                }
                total++;
            }
        }
        assertThat(moved).isGreaterThan(total / 2);
    }
}
