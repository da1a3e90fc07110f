package io.seedstream.producers.dispatch;

import io.seedstream.producers.follow.LatestByKey;
import io.seedstream.producers.follow.AnnouncementCheck;
import io.seedstream.producers.follow.PolicyVersions;
import io.seedstream.producers.follow.PromptStates;
import io.seedstream.producers.follow.PromptTable;
import io.seedstream.producers.follow.Undecodable;
import io.seedstream.schemas.ClientIds;
import io.seedstream.schemas.ConnectionConfig;
import io.seedstream.schemas.DeadLetters;
import io.seedstream.schemas.RecordSeeds;
import io.seedstream.schemas.Topics;
import io.seedstream.schemas.avro.DeadLetter;
import io.seedstream.schemas.avro.DispatchPosition;
import io.seedstream.schemas.avro.EvalRequest;
import io.seedstream.schemas.avro.MetricsSnapshot;
import io.seedstream.schemas.avro.MetricsSource;
import io.seedstream.schemas.avro.Prompt;
import io.seedstream.schemas.avro.PromptState;
import io.seedstream.schemas.avro.RolloutRequest;
import io.seedstream.schemas.avro.SamplingParams;
import io.seedstream.schemas.serde.AvroSerdes;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Releases rollout requests from the prompts table, epoch by epoch in a seeded shuffle, within
 * the admission rule of the staleness bound, and schedules evaluation rounds every few policy
 * versions. Its position is written in the same transaction as the requests it released, so a
 * restart continues exactly where the last committed release ended: nothing twice, nothing skipped.
 */
public final class Dispatcher {

    private static final Logger log = LoggerFactory.getLogger(Dispatcher.class);
    /** How often the release transaction carries a metrics snapshot. */
    private static final Duration METRICS_EVERY = Duration.ofSeconds(5);

    /** What the dispatcher has done so far, for a status line. */
    /**
     * What the dispatcher has done so far, for a status line: {@code replaced} groups released in place of
     * groups the zero-advantage filter dropped, {@code retired} prompts the filter retired, and the
     * releases of this process by selection reason.
     */
    public record Status(long newestVersion, long released, long capacity, long epoch, long index, long evalRounds,
            long replaced, long retired, Map<String, Long> reasons) {}

    /** Told after every release and every wait. */
    public interface StatusListener {
        void status(Status s);
    }

    private final ConnectionConfig connection;
    private final DispatcherConfig config;
    private final AvroSerdes serdes;
    private final Clock clock;
    private final AdmissionRule rule;
    private volatile boolean stopping;

    public Dispatcher(ConnectionConfig connection, DispatcherConfig config, AvroSerdes serdes, Clock clock) {
        this.connection = connection;
        this.config = config;
        this.serdes = serdes;
        this.clock = clock;
        this.rule = new AdmissionRule(config.stalenessBound(), config.batchGroups());
    }

    public void stop() {
        stopping = true;
    }

    public Status run(StatusListener listener) throws IOException, InterruptedException {
        String clientId = ClientIds.DISPATCHER_PREFIX + config.runId();
        try (PolicyVersions versions = PolicyVersions.follow(connection, serdes, config.runId(), clientId + "-versions",
                new AnnouncementCheck(connection, config.checkpointDir(), config.batchGroups()));
                PromptTable prompts = PromptTable.follow(connection, serdes, clientId + "-prompts");
                PromptStates states = PromptStates.follow(connection, serdes, clientId + "-states");
                KafkaProducer<String, Object> producer = producer(clientId)) {
            // fence an earlier dispatcher of this run (its open release is aborted) before reading the position,
            // so no release of it can commit after the position was read
            producer.initTransactions();
            DispatchPosition position = LatestByKey.read(connection, connection.topic(Topics.DISPATCH_POSITIONS),
                    serdes.value(Topics.DISPATCH_POSITIONS).deserializer(), config.runId(), clientId + "-position",
                    Duration.ofSeconds(60)).orElse(null);
            prompts.awaitLoaded(config.startWait());
            states.awaitLoaded(config.startWait());
            List<EvalSet> evalSets = evalSets(prompts);
            publishEvalPrompts(producer, evalSets);
            Set<String> benchmarks = new HashSet<>();
            evalSets.forEach(e -> benchmarks.add(e.benchmark()));
            List<String> trainIds = trainingIds(prompts, benchmarks);
            if (position == null) {
                EpochOrder first = EpochOrder.of(trainIds, config.seed(), 0);
                position = DispatchPosition.newBuilder().setRunId(config.runId()).setEpoch(0).setIndex(0)
                        .setEpochPrompts(first.ids().size()).setEpochFingerprint(first.fingerprint())
                        .setReleasedGroups(0).setLastEvalVersion(-1).setUpdatedAt(clock.instant()).build();
            } else {
                log.info("resuming at epoch {}, index {}, {} groups released", position.getEpoch(), position.getIndex(),
                        position.getReleasedGroups());
            }
            Run run = new Run(position, trainIds, benchmarks, evalSets, prompts, states, versions, producer, listener);
            return run.loop();
        }
    }

