package io.seedstream.infra;

import static org.assertj.core.api.Assertions.assertThat;

import io.seedstream.infra.harness.RealKafkaExtension;
import io.seedstream.infra.harness.SampleRecords;
import io.seedstream.infra.harness.TestCluster;
import io.seedstream.schemas.ConnectionConfig;
import io.seedstream.schemas.Topic;
import io.seedstream.schemas.serde.AvroSerdes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.UUID;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.Serde;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(RealKafkaExtension.class)
class SchemaRoundTripTest {

    @Test
    void everyRecordTypeRoundTripsThroughBrokerAndRegistry(TestCluster cluster) throws Exception {
        ConnectionConfig c = cluster.isolatedConnection("roundtrip");
        AvroSerdes serdes = AvroSerdes.connect(c);
        for (SpecificRecord record : SampleRecords.all()) {
            Topic<String, SpecificRecord> topic = SampleRecords.topicOf(record);
            @SuppressWarnings("unchecked")
            Serde<SpecificRecord> serde = serdes.forClass((Class<SpecificRecord>) record.getClass(), false);
            try (KafkaProducer<String, SpecificRecord> producer =
                    new KafkaProducer<>(c.kafkaProperties(), serdes.key().serializer(), serde.serializer())) {
                producer.send(new ProducerRecord<>(c.topic(topic), "k-" + topic.suffix(), record)).get();
            }
            Properties p = c.kafkaProperties();
            p.put(ConsumerConfig.GROUP_ID_CONFIG, "roundtrip-" + UUID.randomUUID());
            p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
            List<ConsumerRecord<String, SpecificRecord>> got = new ArrayList<>();
            try (KafkaConsumer<String, SpecificRecord> consumer =
                    new KafkaConsumer<>(p, serdes.key().deserializer(), serde.deserializer())) {
                consumer.subscribe(List.of(c.topic(topic)));
                long deadline = System.currentTimeMillis() + 30_000;
                while (got.isEmpty() && System.currentTimeMillis() < deadline) {
                    consumer.poll(Duration.ofMillis(200)).forEach(got::add);
                }
            }
            assertThat(got).as("records read back from %s", topic.suffix()).hasSize(1);
            assertThat(got.get(0).key()).isEqualTo("k-" + topic.suffix());
            assertThat(got.get(0).value()).as(record.getClass().getSimpleName()).isEqualTo(record);
        }
        // One subject per topic, named topic-value.
        assertThat(serdes.registry().subjects())
                .contains(c.topic(io.seedstream.schemas.Topics.ROLLOUTS) + "-value",
                        c.topic(io.seedstream.schemas.Topics.DEAD_LETTERS) + "-value");
    }
}
