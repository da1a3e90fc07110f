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
import io.seedstream.schemas.avro.AnswerGroup;
import io.seedstream.schemas.avro.FinishReason;
import io.seedstream.schemas.avro.PolicyVersion;
import io.seedstream.schemas.avro.Prompt;
import io.seedstream.schemas.avro.TopicPartitionOffset;
import io.seedstream.schemas.serde.AvroSerdes;
import io.seedstream.streams.scoring.ScoringConfig;
import io.seedstream.streams.topology.ScoringService;
import io.seedstream.streams.topology.TopologySettings;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code replay score} on groups the real topology scored and batched on the broker: with the
 * run's own settings it reproduces the recorded SE, scale and scaled advantages exactly; with
 * another alpha it shows the weights move.
 */
@ExtendWith(RealKafkaExtension.class)
class ReplayScoreTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int GROUPS = 24;
    private static final String[] FORMS = {"\\boxed{3}", "\\boxed{3.0}", "\\boxed{6/2}", "\\boxed{4}", "\\boxed{5}",
        "\\boxed{\\frac{9}{3}}", "no box"};

    @Test
    void theRunsOwnSettingsReproduceTheRecordAndAnotherAlphaMovesTheWeights(TestCluster cluster) throws Exception {
        ConnectionConfig c = cluster.isolatedConnection("replay");
        AvroSerdes serdes = cluster.serdes();
        try (KafkaProducer<String, Prompt> p = new KafkaProducer<>(c.kafkaProperties(), new StringSerializer(),
                serdes.value(Topics.PROMPTS).serializer())) {
            for (int i = 0; i < 6; i++) {
                p.send(new ProducerRecord<>(c.topic(Topics.PROMPTS), "p" + i, Prompt.newBuilder().setId("p" + i)
                        .setDataset("test").setProblem("What is 6/2?").setAnswers(List.of("3"))
                        .setMetadata(Map.of()).build())).get();
            }
        }
        // the groups below were sampled by versions 0-2: the topology takes no group of an unannounced version
        try (KafkaProducer<String, PolicyVersion> v = new KafkaProducer<>(c.kafkaProperties(), new StringSerializer(),
                serdes.value(Topics.POLICY_VERSIONS).serializer())) {
            v.send(new ProducerRecord<>(c.topic(Topics.POLICY_VERSIONS), "seedstream", PolicyVersion.newBuilder()
                    .setRunId("seedstream").setVersion(2).setCheckpointUri("file:///c/step-2").setSha256("00")
                    .setTrainerStep(2).setConsumedOffsets(List.of(new TopicPartitionOffset(
                            c.topic(Topics.TRAINING_BATCHES), 0, 2L))).setCreatedAt(java.time.Instant.now()).build()))
                    .get();
        }
        TopologySettings settings = TopologySettings.defaults().withBatching(4, 1_000_000, Duration.ofMillis(500))
                .withInstance("replay-" + UUID.randomUUID(), 0, Files.createTempDirectory("replay"), 1);
        try (ScoringService scoring = ScoringService.start(c, settings, ScoringConfig.DEFAULT)) {
            scoring.awaitRunning(Duration.ofSeconds(60));
            Random r = new Random(1);
            try (KafkaProducer<String, AnswerGroup> groups = new KafkaProducer<>(c.kafkaProperties(),
                    new StringSerializer(), serdes.value(Topics.ROLLOUTS).serializer())) {
                for (int g = 0; g < GROUPS; g++) {
                    groups.send(new ProducerRecord<>(c.topic(Topics.ROLLOUTS), "p" + g % 6, group(r, g))).get();
                }
            }
            // until the last batch has closed (after its linger) and every group is in training-batches
            long deadline = System.currentTimeMillis() + 90_000;
            while (batchedGroups(c) < GROUPS && System.currentTimeMillis() < deadline) {
                Thread.sleep(500);
            }
            JsonNode same = summary(replay(c));
            assertThat(same.get("groups").asLong()).isEqualTo(GROUPS);
            assertThat(same.get("max_difference_from_record").asDouble()).isEqualTo(0.0);
            assertThat(same.get("prompt_weight_spearman").asDouble()).isEqualTo(1.0);
            assertThat(same.get("weight_ratio").asDouble()).isEqualTo(1.0);
        }


        List<JsonNode> alphaOne = replay(c, "--alpha", "1");
        JsonNode moved = summary(alphaOne);
        assertThat(moved.get("groups").asLong()).isEqualTo(GROUPS);
        assertThat(moved.get("mean_scale_replayed").asDouble()).isLessThan(moved.get("mean_scale_recorded").asDouble());
        assertThat(moved.get("max_difference_from_record").asDouble()).isPositive();
        assertThat(moved.get("prompts_that_move_most")).isNotEmpty();
        assertThat(moved.get("replayed_settings").get(ScoringConfig.ALPHA).asText()).isEqualTo("1.0");
        JsonNode line = alphaOne.get(0);
        assertThat(line.get("recorded").get("scaled_advantages").size())
                .isEqualTo(line.get("replayed").get("scaled_advantages").size());

        // a version range keeps only its groups
        assertThat(summary(replay(c, "--from-version", "1", "--to-version", "1")).get("groups").asLong())
                .isEqualTo(GROUPS / 3);
    }

    /** Eight answers in forms of the right and wrong answers, log-probs varying, version g % 3. */
    private static AnswerGroup group(Random r, int g) {
        List<Answer> answers = new ArrayList<>();
        for (int a = 0; a < 8; a++) {
            float[] lps = new float[4];
            Arrays.fill(lps, (float) (-0.2 - r.nextDouble()));
            answers.add(Answer.newBuilder().setText("so " + FORMS[r.nextInt(FORMS.length)])
                    .setTokenIds(TokenArrays.ofInts(new int[] {5, 6, 7, 8})).setTokenLogprobs(TokenArrays.ofFloats(lps))
                    .setFinishReason(FinishReason.STOP).build());
        }
        return AnswerGroup.newBuilder().setRequestId("r" + g).setPromptId("p" + g % 6).setPolicyVersion(g % 3)
                .setGeneratorId("gen-test").setGroupSize(8).setPromptTokenIds(TokenArrays.ofInts(new int[] {1, 2}))
                .setAnswers(answers).setCreatedAt(Instant.ofEpochMilli(1_000)).build();
    }

    /** Groups in training-batches so far (replay exits 1 while there are none). */
    private static long batchedGroups(ConnectionConfig c) throws Exception {
        CliRun r = CliRun.of(command(c));
        return r.exitCode() != 0 ? 0 : summary(lines(r.out())).get("groups").asLong();
    }

    private static List<JsonNode> replay(ConnectionConfig c, String... args) throws Exception {
        return lines(CliRun.ok(command(c, args)));
    }

    private static String[] command(ConnectionConfig c, String... args) {
        List<String> cmd = new ArrayList<>(List.of("replay", "score"));
        cmd.addAll(List.of(args));
        cmd.addAll(CliRun.connectionFlags(c));
        return cmd.toArray(String[]::new);
    }

    private static List<JsonNode> lines(String out) throws Exception {
        List<JsonNode> lines = new ArrayList<>();
        for (String line : out.split("\n")) {
            if (!line.isBlank()) {
                lines.add(JSON.readTree(line));
            }
        }
        return lines;
    }

    private static JsonNode summary(List<JsonNode> lines) {
        JsonNode last = lines.get(lines.size() - 1);
        assertThat(last.has("summary")).isTrue();
        return last.get("summary");
    }
}
