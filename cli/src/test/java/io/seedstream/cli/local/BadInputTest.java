package io.seedstream.cli.local;

import ai.djl.Device;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.seedstream.infra.harness.RealKafkaExtension;
import io.seedstream.infra.harness.SampleRecords;
import io.seedstream.infra.harness.TestCluster;
import io.seedstream.schemas.ConnectionConfig;
import io.seedstream.schemas.LogReading;
import io.seedstream.schemas.TokenArrays;
import io.seedstream.schemas.Topic;
import io.seedstream.schemas.Topics;
import io.seedstream.schemas.avro.Answer;
import io.seedstream.schemas.avro.AnswerGroup;
import io.seedstream.schemas.avro.DeadLetter;
import io.seedstream.schemas.avro.FinishReason;
import io.seedstream.schemas.avro.ScoredGroup;
import io.seedstream.schemas.avro.TrainingBatch;
import io.seedstream.schemas.serde.AvroSerdes;
import io.seedstream.streams.scoring.ScoringConfig;
import io.seedstream.streams.topology.ScoringService;
import io.seedstream.streams.topology.TopologySettings;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * While the whole loop trains (topology, dispatcher, generator, trainer on the shipped task
 * policy), bad input is written into the topics the stages read: each is dead-lettered with its
 * reason, given a defined grade, or refused and counted, and the loop keeps training. Prints the
 * table of what happened to each input.
 */
@ExtendWith(RealKafkaExtension.class)
class BadInputTest {

    /** One bad input, where it goes, and what must become of it. */
    private record Case(String input, Topic<String, ?> topic, byte[] value, String expectedStage, String requestId) {

        Case(String input, Topic<String, ?> topic, byte[] value, String expectedStage) {
            this(input, topic, value, expectedStage, null);
        }

        /** An answer group or batch made here, known by its request id in batches and dead letters. */
        Case(String input, Topic<String, ?> topic, Made made, String expectedStage) {
            this(input, topic, made.value(), expectedStage, made.requestId());
        }
    }

    /** A record's bytes and the request id of the group in it. */
    private record Made(byte[] value, String requestId) {}

    /** Where an input went (and its request id, for an answer group made here), and what became of it when no stage dead-lettered it. */
    private record Seen(Case c, int partition, long offset, String requestId, String outcome) {}

    @Test
    void badInputIsDeadLetteredOrGradedOrCountedAndTheLoopKeepsTraining(TestCluster cluster, @TempDir Path tmp)
            throws Exception {
        ConnectionConfig c = cluster.isolatedConnection("bad");
        AvroSerdes serdes = cluster.serdes();
        TaskLoop.loadProblems(c, tmp, 60);
        Properties keys = TaskLoop.keys(c, tmp);
        keys.put(TopologySettings.BATCH_LINGER_MS, "5000");
        keys.put(TopologySettings.PROMPT_WAIT_MS, "3000"); // an unknown prompt id is dead-lettered after 3 s

        AtomicLong version = new AtomicLong();
        Map<String, Double> trainer = new ConcurrentHashMap<>();
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        try (ScoringService scoring = ScoringService.start(c, TopologySettings.from(keys), ScoringConfig.from(keys), meters)) {
            scoring.awaitRunning(Duration.ofMinutes(2));
            LocalLoop loop = LocalLoop.start(c, keys, 1, Device.cpu(), meters, (step, batch, r, m) -> {
                version.set(step);
                trainer.putAll(m.values());
            }, s -> { });
            try {
                await(() -> version.get() >= 2, Duration.ofMinutes(4), () -> "two training steps before the injection", loop);
                List<Case> cases = cases(c, serdes, version.get());
                List<Seen> sent = inject(c, cases);
                long injectedAt = version.get();

                // the loop goes on training, and every dead letter the cases call for arrives
                List<Seen> expected = sent.stream().filter(s -> s.c().expectedStage() != null).toList();
                Map<String, DeadLetter> dead = new ConcurrentHashMap<>();
                await(() -> {
                    readDeadLetters(c, serdes, dead);
                    return version.get() >= injectedAt + 3 && expected.stream().allMatch(s -> find(s, dead) != null);
                }, Duration.ofMinutes(5), () -> "three more versions after v" + injectedAt + " (at v" + version.get()
                        + ") and every expected dead letter (missing: " + expected.stream()
                        .filter(s -> find(s, dead) == null).map(s -> s.c().input() + " on " + key(s)).toList()
                        + "; seen: " + dead.keySet() + ")", loop);
                assertThat(loop.ended()).as("no stage stopped").isEmpty();
                assertThat(scoring.streams().state().isRunningOrRebalancing()).isTrue();

                StringBuilder table = new StringBuilder(String.format("%n| input | topic | what happened | loop still "
                        + "training |%n|---|---|---|---|%n"));
                Set<String> batched = batchedRequests(c, serdes);
                for (Seen s : sent) {
                    DeadLetter d = find(s, dead);
                    String outcome;
                    if (d != null) {
                        outcome = "dead letter, stage " + d.getStage() + ": " + abbreviate(d.getError());
                        if (s.c().expectedStage() != null) {
                            assertThat(d.getStage()).as(s.c().input()).startsWith(s.c().expectedStage());
                        }
                    } else {
                        assertThat(s.c().expectedStage()).as("%s: expected a dead letter", s.c().input()).isNull();
                        outcome = s.outcome();
                        if (s.requestId() != null) {
                            assertThat(batched).as("%s: graded and batched", s.c().input()).contains(s.requestId());
                        }
                    }
                    table.append("| ").append(s.c().input()).append(" | ").append(s.c().topic().suffix()).append(" | ")
                            .append(outcome).append(" | yes (v").append(injectedAt).append(" -> v").append(version.get())
                            .append(") |\n");
                }
                assertThat(trainer.get("rejected_ahead_groups_total")).as("groups from the future refused").isPositive();
                // the counts by stage show on the dashboard (from dead-letters, whichever stage wrote them)
                Set<String> stages = new HashSet<>();
                await(() -> {
                    stages.clear();
                    dashboardDeadLetterStages(scoring, stages);
                    return stages.containsAll(List.of("decode", "validate", "join-prompt", "trainer",
                            "generator-decode-request", "decode-eval", "keep-metrics", "dispatcher-decode", "unknown"));
                }, Duration.ofMinutes(1), () -> "the dead letters by stage on the dashboard (has " + stages + ")", loop);
                System.out.println(table);
            } finally {
                loop.close();
            }
        }
    }

