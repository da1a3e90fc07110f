package io.seedstream.streams.topology;

import io.seedstream.schemas.ConnectionConfig;
import io.seedstream.schemas.Topics;
import io.seedstream.schemas.avro.DeadLetter;
import io.seedstream.schemas.avro.Prompt;
import io.seedstream.schemas.avro.ScoredGroup;
import io.seedstream.schemas.avro.TrainingBatch;
import io.seedstream.schemas.serde.AvroSerdes;
import io.seedstream.streams.evaluation.ProblemOutcome;
import io.seedstream.streams.grading.Grader;
import io.seedstream.streams.scoring.GroupScorer;
import io.seedstream.streams.scoring.ScoringConfig;
import io.seedstream.streams.topology.DashboardRecords.EvalTally;
import io.seedstream.streams.topology.DashboardRecords.GroupSummary;
import io.seedstream.streams.topology.DashboardRecords.MetricsPoint;
import io.seedstream.streams.topology.DashboardRecords.PendingGroup;
import io.seedstream.streams.topology.DashboardRecords.PromptStats;
import io.seedstream.streams.topology.DashboardRecords.VersionStats;
import java.util.Map;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Branched;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Grouped;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.Repartitioned;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;

/**
 * The scoring topology (DESIGN.md sections 1, 3, 4):
 *
 * <pre>
 * rollouts ─ score-groups (decode, check, join prompts-by-id, grade, cluster, SE, advantages)
 *              ├─ dead ──────────────────────────────────────────────┐
 *              └─ scored ─┬─ track-prompt-uncertainty                  │
 *                         ├─ summarize-by-version ─ version-stats      ├─ dead-letters
 *                         └─ [drop-zero-advantage] ─ batch-groups ─ training-batches
 * eval-results ─ grade-eval-results ─┬─ dead ───────────────────────────┘
 *                                    └─ eval-accuracy
 * prompts ─ prompts-by-id (global store)
 * policy-versions ─ newest-announced-version-by-run (global store: a group may not claim a newer version)
 * </pre>
 */
public final class ScoringTopology {

    public static final String PROMPTS_STORE = "prompts-by-id";
    public static final String ANNOUNCED_VERSIONS_STORE = "newest-announced-version-by-run";
    public static final String PENDING_STORE = "pending-groups";
    // the batching task reads a one-partition topic: its stores' names are not those of the earlier
    // per-partition batching, whose changelogs have one partition per rollouts partition
    public static final String OPEN_BATCH_STORE = "batch-open-groups";
    public static final String BATCH_STATE_STORE = "batch-header";
    /** The one-partition topic where every scored group meets its batch. */
    public static final String GROUPS_TO_BATCH = "groups-to-batch";
    public static final String PROMPT_UNCERTAINTY_STORE = "prompt-uncertainty";
    public static final String VERSION_STATS_STORE = "version-stats";
    public static final String EVAL_ACCURACY_STORE = "eval-accuracy";
    public static final String METRICS_HISTORY_STORE = "metrics-history";
    public static final String NEWEST_METRICS_STORE = "newest-metrics-by-source";
    public static final String DEAD_LETTER_COUNTS_STORE = "dead-letters-by-stage-and-reason";

    private ScoringTopology() {}

