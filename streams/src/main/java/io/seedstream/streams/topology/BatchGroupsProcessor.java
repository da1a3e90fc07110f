package io.seedstream.streams.topology;

import io.seedstream.schemas.avro.Answer;
import io.seedstream.schemas.avro.ScoredGroup;
import io.seedstream.schemas.avro.TrainingBatch;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Collects scored groups into training batches: a batch closes at {@code batch.groups} groups,
 * before its completion tokens would exceed {@code batch.max.tokens} (a single larger group is a
 * batch of its own), or, not full, after {@code batch.linger.ms} by a wall-clock punctuator. The
 * open batch and the batch sequence live in state stores, so with exactly-once a batch is emitted
 * once even across crashes, and its id is the same on replay.
 */
final class BatchGroupsProcessor implements Processor<String, ScoredGroup, String, TrainingBatch> {

    private static final String OPEN = "open";

    private final int maxGroups;
    private final long maxTokens;
    private final Duration linger;
    private final ScoringMetrics metrics;
    private ProcessorContext<String, TrainingBatch> context;
    private KeyValueStore<String, TrainingBatch> open;
    private KeyValueStore<String, Long> sequence;

    BatchGroupsProcessor(int maxGroups, long maxTokens, Duration linger, ScoringMetrics metrics) {
        this.maxGroups = maxGroups;
        this.maxTokens = maxTokens;
        this.linger = linger;
        this.metrics = metrics;
    }

    @Override
    public void init(ProcessorContext<String, TrainingBatch> context) {
        this.context = context;
        this.open = context.getStateStore(ScoringTopology.OPEN_BATCH_STORE);
        this.sequence = context.getStateStore(ScoringTopology.BATCH_SEQUENCE_STORE);
        Duration every = Duration.ofMillis(Math.max(10, Math.min(500, linger.toMillis() / 4)));
        context.schedule(every, PunctuationType.WALL_CLOCK_TIME, this::closeIfLingered);
    }

    @Override
    public void process(Record<String, ScoredGroup> record) {
        ScoredGroup g = record.value();
        long tokens = tokens(g);
        TrainingBatch batch = open.get(OPEN);
        if (batch != null && batch.getNumTokens() + tokens > maxTokens) {
            emit(batch);
            batch = null;
        }
        if (batch == null) {
            batch = TrainingBatch.newBuilder().setBatchId(nextId()).setGroups(new ArrayList<>()).setNumTokens(0)
                    .setMinPolicyVersion(Long.MAX_VALUE).setMaxPolicyVersion(Long.MIN_VALUE)
                    .setCreatedAt(Instant.ofEpochMilli(context.currentSystemTimeMs())).build();
        }
        List<ScoredGroup> groups = new ArrayList<>(batch.getGroups());
        groups.add(g);
        long version = g.getRollout().getPolicyVersion();
        batch.setGroups(groups);
        batch.setNumTokens(batch.getNumTokens() + tokens);
        batch.setMinPolicyVersion(Math.min(batch.getMinPolicyVersion(), version));
        batch.setMaxPolicyVersion(Math.max(batch.getMaxPolicyVersion(), version));
        if (groups.size() >= maxGroups || batch.getNumTokens() >= maxTokens) {
            emit(batch);
        } else {
            open.put(OPEN, batch);
        }
    }

    private void closeIfLingered(long now) {
        TrainingBatch batch = open.get(OPEN);
        // created_at holds the time the batch was opened until it is emitted
        if (batch != null && now - batch.getCreatedAt().toEpochMilli() >= linger.toMillis()) {
            emit(batch);
        }
    }

    private void emit(TrainingBatch batch) {
        long now = context.currentSystemTimeMs();
        batch.setCreatedAt(Instant.ofEpochMilli(now));
        open.delete(OPEN);
        metrics.batch();
        context.forward(new Record<>(batch.getBatchId(), batch, now));
    }

    private String nextId() {
        Long seq = sequence.get(OPEN);
        long next = seq == null ? 0 : seq + 1;
        sequence.put(OPEN, next);
        return context.applicationId() + "-" + context.taskId() + "-" + next;
    }

    static long tokens(ScoredGroup g) {
        long n = 0;
        for (Answer a : g.getRollout().getAnswers()) {
            n += a.getTokenIds().size();
        }
        return n;
    }
}
