package io.seedstream.schemas;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.function.BiConsumer;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/** For the tools that read a log to the end it had when they started (tail, replay), not beyond. */
public final class LogReading {

    private static final Duration CALL_TIMEOUT = Duration.ofSeconds(15);
    /** Reading to the end offsets found at the start gives up when nothing arrives for this long. */
    private static final Duration IDLE_LIMIT = Duration.ofSeconds(30);

    private LogReading() {}

    /**
     * Reads a topic from its first record to the end offsets found at the start (read_committed),
     * in offset order per partition, handing each decoded value to {@code each} until
     * {@code enough} says so; {@code skipped} hears of each record that does not decode (it is
     * skipped, never a failure). Returns which offsets retention has deleted, null when none.
     */
    public static <V> String readAll(ConnectionConfig c, String topic, Deserializer<V> values,
            BiConsumer<Long, V> each, BooleanSupplier enough, Consumer<String> skipped) {
        Properties p = consumerProperties(c, "seedstream-replay");
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(p, new StringDeserializer(),
                new ByteArrayDeserializer())) {
            List<TopicPartition> parts = new ArrayList<>();
            consumer.partitionsFor(topic, CALL_TIMEOUT).forEach(i -> parts.add(new TopicPartition(topic, i.partition())));
            consumer.assign(parts);
            consumer.seekToBeginning(parts);
            Map<TopicPartition, Long> first = consumer.beginningOffsets(parts, CALL_TIMEOUT);
            Map<TopicPartition, Long> end = consumer.endOffsets(parts, CALL_TIMEOUT);
            List<String> deleted = new ArrayList<>();
            first.forEach((tp, o) -> {
                if (o > 0) {
                    deleted.add("offsets 0-" + (o - 1) + " of " + tp + " were deleted by retention");
                }
            });
            long lastProgress = System.nanoTime();
            while (!(enough != null && enough.getAsBoolean()) && !reachedEnd(consumer, end, CALL_TIMEOUT)) {
                var records = consumer.poll(Duration.ofMillis(500));
                if (!records.isEmpty()) {
                    lastProgress = System.nanoTime();
                } else if (System.nanoTime() - lastProgress > IDLE_LIMIT.toNanos()) {
                    throw new IllegalStateException("nothing arrived from " + topic + " for " + IDLE_LIMIT.toSeconds()
                            + " s before its end offsets");
                }
                for (ConsumerRecord<String, byte[]> r : records) {
                    if (r.value() == null || r.offset() >= end.get(new TopicPartition(r.topic(), r.partition()))) {
                        continue;
                    }
                    V v;
                    try {
                        v = values.deserialize(topic, r.value());
                    } catch (SerializationException e) {
                        skipped.accept("skipping " + r.topic() + "-" + r.partition() + "@" + r.offset() + ": "
                                + e.getMessage());
                        continue;
                    }
                    each.accept(r.offset(), v);
                }
            }
            return deleted.isEmpty() ? null : String.join("; ", deleted);
        }
    }


    /** A consumer that sees committed records only, commits nothing, and takes a record of any size we write. */
    public static Properties consumerProperties(ConnectionConfig c, String clientId) {
        Properties p = c.kafkaProperties();
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        p.put(ConsumerConfig.CLIENT_ID_CONFIG, clientId);
        p.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 64 * 1024 * 1024);
        p.put(ConsumerConfig.FETCH_MAX_BYTES_CONFIG, 64 * 1024 * 1024);
        return p;
    }

    /** Whether the consumer's position has reached {@code end} on every partition. */
    public static boolean reachedEnd(org.apache.kafka.clients.consumer.Consumer<?, ?> consumer, Map<TopicPartition, Long> end, Duration timeout) {
        for (Map.Entry<TopicPartition, Long> e : end.entrySet()) {
            if (consumer.position(e.getKey(), timeout) < e.getValue()) {
                return false;
            }
        }
        return true;
    }
}