    /**
     * The dead letter of an input: the one naming its topic, partition and offset, or, for a group
     * that reached a batch, the trainer's one naming its request id (its source is the batch).
     */
    private static DeadLetter find(Seen s, Map<String, DeadLetter> dead) {
        DeadLetter d = dead.get(key(s));
        if (d == null && s.requestId() != null) {
            d = dead.values().stream().filter(x -> x.getError().contains(s.requestId())).findFirst().orElse(null);
        }
        return d;
    }

    private static String key(Seen s) {
        return s.c().topic().suffix() + "-" + s.partition() + "@" + s.offset();
    }

    private static String abbreviate(String s) {
        String one = s.replace('\n', ' ').replace("|", "\\|");
        return one.length() > 110 ? one.substring(0, 110) + "..." : one;
    }

    private static List<Case> cases(ConnectionConfig c, AvroSerdes serdes, long trainerVersion) {
        Random random = new Random(15);
        byte[] noise = new byte[300];
        random.nextBytes(noise);
        noise[0] = 0; // looks like the wire format's magic byte, then garbage
        byte[] unknownSchema = {0, 0x7f, 0x7f, 0x7f, 0x7f, 2, 4, 6};
        List<Case> cases = new ArrayList<>();
        for (Topic<String, ?> t : List.of(Topics.ROLLOUTS, Topics.TRAINING_BATCHES, Topics.ROLLOUT_REQUESTS,
                Topics.EVAL_REQUESTS, Topics.EVAL_RESULTS, Topics.METRICS, Topics.PROMPTS, Topics.POLICY_VERSIONS,
                Topics.DEAD_LETTERS)) {
            String stage = t == Topics.ROLLOUTS ? "decode" : t == Topics.TRAINING_BATCHES ? "trainer"
                    : t == Topics.ROLLOUT_REQUESTS || t == Topics.EVAL_REQUESTS ? "generator"
                    : t == Topics.EVAL_RESULTS ? "decode-eval" : t == Topics.METRICS ? "keep-metrics"
                    : t == Topics.PROMPTS || t == Topics.POLICY_VERSIONS ? "dispatcher-decode" : null;
            cases.add(new Case("random bytes", t, noise, stage));
            cases.add(new Case("unknown schema id", t, unknownSchema, stage));
        }
        byte[] prompt = serdes.value(Topics.PROMPTS).serializer().serialize(c.topic(Topics.PROMPTS), SampleRecords.prompt());
        cases.add(new Case("a valid record of the wrong type (a prompt)", Topics.ROLLOUTS, prompt, "decode"));
        cases.add(new Case("a valid record of the wrong type (a prompt)", Topics.TRAINING_BATCHES, prompt, "trainer"));
        cases.add(new Case("unknown prompt id", Topics.ROLLOUTS, rollout(c, serdes, "no-such-prompt", 4, 4, 1, f -> f, "x"),
                "join-prompt"));
        cases.add(new Case("NaN log-prob", Topics.ROLLOUTS, rollout(c, serdes, null, 4, 4, 1, f -> Float.NaN, "x"), "validate"));
        cases.add(new Case("infinite log-prob", Topics.ROLLOUTS,
                rollout(c, serdes, null, 4, 4, 1, f -> Float.NEGATIVE_INFINITY, "x"), "validate"));
        cases.add(new Case("group of the wrong size (3 answers, G = 4)", Topics.ROLLOUTS,
                rollout(c, serdes, null, 4, 3, 1, f -> f, "x"), "validate"));
        cases.add(new Case("a 10 MB answer", Topics.ROLLOUTS,
                rollout(c, serdes, null, 4, 4, 1, f -> f, "9".repeat(10 * 1024 * 1024)), null));
        cases.add(new Case("deeply nested LaTeX", Topics.ROLLOUTS,
                rollout(c, serdes, null, 4, 4, 1, f -> f, "\\boxed{" + "\\frac{1}{".repeat(20_000) + "}".repeat(20_001)), null));
        cases.add(new Case("huge exponents", Topics.ROLLOUTS,
                rollout(c, serdes, null, 4, 4, 1, f -> f, "\\boxed{10^{10^{10^{10^{999999}}}}}"), null));
        cases.add(new Case("1 MB of braces", Topics.ROLLOUTS,
                rollout(c, serdes, null, 4, 4, 1, f -> f, "\\boxed{" + "{".repeat(512 * 1024) + "}".repeat(512 * 1024)), null));
        cases.add(new Case("a training batch whose groups come from the future", Topics.TRAINING_BATCHES,
                batch(c, serdes, "from-the-future", 1_000_000, 1), null));
        // a version the gate may find stale by the time the trainer reads it (real batches land in between on a
        // fast loop): validity is checked first, so it is a dead letter either way
        cases.add(new Case("token id out of the vocabulary (in a batch at the trainer's version)", Topics.TRAINING_BATCHES,
                batch(c, serdes, "out-of-vocabulary", trainerVersion - 1, 1_000_000), "trainer"));
        return cases;
    }

