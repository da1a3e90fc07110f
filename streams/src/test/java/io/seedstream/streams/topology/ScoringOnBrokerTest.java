package io.seedstream.streams.topology;

import static io.seedstream.streams.topology.Groups.equalLikelihood;
import static io.seedstream.streams.topology.Groups.prompt;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.seedstream.infra.harness.RealKafkaExtension;
import io.seedstream.infra.harness.TestCluster;
import io.seedstream.schemas.ConnectionConfig;
import io.seedstream.schemas.Topics;
import io.seedstream.schemas.avro.AnswerGroup;
import io.seedstream.schemas.avro.DeadLetter;
import io.seedstream.schemas.avro.MetricsSnapshot;
import io.seedstream.schemas.avro.MetricsSource;
import io.seedstream.schemas.avro.Prompt;
import io.seedstream.schemas.avro.ScoredGroup;
import io.seedstream.schemas.avro.TrainingBatch;
import io.seedstream.schemas.serde.AvroSerdes;
import io.seedstream.streams.scoring.ScoringConfig;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The topology on the real broker and registry, exactly-once on. */
@ExtendWith(RealKafkaExtension.class)
class ScoringOnBrokerTest {

    private static final int PROMPTS = 40;
    private static final int GROUPS = 300;
    private static final int BATCH_GROUPS = 7;

