package io.seedstream.producers.generator;

import static io.seedstream.producers.generator.PipelineFixture.announce;
import static io.seedstream.producers.generator.PipelineFixture.generatorConfig;
import static io.seedstream.infra.harness.TestTopics.await;
import static io.seedstream.infra.harness.TestTopics.prompts;
import static io.seedstream.infra.harness.TestTopics.send;
import static io.seedstream.producers.generator.PipelineFixture.randomPolicy;
import static io.seedstream.producers.generator.PipelineFixture.request;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import io.seedstream.infra.harness.RealKafkaExtension;
import io.seedstream.infra.harness.TestCluster;
import io.seedstream.model.ContinuationLogProbs;
import io.seedstream.model.Policy;
import io.seedstream.schemas.ConnectionConfig;
import io.seedstream.schemas.RecordSeeds;
import io.seedstream.schemas.TokenArrays;
import io.seedstream.schemas.Topics;
import io.seedstream.schemas.avro.Answer;
import io.seedstream.schemas.avro.AnswerGroup;
import io.seedstream.schemas.avro.DeadLetter;
import io.seedstream.schemas.avro.FinishReason;
import io.seedstream.schemas.serde.AvroSerdes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

@ExtendWith(RealKafkaExtension.class)
class RolloutGeneratorTest {

    private static final Duration MAX = Duration.ofSeconds(180);

    /** Runs generators on their own threads; stops them and surfaces their failures on close. */
    private static final class Running implements AutoCloseable {
        private final ExecutorService pool = Executors.newCachedThreadPool();
        private final List<RolloutGenerator> generators = new ArrayList<>();
        private final List<Future<RolloutGenerator.Summary>> results = new ArrayList<>();

        RolloutGenerator start(ConnectionConfig c, AvroSerdes serdes, GeneratorConfig config) {
            RolloutGenerator g = new RolloutGenerator(c, config, serdes, Device.cpu(), Clock.systemUTC());
            generators.add(g);
            results.add(pool.submit(g::run));
            return g;
        }

        @Override
        public void close() throws Exception {
            generators.forEach(RolloutGenerator::stop);
            for (Future<RolloutGenerator.Summary> f : results) {
                f.get(); // a generator that failed fails the test
            }
            pool.shutdown();
        }
    }

