package io.seedstream.streams.topology;

import io.seedstream.schemas.TokenArrays;
import io.seedstream.schemas.avro.Answer;
import io.seedstream.schemas.avro.ScoredGroup;
import io.seedstream.schemas.avro.TrainingBatch;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Collects scored groups into training batches: a batch closes at {@code batch.groups} groups,
 * before its completion tokens would exceed {@code batch.max.tokens} (a single larger group is a
 * batch of its own), or, not full, after {@code batch.linger.ms} by a wall-clock punctuator.
 *
 * <p>Each waiting group is one entry of {@code open-batch-groups} and the batch's header one entry
 * of {@code batch-state}, so a group is written to the changelog once, not once per group that
 * joins after it. With exactly-once a batch is emitted once even across crashes, and its id
 * (application, task, sequence) is the same on replay.
 */
final class BatchGroupsProcessor implements Processor<String, ScoredGroup, String, TrainingBatch> {

    private static final String STATE = "state";

    /** The open batch's header and the task's batch sequence. */
    record BatchState(long nextSequence, boolean open, String batchId, long openedAtMs, int groups, long tokens,
            long minVersion, long maxVersion) {}

    private final int maxGroups;
    private final long maxTokens;
    private final Duration linger;
    private final ScoringMetrics metrics;
    private ProcessorContext<String, TrainingBatch> context;
    private KeyValueStore<String, ScoredGroup> groups;
    private KeyValueStore<String, BatchState> state;

    BatchGroupsProcessor(int maxGroups, long maxTokens, Duration linger, ScoringMetrics metrics) {
        this.maxGroups = maxGroups;
        this.maxTokens = maxTokens;
        this.linger = linger;
        this.metrics = metrics;
    }

    @Override
    public void init(ProcessorContext<String, TrainingBatch> context) {
        this.context = context;
        this.groups = context.getStateStore(ScoringTopology.OPEN_BATCH_STORE);
        this.state = context.getStateStore(ScoringTopology.BATCH_STATE_STORE);
        Duration every = Duration.ofMillis(Math.max(10, Math.min(500, linger.toMillis() / 4)));
        context.schedule(every, PunctuationType.WALL_CLOCK_TIME, this::closeIfLingered);
    }

    private BatchState current() {
        BatchState s = state.get(STATE);
        return s != null ? s : new BatchState(0, false, null, 0, 0, 0, Long.MAX_VALUE, Long.MIN_VALUE);
    }

    @Override
    public void process(Record<String, ScoredGroup> record) {
        ScoredGroup g = record.value();
        long tokens = tokens(g);
        BatchState s = current();
        if (s.open() && s.tokens() + tokens > maxTokens) {
            s = emit(s);
        }
        if (!s.open()) {
            String id = context.applicationId() + "-" + context.taskId() + "-" + s.nextSequence();
            s = new BatchState(s.nextSequence() + 1, true, id, context.currentSystemTimeMs(), 0, 0, Long.MAX_VALUE,
                    Long.MIN_VALUE);
        }
        long version = g.getRollout().getPolicyVersion();
        groups.put(String.format("%08d", s.groups()), g);
        s = new BatchState(s.nextSequence(), true, s.batchId(), s.openedAtMs(), s.groups() + 1, s.tokens() + tokens,
                Math.min(s.minVersion(), version), Math.max(s.maxVersion(), version));
        if (s.groups() >= maxGroups || s.tokens() >= maxTokens) {
            s = emit(s);
        }
        state.put(STATE, s);
    }

    private void closeIfLingered(long now) {
        BatchState s = current();
        if (s.open() && now - s.openedAtMs() >= linger.toMillis()) {
            state.put(STATE, emit(s));
        }
    }

    /** Emits the open batch and returns the state with no batch open. */
    private BatchState emit(BatchState s) {
        List<ScoredGroup> members = new ArrayList<>(s.groups());
        List<String> keys = new ArrayList<>(s.groups());
        try (KeyValueIterator<String, ScoredGroup> it = groups.all()) {
            while (it.hasNext()) {
                KeyValue<String, ScoredGroup> kv = it.next();
                keys.add(kv.key);
                members.add(kv.value);
            }
        }
        keys.forEach(groups::delete);
        long now = context.currentSystemTimeMs();
        TrainingBatch batch = TrainingBatch.newBuilder().setBatchId(s.batchId()).setGroups(members)
                .setNumTokens(s.tokens()).setMinPolicyVersion(s.minVersion()).setMaxPolicyVersion(s.maxVersion())
                .setCreatedAt(Instant.ofEpochMilli(now)).build();
        metrics.batch();
        context.forward(new Record<>(batch.getBatchId(), batch, now));
        return new BatchState(s.nextSequence(), false, null, 0, 0, 0, Long.MAX_VALUE, Long.MIN_VALUE);
    }

    static long tokens(ScoredGroup g) {
        long n = 0;
        for (Answer a : g.getRollout().getAnswers()) {
            n += TokenArrays.count(a.getTokenIds());
        }
        return n;
    }
}
