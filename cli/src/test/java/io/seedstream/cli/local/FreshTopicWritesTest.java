package io.seedstream.cli.local;

import io.seedstream.cli.PromptFiles;
import io.seedstream.infra.harness.RealKafkaExtension;
import io.seedstream.infra.harness.TestCluster;
import io.seedstream.infra.registry.RegistryServer;
import io.seedstream.infra.registry.RegistrySettings;
import io.seedstream.infra.topics.TopicSetup;
import io.seedstream.producers.dispatch.Dispatcher;
import io.seedstream.producers.generator.GeneratorConfig;
import io.seedstream.producers.generator.RolloutGenerator;
import io.seedstream.schemas.ConnectionConfig;
import io.seedstream.schemas.LogReading;
import io.seedstream.schemas.Topics;
import io.seedstream.schemas.registry.RestSchemaRegistryClient;
import io.seedstream.streams.topology.ScoringService;
import io.seedstream.streams.topology.TopologySettings;
import io.seedstream.trainer.StreamingTrainer;
import io.seedstream.trainer.TrainerConfig;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.avro.Schema;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * KAFKA-15591 (Kafka up to 4.4): an idempotent producer with several requests in flight to a
 * just-created partition can have its first request refused while a later one is appended, and
 * then retries the first as out of order until its delivery timeout. Every producer of the
 * project, with the settings it really uses, writes to brand-new topics the moment they exist,
 * many times over: every record arrives, none waits for a timeout. The control shows the defect is
 * there on this broker with Kafka's default settings (drop it once the project is on Kafka 4.5).
 */
@ExtendWith(RealKafkaExtension.class)
class FreshTopicWritesTest {

    private static final int ROUNDS = 8;
    private static final int PARTITIONS = 6;
    private static final int RECORDS = 300;
    /** Far below every producer's delivery timeout (60 s and more): a stall would show. */
    private static final long BOUND_MS = 10_000;

    /** What one round measured. */
    private record Round(int delivered, int failed, long millis) {}

    @Test
    void everyProducerWritesEveryRecordToATopicTheMomentItExists(TestCluster cluster) throws Exception {
        ConnectionConfig c = cluster.connection();
        Map<String, Properties> producers = new LinkedHashMap<>();
        producers.put("prompt loader", PromptFiles.producerProperties(c));
        producers.put("dispatcher", Dispatcher.producerProperties(c, "fresh-dispatcher"));
        producers.put("generator", RolloutGenerator.producerProperties(c,
                GeneratorConfig.from(Map.of(GeneratorConfig.ID, "fresh")), "fresh-generator"));
        producers.put("trainer", StreamingTrainer.producerProperties(c, TrainerConfig.from(Map.of())));
        producers.put("scoring topology (Kafka Streams, exactly-once v2)", streamsProducer(c));

        for (Map.Entry<String, Properties> e : producers.entrySet()) {
            for (int round = 0; round < ROUNDS; round++) {
                Round r = writeRightAfterCreation(cluster, e.getValue());
                assertThat(r.failed()).as("%s, round %d: records that failed", e.getKey(), round).isZero();
                assertThat(r.delivered()).as("%s, round %d: records read back", e.getKey(), round).isEqualTo(RECORDS);
                assertThat(r.millis()).as("%s, round %d: ms until every record was acknowledged", e.getKey(), round)
                        .isLessThan(BOUND_MS);
            }
        }
    }

    @Test
    void topicSetupReturnsOnlyWhenEveryPartitionTakesWritesEvenFromKafkasDefaults(TestCluster cluster) throws Exception {
        // Kafka's defaults (five requests in flight) on topics made by TopicSetup, which waits until each leader serves
        for (int round = 0; round < ROUNDS; round++) {
            ConnectionConfig c = cluster.connection().withTopicPrefix(cluster.newPrefix());
            try (Admin admin = cluster.admin()) {
                new TopicSetup(admin, Duration.ofSeconds(30)).ensure(c.topicPrefix(), List.of(Topics.ROLLOUT_REQUESTS));
            }
            Round r = write(cluster, c.topic(Topics.ROLLOUT_REQUESTS), kafkaDefaults(cluster));
            assertThat(r.failed()).as("round %d", round).isZero();
            assertThat(r.delivered()).isEqualTo(RECORDS);
            assertThat(r.millis()).isLessThan(BOUND_MS);
        }
    }

