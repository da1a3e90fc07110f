package io.seedstream.infra.harness;

import io.seedstream.schemas.ConnectionConfig;
import io.seedstream.schemas.Topic;
import io.seedstream.schemas.Topics;
import io.seedstream.schemas.avro.PolicyVersion;
import io.seedstream.schemas.avro.Prompt;
import io.seedstream.schemas.avro.TopicPartitionOffset;
import io.seedstream.schemas.serde.AvroSerdes;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/** Writing records to seedstream topics and reading them back, for tests on a real broker. */
public final class TestTopics {

    private TestTopics() {}

    /** Sends each record (any seedstream record type) and waits for its acknowledgement. */
    @SuppressWarnings("unchecked")
    public static void send(ConnectionConfig c, AvroSerdes serdes, List<ProducerRecord<String, Object>> records)
            throws Exception {
        Topic<String, ? extends SpecificRecord>[] topics = Topics.RECORD_TOPICS.toArray(new Topic[0]);
        try (KafkaProducer<String, Object> p = new KafkaProducer<>(c.kafkaProperties(), new StringSerializer(),
                serdes.anyValue(topics))) {
            for (ProducerRecord<String, Object> r : records) {
                p.send(r).get();
            }
        }
    }

    /** n more records on training-batches, as a trainer's input (a dispatcher reads only their offsets). */
    public static void trainingBatches(ConnectionConfig c, int n) throws Exception {
        try (KafkaProducer<String, byte[]> p = new KafkaProducer<>(c.producerProperties("test-batches"),
                new StringSerializer(), new ByteArraySerializer())) {
            for (int i = 0; i < n; i++) {
                p.send(new ProducerRecord<>(c.topic(Topics.TRAINING_BATCHES), "b" + i, new byte[] {1})).get();
            }
        }
    }

    /**
     * An announcement of run "seedstream" as a trainer writes it, having consumed training-batches up to
     * offset {@code consumed} (and, when not null, {@code groups} groups), its checkpoint at {@code uri}.
     */
    public static ProducerRecord<String, Object> announcement(ConnectionConfig c, long version, long consumed,
            String uri, Long groups) {
        PolicyVersion v = PolicyVersion.newBuilder().setRunId("seedstream").setVersion(version).setConsumedGroups(groups)
                .setCheckpointUri(uri).setSha256("00").setTrainerStep(version)
                .setConsumedOffsets(consumed == 0 ? List.of() : List.of(new TopicPartitionOffset(
                        c.topic(Topics.TRAINING_BATCHES), 0, consumed)))
                .setCreatedAt(Instant.now()).build();
        return new ProducerRecord<>(c.topic(Topics.POLICY_VERSIONS), "seedstream", v);
    }

    /** Prompts {@code p0 .. p(n-1)} of dataset {@code task}: "What is i + 1?", answer i + 1. */
    public static List<ProducerRecord<String, Object>> prompts(ConnectionConfig c, int n) {
        List<ProducerRecord<String, Object>> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Prompt p = Prompt.newBuilder().setId("p" + i).setDataset("task").setProblem("What is " + i + " + 1?")
                    .setAnswers(List.of(String.valueOf(i + 1))).build();
            out.add(new ProducerRecord<>(c.topic(Topics.PROMPTS), p.getId(), p));
        }
        return out;
    }

    /**
     * Reads the topic from the beginning until it has at least {@code atLeast} records and then
     * {@code quiet} passes with nothing new, or {@code max} passes.
     */
    public static <V extends SpecificRecord> List<ConsumerRecord<String, V>> await(ConnectionConfig c,
            AvroSerdes serdes, Topic<String, V> topic, String isolation, int atLeast, Duration max, Duration quiet) {
        List<ConsumerRecord<String, V>> out = new ArrayList<>();
        try (Reader<V> reader = new Reader<>(c, serdes, topic, isolation)) {
            long deadline = System.nanoTime() + max.toNanos();
            long lastNew = System.nanoTime();
            while (System.nanoTime() < deadline && (out.size() < atLeast || System.nanoTime() - lastNew < quiet.toNanos())) {
                if (reader.pollInto(out) > 0) {
                    lastNew = System.nanoTime();
                }
            }
        }
        return out;
    }

    /** The values committed in the topic now: read up to the end offsets taken at the start. */
    public static <V extends SpecificRecord> List<V> committedNow(ConnectionConfig c, AvroSerdes serdes,
            Topic<String, V> topic) {
        List<ConsumerRecord<String, V>> out = new ArrayList<>();
        try (Reader<V> reader = new Reader<>(c, serdes, topic, "read_committed")) {
            Map<TopicPartition, Long> end = reader.consumer.endOffsets(reader.partitions);
            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (reader.partitions.stream().anyMatch(tp -> reader.consumer.position(tp) < end.get(tp))
                    && System.nanoTime() < deadline) {
                reader.pollInto(out);
            }
        }
        return out.stream().map(ConsumerRecord::value).toList();
    }

    /** A consumer assigned to every partition of a topic from the beginning, decoding values. */
    private static final class Reader<V extends SpecificRecord> implements AutoCloseable {
        private final KafkaConsumer<String, byte[]> consumer;
        private final List<TopicPartition> partitions;
        private final org.apache.kafka.common.serialization.Deserializer<V> values;

        Reader(ConnectionConfig c, AvroSerdes serdes, Topic<String, V> topic, String isolation) {
            Properties p = c.kafkaProperties();
            p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, isolation);
            consumer = new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer());
            values = serdes.value(topic).deserializer();
            String name = c.topic(topic);
            partitions = consumer.partitionsFor(name).stream().map(i -> new TopicPartition(name, i.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
        }

        int pollInto(List<ConsumerRecord<String, V>> out) {
            int n = 0;
            for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                out.add(new ConsumerRecord<>(r.topic(), r.partition(), r.offset(), r.key(),
                        values.deserialize(r.topic(), r.value())));
                n++;
            }
            return n;
        }

        @Override
        public void close() {
            consumer.close();
        }
    }
}
