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
 * Collects scored groups into training batches of {@code batch.groups} groups, each batch within
 * {@code batch.max.tokens} completion tokens (a single larger group is a batch of its own).
 *
 * <p>Waiting groups are kept oldest policy version first, and a full batch closes once no group has
 * joined for {@code batch.order.window.ms}: groups that arrive together (generators committing at
 * once) go into batches earliest deadline first, since a group sampled by version w is stale in any
 * batch applied after version w + eta. In arrival order a newer group could take the last place of
 * a batch and push an older one into the next batch, beyond the bound. A restarted task's full
 * batches wait until its catch-up first pauses (at most 30 s), since it scores its backlog partition
 * by partition and the oldest groups can come last (docs/reliability.md, runs G and H); after that,
 * arrivals that never pause still close full batches after 8 windows. A batch that is not full closes after {@code batch.linger.ms} with no group
 * joining, counted from this task's start, so that time the topology was down does not close short
 * batches: each short batch moves the versions on by one with fewer than B groups.
 *
 * <p>Each waiting group is one entry of {@code batch-open-groups} and the header one entry of
 * {@code batch-header}, so a group is written to the changelog once. With exactly-once a batch is
 * emitted once even across crashes, and its id (application, task, sequence) is the same on replay.
 */
final class BatchGroupsProcessor implements Processor<String, ScoredGroup, String, TrainingBatch> {

    private static final String STATE = "state";
    /** A stream of arrivals that never pauses still closes full batches after this many windows. */
    private static final int MAX_WINDOWS = 8;
    /** A catch-up that never pauses still closes full batches after this long. */
    private static final long CATCH_UP_MAX_MS = 30_000;

    /**
     * The header: the next batch's sequence and what waits. Field names are those of the changelog's
     * JSON from before groups were ordered ({@code open}: something waits; {@code openedAtMs}: when
     * the newest group joined); {@code batchId} is no longer used.
     */
    record BatchState(long nextSequence, boolean open, String batchId, long openedAtMs, int groups, long tokens,
            long minVersion, long maxVersion, long arrivals, long fullSinceMs) {

        static final BatchState EMPTY = new BatchState(0, false, null, 0, 0, 0, Long.MAX_VALUE, Long.MIN_VALUE, 0, 0);

        BatchState joined(long version, long tokensOfGroup, long now, boolean full) {
            return new BatchState(nextSequence, true, null, now, groups + 1, tokens + tokensOfGroup,
                    Math.min(minVersion, version), Math.max(maxVersion, version), arrivals + 1,
                    full && fullSinceMs == 0 ? now : fullSinceMs);
        }
    }

    private final int maxGroups;
    private final long maxTokens;
    private final Duration linger;
    private final Duration orderWindow;
    private final ScoringMetrics metrics;
    private ProcessorContext<String, TrainingBatch> context;
    private KeyValueStore<String, ScoredGroup> groups;
    private KeyValueStore<String, BatchState> state;
    /** When this task started: the linger does not count time before it. */
    private long startedAtMs;
    /**
     * From this task's start until its input first pauses for the window: a restarted topology scores
     * its backlog partition by partition, so the oldest groups can come last; full batches wait for the
     * pause, however long the backlog takes (up to {@link #CATCH_UP_MAX_MS}), not only 8 windows.
     */
    private boolean catchingUp;
    /** When the first group joined since this task's start; -1: none yet. */
    private long firstJoinMs;

    BatchGroupsProcessor(int maxGroups, long maxTokens, Duration linger, Duration orderWindow, ScoringMetrics metrics) {
        this.maxGroups = maxGroups;
        this.maxTokens = maxTokens;
        this.linger = linger;
        this.orderWindow = orderWindow;
        this.metrics = metrics;
    }

    @Override
    public void init(ProcessorContext<String, TrainingBatch> context) {
        this.context = context;
        this.groups = context.getStateStore(ScoringTopology.OPEN_BATCH_STORE);
        this.state = context.getStateStore(ScoringTopology.BATCH_STATE_STORE);
        this.startedAtMs = context.currentSystemTimeMs();
        this.catchingUp = true;
        this.firstJoinMs = -1;
        long every = Math.max(10, Math.min(500, linger.toMillis() / 4));
        if (!orderWindow.isZero()) {
            every = Math.min(every, Math.max(10, orderWindow.toMillis() / 2));
        }
        context.schedule(Duration.ofMillis(every), PunctuationType.WALL_CLOCK_TIME, this::punctuate);
    }

    private BatchState current() {
        BatchState s = state.get(STATE);
        return s != null ? s : BatchState.EMPTY;
    }