    @Test
    void twoGeneratorsShareTwoHundredRequestsAndAnswerEachExactlyOnce(TestCluster cluster, @TempDir Path tmp)
            throws Exception {
        ConnectionConfig c = cluster.isolatedConnection("share");
        AvroSerdes serdes = cluster.serdes();
        Path model = tmp.resolve("v0");
        randomPolicy(model, 1);
        send(c, serdes, prompts(c, 50));
        String group = c.topicPrefix() + "generators";
        try (Running running = new Running()) {
            RolloutGenerator a = running.start(c, serdes, generatorConfig("a", group, model));
            RolloutGenerator b = running.start(c, serdes, generatorConfig("b", group, model));
            Thread.sleep(4000); // both join the group before the work arrives
            List<ProducerRecord<String, Object>> requests = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                requests.add(request(c, "r" + i, "p" + (i % 50), 4, 1.0, 6, 0));
            }
            send(c, serdes, requests);
            List<ConsumerRecord<String, AnswerGroup>> groups = await(c, serdes, Topics.ROLLOUTS, "read_committed",
                    200, MAX, Duration.ofSeconds(3));
            Map<String, Integer> byRequest = PipelineFixture.countByRequest(groups);
            assertThat(byRequest).hasSize(200);
            assertThat(byRequest.values()).allMatch(n -> n == 1);
            assertThat(groups).allSatisfy(r -> {
                AnswerGroup g = r.value();
                assertThat(g.getAnswers()).hasSize(4);
                assertThat(g.getPolicyVersion()).isZero();
                // the seed the generator chose stays within 2^53: JavaScript's Avro readers decode it
                assertThat(g.getSampling().getSeed()).isBetween(1L, RecordSeeds.MAX);
                assertThat(g.getTimings().getBatchSequences()).isBetween(4, 32);
                for (Answer ans : g.getAnswers()) {
                    assertThat(TokenArrays.ints(ans.getTokenIds())).hasSameSizeAs(TokenArrays.floats(ans.getTokenLogprobs()));
                }
            });
            assertThat(a.metrics().groups()).as("generator a's share").isPositive();
            assertThat(b.metrics().groups()).as("generator b's share").isPositive();
            assertThat(a.metrics().groups() + b.metrics().groups()).isEqualTo(200);
        }
    }

    /** Issue 24: a generator started before the trainer, without a model directory, waits for version 1. */
    @Test
    void aGeneratorStartedBeforeTheTrainersFirstAnnouncementWaitsForIt(TestCluster cluster, @TempDir Path tmp)
            throws Exception {
        ConnectionConfig c = cluster.isolatedConnection("first-version");
        AvroSerdes serdes = cluster.serdes();
        Path v1 = tmp.resolve("v1");
        String sha1 = randomPolicy(v1, 4);
        send(c, serdes, prompts(c, 2));
        GeneratorConfig impatient = generatorConfig("impatient", c.topicPrefix() + "gen", tmp,
                Map.of(GeneratorConfig.MODEL_DIR, "", GeneratorConfig.FIRST_VERSION_WAIT_MS, 0L));
        assertThatThrownBy(() -> new RolloutGenerator(c, impatient, serdes, Device.cpu(), Clock.systemUTC()).run())
                .hasMessageContaining("no policy version announced for run 'seedstream' within 0 ms");
        try (Running running = new Running()) {
            running.start(c, serdes, generatorConfig("early", c.topicPrefix() + "gen", tmp,
                    Map.of(GeneratorConfig.MODEL_DIR, "")));
            send(c, serdes, List.of(request(c, "waits", "p0", 4, 1.0, 6, 0)));
            Thread.sleep(1500);
            assertThat(await(c, serdes, Topics.ROLLOUTS, "read_committed", 1, Duration.ofSeconds(2), Duration.ZERO))
                    .as("nothing sampled before the first announcement").isEmpty();
            send(c, serdes, List.of(announce(c, "seedstream", 1, v1, sha1)));
            assertThat(await(c, serdes, Topics.ROLLOUTS, "read_committed", 1, MAX, Duration.ZERO))
                    .singleElement().satisfies(r -> assertThat(r.value().getPolicyVersion()).isEqualTo(1));
        }
    }

    @Test
    void aNewVersionIsLoadedBetweenBatchesAndACorruptCheckpointIsRefused(TestCluster cluster, @TempDir Path tmp)
            throws Exception {
        ConnectionConfig c = cluster.isolatedConnection("versions");
        AvroSerdes serdes = cluster.serdes();
        Path v0 = tmp.resolve("v0");
        Path v1 = tmp.resolve("v1");
        Path v2 = tmp.resolve("v2");
        randomPolicy(v0, 1);
        String sha1 = randomPolicy(v1, 2);
        String sha2 = randomPolicy(v2, 3);
        byte[] weights = Files.readAllBytes(v2.resolve("model.safetensors"));
        weights[weights.length - 3] ^= 0x55; // tampered after it was announced
        Files.write(v2.resolve("model.safetensors"), weights);
        send(c, serdes, prompts(c, 10));
        try (Running running = new Running()) {
            RolloutGenerator g = running.start(c, serdes, generatorConfig("v", c.topicPrefix() + "gen", v0));
            send(c, serdes, List.of(request(c, "before", "p0", 4, 1.0, 6, 0)));
            assertThat(await(c, serdes, Topics.ROLLOUTS, "read_committed", 1, MAX, Duration.ZERO))
                    .singleElement().satisfies(r -> assertThat(r.value().getPolicyVersion()).isZero());
            // requests that need version 1 wait for it; version 1 is announced after them
            List<ProducerRecord<String, Object>> needV1 = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                needV1.add(request(c, "t1-" + i, "p" + i, 4, 1.0, 12, 1));
                needV1.add(request(c, "t07-" + i, "p" + i, 4, 0.7, 12, 1));
            }
            send(c, serdes, needV1);
            Thread.sleep(1500);
            assertThat(await(c, serdes, Topics.ROLLOUTS, "read_committed", 1, Duration.ofSeconds(2), Duration.ZERO))
                    .as("nothing sampled for version 1 before it is announced").hasSize(1);
            send(c, serdes, List.of(announce(c, "seedstream", 1, v1, sha1)));
            List<ConsumerRecord<String, AnswerGroup>> groups = await(c, serdes, Topics.ROLLOUTS, "read_committed",
                    13, MAX, Duration.ofSeconds(1));
            assertThat(groups).hasSize(13);
            List<AnswerGroup> fromV1 = groups.stream().map(ConsumerRecord::value)
                    .filter(x -> !x.getRequestId().equals("before")).toList();
            assertThat(fromV1).hasSize(12).allSatisfy(x -> assertThat(x.getPolicyVersion()).isEqualTo(1));
            assertThat(g.metrics().announceToUseSeconds()).isNotEmpty();
            assertTrainerLogProbsEqualGenerators(v1, fromV1);

            send(c, serdes, List.of(announce(c, "seedstream", 2, v2, sha2)));
            long deadline = System.nanoTime() + MAX.toNanos();
            while (g.metrics().reloadFailures() == 0 && System.nanoTime() < deadline) {
                send(c, serdes, List.of(request(c, "poke-" + System.nanoTime(), "p1", 2, 1.0, 4, 1)));
                Thread.sleep(500);
            }
            assertThat(g.metrics().reloadFailures()).as("the tampered checkpoint is refused").isEqualTo(1);
            // and so is one that is not there; each refusal is a dead letter naming the announcement and why
            send(c, serdes, List.of(announce(c, "seedstream", 3, tmp.resolve("never-written"), sha2)));
            deadline = System.nanoTime() + MAX.toNanos();
            while (g.metrics().reloadFailures() < 2 && System.nanoTime() < deadline) {
                send(c, serdes, List.of(request(c, "poke-" + System.nanoTime(), "p1", 2, 1.0, 4, 1)));
                Thread.sleep(500);
            }
            assertThat(g.metrics().reloadFailures()).as("the missing checkpoint is refused").isEqualTo(2);
            List<DeadLetter> refusals = await(c, serdes, Topics.DEAD_LETTERS, "read_committed", 2, MAX, Duration.ZERO)
                    .stream().map(ConsumerRecord::value).toList();
            assertThat(refusals).hasSize(2).allSatisfy(d -> {
                assertThat(d.getStage()).isEqualTo("generator-load-checkpoint");
                assertThat(d.getSourceTopic()).isEqualTo(c.topic(Topics.POLICY_VERSIONS));
                assertThat(d.getOffset()).isNotNegative();
            });
            assertThat(refusals.get(0).getError()).contains("refused version 2").contains("sha256");
            assertThat(refusals.get(1).getError()).contains("refused version 3").contains("never-written");
            send(c, serdes, List.of(request(c, "after", "p2", 4, 1.0, 6, 1)));
            List<AnswerGroup> after = await(c, serdes, Topics.ROLLOUTS, "read_committed", 14, MAX,
                    Duration.ofSeconds(2)).stream().map(ConsumerRecord::value)
                    .filter(x -> x.getRequestId().equals("after")).toList();
            assertThat(after).singleElement().satisfies(x -> assertThat(x.getPolicyVersion())
                    .as("generation goes on with the weights it had").isEqualTo(1));
            assertThat(g.metrics().loadedVersion()).isEqualTo(1);
        }
    }

    /** The trainer's per-token log-probs (ContinuationLogProbs at the group's temperature) equal the generator's. */
    private static void assertTrainerLogProbsEqualGenerators(Path weights, List<AnswerGroup> groups) throws Exception {
        Map<Double, Integer> checkedByTemperature = new HashMap<>();
        try (NDManager m = NDManager.newBaseManager(); Policy policy = Policy.load(weights, m)) {
            for (AnswerGroup g : groups) {
                double t = g.getSampling().getTemperature();
                int[] prompt = TokenArrays.ints(g.getPromptTokenIds());
                List<int[]> prompts = new ArrayList<>();
                List<int[]> conts = new ArrayList<>();
                for (Answer a : g.getAnswers()) {
                    prompts.add(prompt);
                    conts.add(TokenArrays.ints(a.getTokenIds()));
                }
                double[] temps = new double[conts.size()];
                java.util.Arrays.fill(temps, t);
                float[] trainer;
                int l;
                try (NDManager s = m.newSubManager()) {
                    var lp = ContinuationLogProbs.compute(policy.model(), prompts, conts, temps, s, 0).get(0);
                    l = (int) lp.getShape().get(1);
                    trainer = lp.toFloatArray();
                }
                for (int i = 0; i < conts.size(); i++) {
                    float[] generator = TokenArrays.floats(g.getAnswers().get(i).getTokenLogprobs());
                    for (int j = 0; j < generator.length; j++) {
                        assertThat((double) trainer[i * l + j]).as("group %s answer %d token %d at T=%s",
                                g.getRequestId(), i, j, t).isCloseTo(generator[j], org.assertj.core.data.Offset.offset(1e-4));
                    }
                    checkedByTemperature.merge(t, generator.length, Integer::sum);
                }
            }
        }
        assertThat(checkedByTemperature.keySet()).containsExactlyInAnyOrder(1.0, 0.7);
        assertThat(checkedByTemperature.values()).allMatch(n -> n > 50);
    }

    @Test
    void badRequestsBecomeDeadLettersWithTheReasonAndGenerationGoesOn(TestCluster cluster, @TempDir Path tmp)
            throws Exception {
        ConnectionConfig c = cluster.isolatedConnection("bad");
        AvroSerdes serdes = cluster.serdes();
        Path model = tmp.resolve("v0");
        randomPolicy(model, 1);
        send(c, serdes, prompts(c, 5));
        try (Running running = new Running()) {
            running.start(c, serdes, generatorConfig("bad", c.topicPrefix() + "gen", model,
                    Map.of(GeneratorConfig.PROMPT_WAIT_MS, 1000L)));
            try (var raw = new org.apache.kafka.clients.producer.KafkaProducer<String, byte[]>(c.kafkaProperties(),
                    new org.apache.kafka.common.serialization.StringSerializer(),
                    new org.apache.kafka.common.serialization.ByteArraySerializer())) {
                raw.send(new ProducerRecord<>(c.topic(Topics.ROLLOUT_REQUESTS), 0, "p0", new byte[] {0, 0, 0, 0, 9, 9}))
                        .get();
            }
            send(c, serdes, List.of(
                    request(c, "g1", "p0", 1, 1.0, 6, 0),
                    request(c, "hot", "p0", 4, Double.NaN, 6, 0),
                    request(c, "long", "p0", 4, 1.0, 1_000_000, 0),
                    request(c, "ghost", "no-such-prompt", 4, 1.0, 6, 0),
                    request(c, "good", "p1", 4, 1.0, 6, 0)));
            List<ConsumerRecord<String, DeadLetter>> dead = await(c, serdes, Topics.DEAD_LETTERS, "read_committed", 5,
                    MAX, Duration.ofSeconds(1));
            assertThat(dead).hasSize(5);
            List<String> errors = dead.stream().map(r -> r.value().getStage() + ": " + r.value().getError()).toList();
            assertThat(errors).anyMatch(e -> e.contains("decode-request") && e.contains("cannot decode"))
                    .anyMatch(e -> e.contains("group size was 1"))
                    .anyMatch(e -> e.contains("temperature was NaN"))
                    .anyMatch(e -> e.contains("max new tokens was 1000000"))
                    .anyMatch(e -> e.contains("join-prompt") && e.contains("no-such-prompt"));
            assertThat(await(c, serdes, Topics.ROLLOUTS, "read_committed", 1, MAX, Duration.ofSeconds(1)))
                    .singleElement().satisfies(r -> {
                        assertThat(r.value().getRequestId()).isEqualTo("good");
                        assertThat(r.value().getAnswers()).allSatisfy(a ->
                                assertThat(a.getFinishReason()).isIn(FinishReason.STOP, FinishReason.LENGTH));
                    });
        }
    }
}