    @Test
    void everyGroupAppearsInExactlyOneBatchAndMalformedOrForgedRecordsAreDeadLettered(TestCluster cluster)
            throws Exception {
        ConnectionConfig c = cluster.isolatedConnection("scoring");
        AvroSerdes serdes = AvroSerdes.connect(c);
        try (KafkaProducer<String, Prompt> p = new KafkaProducer<>(c.kafkaProperties(), new StringSerializer(),
                serdes.value(Topics.PROMPTS).serializer())) {
            for (int i = 0; i < PROMPTS; i++) {
                p.send(new ProducerRecord<>(c.topic(Topics.PROMPTS), "p" + i, prompt("p" + i, String.valueOf(i)))).get();
            }
        }
        TopologySettings settings = TopologySettings.defaults().withBatching(BATCH_GROUPS, 1_000_000, Duration.ofMillis(500))
                .withInstance("scoring-it-" + UUID.randomUUID(), 0, Files.createTempDirectory("scoring-it"), 2)
                .withPromptWait(Duration.ofSeconds(3));
        try (ScoringService service = ScoringService.start(c, settings, ScoringConfig.DEFAULT)) {
            service.awaitRunning(Duration.ofSeconds(60));
            List<String> sent = new ArrayList<>();
            try (KafkaProducer<String, AnswerGroup> groups = new KafkaProducer<>(c.kafkaProperties(),
                    new StringSerializer(), serdes.value(Topics.ROLLOUTS).serializer());
                    KafkaProducer<String, byte[]> raw = new KafkaProducer<>(c.kafkaProperties(), new StringSerializer(),
                            new ByteArraySerializer())) {
                for (int i = 0; i < GROUPS; i++) {
                    String prompt = "p" + (i % PROMPTS);
                    AnswerGroup g = equalLikelihood("req-" + i, prompt, "\\boxed{" + (i % PROMPTS) + "}",
                            "the answer is " + (i % 3), "\\boxed{" + (i % PROMPTS) + ".0}", "\\boxed{x}");
                    groups.send(new ProducerRecord<>(c.topic(Topics.ROLLOUTS), prompt, g));
                    sent.add("req-" + i);
                    if (i == GROUPS / 2) {
                        raw.send(new ProducerRecord<>(c.topic(Topics.ROLLOUTS), prompt, "not avro".getBytes())).get();
                        // a third-party client's group that claims a version nobody announced
                        AnswerGroup forged = equalLikelihood("forged", prompt, "\\boxed{1}", "\\boxed{2}");
                        forged.setPolicyVersion(1_000_000_000_000L);
                        groups.send(new ProducerRecord<>(c.topic(Topics.ROLLOUTS), prompt, forged)).get();
                    }
                }
                groups.flush();
            }

            Map<String, Integer> seen = new HashMap<>();
            List<TrainingBatch> batches = new ArrayList<>();
            Properties props = c.kafkaProperties();
            props.put(ConsumerConfig.GROUP_ID_CONFIG, "read-" + UUID.randomUUID());
            props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
            props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
            try (KafkaConsumer<String, TrainingBatch> consumer = new KafkaConsumer<>(props, new StringDeserializer(),
                    serdes.value(Topics.TRAINING_BATCHES).deserializer())) {
                consumer.subscribe(List.of(c.topic(Topics.TRAINING_BATCHES)));
                long deadline = System.currentTimeMillis() + 90_000;
                while (seen.size() < GROUPS && System.currentTimeMillis() < deadline) {
                    consumer.poll(Duration.ofMillis(500)).forEach(r -> {
                        batches.add(r.value());
                        for (ScoredGroup g : r.value().getGroups()) {
                            seen.merge(g.getRollout().getRequestId(), 1, Integer::sum);
                        }
                    });
                }
                consumer.poll(Duration.ofSeconds(2)).forEach(r -> batches.add(r.value()));
            }
            assertThat(seen.keySet()).containsExactlyInAnyOrderElementsOf(sent);
            assertThat(seen.values()).allMatch(n -> n == 1);
            assertThat(batches).allSatisfy(b -> assertThat(b.getGroups()).hasSizeBetween(1, BATCH_GROUPS));
            assertThat(batches.stream().map(TrainingBatch::getBatchId).distinct().count()).isEqualTo(batches.size());
            ScoredGroup any = batches.get(0).getGroups().get(0);
            assertThat(any.getClusterIds()).hasSize(4);
            assertThat(any.getRewards().get(0)).isEqualTo(1.0); // "\boxed{7}" against reference "7"

            Properties dl = c.kafkaProperties();
            dl.put(ConsumerConfig.GROUP_ID_CONFIG, "dead-" + UUID.randomUUID());
            dl.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
            dl.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
            List<DeadLetter> dead = new ArrayList<>();
            try (KafkaConsumer<String, DeadLetter> consumer = new KafkaConsumer<>(dl, new StringDeserializer(),
                    serdes.value(Topics.DEAD_LETTERS).deserializer())) {
                consumer.subscribe(List.of(c.topic(Topics.DEAD_LETTERS)));
                long deadline = System.currentTimeMillis() + 30_000;
                while (dead.size() < 2 && System.currentTimeMillis() < deadline) {
                    consumer.poll(Duration.ofMillis(500)).forEach(r -> dead.add(r.value()));
                }
            }
            assertThat(dead).extracting(DeadLetter::getStage).containsExactlyInAnyOrder("decode", "validate");
            assertThat(dead).allSatisfy(d -> {
                assertThat(d.getSourceTopic()).isEqualTo(c.topic(Topics.ROLLOUTS));
                assertThat(d.getOffset()).isGreaterThanOrEqualTo(0);
            });
            assertThat(dead).filteredOn(d -> d.getStage().equals("validate")).singleElement()
                    .satisfies(d -> assertThat(d.getError()).contains("policy version 1000000000000 is ahead"));
            assertThat(seen).doesNotContainKey("forged");

            // the dashboard API answers from the state stores
            HttpClient http = HttpClient.newHttpClient();
            JsonNode versions = get(http, service.dashboardUrl() + "/api/versions");
            long deadline = System.currentTimeMillis() + 30_000;
            while ((versions.size() == 0 || versions.get(0).get("groups").asLong() < GROUPS)
                    && System.currentTimeMillis() < deadline) {
                Thread.sleep(200);
                versions = get(http, service.dashboardUrl() + "/api/versions");
            }
            assertThat(versions.get(0).get("groups").asLong()).isEqualTo(GROUPS);
            assertThat(versions).as("the forged group's version is not among the dashboard's").hasSize(1);
            JsonNode p3 = get(http, service.dashboardUrl() + "/api/prompts/p3");
            assertThat(p3.get("visits").asLong()).isEqualTo(GROUPS / PROMPTS + (3 < GROUPS % PROMPTS ? 1 : 0));
            assertThat(get(http, service.dashboardUrl() + "/api/prompts?top=5")).hasSize(5);

            // the dashboard only shows: no method but GET/HEAD reaches a handler, on any path
            for (String path : List.of("/api/prompts/p3", "/api/versions", "/api/events", "/", "/assets/app.js")) {
                for (String method : List.of("POST", "PUT", "DELETE", "PATCH")) {
                    java.net.http.HttpResponse<String> r = http.send(java.net.http.HttpRequest.newBuilder(
                            URI.create(service.dashboardUrl() + path)).method(method,
                            java.net.http.HttpRequest.BodyPublishers.ofString("{}")).build(),
                            java.net.http.HttpResponse.BodyHandlers.ofString());
                    assertThat(r.statusCode()).as("%s %s", method, path).isEqualTo(405);
                    assertThat(r.headers().firstValue("Allow")).hasValue("GET, HEAD");
                }
            }
            // and it is for this machine only unless told otherwise
            assertThat(URI.create(service.dashboardUrl()).getHost()).isEqualTo("127.0.0.1");
        }
    }

