package io.seedstream.cli.log;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.seedstream.cli.ConnectionOptions;
import io.seedstream.cli.GracefulStop;
import io.seedstream.schemas.ConnectionConfig;
import io.seedstream.schemas.LogReading;
import io.seedstream.schemas.Topic;
import io.seedstream.schemas.Topics;
import io.seedstream.schemas.serde.AvroSerdes;
import io.seedstream.schemas.serde.GenericAvroDecoder;
import io.seedstream.schemas.serde.RecordJson;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * Prints the committed records of any topic as JSON lines, decoded with their writer's schema
 * from the registry (as Confluent's Avro console consumer does), packed token arrays as numbers.
 */
@Command(name = "tail", mixinStandardHelpOptions = true,
        description = {"Print a topic's committed records as JSON lines (partition, offset, timestamp, key, value), "
                + "decoded through the schema registry; an undecodable record is printed with the reason and the "
                + "rest goes on. Without a position: the last 10 records of each partition.",
            "TOPIC is a seedstream topic's short name (rollouts, training-batches, ...), or any topic's full name."})
public final class TailCommand implements Callable<Integer> {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration CALL_TIMEOUT = Duration.ofSeconds(15);
    /** Without --follow, give up when nothing arrives for this long before the end offsets are reached. */
    private static final Duration IDLE_LIMIT = Duration.ofSeconds(30);
    private static final int DEFAULT_LAST = 10;

    @Parameters(index = "0", paramLabel = "TOPIC", description = "Short name of a seedstream topic, or a full name.")
    String topic;

    static final class Position {
        @Option(names = "--from-beginning", description = "From the first record still in the log.")
        boolean fromBeginning;

        @Option(names = "--from-offset", paramLabel = "P:O", description = "Partition P only, from offset O.")
        String fromOffset;

        @Option(names = "--from-time", paramLabel = "ISO", description = "From the first record at or after this "
                + "instant (e.g. 2026-12-02T08:00:00Z).")
        String fromTime;
    }

    @ArgGroup(exclusive = true)
    Position position = new Position();

    @Option(names = "--max", paramLabel = "N", description = "Stop after N records.")
    Long max;

    @Option(names = "--key", paramLabel = "K", description = "Only records with this key.")
    String key;

    @Option(names = "--follow", description = "Keep printing new records until Ctrl-C.")
    boolean follow;

    @Mixin
    ConnectionOptions connection;

    @Override
    public Integer call() throws Exception {
        ConnectionConfig c = connection.connection();
        String name = fullName(topic, c);
        Properties p = LogReading.consumerProperties(c, "seedstream-tail");
        GenericAvroDecoder decoder = new GenericAvroDecoder(AvroSerdes.connect(c).registry());
        boolean jsonValues = name.equals(Topics.SCHEMAS.name(c.topicPrefix())); // the registry's log is JSON
        AtomicBoolean stop = new AtomicBoolean();
        long printed = 0;
        long undecodable = 0;
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(p, new ByteArrayDeserializer(),
                new ByteArrayDeserializer());
                GracefulStop graceful = new GracefulStop("tail", () -> {
                    stop.set(true);
                    try {
                        consumer.wakeup(); // out of a blocking poll
                    } catch (RuntimeException e) {
                        // already closed: nothing to wake
                    }
                }, Duration.ofSeconds(5))) {
            List<PartitionInfo> infos = consumer.partitionsFor(name, CALL_TIMEOUT);
            if (infos == null || infos.isEmpty()) {
                System.err.println("seedstream tail: no topic " + name + " on " + c.bootstrapServers());
                return 1;
            }
            List<TopicPartition> partitions = new ArrayList<>();
            infos.forEach(i -> partitions.add(new TopicPartition(name, i.partition())));
            Map<TopicPartition, Long> start = new HashMap<>();
            String error = startOffsets(consumer, partitions, start);
            if (error != null) {
                System.err.println("seedstream tail: " + error);
                return 2;
            }
            consumer.assign(start.keySet());
            start.forEach(consumer::seek);
            // read_committed: the end is the last stable offset, past which nothing can be read yet
            Map<TopicPartition, Long> end = consumer.endOffsets(start.keySet(), CALL_TIMEOUT);
            long lastProgress = System.nanoTime();
            while (!stop.get() && (max == null || printed < max)) {
                if (!follow && LogReading.reachedEnd(consumer, end, CALL_TIMEOUT)) {
                    break;
                }
                List<ConsumerRecord<byte[], byte[]>> batch = new ArrayList<>();
                try {
                    consumer.poll(Duration.ofMillis(500)).forEach(batch::add);
                } catch (WakeupException e) {
                    break;
                }
                if (!batch.isEmpty()) {
                    lastProgress = System.nanoTime();
                } else if (!follow && System.nanoTime() - lastProgress > IDLE_LIMIT.toNanos()) {
                    System.err.println("seedstream tail: nothing arrived for " + IDLE_LIMIT.toSeconds()
                            + " s before the end offsets; stopping");
                    break;
                }
                for (ConsumerRecord<byte[], byte[]> r : batch) {
                    String k = r.key() == null ? null : new String(r.key(), StandardCharsets.UTF_8);
                    if (key != null && !key.equals(k)) {
                        continue;
                    }
                    if (!follow && r.offset() >= end.getOrDefault(new TopicPartition(r.topic(), r.partition()), 0L)) {
                        continue; // arrived after the end we set out to read to
                    }
                    ObjectNode line = JSON.createObjectNode().put("partition", r.partition()).put("offset", r.offset())
                            .put("timestamp", Instant.ofEpochMilli(r.timestamp()).toString()).put("key", k);
                    try {
                        if (r.value() == null) {
                            line.putNull("value"); // a tombstone
                        } else if (jsonValues) {
                            line.set("value", JSON.readTree(r.value()));
                        } else {
                            GenericAvroDecoder.Decoded d = decoder.decode(r.topic(), r.value());
                            line.put("schema", d.schema().getFullName()).put("schema_id", d.schemaId());
                            line.set("value", RecordJson.of(d.value(), d.schema()));
                        }
                    } catch (SerializationException | IOException e) {
                        line.put("error", e.getMessage());
                        undecodable++;
                    }
                    System.out.println(JSON.writeValueAsString(line));
                    printed++;
                    if (max != null && printed >= max) {
                        break;
                    }
                }
            }
            // inside: the stop hook holds the JVM until this is printed
            System.err.printf("seedstream tail: %d records from %s%s%n", printed, name,
                    undecodable == 0 ? "" : " (" + undecodable + " undecodable, printed with the reason)");
        }
        return 0;
    }

    /** A declared topic's short name gets the prefix; anything else is taken as a full name. */
    static String fullName(String topic, ConnectionConfig c) {
        for (Topic<String, ?> t : Topics.RECORD_TOPICS) {
            if (t.name(c.topicPrefix()).equals(topic) || t.name("").equals(topic)) {
                return t.name(c.topicPrefix());
            }
        }
        return topic;
    }

    /** Fills where each partition starts; an error message when the position asked for is unusable. */
    private String startOffsets(KafkaConsumer<byte[], byte[]> consumer, List<TopicPartition> partitions,
            Map<TopicPartition, Long> start) {
        Map<TopicPartition, Long> first = consumer.beginningOffsets(partitions, CALL_TIMEOUT);
        Map<TopicPartition, Long> last = consumer.endOffsets(partitions, CALL_TIMEOUT);
        if (position.fromOffset != null) {
            String[] po = position.fromOffset.split(":");
            int partition;
            long offset;
            try {
                partition = Integer.parseInt(po[0]);
                offset = Long.parseLong(po[1]);
            } catch (RuntimeException e) {
                return "--from-offset takes PARTITION:OFFSET, e.g. 0:1200, not " + position.fromOffset;
            }
            TopicPartition tp = new TopicPartition(partitions.get(0).topic(), partition);
            if (!first.containsKey(tp)) {
                return "no partition " + partition + " (the topic has " + partitions.size() + ")";
            }
            if (offset < first.get(tp)) {
                return "offset " + offset + " of partition " + partition + " is no longer in the log (retention); the "
                        + "first available is " + first.get(tp);
            }
            start.put(tp, offset);
            return null;
        }
        if (position.fromTime != null) {
            long at;
            try {
                at = Instant.parse(position.fromTime).toEpochMilli();
            } catch (DateTimeParseException e) {
                return "--from-time takes an ISO-8601 instant, e.g. 2026-12-02T08:00:00Z, not " + position.fromTime;
            }
            Map<TopicPartition, Long> query = new HashMap<>();
            partitions.forEach(tp -> query.put(tp, at));
            Map<TopicPartition, OffsetAndTimestamp> found = consumer.offsetsForTimes(query, CALL_TIMEOUT);
            partitions.forEach(tp -> start.put(tp, found.get(tp) == null ? last.get(tp) : found.get(tp).offset()));
            return null;
        }
        for (TopicPartition tp : partitions) {
            long from = position.fromBeginning ? first.get(tp) : Math.max(first.get(tp), last.get(tp) - DEFAULT_LAST);
            start.put(tp, from);
        }
        return null;
    }
}