    /**
     * An answer group for a real task prompt (or {@code promptId}): {@code answers} answers of
     * three tokens each, the first id times {@code idFactor}, log-probs mapped by {@code logprob}.
     */
    private static Made rollout(ConnectionConfig c, AvroSerdes serdes, String promptId, int groupSize, int answers,
            int idFactor, java.util.function.UnaryOperator<Float> logprob, String text) {
        List<Answer> list = new ArrayList<>();
        for (int i = 0; i < answers; i++) {
            list.add(Answer.newBuilder().setText(i == 0 ? text : "\\boxed{" + i + "}")
                    .setTokenIds(TokenArrays.ofInts(new int[] {5 * idFactor, 6, 7}))
                    .setTokenLogprobs(TokenArrays.ofFloats(new float[] {logprob.apply(-0.5f), -1f, -0.1f}))
                    .setFinishReason(FinishReason.STOP).build());
        }
        String id = "bad-" + java.util.UUID.randomUUID();
        AnswerGroup g = AnswerGroup.newBuilder().setRequestId(id).setPromptId(promptId != null ? promptId : "task-L2-0-0")
                .setPolicyVersion(0).setGeneratorId("bad-input").setGroupSize(groupSize)
                .setPromptTokenIds(TokenArrays.ofInts(new int[] {1, 2, 3})).setAnswers(list).setCreatedAt(Instant.now())
                .setSampling(null).setTimings(null).build();
        return new Made(serdes.value(Topics.ROLLOUTS).serializer().serialize(c.topic(Topics.ROLLOUTS), g), id);
    }