    @Test
    void queriesAreRoutedToTheInstanceThatOwnsThePrompt(TestCluster cluster) throws Exception {
        ConnectionConfig c = cluster.isolatedConnection("scoring-two");
        AvroSerdes serdes = AvroSerdes.connect(c);
        int prompts = 12;
        try (KafkaProducer<String, Prompt> p = new KafkaProducer<>(c.kafkaProperties(), new StringSerializer(),
                serdes.value(Topics.PROMPTS).serializer())) {
            for (int i = 0; i < prompts; i++) {
                p.send(new ProducerRecord<>(c.topic(Topics.PROMPTS), "q" + i, prompt("q" + i, "1"))).get();
            }
        }
        String app = "scoring-two-" + UUID.randomUUID();
        TopologySettings base = TopologySettings.defaults().withBatching(4, 1_000_000, Duration.ofMillis(300));
        // two "hosts" on one port, as two machines would run them: told apart only by the address each advertises
        int port;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            port = s.getLocalPort();
        }
        try (ScoringService a = ScoringService.start(c, base.withInstance(app, port, Files.createTempDirectory("a"), 1)
                .withDashboardHosts("127.0.0.1", "127.0.0.1"), ScoringConfig.DEFAULT);
                ScoringService b = ScoringService.start(c, base.withInstance(app, port, Files.createTempDirectory("b"), 1)
                        .withDashboardHosts("127.0.0.2", ""), ScoringConfig.DEFAULT)) {
            a.awaitRunning(Duration.ofSeconds(60));
            b.awaitRunning(Duration.ofSeconds(60));
            try (KafkaProducer<String, AnswerGroup> groups = new KafkaProducer<>(c.kafkaProperties(),
                    new StringSerializer(), serdes.value(Topics.ROLLOUTS).serializer())) {
                for (int i = 0; i < prompts; i++) {
                    groups.send(new ProducerRecord<>(c.topic(Topics.ROLLOUTS), "q" + i,
                            equalLikelihood("t" + i, "q" + i, "\\boxed{1}", "\\boxed{2}"))).get();
                }
            }
            HttpClient http = HttpClient.newHttpClient();
            long deadline = System.currentTimeMillis() + 60_000;
            int found = 0;
            while (found < prompts && System.currentTimeMillis() < deadline) {
                found = 0;
                for (int i = 0; i < prompts; i++) {
                    HttpResponse<String> r = http.send(HttpRequest.newBuilder(
                            URI.create(a.dashboardUrl() + "/api/prompts/q" + i)).GET().build(),
                            HttpResponse.BodyHandlers.ofString());
                    found += r.statusCode() == 200 ? 1 : 0;
                }
                if (found < prompts) {
                    Thread.sleep(300);
                }
            }
            // every prompt is answered through instance a, though each instance owns only some
            assertThat(found).isEqualTo(prompts);
            assertThat(a.metrics().groupsScored() + b.metrics().groupsScored()).isEqualTo(prompts);
            assertThat(a.metrics().groupsScored()).isLessThan(prompts);
            assertThat(get(http, b.dashboardUrl() + "/api/prompts?top=100")).hasSize(prompts);

            // metrics snapshots of a trainer and two generators: the trainer view is the last steps in order,
            // the pipeline view the newest snapshot of each source, whichever instance holds them
            try (KafkaProducer<String, MetricsSnapshot> m = new KafkaProducer<>(c.kafkaProperties(),
                    new StringSerializer(), serdes.value(Topics.METRICS).serializer())) {
                long t0 = 1_700_000_000_000L;
                for (int step = 1; step <= 30; step++) {
                    m.send(new ProducerRecord<>(c.topic(Topics.METRICS), "trainer-x",
                            snapshot("trainer-x", MetricsSource.TRAINER, step, t0 + step * 1000L)));
                    for (String g : List.of("gen-a", "gen-b")) {
                        m.send(new ProducerRecord<>(c.topic(Topics.METRICS), g,
                                snapshot(g, MetricsSource.GENERATOR, 10L * step, t0 + step * 1000L)));
                    }
                }
                m.flush();
            }
            JsonNode trainer = null;
            JsonNode pipeline = null;
            deadline = System.currentTimeMillis() + 60_000;
            while (System.currentTimeMillis() < deadline) {
                trainer = get(http, b.dashboardUrl() + "/api/trainer?last=10");
                pipeline = get(http, a.dashboardUrl() + "/api/pipeline");
                if (trainer.size() == 10 && trainer.get(9).get("step").asLong() == 30
                        && pipeline.get("sources").size() == 3
                        && pipeline.get("sources").findValues("step").stream().mapToLong(JsonNode::asLong).sum() == 630) {
                    break;
                }
                Thread.sleep(300);
            }
            List<Long> steps = new ArrayList<>();
            trainer.forEach(n -> steps.add(n.get("step").asLong()));
            assertThat(steps).containsExactly(21L, 22L, 23L, 24L, 25L, 26L, 27L, 28L, 29L, 30L);
            List<String> sources = new ArrayList<>();
            List<Long> newestSteps = new ArrayList<>();
            pipeline.get("sources").forEach(n -> {
                sources.add(n.get("source").asText());
                newestSteps.add(n.get("step").asLong());
            });
            assertThat(sources).containsExactly("gen-a", "gen-b", "trainer-x");
            assertThat(newestSteps).containsExactly(300L, 300L, 30L);

            // a group that committed the start of every prompts partition is behind by every prompt
            Properties readerProps = c.kafkaProperties();
            readerProps.put(ConsumerConfig.GROUP_ID_CONFIG, "lagging-reader");
            try (KafkaConsumer<byte[], byte[]> reader = new KafkaConsumer<>(readerProps, new ByteArrayDeserializer(),
                    new ByteArrayDeserializer())) {
                Map<TopicPartition, OffsetAndMetadata> start = new HashMap<>();
                reader.partitionsFor(c.topic(Topics.PROMPTS))
                        .forEach(pi -> start.put(new TopicPartition(pi.topic(), pi.partition()), new OffsetAndMetadata(0)));
                reader.commitSync(start);
            }
            JsonNode lag = null;
            deadline = System.currentTimeMillis() + 30_000;
            while (System.currentTimeMillis() < deadline) {
                lag = get(http, a.dashboardUrl() + "/api/pipeline").get("consumer_lag");
                if (lag.get("groups").findValues("group").stream().anyMatch(g -> g.asText().equals("lagging-reader"))) {
                    break;
                }
                Thread.sleep(500);
            }
            Map<String, JsonNode> byGroup = new HashMap<>();
            lag.get("groups").forEach(g -> byGroup.put(g.get("group").asText(), g));
            assertThat(byGroup).containsKeys("lagging-reader", app);
            assertThat(byGroup.get("lagging-reader").get("lag").asLong()).isEqualTo(prompts);
            assertThat(byGroup.get("lagging-reader").get("topics").get(0).asText()).isEqualTo(c.topic(Topics.PROMPTS));
            // the topology has consumed every group it scored
            assertThat(byGroup.get(app).get("topics").toString()).contains(c.topic(Topics.ROLLOUTS));
        }
    }

    private static MetricsSnapshot snapshot(String source, MetricsSource kind, long step, long at) {
        return MetricsSnapshot.newBuilder().setSource(source).setKind(kind).setStep(step).setPolicyVersion(step)
                .setValues(Map.of("loss", 1.0 / step)).setCreatedAt(Instant.ofEpochMilli(at)).build();
    }

    private static JsonNode get(HttpClient http, String url) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        return JsonSerde.JSON.readTree(r.body());
    }
}
