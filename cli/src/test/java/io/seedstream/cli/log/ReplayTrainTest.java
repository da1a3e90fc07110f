package io.seedstream.cli.log;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.seedstream.cli.CliRun;
import io.seedstream.infra.harness.RealKafkaExtension;
import io.seedstream.infra.harness.TestCluster;
import io.seedstream.schemas.ConnectionConfig;
import io.seedstream.schemas.Topics;
import io.seedstream.schemas.avro.TrainingBatch;
import io.seedstream.schemas.serde.AvroSerdes;
import io.seedstream.trainer.CheckpointStore;
import io.seedstream.trainer.StreamingTrainer;
import io.seedstream.trainer.TinyPolicyDir;
import io.seedstream.trainer.TrainerConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code replay train} against a live trainer's checkpoints on the broker: the live settings
 * reproduce every later version bit for bit, other settings are compared step by step.
 */
@ExtendWith(RealKafkaExtension.class)
class ReplayTrainTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void replaysALiveRunFromItsLogAndComparesAnotherLearningRate(TestCluster cluster, @TempDir Path tmp)
            throws Exception {
        ConnectionConfig c = cluster.isolatedConnection("replay-train");
        AvroSerdes serdes = cluster.serdes();
        try (KafkaProducer<String, TrainingBatch> p = new KafkaProducer<>(c.kafkaProperties(), new StringSerializer(),
                serdes.value(Topics.TRAINING_BATCHES).serializer())) {
            for (int i = 0; i < 5; i++) {
                TrainingBatch b = TinyPolicyDir.batch("b" + i, 3, 0, 50 + i);
                p.send(new ProducerRecord<>(c.topic(Topics.TRAINING_BATCHES), b.getBatchId(), b)).get();
            }
        }
        Path model = TinyPolicyDir.create(tmp.resolve("init"), 5);
        Path live = tmp.resolve("live");
        StreamingTrainer trainer = new StreamingTrainer(c, TrainerConfig.from(Map.of(TrainerConfig.MODEL_DIR,
                model.toString(), TrainerConfig.CHECKPOINT_DIR, live.toString(), TrainerConfig.CHECKPOINT_KEEP, 0,
                TrainerConfig.STALENESS, 100, TrainerConfig.LR, 1e-3, TrainerConfig.MAX_STEPS, 5,
                TrainerConfig.POLL_MS, 100L)), serdes);
        trainer.run((step, id, r, m) -> { });

        // no flags: the learning rate (1e-3, not the default) and eta come from the checkpoint the live run wrote
        assertThat(CheckpointStore.read(live.resolve("step-0000000001")).state().settings())
                .containsEntry(TrainerConfig.LR, "0.001").containsEntry(TrainerConfig.STALENESS, "100");
        List<JsonNode> same = replay(c, live.resolve("step-0000000001"), tmp.resolve("same"));
        assertThat(same).extracting(n -> n.get("step").asLong()).containsExactly(2L, 3L, 4L, 5L);
        assertThat(same).allSatisfy(n -> {
            assertThat(n.get("same_as_live").asBoolean()).isTrue();
            assertThat(n.get("weight_distance_to_live").asDouble()).isZero();
            assertThat(n.get("sha256").asText()).isEqualTo(n.get("live_sha256").asText());
        });

        List<JsonNode> other = replay(c, live.resolve("step-0000000001"), tmp.resolve("other"), "--lr", "3e-3");
        assertThat(other).hasSize(4).allSatisfy(n -> assertThat(n.get("same_as_live").asBoolean()).isFalse());
        // the runs drift apart step by step
        assertThat(other.get(3).get("weight_distance_to_live").asDouble())
                .isGreaterThan(other.get(0).get("weight_distance_to_live").asDouble());

        // bad input: a version before the checkpoint, a directory that is not a checkpoint
        assertThat(CliRun.of(args(c, "--from-checkpoint", live.resolve("step-0000000003").toString(), "--to-version",
                "2", "--out", tmp.resolve("x").toString())).exitCode()).isEqualTo(2);
        assertThat(CliRun.of(args(c, "--from-checkpoint", tmp.toString(), "--to-version", "9", "--out",
                tmp.resolve("y").toString())).exitCode()).isEqualTo(2);
    }

    private static List<JsonNode> replay(ConnectionConfig c, Path from, Path out, String... flags) throws Exception {
        List<String> a = new ArrayList<>(List.of("--from-checkpoint", from.toString(), "--to-version", "5", "--out",
                out.toString()));
        a.addAll(List.of(flags));
        List<JsonNode> lines = new ArrayList<>();
        for (String line : CliRun.ok(args(c, a.toArray(String[]::new))).split("\n")) {
            if (!line.isBlank()) {
                lines.add(JSON.readTree(line));
            }
        }
        return lines;
    }

    private static String[] args(ConnectionConfig c, String... rest) {
        List<String> all = new ArrayList<>(List.of("replay", "train"));
        all.addAll(List.of(rest));
        all.addAll(CliRun.connectionFlags(c));
        return all.toArray(String[]::new);
    }
}