    /** A batch of one valid group of policy version {@code version}, its first token id times {@code idFactor}. */
    private static Made batch(ConnectionConfig c, AvroSerdes serdes, String id, long version, int idFactor) {
        ScoredGroup g = SampleRecords.scoredGroup();
        g.getRollout().setPolicyVersion(version);
        g.getRollout().setSampling(null);
        g.getRollout().getAnswers().get(0).setTokenIds(TokenArrays.ofInts(new int[] {5 * idFactor, 6, 7}));
        g.getRollout().setRequestId(id);
        TrainingBatch b = TrainingBatch.newBuilder().setBatchId(id).setGroups(List.of(g)).setNumTokens(5)
                .setMinPolicyVersion(version).setMaxPolicyVersion(version).setCreatedAt(Instant.now()).build();
        return new Made(serdes.value(Topics.TRAINING_BATCHES).serializer().serialize(c.topic(Topics.TRAINING_BATCHES), b), id);
    }

    private static List<Seen> inject(ConnectionConfig c, List<Case> cases) throws Exception {
        Properties p = c.producerProperties("bad-input");
        p.put("max.request.size", c.maxMessageBytes());
        List<Seen> sent = new ArrayList<>();
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer())) {
            for (Case k : cases) {
                RecordMetadata m = producer.send(new ProducerRecord<>(c.topic(k.topic()), "bad-key", k.value()))
                        .get(60, TimeUnit.SECONDS);
                String request = k.requestId();
                sent.add(new Seen(k, m.partition(), m.offset(), request,
                        k.input().contains("future") ? "refused by the trainer's staleness gate, counted"
                        : request != null ? "graded (a defined reward, bounded by the grader's timeout) and batched"
                        : "counted on the dashboard as an unreadable dead letter (a dead letter about a dead "
                                + "letter would add nothing)"));
            }
        }
        return sent;
    }

    private static void readDeadLetters(ConnectionConfig c, AvroSerdes serdes, Map<String, DeadLetter> into) {
        readAll(c, c.topic(Topics.DEAD_LETTERS), r -> {
            try {
                DeadLetter d = serdes.value(Topics.DEAD_LETTERS).deserializer().deserialize(r.topic(), r.value());
                String suffix = d.getSourceTopic().startsWith(c.topicPrefix())
                        ? d.getSourceTopic().substring(c.topicPrefix().length()) : d.getSourceTopic();
                into.put(suffix + "-" + d.getPartition() + "@" + d.getOffset(), d);
            } catch (RuntimeException e) {
                // the injected garbage on dead-letters itself
            }
        });
    }

    private static Set<String> batchedRequests(ConnectionConfig c, AvroSerdes serdes) {
        Set<String> ids = new HashSet<>();
        readAll(c, c.topic(Topics.TRAINING_BATCHES), r -> {
            try {
                TrainingBatch b = serdes.value(Topics.TRAINING_BATCHES).deserializer().deserialize(r.topic(), r.value());
                b.getGroups().forEach(g -> ids.add(g.getRollout().getRequestId()));
            } catch (RuntimeException e) {
                // the injected garbage
            }
        });
        return ids;
    }

    private static void readAll(ConnectionConfig c, String topic,
            java.util.function.Consumer<ConsumerRecord<String, byte[]>> each) {
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(LogReading.consumerProperties(c, "bad-input-reader"),
                new StringDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> parts = consumer.partitionsFor(topic, Duration.ofSeconds(10)).stream()
                    .map(i -> new TopicPartition(topic, i.partition())).toList();
            consumer.assign(parts);
            consumer.seekToBeginning(parts);
            Map<TopicPartition, Long> end = consumer.endOffsets(parts, Duration.ofSeconds(10));
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (!LogReading.reachedEnd(consumer, end, Duration.ofSeconds(10)) && System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(200)).forEach(each);
            }
        }
    }

    private static void dashboardDeadLetterStages(ScoringService scoring, Set<String> into) {
        try {
            java.net.http.HttpResponse<String> r = java.net.http.HttpClient.newHttpClient().send(
                    java.net.http.HttpRequest.newBuilder(java.net.URI.create(scoring.dashboardUrl() + "/api/dead-letters"))
                            .timeout(Duration.ofSeconds(5)).GET().build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() == 200) {
                new com.fasterxml.jackson.databind.ObjectMapper().readTree(r.body())
                        .forEach(n -> into.add(n.get("stage").asText()));
            }
        } catch (java.io.IOException e) {
            // not answering yet: asked again
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void await(java.util.function.BooleanSupplier done, Duration timeout,
            java.util.function.Supplier<String> what, LocalLoop loop) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!done.getAsBoolean()) {
            assertThat(loop.ended()).as("a stage stopped while waiting for %s", what.get()).isEmpty();
            assertThat(System.nanoTime() < deadline).as("waited %s for %s", timeout, what.get()).isTrue();
            Thread.sleep(500);
        }
    }
}
