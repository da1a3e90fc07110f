package io.seedstream.cli.log;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.seedstream.cli.CliRun;
import io.seedstream.infra.harness.RealKafkaExtension;
import io.seedstream.infra.harness.TestCluster;
import io.seedstream.schemas.ConnectionConfig;
import io.seedstream.schemas.TokenArrays;
import io.seedstream.schemas.Topics;
import io.seedstream.schemas.avro.Answer;
import io.seedstream.schemas.avro.ToolCall;
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

    /**
     * A tool run: answers whose middle tokens a tool wrote (log-prob 0, recorded as a call's reply).
     * Replay reads the spans from the log as the live trainer did and reproduces it bit for bit, calling
     * no tool; the same batches without the spans train to other weights, so the spans were read.
     */
    @Test
    void replaysAToolRunBitForBitFromTheCallsTheLogRecords(TestCluster cluster, @TempDir Path tmp) throws Exception {
        ConnectionConfig tools = cluster.isolatedConnection("replay-tools");
        ConnectionConfig plain = cluster.isolatedConnection("replay-plain");
        int calls = 0;
        for (int i = 0; i < 5; i++) {
            TrainingBatch b = TinyPolicyDir.batch("b" + i, 3, 0, 70 + i);
            send(plain, cluster.serdes(), b); // sent before the spans are added
            calls += withToolReplies(b);
            send(tools, cluster.serdes(), b);
        }
        assertThat(calls).as("answers with a reply span").isGreaterThan(5);
        Path model = TinyPolicyDir.create(tmp.resolve("init"), 5);
        Path live = train(tools, cluster.serdes(), model, tmp.resolve("live"));
        Path control = train(plain, cluster.serdes(), model, tmp.resolve("control"));

        List<JsonNode> same = replay(tools, live.resolve("step-0000000001"), tmp.resolve("same"));
        assertThat(same).extracting(n -> n.get("step").asLong()).containsExactly(2L, 3L, 4L, 5L);
        assertThat(same).allSatisfy(n -> {
            assertThat(n.get("same_as_live").asBoolean()).isTrue();
            assertThat(n.get("sha256").asText()).isEqualTo(n.get("live_sha256").asText());
        });
        assertThat(CheckpointStore.read(control.resolve("step-0000000002")).state().weightsSha256())
                .as("without the spans the update differs").isNotEqualTo(same.get(0).get("sha256").asText());
    }

    /** Marks tokens [1, n-1) of every answer with n >= 3 as one calculator reply (log-prob 0); returns the calls. */
    private static int withToolReplies(TrainingBatch b) {
        int calls = 0;
        for (var g : b.getGroups()) {
            for (Answer a : g.getRollout().getAnswers()) {
                float[] lp = TokenArrays.floats(a.getTokenLogprobs());
                if (lp.length < 3) {
                    continue;
                }
                for (int t = 1; t < lp.length - 1; t++) {
                    lp[t] = 0f;
                }
                a.setTokenLogprobs(TokenArrays.ofFloats(lp));
                a.setToolCalls(List.of(ToolCall.newBuilder().setTool("calculator").setArguments("2*3")
                        .setReply("<result>6</result>").setStatus("ok").setLatencyMs(1).setReplyStart(1)
                        .setReplyEnd(lp.length - 1).build()));
                calls++;
            }
        }
        return calls;
    }

    private static void send(ConnectionConfig c, AvroSerdes serdes, TrainingBatch b) throws Exception {
        try (KafkaProducer<String, TrainingBatch> p = new KafkaProducer<>(c.kafkaProperties(), new StringSerializer(),
                serdes.value(Topics.TRAINING_BATCHES).serializer())) {
            p.send(new ProducerRecord<>(c.topic(Topics.TRAINING_BATCHES), b.getBatchId(), b)).get();
        }
    }

    private static Path train(ConnectionConfig c, AvroSerdes serdes, Path model, Path out) throws Exception {
        new StreamingTrainer(c, TrainerConfig.from(Map.of(TrainerConfig.MODEL_DIR, model.toString(),
                TrainerConfig.CHECKPOINT_DIR, out.toString(), TrainerConfig.CHECKPOINT_KEEP, 0,
                TrainerConfig.STALENESS, 100, TrainerConfig.LR, 1e-3, TrainerConfig.MAX_STEPS, 5,
                TrainerConfig.POLL_MS, 100L)), serdes).run((step, id, r, m) -> { });
        return out;
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
