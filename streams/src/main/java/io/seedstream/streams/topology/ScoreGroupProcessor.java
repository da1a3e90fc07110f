package io.seedstream.streams.topology;

import io.seedstream.schemas.TokenArrays;
import io.seedstream.schemas.ToolTokens;
import io.seedstream.schemas.avro.Answer;
import io.seedstream.schemas.avro.AnswerGroup;
import io.seedstream.schemas.avro.Prompt;
import io.seedstream.streams.scoring.GroupScore;
import io.seedstream.streams.scoring.GroupScorer;
import io.seedstream.streams.topology.DashboardRecords.PendingGroup;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Decodes an answer group, checks it, joins it with its prompt and scores it. A record that
 * cannot be decoded, a group whose size or log-probs are wrong, a group whose prompt is still
 * unknown after {@code prompt.wait.ms}, and a group that claims a policy version newer than any
 * announced one after the same wait (a forged version would otherwise reach the batches and every
 * per-version view) become dead letters with the reason; a group whose prompt or version
 * announcement is not there yet waits in {@code pending-groups} and is retried by a wall-clock
 * punctuator.
 */
final class ScoreGroupProcessor implements Processor<String, byte[], String, Outcome> {

    private static final Duration RETRY_EVERY = Duration.ofSeconds(1);

    private final Deserializer<AnswerGroup> groups;
    private final String topic;
    private final GroupScorer scorer;
    private final Duration promptWait;
    private final ScoringMetrics metrics;
    private ProcessorContext<String, Outcome> context;
    private KeyValueStore<String, Prompt> prompts;
    private KeyValueStore<String, Long> announced;
    private KeyValueStore<String, PendingGroup> pending;

    ScoreGroupProcessor(Deserializer<AnswerGroup> groups, String topic, GroupScorer scorer, Duration promptWait,
            ScoringMetrics metrics) {
        this.groups = groups;
        this.topic = topic;
        this.scorer = scorer;
        this.promptWait = promptWait;
        this.metrics = metrics;
    }

    @Override
    public void init(ProcessorContext<String, Outcome> context) {
        this.context = context;
        this.prompts = context.getStateStore(ScoringTopology.PROMPTS_STORE);
        this.announced = context.getStateStore(ScoringTopology.ANNOUNCED_VERSIONS_STORE);
        this.pending = context.getStateStore(ScoringTopology.PENDING_STORE);
        context.schedule(RETRY_EVERY, PunctuationType.WALL_CLOCK_TIME, this::retryPending);
    }

    @Override
    public void process(Record<String, byte[]> record) {
        RecordMetadata meta = context.recordMetadata().orElse(null);
        int partition = meta == null ? -1 : meta.partition();
        long offset = meta == null ? -1 : meta.offset();
        handle(new PendingGroup(record.value(), record.key(), partition, offset, context.currentSystemTimeMs(),
                record.timestamp()), false);
    }

    private void handle(PendingGroup p, boolean retry) {
        if (retry) {
            pending.delete(pendingKey(p)); // put back below if it must still wait
        }
        Instant now = Instant.ofEpochMilli(context.currentSystemTimeMs());
        if (p.value() == null) {
            dead(p, "decode", "empty value (tombstone) on the rollouts topic", null, now);
            return;
        }
        AnswerGroup group;
        try {
            group = groups.deserialize(topic, p.value());
        } catch (RuntimeException e) {
            dead(p, "decode", "cannot decode an answer group: " + e.getMessage(), e, now);
            return;
        }
        String problem = validate(group);
        if (problem != null) {
            dead(p, "validate", problem, null, now);
            return;
        }
        Prompt prompt = prompts.get(group.getPromptId());
        long newest = newestAnnounced();
        // version 0, the initial policy, is sampled before anything is announced
        boolean ahead = group.getPolicyVersion() > Math.max(0, newest);
        if (prompt == null || ahead) {
            long waited = context.currentSystemTimeMs() - p.firstSeenMs();
            if (waited >= promptWait.toMillis()) {
                if (ahead) {
                    dead(p, "validate", "policy version " + group.getPolicyVersion() + " is ahead of the newest "
                            + "announced version " + newest + " after waiting " + waited + " ms (prompt.wait.ms="
                            + promptWait.toMillis() + ")", null, now);
                } else {
                    dead(p, "join-prompt", "prompt '" + group.getPromptId() + "' unknown after waiting " + waited
                            + " ms (prompt.wait.ms=" + promptWait.toMillis() + ")", null, now);
                }
            } else {
                if (!retry) {
                    metrics.waiting();
                }
                pending.put(pendingKey(p), p);
            }
            return;
        }
        GroupScore score;
        try {
            score = scorer.score(prompt.getAnswers(), GroupScorer.answersOf(group));
        } catch (RuntimeException e) {
            dead(p, "score", "cannot score the group: " + e.getMessage(), e, now);
            return;
        }
        metrics.scored(group.getAnswers().size(), score.zeroAdvantage(), score.gradingTimeouts());
        context.forward(new Record<>(p.key(), Outcome.scored(score.toRecord(group, p.partition(), p.offset())), p.timestamp()));
    }

    /** The newest version any run has announced, -1 before any announcement. */
    private long newestAnnounced() {
        long newest = -1;
        try (KeyValueIterator<String, Long> it = announced.all()) {
            while (it.hasNext()) {
                newest = Math.max(newest, it.next().value);
            }
        }
        return newest;
    }

    /** Why a group cannot be trained on, or null when it can. */
    static String validate(AnswerGroup g) {
        if (g.getAnswers().size() != g.getGroupSize()) {
            return "group has " + g.getAnswers().size() + " answers but group_size is " + g.getGroupSize();
        }
        for (int i = 0; i < g.getAnswers().size(); i++) {
            Answer a = g.getAnswers().get(i);
            int tokens;
            float[] logprobs;
            try {
                tokens = TokenArrays.count(a.getTokenIds());
                logprobs = TokenArrays.floats(a.getTokenLogprobs());
            } catch (IllegalArgumentException e) {
                return "answer " + i + ": " + e.getMessage();
            }
            if (tokens != logprobs.length) {
                return "answer " + i + " has " + tokens + " tokens but " + logprobs.length
                        + " log-probs";
            }
            String calls = ToolTokens.problem(a, tokens);
            if (calls != null) {
                return "answer " + i + ": " + calls;
            }
            for (float lp : logprobs) {
                if (!Float.isFinite(lp) || lp > 0) {
                    return "answer " + i + " has an invalid log-prob (" + lp + "): log-probs must be finite and <= 0";
                }
            }
        }
        return null;
    }

    private void dead(PendingGroup p, String stage, String error, Throwable cause, Instant now) {
        metrics.deadLetter(stage);
        context.forward(new Record<>(p.key(), Outcome.dead(topic, p.partition(), p.offset(), stage, error, cause,
                p.key(), p.value(), now), p.timestamp()));
    }

    private static String pendingKey(PendingGroup p) {
        return p.partition() + "-" + p.offset();
    }

    private void retryPending(long now) {
        List<KeyValue<String, PendingGroup>> waiting = new ArrayList<>();
        try (KeyValueIterator<String, PendingGroup> it = pending.all()) {
            it.forEachRemaining(waiting::add);
        }
        for (KeyValue<String, PendingGroup> kv : waiting) {
            handle(kv.value, true);
        }
    }
}
