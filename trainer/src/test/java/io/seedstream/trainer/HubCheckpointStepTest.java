package io.seedstream.trainer;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.seedstream.model.CharacterTokenizer;
import io.seedstream.model.Checkpoints;
import io.seedstream.model.ModelConfig;
import io.seedstream.model.Policy;
import io.seedstream.model.RopeScaling;
import io.seedstream.model.SafeTensors;
import io.seedstream.model.Weights;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A checkpoint as the hub ships one (bf16 shards with an index, llama3 rope scaling) goes through
 * one trainer step and comes back out in the same layout and dtype, loadable again.
 */
class HubCheckpointStepTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void aBf16ShardedModelTrainsOneStepAndIsSavedInItsOwnLayoutAndDtype(@TempDir Path tmp) throws Exception {
        ObjectNode json = TinyPolicyDir.CONFIG.toJson();
        json.put("max_position_embeddings", 256);
        json.putObject("rope_scaling").put("rope_type", "llama3").put("factor", 8.0).put("low_freq_factor", 1.0)
                .put("high_freq_factor", 4.0).put("original_max_position_embeddings", 32);
        ModelConfig c = ModelConfig.fromJson(json);
        assertThat(c.ropeScaling().type()).isEqualTo(RopeScaling.Type.LLAMA3);
        byte[] tokenizer = CharacterTokenizer.json(List.of("<eos>"), TinyPolicyDir.ALPHABET);
        Path hub = tmp.resolve("hub");
        long shardBytes;
        try (NDManager m = NDManager.newBaseManager(); Weights w = Weights.random(c, 5, m)) {
            long total = w.all().values().stream().mapToLong(a -> 2 * a.getShape().size()).sum();
            shardBytes = total / 2 + 1; // two shards
            Checkpoints.save(hub, c, w, tokenizer, new Checkpoints.SaveOptions(SafeTensors.DType.BF16, shardBytes));
        }
        assertThat(hub.resolve(Checkpoints.INDEX)).exists();

        Path out = tmp.resolve("step-1");
        Map<String, float[]> updated = new java.util.HashMap<>();
        try (NDManager m = NDManager.newBaseManager(); Policy p = Policy.load(hub, m)) {
            assertThat(p.dtype()).isEqualTo(SafeTensors.DType.BF16);
            Map<String, float[]> before = new java.util.HashMap<>();
            p.model().weights().all().forEach((k, v) -> before.put(k, v.toFloatArray()));
            try (PolicyUpdate u = new PolicyUpdate(p.model(), null, PolicyUpdate.Options.defaults(), m)) {
                StepResult r = u.apply(samples(c), 1e-2);
                assertThat(r.gradNorm()).isPositive();
            }
            p.model().weights().all().forEach((k, v) -> updated.put(k, v.toFloatArray()));
            assertThat(updated.get("model.embed_tokens.weight")).isNotEqualTo(before.get("model.embed_tokens.weight"));
            String sha = p.save(out);
            assertThat(Checkpoints.weightsSha256(out)).isEqualTo(sha);
        }

        // the hub's layout and dtype, the scaling kept, as small models are written in one file
        assertThat(out.resolve(Checkpoints.WEIGHTS)).exists();
        assertThat(SafeTensors.header(out.resolve(Checkpoints.WEIGHTS)).entries().values())
                .allMatch(e -> e.dtype() == SafeTensors.DType.BF16);
        JsonNode saved = JSON.readTree(out.resolve(Checkpoints.CONFIG).toFile());
        assertThat(saved.get("torch_dtype").asText()).isEqualTo("bfloat16");
        assertThat(saved.get("rope_scaling").get("rope_type").asText()).isEqualTo("llama3");
        assertThat(Files.readAllBytes(out.resolve(Checkpoints.TOKENIZER))).isEqualTo(tokenizer);
        try (NDManager m = NDManager.newBaseManager(); Policy again = Policy.load(out, m)) {
            assertThat(again.model().config()).isEqualTo(c);
            for (String name : c.weightNames()) {
                float[] rounded = updated.get(name).clone();
                for (int i = 0; i < rounded.length; i++) {
                    rounded[i] = Float.intBitsToFloat(SafeTensors.toBf16(Float.floatToIntBits(rounded[i])) << 16);
                }
                assertThat(again.model().weights().get(name).toFloatArray()).as(name).containsExactly(rounded);
            }
            // and the same weights written with the hub's shard size come out sharded again
            Path resharded = tmp.resolve("resharded");
            Checkpoints.save(resharded, c, again.model().weights(), tokenizer,
                    new Checkpoints.SaveOptions(again.dtype(), shardBytes));
            assertThat(resharded.resolve(Checkpoints.INDEX)).exists();
        }
    }

    private static List<TrainingSample> samples(ModelConfig c) {
        SplittableRandom r = new SplittableRandom(9);
        List<TrainingSample> out = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            int[] prompt = {2 + r.nextInt(c.vocabSize() - 2), 2 + r.nextInt(c.vocabSize() - 2)};
            int[] completion = {2 + r.nextInt(c.vocabSize() - 2), 2 + r.nextInt(c.vocabSize() - 2), 0};
            out.add(new TrainingSample(prompt, completion, new float[] {-2.5f, -2.5f, -2.5f}, i % 2 == 0 ? 1.0 : -1.0,
                    0));
        }
        return out;
    }
}
