package io.seedstream.infra.registry;

import io.seedstream.schemas.ClientIds;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import io.seedstream.schemas.ConnectionConfig;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * The compacted, single-partition topic that holds the registry's state. Every registry process
 * of a cluster tails it; writes go through one transactional id, so a registry that writes
 * fences every other writer first and two processes can never allocate the same id.
 */
final class SchemaLog implements AutoCloseable {

    interface Applier {
        void apply(String key, String value, long offset);
    }

    private final Properties clientProps;
    private final String topic;
    private final TopicPartition partition;
    private final String transactionalId;
    private final KafkaConsumer<String, String> consumer;
    private final Duration timeout;
    private KafkaProducer<String, String> producer;

    SchemaLog(Properties clientProps, String topic, Duration timeout) {
        this.clientProps = clientProps;
        this.topic = topic;
        this.partition = new TopicPartition(topic, 0);
        this.transactionalId = ClientIds.REGISTRY_PREFIX + topic;
        this.timeout = timeout;
        Properties c = new Properties();
        c.putAll(clientProps);
        c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        c.put(ConsumerConfig.CLIENT_ID_CONFIG, "schema-registry-reader-" + UUID.randomUUID());
        this.consumer = new KafkaConsumer<>(c, new StringDeserializer(), new StringDeserializer());
    }

    /** Creates the topic when it is missing (compacted, one partition) and starts reading it. */
    void open() {
        try (Admin admin = Admin.create(clientProps)) {
            NewTopic t = new NewTopic(topic, 1, (short) -1).configs(Map.of(
                    "cleanup.policy", "compact"));
            admin.createTopics(List.of(t)).all().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            if (!(e.getCause() instanceof TopicExistsException)) {
                throw new IllegalStateException("cannot create registry topic " + topic + ": "
                        + e.getCause(), e.getCause());
            }
        } catch (TimeoutException e) {
            throw new IllegalStateException("timed out creating registry topic " + topic, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
        consumer.assign(List.of(partition));
        consumer.seekToBeginning(List.of(partition));
    }

    /** Applies every committed record up to the current end of the log. */
    void catchUp(Applier applier) {
        long deadline = System.nanoTime() + timeout.toNanos();
        long end = consumer.endOffsets(List.of(partition), timeout).get(partition);
        while (consumer.position(partition, timeout) < end) {
            if (System.nanoTime() > deadline) {
                throw new org.apache.kafka.common.errors.TimeoutException(
                        "registry log " + topic + " not read to offset " + end + " in " + timeout);
            }
            for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(100))) {
                applier.apply(r.key(), r.value(), r.offset());
            }
        }
    }

    /**
     * Writes records in one transaction. A {@link org.apache.kafka.common.errors.ProducerFencedException}
     * means another registry wrote since this one last did: the caller re-reads and retries.
     */
    void write(List<ProducerRecord<String, String>> records) throws Exception {
        if (producer == null) {
            Properties p = new Properties();
            p.putAll(clientProps);
            p.putAll(ConnectionConfig.PRODUCER_SAFETY);
            p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId);
            p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, (int) timeout.toMillis());
            producer = new KafkaProducer<>(p, new StringSerializer(), new StringSerializer());
            producer.initTransactions();
        }
        try {
            producer.beginTransaction();
            for (ProducerRecord<String, String> r : records) {
                producer.send(r).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            }
            producer.commitTransaction();
        } catch (ExecutionException e) {
            closeProducer();
            throw e.getCause() instanceof Exception cause ? cause : e;
        } catch (Exception e) {
            closeProducer();
            throw e;
        }
    }

    ProducerRecord<String, String> record(String key, String value) {
        return new ProducerRecord<>(topic, 0, key, value);
    }

    private void closeProducer() {
        if (producer != null) {
            producer.close(Duration.ZERO);
            producer = null;
        }
    }

    String topic() {
        return topic;
    }

    @Override
    public void close() {
        closeProducer();
        consumer.close(Duration.ofSeconds(5));
    }
}
