package io.seedstream.producers.generator;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;

/**
 * Requests fetched and not yet answered, in offset order per partition. A batch always takes a
 * prefix of each partition's queue, so the offsets it commits never skip a request.
 */
final class PendingRequests {

    /** A fetched record, decoded when it could be, with the reason when it cannot be answered. */
    record Pending(ConsumerRecord<String, byte[]> record, Object request, String problem, long fetchedAtNanos) {
        TopicPartition partition() {
            return new TopicPartition(record.topic(), record.partition());
        }
    }

    private final Map<TopicPartition, Deque<Pending>> queues = new LinkedHashMap<>();

    void add(Pending p) {
        queues.computeIfAbsent(p.partition(), k -> new ArrayDeque<>()).addLast(p);
    }

    Map<TopicPartition, Deque<Pending>> byPartition() {
        return queues;
    }

    int size(TopicPartition tp) {
        Deque<Pending> q = queues.get(tp);
        return q == null ? 0 : q.size();
    }

    long size() {
        return queues.values().stream().mapToLong(Deque::size).sum();
    }

    /** Forgets the partitions' requests: they were revoked, or are to be fetched again. */
    void drop(Iterable<TopicPartition> partitions) {
        for (TopicPartition tp : partitions) {
            queues.remove(tp);
        }
    }

    List<TopicPartition> partitions() {
        return List.copyOf(queues.keySet());
    }
}