    @Override
    public void process(Record<String, ScoredGroup> record) {
        ScoredGroup g = record.value();
        long tokens = tokens(g);
        long version = g.getRollout().getPolicyVersion();
        BatchState s = current();
        // oldest version first, then arrival: the store iterates in key order
        groups.put(String.format("%019d-%019d", Math.max(0, version), s.arrivals()), g);
        long now = context.currentSystemTimeMs();
        firstJoinMs = firstJoinMs < 0 ? now : firstJoinMs;
        boolean full = s.groups() + 1 >= maxGroups || s.tokens() + tokens >= maxTokens;
        s = s.joined(version, tokens, now, full);
        if (orderWindow.isZero()) {
            s = emitFull(s);
        }
        state.put(STATE, s);
    }

    private void punctuate(long now) {
        BatchState s = current();
        boolean quiet = now - Math.max(s.openedAtMs(), startedAtMs) >= orderWindow.toMillis();
        // the backlog may reach this task some time after it starts: the catch-up ends at a pause after a join
        catchingUp &= !(quiet && firstJoinMs >= 0);
        if (!s.open()) {
            return;
        }
        BatchState before = s;
        boolean pastCap = catchingUp ? now - firstJoinMs >= CATCH_UP_MAX_MS
                : now - s.fullSinceMs() >= MAX_WINDOWS * orderWindow.toMillis();
        if (isFull(s) && (quiet || pastCap)) {
            s = emitFull(s);
        }
        if (s.open() && now - Math.max(s.openedAtMs(), startedAtMs) >= linger.toMillis()) {
            while (s.open()) {
                s = emit(s);
            }
        }
        if (s != before) {
            state.put(STATE, s);
        }
    }

    private boolean isFull(BatchState s) {
        return s.groups() >= maxGroups || s.tokens() >= maxTokens;
    }

    /** Emits batches while the waiting groups fill one. */
    private BatchState emitFull(BatchState s) {
        while (s.open() && isFull(s)) {
            s = emit(s);
        }
        return s;
    }

    /**
     * Emits one batch of the oldest waiting groups: up to B, stopping before one that would take the
     * batch over its token budget (a single larger group goes alone).
     */
    private BatchState emit(BatchState s) {
        List<ScoredGroup> members = new ArrayList<>();
        List<String> keys = new ArrayList<>();
        long batchTokens = 0;
        long restTokens = 0;
        long restMin = Long.MAX_VALUE;
        long restMax = Long.MIN_VALUE;
        long minVersion = Long.MAX_VALUE;
        long maxVersion = Long.MIN_VALUE;
        boolean closed = false;
        try (KeyValueIterator<String, ScoredGroup> it = groups.all()) {
            while (it.hasNext()) {
                KeyValue<String, ScoredGroup> kv = it.next();
                long t = tokens(kv.value);
                long v = kv.value.getRollout().getPolicyVersion();
                if (!closed && (members.isEmpty() || batchTokens + t <= maxTokens)) {
                    keys.add(kv.key);
                    members.add(kv.value);
                    batchTokens += t;
                    minVersion = Math.min(minVersion, v);
                    maxVersion = Math.max(maxVersion, v);
                    closed = members.size() >= maxGroups || batchTokens >= maxTokens;
                } else {
                    closed = true;
                    restTokens += t;
                    restMin = Math.min(restMin, v);
                    restMax = Math.max(restMax, v);
                }
            }
        }
        keys.forEach(groups::delete);
        long now = context.currentSystemTimeMs();
        String id = context.applicationId() + "-" + context.taskId() + "-" + s.nextSequence();
        TrainingBatch batch = TrainingBatch.newBuilder().setBatchId(id).setGroups(members)
                .setNumTokens(batchTokens).setMinPolicyVersion(minVersion).setMaxPolicyVersion(maxVersion)
                .setCreatedAt(Instant.ofEpochMilli(now)).build();
        metrics.batch();
        context.forward(new Record<>(id, batch, now));
        int rest = s.groups() - members.size();
        boolean restFull = rest >= maxGroups || restTokens >= maxTokens;
        return new BatchState(s.nextSequence() + 1, rest > 0, null, rest > 0 ? s.openedAtMs() : 0, rest, restTokens,
                restMin, restMax, s.arrivals(), restFull ? now : 0);
    }

    static long tokens(ScoredGroup g) {
        long n = 0;
        for (Answer a : g.getRollout().getAnswers()) {
            n += TokenArrays.count(a.getTokenIds());
        }
        return n;
    }
}
