package io.seedstream.producers.generator;

import io.seedstream.producers.generator.PendingRequests.Pending;
import io.seedstream.schemas.avro.Prompt;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * One sampler batch and what its transaction commits: the requests it answers (all rollout
 * requests with the same sampling parameters, or all evaluation requests of one policy version),
 * the requests it dead-letters, and for each partition it took from, the first offset (to fetch
 * again after an abort) and the next offset (committed with the transaction).
 */
final class BatchPlan {

    enum Kind { ROLLOUT, EVAL }

    /** A request taken into the batch with its prompt. */
    record Item(Pending pending, Prompt prompt) {}

    /** A request that cannot be answered, and why. */
    record Dead(Pending pending, String stage, String reason) {}

    final Kind kind;
    final List<Item> items = new ArrayList<>();
    final List<Dead> dead = new ArrayList<>();
    final Map<TopicPartition, Long> firstOffsets = new HashMap<>();
    final Map<TopicPartition, OffsetAndMetadata> nextOffsets = new HashMap<>();
    int sequences;
    long oldestFetchNanos = Long.MAX_VALUE;

    BatchPlan(Kind kind) {
        this.kind = kind;
    }

    void take(Item item, int rows) {
        items.add(item);
        sequences += rows;
        oldestFetchNanos = Math.min(oldestFetchNanos, item.pending().fetchedAtNanos());
        consumed(item.pending());
    }

    void reject(Pending p, String stage, String reason) {
        dead.add(new Dead(p, stage, reason));
        consumed(p);
    }

    private void consumed(Pending p) {
        TopicPartition tp = p.partition();
        firstOffsets.putIfAbsent(tp, p.record().offset());
        nextOffsets.put(tp, new OffsetAndMetadata(p.record().offset() + 1));
    }

    /** The same requests and offsets, every one of them a dead letter (the answered ones with this reason). */
    BatchPlan allDead(String stage, String reason) {
        BatchPlan out = new BatchPlan(kind);
        items.forEach(i -> out.dead.add(new Dead(i.pending(), stage, reason)));
        out.dead.addAll(dead);
        out.firstOffsets.putAll(firstOffsets);
        out.nextOffsets.putAll(nextOffsets);
        return out;
    }

    boolean isEmpty() {
        return items.isEmpty() && dead.isEmpty();
    }
}