    public static Topology build(ConnectionConfig c, AvroSerdes serdes, TopologySettings settings,
            ScoringConfig scoring, Grader grader, ScoringMetrics metrics) {
        StreamsBuilder builder = new StreamsBuilder();
        JsonSerde<PendingGroup> pendingSerde = new JsonSerde<>(PendingGroup.class);

        builder.addGlobalStore(
                Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(PROMPTS_STORE), Serdes.String(),
                        new LocalAvroSerde<>(Prompt.class)).withLoggingDisabled(),
                c.topic(Topics.PROMPTS), Consumed.with(Serdes.String(), Serdes.ByteArray()).withName("prompts-source"),
                () -> new PromptStoreUpdater(serdes.value(Topics.PROMPTS).deserializer(), c.topic(Topics.PROMPTS)));
        builder.addGlobalStore(
                Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(ANNOUNCED_VERSIONS_STORE), Serdes.String(),
                        Serdes.Long()).withLoggingDisabled(),
                c.topic(Topics.POLICY_VERSIONS),
                Consumed.with(Serdes.String(), Serdes.ByteArray()).withName("policy-versions-source"),
                () -> new AnnouncedVersionUpdater(serdes.value(Topics.POLICY_VERSIONS).deserializer(),
                        c.topic(Topics.POLICY_VERSIONS), c.topic(Topics.TRAINING_BATCHES)));
        builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(PENDING_STORE),
                Serdes.String(), pendingSerde));
        // the open batch is small and short-lived: in memory, restored from its changelog after a crash
        builder.addStateStore(Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(OPEN_BATCH_STORE),
                Serdes.String(), new LocalAvroSerde<>(ScoredGroup.class)));
        builder.addStateStore(Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(BATCH_STATE_STORE),
                Serdes.String(), new JsonSerde<>(BatchGroupsProcessor.BatchState.class)));
        builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(PROMPT_UNCERTAINTY_STORE),
                Serdes.String(), new JsonSerde<>(PromptStats.class)));

        GroupScorer scorer = new GroupScorer(grader, scoring);
        String rolloutsTopic = c.topic(Topics.ROLLOUTS);
        KStream<String, Outcome> outcomes = builder
                .stream(rolloutsTopic, Consumed.with(Serdes.String(), Serdes.ByteArray()).withName("rollouts-source"))
                .process(() -> new ScoreGroupProcessor(serdes.value(Topics.ROLLOUTS).deserializer(), rolloutsTopic,
                        scorer, settings.promptWait(), metrics), Named.as("score-groups"), PENDING_STORE);
        Map<String, KStream<String, Outcome>> branches = outcomes.split(Named.as("outcome-"))
                .branch((k, o) -> o.isDead(), Branched.as("dead"))
                .defaultBranch(Branched.as("scored"));
        KStream<String, DeadLetter> deadGroups = branches.get("outcome-dead").mapValues(Outcome::dead,
                Named.as("dead-letter-of-group"));
        KStream<String, ScoredGroup> scored = branches.get("outcome-scored").mapValues(Outcome::scored,
                Named.as("scored-group-of"));

        scored.process(() -> new TrackPromptProcessor(scoring.filterZeroAdvantage()), Named.as("track-prompt-uncertainty"), PROMPT_UNCERTAINTY_STORE)
                .to(c.topic(Topics.PROMPT_STATES), Produced.with(Serdes.String(), serdes.value(Topics.PROMPT_STATES))
                        .withName("prompt-states-sink"));

        scored.map((k, g) -> KeyValue.pair(String.valueOf(g.getRollout().getPolicyVersion()), summary(g)),
                        Named.as("summarize-by-version"))
                .groupByKey(Grouped.with("group-summaries-by-version", Serdes.String(),
                        new JsonSerde<>(GroupSummary.class)))
                .aggregate(VersionStats::empty, (version, g, stats) -> stats.add(g), Named.as("aggregate-version-stats"),
                        Materialized.<String, VersionStats, KeyValueStore<Bytes, byte[]>>as(VERSION_STATS_STORE)
                                .withKeySerde(Serdes.String()).withValueSerde(new JsonSerde<>(VersionStats.class)));

        KStream<String, ScoredGroup> trainable = !scoring.filterZeroAdvantage() ? scored
                : scored.filter((k, g) -> {
                    boolean zero = zeroAdvantage(g);
                    if (zero) {
                        metrics.filtered();
                    }
                    return !zero;
                }, Named.as("drop-zero-advantage"));
        // a training batch is B groups from every partition, so all trainable groups meet in one task;
        // per-partition batching would emit one short batch per partition at every linger
        trainable.repartition(Repartitioned.<String, ScoredGroup>as(GROUPS_TO_BATCH).withKeySerde(Serdes.String())
                        .withValueSerde(new LocalAvroSerde<>(ScoredGroup.class)).withNumberOfPartitions(1))
                .process(() -> new BatchGroupsProcessor(settings.batchGroups(), settings.batchMaxTokens(),
                        settings.batchLinger(), settings.batchOrderWindow(), metrics), Named.as("batch-groups"),
                        OPEN_BATCH_STORE, BATCH_STATE_STORE)
                .to(c.topic(Topics.TRAINING_BATCHES), Produced.with(Serdes.String(),
                        serdes.value(Topics.TRAINING_BATCHES)).withName("training-batches-sink"));

        String evalTopic = c.topic(Topics.EVAL_RESULTS);
        Map<String, KStream<String, GradeEvalProcessor.EvalOutcome>> evals = builder
                .stream(evalTopic, Consumed.with(Serdes.String(), Serdes.ByteArray()).withName("eval-results-source"))
                .process(() -> new GradeEvalProcessor(serdes.value(Topics.EVAL_RESULTS).deserializer(), evalTopic,
                        grader, metrics), Named.as("grade-eval-results"))
                .split(Named.as("eval-"))
                .branch((k, o) -> o.dead() != null, Branched.as("dead"))
                .defaultBranch(Branched.as("graded"));
        evals.get("eval-graded")
                .mapValues(o -> new EvalGrade(o.benchmark(), o.policyVersion(), o.outcome().correct(), o.outcome(),
                        o.sampled()), Named.as("eval-grade-of"))
                .groupByKey(Grouped.with("eval-grades-by-benchmark-version", Serdes.String(),
                        new JsonSerde<>(EvalGrade.class)))
                .aggregate(EvalTally::empty, (k, g, tally) -> g.sampled()
                                ? tally.addSamples(g.benchmark(), g.policyVersion(), g.outcome())
                                : tally.add(g.benchmark(), g.policyVersion(), g.correct(), g.outcome()),
                        Named.as("aggregate-eval-accuracy"),
                        Materialized.<String, EvalTally, KeyValueStore<Bytes, byte[]>>as(EVAL_ACCURACY_STORE)
                                .withKeySerde(Serdes.String()).withValueSerde(new JsonSerde<>(EvalTally.class)));
        KStream<String, DeadLetter> deadEvals = evals.get("eval-dead").mapValues(o -> o.dead().dead(),
                Named.as("dead-letter-of-eval"));

        // the dashboard's trainer and pipeline views: every metrics snapshot, dead letters by stage and reason
        String metricsTopic = c.topic(Topics.METRICS);
        builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(METRICS_HISTORY_STORE),
                Serdes.String(), new JsonSerde<>(MetricsPoint.class)));
        builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(NEWEST_METRICS_STORE),
                Serdes.String(), new JsonSerde<>(MetricsPoint.class)));
        KStream<String, DeadLetter> deadMetrics = builder
                .stream(metricsTopic, Consumed.with(Serdes.String(), Serdes.ByteArray()).withName("metrics-source"))
                .process(() -> new KeepMetricsProcessor(serdes.value(Topics.METRICS).deserializer(), metricsTopic,
                        metrics), Named.as("keep-metrics-history"), METRICS_HISTORY_STORE, NEWEST_METRICS_STORE);
        String deadTopic = c.topic(Topics.DEAD_LETTERS);
        var deadDecoder = serdes.value(Topics.DEAD_LETTERS).deserializer();
        builder.stream(deadTopic, Consumed.with(Serdes.String(), Serdes.ByteArray()).withName("dead-letters-source"))
                .map((k, v) -> KeyValue.pair(reasonKey(deadDecoder, deadTopic, v), v), Named.as("key-by-stage-and-reason"))
                .groupByKey(Grouped.with("dead-letters-by-reason", Serdes.String(), Serdes.ByteArray()))
                .count(Named.as("count-dead-letters"), Materialized.<String, Long, KeyValueStore<Bytes, byte[]>>as(
                        DEAD_LETTER_COUNTS_STORE).withKeySerde(Serdes.String()).withValueSerde(Serdes.Long()));

        deadGroups.merge(deadEvals, Named.as("merge-dead-letters"))
                .merge(deadMetrics, Named.as("merge-dead-metrics"))
                .to(c.topic(Topics.DEAD_LETTERS), Produced.with(Serdes.String(), serdes.value(Topics.DEAD_LETTERS))
                        .withName("dead-letters-sink"));
        return builder.build();
    }

    /**
     * "stage TAB reason" of a dead letter, numbers folded to '#' so that one cause is one row
     * ("batch b-17: ..." and "batch b-18: ..." count together), cut at 160 characters.
     */
    static String reasonKey(org.apache.kafka.common.serialization.Deserializer<DeadLetter> decoder, String topic,
            byte[] value) {
        try {
            DeadLetter d = decoder.deserialize(topic, value);
            if (d == null) {
                return "unknown\tempty dead letter";
            }
            String reason = d.getError().replaceAll("[0-9]+", "#");
            return d.getStage() + "\t" + (reason.length() > 160 ? reason.substring(0, 160) : reason);
        } catch (RuntimeException e) {
            return "unknown\tunreadable dead letter";
        }
    }

    /** One graded evaluation answer, repartitioned by benchmark and version (outcome null when an older build wrote it). */
    /** @param sampled the outcome holds a problem's samples, not its greedy answer */
    record EvalGrade(String benchmark, long policyVersion, boolean correct, ProblemOutcome outcome, boolean sampled) {}

    static GroupSummary summary(ScoredGroup g) {
        int n = g.getRewards().size();
        double seMax = n >= 2 ? Math.log(n) : 1;
        int toolAnswers = 0;
        int calls = 0;
        int failures = 0;
        long latency = 0;
        for (io.seedstream.schemas.avro.Answer a : g.getRollout().getAnswers()) {
            toolAnswers += a.getToolCalls() == null || a.getToolCalls().isEmpty() ? 0 : 1;
            for (io.seedstream.schemas.avro.ToolCall c : a.getToolCalls() == null
                    ? java.util.List.<io.seedstream.schemas.avro.ToolCall>of() : a.getToolCalls()) {
                calls++;
                failures += c.getStatus().equals("ok") ? 0 : 1;
                latency += c.getLatencyMs();
            }
        }
        return new GroupSummary(g.getRollout().getPolicyVersion(), n, correctAnswers(g), g.getSemanticEntropy(),
                g.getSemanticEntropy() / seMax, g.getScale(), zeroAdvantage(g), toolAnswers, calls, failures, latency);
    }

    /** Answers of the group with a positive reward. */
    static int correctAnswers(ScoredGroup g) {
        int correct = 0;
        for (Double r : g.getRewards()) {
            correct += r > 0 ? 1 : 0;
        }
        return correct;
    }

    /** Whether every advantage is zero: the group carries no learning signal. */
    static boolean zeroAdvantage(ScoredGroup g) {
        return g.getAdvantages().stream().allMatch(a -> a == 0.0);
    }
}
