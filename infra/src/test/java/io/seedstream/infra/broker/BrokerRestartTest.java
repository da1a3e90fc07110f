package io.seedstream.infra.broker;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BrokerRestartTest {

    @Test
    void recordsSurviveARestartOnTheSameDataDirectory(@TempDir Path dir) throws Exception {
        List<String> written = new ArrayList<>();
        try (EmbeddedKafka kafka = EmbeddedKafka.start(BrokerSettings.ephemeralPorts(dir))) {
            try (Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
                admin.createTopics(List.of(new NewTopic("durable", 2, (short) 1))).all().get();
            }
            Properties p = new Properties();
            p.put("bootstrap.servers", kafka.bootstrapServers());
            p.put(ProducerConfig.ACKS_CONFIG, "all");
            try (KafkaProducer<String, String> producer =
                    new KafkaProducer<>(p, new StringSerializer(), new StringSerializer())) {
                for (int i = 0; i < 100; i++) {
                    written.add("v" + i);
                    producer.send(new ProducerRecord<>("durable", "k" + i, "v" + i)).get();
                }
            }
        }
        // New ports, same directory: the cluster id and every record are still there.
        try (EmbeddedKafka kafka = EmbeddedKafka.start(BrokerSettings.ephemeralPorts(dir))) {
            Properties p = new Properties();
            p.put("bootstrap.servers", kafka.bootstrapServers());
            p.put(ConsumerConfig.GROUP_ID_CONFIG, "after-restart");
            p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
            List<String> read = new ArrayList<>();
            try (KafkaConsumer<String, String> consumer =
                    new KafkaConsumer<>(p, new StringDeserializer(), new StringDeserializer())) {
                consumer.subscribe(List.of("durable"));
                long deadline = System.currentTimeMillis() + 30_000;
                while (read.size() < written.size() && System.currentTimeMillis() < deadline) {
                    consumer.poll(Duration.ofMillis(200)).forEach(r -> read.add(r.value()));
                }
            }
            assertThat(read).containsExactlyInAnyOrderElementsOf(written);
        }
    }
}