    /** The dispatcher's transactional producer: requests and its position in one transaction. */
    public static Properties producerProperties(ConnectionConfig connection, String clientId) {
        Properties p = connection.producerProperties(clientId);
        p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, clientId);
        return p;
    }

    private KafkaProducer<String, Object> producer(String clientId) {
        Properties p = producerProperties(connection, clientId);
        return new KafkaProducer<>(p, new StringSerializer(), serdes.anyValue(Topics.ROLLOUT_REQUESTS,
                Topics.EVAL_REQUESTS, Topics.DISPATCH_POSITIONS, Topics.PROMPTS, Topics.DEAD_LETTERS, Topics.METRICS));
    }

    private List<EvalSet> evalSets(PromptTable prompts) throws IOException {
        if (config.evalEvery() == 0) {
            return List.of();
        }
        List<EvalSet> sets = new ArrayList<>();
        for (var file : config.evalFiles()) {
            sets.add(EvalSet.read(file));
        }
        if (sets.isEmpty()) {
            // written once: a restart finds the set in the prompts topic and keeps it
            List<Prompt> written = new ArrayList<>(prompts.all().stream()
                    .filter(p -> p.getDataset().equals(EvalSet.HELD_OUT)).toList());
            if (!written.isEmpty()) {
                written.sort(java.util.Comparator.comparing(Prompt::getId));
                sets.add(new EvalSet(EvalSet.HELD_OUT, written));
            } else {
                Set<String> texts = new HashSet<>();
                prompts.all().forEach(p -> texts.add(p.getProblem()));
                sets.add(EvalSet.heldOut(config.heldOutSize(), config.heldOutSeed(), texts));
            }
        }
        return sets;
    }

    /** Evaluation prompts go to the prompts topic too: generators and the topology look them up there. */
    private void publishEvalPrompts(KafkaProducer<String, Object> producer, List<EvalSet> sets) {
        if (sets.isEmpty()) {
            return;
        }
        producer.beginTransaction();
        for (EvalSet s : sets) {
            for (Prompt p : s.prompts()) {
                producer.send(new ProducerRecord<>(connection.topic(Topics.PROMPTS), p.getId(), p));
            }
        }
        producer.commitTransaction();
    }

    /** Training prompts: the configured datasets, or every dataset that is not a benchmark. */
    private List<String> selectTraining(PromptTable prompts, Set<String> benchmarks) {
        List<String> ids = new ArrayList<>();
        for (Prompt p : prompts.all()) {
            boolean wanted = config.trainDatasets().isEmpty() ? !benchmarks.contains(p.getDataset())
                    : config.trainDatasets().contains(p.getDataset());
            if (wanted) {
                ids.add(p.getId());
            }
        }
        return ids;
    }

    /** The training prompts, once there are some (bounded wait). */
    private List<String> trainingIds(PromptTable prompts, Set<String> benchmarks) throws InterruptedException {
        long deadline = System.nanoTime() + config.startWait().toNanos();
        while (true) {
            List<String> ids = selectTraining(prompts, benchmarks);
            if (!ids.isEmpty()) {
                return ids;
            }
            if (System.nanoTime() > deadline || stopping) {
                throw new IllegalStateException("no training prompts in " + connection.topic(Topics.PROMPTS)
                        + (config.trainDatasets().isEmpty() ? "" : " of datasets " + config.trainDatasets())
                        + " after " + config.startWait().toMillis() + " ms: load some with `seedstream prompts load`");
            }
            Thread.sleep(200);
        }
    }

    private final class Run {
        private DispatchPosition position;
        private final PromptSelector selector;
        private final List<EvalSet> evalSets;
        private final PromptTable prompts;
        private final PromptStates states;
        private final PolicyVersions versions;
        private final KafkaProducer<String, Object> producer;
        private final StatusListener listener;
        private final Map<String, Long> reasons = new TreeMap<>();
        private final Set<String> retiredNoted = new HashSet<>();
        private Map<String, PromptState> table = Map.of();
        /** Groups the filter dropped, by the table's count: each is replaced by one more release. */
        private long replaced;
        private long evalRounds;
        private Instant metricsAt = Instant.EPOCH;

        Run(DispatchPosition position, List<String> trainIds, Set<String> benchmarks, List<EvalSet> evalSets,
                PromptTable prompts, PromptStates states, PolicyVersions versions, KafkaProducer<String, Object> producer,
                StatusListener listener) {
            this.position = position;
            position.getReleasedBySelection().forEach((reason, count) -> reasons.put(reason.toString(), count));
            this.evalSets = evalSets;
            this.prompts = prompts;
            this.states = states;
            this.versions = versions;
            this.producer = producer;
            this.listener = listener;
            EpochOrder order = EpochOrder.of(trainIds, config.seed(), position.getEpoch());
            if (!order.fingerprint().equals(position.getEpochFingerprint())) {
                log.warn("the training prompts changed since epoch {} began ({} then, {} now): the rest of the epoch "
                        + "follows the new set's order", position.getEpoch(), position.getEpochPrompts(), order.ids().size());
            }
            this.selector = new PromptSelector(config.selection(), config.seed(), config.filterZeroAdvantage(),
                    () -> selectTraining(prompts, benchmarks), order, position.getIndex());
            if (config.selection().policy() != Selection.Policy.UNIFORM || config.filterZeroAdvantage()) {
                log.info("selection {}{}", config.selection().policy().label(), config.filterZeroAdvantage()
                        ? ", zero-advantage groups replaced, prompts retired after " + config.selection()
                        .filteredStreakLimit() + " dropped groups in a row" : "");
            }
        }

        Status loop() throws InterruptedException {
            while (!stopping) {
                deadLetterUndecodable();
                readTable();
                long newest = versions.latestVersion();
                long capacity = capacity();
                long admissible = Math.min(capacity - position.getReleasedGroups(), config.releaseChunk());
                boolean evalDue = evalDue(newest);
                if (admissible > 0 || evalDue) {
                    release((int) Math.max(0, admissible), evalDue ? newest : -1);
                } else {
                    versions.awaitNewerThan(newest, config.pollInterval());
                }
                listener.status(status(newest, capacity));
            }
            long newest = versions.latestVersion();
            return status(newest, capacity());
        }

        /**
         * Records of prompts, prompt states and policy-versions that do not decode (or, for states and
         * announcements, cannot be true) become dead letters here: the dispatcher is the one reader of
         * them per run (generators only count theirs). A restarted dispatcher reads the compacted
         * topics again and writes them again.
         */
        private void deadLetterUndecodable() {
            List<ProducerRecord<String, Object>> out = new ArrayList<>();
            for (Undecodable.Entry e : prompts.undecodable().take()) {
                out.add(new ProducerRecord<>(connection.topic(Topics.DEAD_LETTERS), e.key(),
                        e.deadLetter("dispatcher-decode", "a prompt", clock.instant())));
            }
            for (Undecodable.Entry e : states.undecodable().take()) {
                out.add(new ProducerRecord<>(connection.topic(Topics.DEAD_LETTERS), e.key(),
                        e.deadLetter("dispatcher-decode", "a prompt state", clock.instant())));
            }
            for (Undecodable.Entry e : versions.undecodable().take()) {
                out.add(new ProducerRecord<>(connection.topic(Topics.DEAD_LETTERS), e.key(),
                        e.deadLetter("dispatcher-decode", "a policy version", clock.instant())));
            }
            for (PolicyVersions.Refusal r : versions.takeRefused()) {
                log.warn("refused the announcement of version {} at {}-{}: {}", r.version().getVersion(),
                        connection.topic(Topics.POLICY_VERSIONS), r.offset(), r.reason());
                out.add(new ProducerRecord<>(connection.topic(Topics.DEAD_LETTERS), r.version().getRunId(),
                        refusedAnnouncement(r)));
            }
            if (out.isEmpty()) {
                return;
            }
            try {
                producer.beginTransaction();
                out.forEach(producer::send);
                producer.commitTransaction();
                log.warn("{} undecodable records of prompts or policy-versions dead-lettered", out.size());
            } catch (KafkaException e) {
                throw new IllegalStateException("dead-lettering " + out.size() + " records failed: " + e.getMessage(), e);
            }
        }

        /** A refused announcement as a dead letter: where it is and why (its bytes are in the log). */
        private DeadLetter refusedAnnouncement(PolicyVersions.Refusal r) {
            return DeadLetters.of(connection.topic(Topics.POLICY_VERSIONS), r.partition(), r.offset(),
                    r.version().getRunId(), null, "dispatcher-validate", "announcement of version "
                            + r.version().getVersion() + " refused: " + r.reason(), null, clock.instant());
        }

        /**
         * What the newest accepted announcement admits, plus one group for each the zero-advantage filter
         * dropped (they are answered but never reach a batch), so trainable groups stay within the rule.
         */
        private long capacity() {
            long admitted = versions.latest().map(a -> rule.capacity(a.number(), a.version().getConsumedGroups()))
                    .orElse(rule.capacity(-1));
            return versions.latest().isPresent() ? admitted + replaced : admitted;
        }

        /** The oldest version that may sample group n, by the newest accepted announcement. */
        private long minPolicyVersion(long n, long replaced) {
            return versions.latest().map(a -> rule.minPolicyVersion(n - replaced, a.number(),
                    a.version().getConsumedGroups())).orElse(rule.minPolicyVersion(n));
        }

        /**
         * Takes the prompt-state table the next releases decide on, and with the filter on, counts the
         * groups it dropped and logs each prompt it retired, once.
         */
        private void readTable() {
            table = states.snapshot();
            if (!config.filterZeroAdvantage()) {
                return;
            }
            long dropped = 0;
            for (PromptState s : table.values()) {
                dropped += s.getDroppedVisits();
                if (s.getZeroAdvantageStreak() >= config.selection().filteredStreakLimit()
                        && retiredNoted.add(s.getPromptId())) {
                    log.info("prompt {} retired: its newest {} groups all had zero advantage (recent pass rate {})",
                            s.getPromptId(), s.getZeroAdvantageStreak(), s.getRecentPassRate());
                }
            }
            replaced = dropped;
        }

        private Status status(long newest, long capacity) {
            return new Status(newest, position.getReleasedGroups(), capacity, position.getEpoch(), position.getIndex(),
                    evalRounds, replaced, retiredNoted.size(), Map.copyOf(reasons));
        }

        private boolean evalDue(long newest) {
            return config.evalEvery() > 0 && !evalSets.isEmpty() && newest >= 0
                    && (position.getLastEvalVersion() < 0 || newest >= position.getLastEvalVersion() + config.evalEvery());
        }

        /** Requests and the position that follows them, in one transaction. */
        private void release(int groups, long evalVersion) {
            DispatchPosition.Builder next = DispatchPosition.newBuilder(position);
            List<ProducerRecord<String, Object>> out = new ArrayList<>();
            Map<String, Long> chosen = new TreeMap<>();
            long n = position.getReleasedGroups();
            for (int i = 0; i < groups; i++) {
                PromptSelector.Choice c = selector.next(n, table);
                RolloutRequest r = RolloutRequest.newBuilder().setRequestId(config.runId() + "-g" + n)
                        .setPromptId(c.promptId()).setGroupSize(config.groupSize()).setSampling(sampling())
                        .setMinPolicyVersion(minPolicyVersion(n, replaced)).setCreatedAt(clock.instant())
                        .setSelection(c.reason().label()).build();
                out.add(new ProducerRecord<>(connection.topic(Topics.ROLLOUT_REQUESTS), c.promptId(), r));
                chosen.merge(c.reason().label(), 1L, Long::sum);
                n++;
            }
            EpochOrder order = selector.order();
            if (order.epoch() != position.getEpoch()) {
                next.setEpochPrompts(order.ids().size()).setEpochFingerprint(order.fingerprint());
            }
            if (evalVersion >= 0) {
                boolean sampled = config.samplesAt(evalVersion);
                for (EvalSet set : evalSets) {
                    for (Prompt p : set.prompts()) {
                        EvalRequest e = EvalRequest.newBuilder()
                                .setRequestId(config.runId() + "-eval-v" + evalVersion + "-" + p.getId())
                                .setPromptId(p.getId()).setBenchmark(set.benchmark()).setPolicyVersion(evalVersion)
                                .setMaxNewTokens(config.maxNewTokens()).setCreatedAt(clock.instant()).build();
                        out.add(new ProducerRecord<>(connection.topic(Topics.EVAL_REQUESTS), p.getId(), e));
                        if (sampled) {
                            // a problem's samples draw on the same seeds at every version: rounds compare paired
                            EvalRequest s = EvalRequest.newBuilder(e).setRequestId(e.getRequestId() + "-samples")
                                    .setSamples(config.evalSamples()).setTemperature((float) config.evalTemperature())
                                    .setSeed(sampleSeed(p.getId())).build();
                            out.add(new ProducerRecord<>(connection.topic(Topics.EVAL_REQUESTS), p.getId(), s));
                        }
                    }
                }
                next.setLastEvalVersion(evalVersion);
            }
            Map<String, Long> byReason = new TreeMap<>(reasons);
            chosen.forEach((k, v) -> byReason.merge(k, v, Long::sum));
            DispatchPosition after = next.setEpoch(order.epoch()).setIndex(selector.index()).setReleasedGroups(n)
                    .setReleasedBySelection(byReason).setUpdatedAt(clock.instant()).build();
            out.add(new ProducerRecord<>(connection.topic(Topics.DISPATCH_POSITIONS), config.runId(), after));
            Instant now = clock.instant();
            if (!now.isBefore(metricsAt.plus(METRICS_EVERY))) {
                out.add(new ProducerRecord<>(connection.topic(Topics.METRICS), "dispatcher-" + config.runId(),
                        metrics(n, byReason, now)));
                metricsAt = now;
            }
            try {
                producer.beginTransaction();
                out.forEach(producer::send);
                producer.commitTransaction();
            } catch (KafkaException e) {
                // fenced by another dispatcher of this run, or the broker is gone: nothing of this release counts
                throw new IllegalStateException("releasing " + groups + " requests failed: " + e.getMessage(), e);
            }
            position = after;
            reasons.clear();
            reasons.putAll(byReason);
            if (evalVersion >= 0) {
                evalRounds++;
                log.info("evaluation round for version {} released ({} prompts)", evalVersion,
                        evalSets.stream().mapToInt(s -> s.prompts().size()).sum());
            }
        }

        /**
         * What the dashboard shows of the dispatcher: releases, admission, replaced groups, retired prompts
         * and the run's releases by selection reason ({@code selection.<reason>}, kept in the position).
         */
        private MetricsSnapshot metrics(long released, Map<String, Long> byReason, Instant now) {
            Map<String, Double> v = new LinkedHashMap<>();
            v.put("released_groups_total", (double) released);
            v.put("capacity", (double) capacity());
            v.put("replaced_groups_total", (double) replaced);
            v.put("retired_prompts", (double) retiredNoted.size());
            byReason.forEach((reason, count) -> v.put("selection." + reason, (double) count));
            return MetricsSnapshot.newBuilder().setSource("dispatcher-" + config.runId()).setKind(MetricsSource.OTHER)
                    .setStep(released).setPolicyVersion(Math.max(0, versions.latestVersion())).setValues(v)
                    .setHistograms(Map.of()).setCreatedAt(now).build();
        }

        private SamplingParams sampling() {
            return SamplingParams.newBuilder().setTemperature(config.temperature()).setTopP(config.topP())
                    .setTopK(config.topK()).setMaxNewTokens(config.maxNewTokens()).setSeed(null).build();
        }
    }

    /** The seed of a problem's evaluation samples: the same at every version, never 0 (0 means "from the id"). */
    static long sampleSeed(String promptId) {
        return RecordSeeds.of(0x5eed_5a3b_1e5L, promptId);
    }
}