    @Test
    void theRegistryRegistersOnALogTopicItHasJustCreated(TestCluster cluster) {
        Schema schema = org.apache.avro.specific.SpecificData.get().getSchema(Topics.PROMPTS.valueType());
        for (int round = 0; round < 4; round++) {
            long t0 = System.nanoTime();
            try (RegistryServer server = RegistryServer.start(cluster.connection().kafkaProperties(),
                    RegistrySettings.defaults().withPort(0).withTopic("_schemas-" + cluster.newPrefix()))) {
                RestSchemaRegistryClient client = new RestSchemaRegistryClient(server.url(), Duration.ofSeconds(10));
                for (int i = 0; i < 5; i++) {
                    assertThat(client.register("fresh-" + i + "-value", schema)).isPositive();
                }
            }
            assertThat((System.nanoTime() - t0) / 1_000_000).as("round %d: ms for start and 5 registrations", round)
                    .isLessThan(BOUND_MS);
        }
    }

    @Test
    void controlKafkasDefaultsLoseRecordsOnThisBroker(TestCluster cluster) throws Exception {
        Properties p = kafkaDefaults(cluster);
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "8000");
        p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, "5000");
        int failed = 0;
        long slowest = 0;
        for (int round = 0; round < 4 && failed == 0; round++) {
            Round r = writeRightAfterCreation(cluster, p);
            failed += r.failed();
            slowest = Math.max(slowest, r.millis());
        }
        assertThat(failed > 0 || slowest >= 5_000).as("Kafka 4.4's defaults on fresh partitions: %d records failed, "
                + "slowest round %d ms (no longer reproduced: is the project on Kafka 4.5?)", failed, slowest).isTrue();
    }

    /** Kafka's producer defaults (idempotent, five requests in flight) with small batches, so several are in flight. */
    private static Properties kafkaDefaults(TestCluster cluster) {
        Properties p = cluster.connection().kafkaProperties();
        p.put(ProducerConfig.LINGER_MS_CONFIG, "0");
        p.put(ProducerConfig.BATCH_SIZE_CONFIG, "200");
        return p;
    }

    /** The producer settings Kafka Streams derives from the topology's properties, with exactly-once v2's own. */
    private static Properties streamsProducer(ConnectionConfig c) {
        Properties p = new Properties();
        p.putAll(new StreamsConfig(ScoringService.streamsProperties(c, TopologySettings.defaults(), 0))
                .getProducerConfigs("fresh-streams-producer"));
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "fresh-streams");
        return p;
    }

    private static Round writeRightAfterCreation(TestCluster cluster, Properties producer) throws Exception {
        String topic = cluster.newPrefix() + "fresh";
        try (Admin admin = cluster.admin()) {
            admin.createTopics(List.of(new NewTopic(topic, PARTITIONS, (short) 1))).all().get(30, TimeUnit.SECONDS);
        }
        return write(cluster, topic, producer);
    }

    /** Sends RECORDS over every partition at once (in one transaction when the producer is transactional). */
    private static Round write(TestCluster cluster, String topic, Properties settings) throws Exception {
        Properties p = new Properties();
        p.putAll(settings);
        // small batches: several requests per partition, as a busy producer has
        p.put(ProducerConfig.BATCH_SIZE_CONFIG, "200");
        p.put(ProducerConfig.LINGER_MS_CONFIG, "0");
        boolean transactional = p.containsKey(ProducerConfig.TRANSACTIONAL_ID_CONFIG);
        if (transactional) {
            p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, p.get(ProducerConfig.TRANSACTIONAL_ID_CONFIG) + "-" + topic);
        }
        int failed = 0;
        long t0;
        long millis;
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(p, new StringSerializer(), new StringSerializer())) {
            if (transactional) {
                producer.initTransactions();
                producer.beginTransaction();
            }
            t0 = System.nanoTime();
            List<Future<RecordMetadata>> sent = new ArrayList<>();
            for (int i = 0; i < RECORDS; i++) {
                sent.add(producer.send(new ProducerRecord<>(topic, i % PARTITIONS, "k" + i, "v" + i)));
            }
            for (Future<RecordMetadata> f : sent) {
                try {
                    f.get(2, TimeUnit.MINUTES);
                } catch (ExecutionException e) {
                    failed++;
                }
            }
            if (transactional && failed == 0) {
                producer.commitTransaction();
            }
            millis = (System.nanoTime() - t0) / 1_000_000;
        }
        return new Round(failed == 0 ? count(cluster, topic) : RECORDS - failed, failed, millis);
    }

    /** Committed records in the topic (read until all RECORDS are there or 30 s pass: commit markers land after the commit returns). */
    private static int count(TestCluster cluster, String topic) {
        Properties p = LogReading.consumerProperties(cluster.connection(), "fresh-count");
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(p, new StringDeserializer(),
                new StringDeserializer())) {
            List<TopicPartition> parts = new ArrayList<>();
            for (int i = 0; i < PARTITIONS; i++) {
                parts.add(new TopicPartition(topic, i));
            }
            consumer.assign(parts);
            consumer.seekToBeginning(parts);
            int n = 0;
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (n < RECORDS && System.nanoTime() < deadline) {
                n += consumer.poll(Duration.ofMillis(200)).count();
            }
            return n;
        }
    }
}
