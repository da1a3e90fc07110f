package io.seedstream.producers.follow;

import io.seedstream.schemas.ConnectionConfig;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads a whole topic from the beginning and keeps following it on its own thread, handing every
 * committed record to a callback: how a process holds a table (prompts, policy versions) in
 * memory. No consumer group and no offset commits: every follower sees the whole topic.
 */
final class TopicFollower<V> implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(TopicFollower.class);

    /** A record that could not be decoded: its position and why. */
    interface UndecodableHandler {
        void undecodable(ConsumerRecord<String, byte[]> record, RuntimeException error);
    }

    private final KafkaConsumer<String, byte[]> consumer;
    private final String topic;
    private final Deserializer<V> values;
    private final BiConsumer<ConsumerRecord<String, byte[]>, V> onRecord;
    private final UndecodableHandler onUndecodable;
    private final CountDownLatch caughtUp = new CountDownLatch(1);
    private final Thread thread;
    private volatile boolean closed;
    private volatile RuntimeException failure;

    TopicFollower(ConnectionConfig connection, String topic, Deserializer<V> values, String clientId,
            BiConsumer<ConsumerRecord<String, byte[]>, V> onRecord, UndecodableHandler onUndecodable) {
        Properties p = connection.kafkaProperties();
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.put(ConsumerConfig.CLIENT_ID_CONFIG, clientId);
        this.consumer = new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer());
        this.topic = topic;
        this.values = values;
        this.onRecord = onRecord;
        this.onUndecodable = onUndecodable;
        this.thread = new Thread(this::run, clientId);
        this.thread.setDaemon(true);
    }

    TopicFollower<V> start() {
        thread.start();
        return this;
    }

    /** Waits until every record that existed when the follower started has been handled. */
    /** Whether every record that existed when following started has been handed over. */
    boolean caughtUp() {
        return caughtUp.getCount() == 0;
    }

    boolean awaitCaughtUp(Duration timeout) throws InterruptedException {
        boolean done = caughtUp.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
        if (failure != null) {
            throw failure;
        }
        return done;
    }

    private void run() {
        try {
            List<TopicPartition> partitions = new ArrayList<>();
            for (PartitionInfo info : consumer.partitionsFor(topic, Duration.ofSeconds(60))) {
                partitions.add(new TopicPartition(topic, info.partition()));
            }
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions, Duration.ofSeconds(60));
            while (!closed) {
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    V value;
                    try {
                        value = r.value() == null ? null : values.deserialize(r.topic(), r.value());
                    } catch (RuntimeException e) {
                        onUndecodable.undecodable(r, e);
                        continue;
                    }
                    onRecord.accept(r, value);
                }
                if (caughtUp.getCount() > 0 && reached(end)) {
                    caughtUp.countDown();
                }
            }
        } catch (WakeupException e) {
            if (!closed) {
                failure = e;
            }
        } catch (RuntimeException e) {
            failure = e;
            log.error("following {} failed: {}", topic, e.toString());
        } finally {
            caughtUp.countDown();
            consumer.close(Duration.ofSeconds(5));
        }
    }

    private boolean reached(Map<TopicPartition, Long> end) {
        for (Map.Entry<TopicPartition, Long> e : end.entrySet()) {
            if (consumer.position(e.getKey()) < e.getValue()) {
                return false;
            }
        }
        return true;
    }

    @Override
    public void close() throws InterruptedException {
        closed = true;
        consumer.wakeup();
        thread.join(10_000);
    }
}
