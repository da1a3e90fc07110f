package io.seedstream.cli.chaos;

import io.seedstream.schemas.ConnectionConfig;
import io.seedstream.schemas.LogReading;
import io.seedstream.schemas.Topic;
import io.seedstream.schemas.Topics;
import io.seedstream.schemas.avro.AnswerGroup;
import io.seedstream.schemas.avro.DeadLetter;
import io.seedstream.schemas.avro.EvalRequest;
import io.seedstream.schemas.avro.EvalResult;
import io.seedstream.schemas.avro.MetricsSnapshot;
import io.seedstream.schemas.avro.MetricsSource;
import io.seedstream.schemas.avro.RolloutRequest;
import io.seedstream.schemas.avro.ScoredGroup;
import io.seedstream.schemas.avro.TrainingBatch;
import io.seedstream.schemas.serde.AvroSerdes;
import io.seedstream.streams.grading.Grader;
import io.seedstream.streams.grading.GraderOptions;
import io.seedstream.streams.scoring.GroupScorer;
import io.seedstream.streams.scoring.ScoringConfig;
import io.seedstream.streams.topology.TopologySettings;
import io.seedstream.trainer.CheckpointStore;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;
import org.apache.avro.specific.SpecificRecord;

/**
 * After a chaos run: what the log and the checkpoints say happened, against what exactly-once
 * promises. Every row is counted from the records and files themselves, never from what the
 * processes reported about themselves (except the trainer's step metrics, which are the only
 * record of which groups an update used).
 */
final class ChaosReconciliation {

    /**
     * One line of the table: a stable id and the counts it rests on for programs (reconciliation.json),
     * the sentence, the expectation and what was found for people.
     */
    record Check(String id, String what, String expected, String found, boolean ok, Map<String, Long> counts) {}

    /** A record written on purpose where a stage will refuse it: the one dead letter each may cause. */
    record Injected(String topic, int partition, long offset, String what) {}

    /**
     * A trainer restart: the newest checkpoint when it was killed and its stored offsets, against the
     * checkpoint and offsets the next incarnation's {@code resumed} event named.
     */
    record Resume(int fault, String expectedCheckpoint, Map<Integer, Long> expectedOffsets, String checkpoint,
            Map<Integer, Long> offsets) {

        boolean ok() {
            return expectedCheckpoint.equals(checkpoint) && new TreeMap<>(expectedOffsets).equals(offsets);
        }
    }

    private final List<Check> checks = new ArrayList<>();

    List<Check> checks() {
        return checks;
    }

    boolean ok() {
        return checks.stream().allMatch(Check::ok);
    }

    private void check(String id, String what, Object expected, Object found, boolean ok, Map<String, Long> counts) {
        checks.add(new Check(id, what, String.valueOf(expected), String.valueOf(found), ok, counts));
    }

    /** Reads every topic the run wrote and the checkpoint store, and fills the table. */
    static ChaosReconciliation of(ConnectionConfig c, AvroSerdes serdes, CheckpointStore store, int eta,
            int batchGroups, String runId, ScoringConfig scoring, List<Injected> injected, List<Resume> resumes) throws IOException {
        ChaosReconciliation r = new ChaosReconciliation();
        List<RolloutRequest> requests = read(c, serdes, Topics.ROLLOUT_REQUESTS);
        List<AnswerGroup> groups = read(c, serdes, Topics.ROLLOUTS);
        r.answeredOnce("rollout-requests", "rollout requests", requests, RolloutRequest::getRequestId, groups, AnswerGroup::getRequestId);
        List<EvalRequest> evalRequests = read(c, serdes, Topics.EVAL_REQUESTS);
        List<EvalResult> evalResults = read(c, serdes, Topics.EVAL_RESULTS);
        r.answeredOnce("evaluation-requests", "evaluation requests", evalRequests, EvalRequest::getRequestId, evalResults,
                EvalResult::getRequestId);

        List<TrainingBatch> batches = read(c, serdes, Topics.TRAINING_BATCHES);
        List<ScoredGroup> scored = batches.stream().flatMap(b -> b.getGroups().stream()).toList();
        r.inExactlyOne(groups, scored, dropped(c, serdes, groups, scored, scoring));

        List<CheckpointStore.Checkpoint> lineage = store.list();
        Map<String, Long> appliedAt = r.ledger(lineage, batches);
        r.staleness(batches, appliedAt, eta, batchGroups, read(c, serdes, Topics.METRICS), "trainer-" + runId);
        r.resumes(resumes);
        r.deadLetters(read(c, serdes, Topics.DEAD_LETTERS), injected);
        return r;
    }

    /**
     * The unbatched groups the topology dropped for zero advantage (dynamic sampling on): the
     * reconciliation scores them again with the run's scoring settings and the prompts' answers, as
     * the topology did. Empty when the filter is off.
     */
    private static Set<String> dropped(ConnectionConfig c, AvroSerdes serdes, List<AnswerGroup> groups,
            List<ScoredGroup> batched, ScoringConfig scoring) {
        if (!scoring.filterZeroAdvantage()) {
            return Set.of();
        }
        Set<String> inBatch = new HashSet<>();
        batched.forEach(g -> inBatch.add(g.getRollout().getRequestId()));
        Map<String, List<String>> gold = new HashMap<>();
        read(c, serdes, Topics.PROMPTS).forEach(p -> gold.put(p.getId(), List.copyOf(p.getAnswers())));
        GroupScorer scorer = new GroupScorer(new Grader(GraderOptions.DEFAULT.withTimeout(
                TopologySettings.defaults().graderTimeout())), scoring);
        Set<String> out = new HashSet<>();
        for (AnswerGroup g : groups) {
            List<String> references = gold.get(g.getPromptId());
            if (!inBatch.contains(g.getRequestId()) && references != null
                    && scorer.score(references, GroupScorer.answersOf(g)).zeroAdvantage()) {
                out.add(g.getRequestId());
            }
        }
        return out;
    }

    /** The groups the topology dropped for zero advantage, by its own count (the prompts' states). */
    private static long droppedByTopology(ConnectionConfig c, AvroSerdes serdes) {
        Map<String, Long> byPrompt = new HashMap<>();
        read(c, serdes, Topics.PROMPT_STATES).forEach(s -> byPrompt.put(s.getPromptId(), s.getDroppedVisits()));
        return byPrompt.values().stream().mapToLong(Long::longValue).sum();
    }

    /**
     * What is still on its way (requests unanswered, groups not batched), or null when nothing is;
     * with the zero-advantage filter on, the groups the topology dropped are not on their way.
     */
    static String unfinished(ConnectionConfig c, AvroSerdes serdes, boolean filterOn) {
        Set<String> answered = new HashSet<>();
        read(c, serdes, Topics.ROLLOUTS).forEach(g -> answered.add(g.getRequestId()));
        long unanswered = read(c, serdes, Topics.ROLLOUT_REQUESTS).stream()
                .filter(q -> !answered.contains(q.getRequestId())).count();
        Set<String> evaluated = new HashSet<>();
        read(c, serdes, Topics.EVAL_RESULTS).forEach(e -> evaluated.add(e.getRequestId()));
        long unevaluated = read(c, serdes, Topics.EVAL_REQUESTS).stream()
                .filter(q -> !evaluated.contains(q.getRequestId())).count();
        Set<String> batched = new HashSet<>();
        read(c, serdes, Topics.TRAINING_BATCHES).forEach(b -> b.getGroups()
                .forEach(g -> batched.add(g.getRollout().getRequestId())));
        long unbatched = answered.stream().filter(id -> !batched.contains(id)).count()
                - (filterOn ? droppedByTopology(c, serdes) : 0);
        return unanswered + unevaluated + Math.max(0, unbatched) == 0 ? null : String.format(Locale.ROOT,
                "%d rollout requests unanswered, %d evaluation requests unanswered, %d answer groups not batched",
                unanswered, unevaluated, unbatched);
    }

    /** The offset of a one-partition topic's last committed record, -1 when it has none. */
    static <V extends SpecificRecord> long lastOffset(ConnectionConfig c, AvroSerdes serdes, Topic<String, V> topic) {
        long[] last = {-1};
        LogReading.readAll(c, c.topic(topic), serdes.value(topic).deserializer(),
                (offset, v) -> last[0] = Math.max(last[0], offset), null, skipped -> { });
        return last[0];
    }

    private static <V extends SpecificRecord> List<V> read(ConnectionConfig c, AvroSerdes serdes, Topic<String, V> topic) {
        List<V> out = new ArrayList<>();
        // the injected garbage does not decode; its dead letter is what the reconciliation checks
        LogReading.readAll(c, c.topic(topic), serdes.value(topic).deserializer(), (offset, v) -> out.add(v), null,
                skipped -> { });
        return out;
    }

    private <Q, A> void answeredOnce(String checkId, String what, List<Q> requests, Function<Q, String> requestId, List<A> answers,
            Function<A, String> answerId) {
        Set<String> released = new HashSet<>();
        requests.forEach(q -> released.add(requestId.apply(q)));
        Map<String, Integer> times = new HashMap<>();
        answers.forEach(a -> times.merge(answerId.apply(a), 1, Integer::sum));
        long once = released.stream().filter(id -> times.getOrDefault(id, 0) == 1).count();
        long none = released.stream().filter(id -> !times.containsKey(id)).count();
        long twice = released.stream().filter(id -> times.getOrDefault(id, 0) > 1).count();
        long unknown = times.keySet().stream().filter(id -> !released.contains(id)).count();
        check(checkId + "-answered-once", what + " released (read_committed), each answered exactly once",
                released.size() + " answered once",
                String.format(Locale.ROOT, "%d answered once, %d unanswered, %d answered twice or more, %d answers to "
                        + "no request; %d request records for %d ids", once, none, twice, unknown, requests.size(),
                        released.size()),
                once == released.size() && unknown == 0 && requests.size() == released.size(),
                Map.of("released", (long) released.size(), "answered_once", once, "unanswered", none,
                        "answered_twice_or_more", twice, "answers_to_no_request", unknown));
    }

    private void inExactlyOne(List<AnswerGroup> groups, List<ScoredGroup> scored, Set<String> dropped) {
        Map<String, Integer> times = new HashMap<>();
        scored.forEach(g -> times.merge(g.getRollout().getRequestId(), 1, Integer::sum));
        Set<String> produced = new HashSet<>();
        groups.forEach(g -> produced.add(g.getRequestId()));
        long once = produced.stream().filter(id -> times.getOrDefault(id, 0) == 1).count();
        long none = produced.stream().filter(id -> !times.containsKey(id) && !dropped.contains(id)).count();
        long twice = produced.stream().filter(id -> times.getOrDefault(id, 0) > 1).count();
        long foreign = times.keySet().stream().filter(id -> !produced.contains(id)).count();
        String droppedText = dropped.isEmpty() ? "" : String.format(Locale.ROOT, ", %d dropped for zero advantage "
                + "(scored again here)", dropped.size());
        check("groups-batched-once", "answer groups scored once, each in exactly one training batch"
                        + (dropped.isEmpty() ? "" : " or dropped for zero advantage"),
                produced.size() + " in one batch" + (dropped.isEmpty() ? "" : " or dropped"),
                String.format(Locale.ROOT, "%d in one batch%s, %d in none, %d in two or more, %d batched groups from no "
                        + "answer group", once, droppedText, none, twice, foreign),
                once + dropped.size() == produced.size() && none == 0 && foreign == 0,
                Map.of("groups", (long) produced.size(), "in_one_batch", once, "in_none", none, "in_two_or_more", twice,
                        "batched_from_no_group", foreign, "dropped_zero_advantage", (long) dropped.size()));
    }

    /**
     * Walks the checkpoints from version 0: each names its predecessor and the batches its updates
     * applied or rejected. Returns the step that applied each batch.
     */
    private Map<String, Long> ledger(List<CheckpointStore.Checkpoint> lineage, List<TrainingBatch> batches) {
        boolean chained = !lineage.isEmpty() && lineage.get(0).state().step() == 0;
        String previous = null;
        long expectedStep = 0;
        Map<String, Long> appliedAt = new LinkedHashMap<>();
        Map<String, Integer> seen = new HashMap<>();
        // a checkpoint lists what its updates applied and what they rejected, not how the two interleaved
        List<Set<String>> slices = new ArrayList<>();
        long rejected = 0;
        for (CheckpointStore.Checkpoint cp : lineage) {
            var s = cp.state();
            chained &= s.step() == expectedStep && (previous == null ? s.previous() == null : previous.equals(s.previous()));
            chained &= s.step() == 0 || s.appliedBatches().size() == 1; // checkpoint every step: one update each
            Set<String> slice = new HashSet<>();
            for (String b : s.appliedBatches()) {
                appliedAt.put(b, s.step());
                seen.merge(b, 1, Integer::sum);
                slice.add(b);
            }
            for (String b : s.rejectedBatches()) {
                seen.merge(b, 1, Integer::sum);
                slice.add(b);
                rejected++;
            }
            slices.add(slice);
            previous = cp.dir().getFileName().toString();
            expectedStep = s.step() + 1;
        }
        long finalVersion = lineage.isEmpty() ? -1 : lineage.get(lineage.size() - 1).state().step();
        check("checkpoint-lineage", "checkpoints form one lineage from version 0, one update each", "v0 .. v" + finalVersion + " chained",
                lineage.size() + " checkpoints, " + (chained ? "chained" : "BROKEN chain"), chained,
                Map.of("checkpoints", (long) lineage.size(), "final_version", finalVersion));
        List<String> logOrder = batches.stream().map(TrainingBatch::getBatchId).toList();
        Set<String> inLog = new HashSet<>(logOrder);
        long once = logOrder.stream().filter(id -> seen.getOrDefault(id, 0) == 1).count();
        long none = logOrder.stream().filter(id -> !seen.containsKey(id)).count();
        long twice = logOrder.stream().filter(id -> seen.getOrDefault(id, 0) > 1).count();
        long foreign = seen.keySet().stream().filter(id -> !inLog.contains(id)).count();
        boolean inOrder = true;
        int at = 0;
        for (Set<String> slice : slices) {
            int end = Math.min(logOrder.size(), at + slice.size());
            inOrder &= new HashSet<>(logOrder.subList(at, end)).equals(slice);
            at = end;
        }
        check("batches-applied-once", "training batches each applied by exactly one update of the lineage, or rejected as stale",
                logOrder.size() + " once, in log order",
                String.format(Locale.ROOT, "%d once (%d applied by versions 1-%d, %d rejected), %d never, %d twice or "
                        + "more, %d ledger entries for no batch; %s", once, appliedAt.size(), finalVersion, rejected,
                        none, twice, foreign, inOrder ? "in log order" : "NOT in log order"),
                once == logOrder.size() && foreign == 0 && inOrder,
                Map.of("batches", (long) logOrder.size(), "once", once, "applied", (long) appliedAt.size(), "rejected",
                        (long) rejected, "never", none, "twice_or_more", twice, "ledger_entries_for_no_batch", foreign,
                        "in_log_order", inOrder ? 1L : 0L));
        return appliedAt;
    }

    /**
     * Groups of applied batches within and beyond eta (beyond: overtaken, when an earlier batch that
     * would have held it within the bound took a newer group instead; else late), groups of batches
     * that made no update, and the step reports' largest staleness.
     */
    void staleness(List<TrainingBatch> batches, Map<String, Long> appliedAt, int eta, int batchGroups,
            List<MetricsSnapshot> metrics, String trainerSource) {
        long within = 0;
        long stale = 0;
        long overtaken = 0;
        long unapplied = 0;
        long shortBatches = batches.stream().filter(b -> b.getGroups().size() < batchGroups).count();
        for (int i = 0; i < batches.size(); i++) {
            TrainingBatch b = batches.get(i);
            Long step = appliedAt.get(b.getBatchId());
            if (step == null) {
                unapplied += b.getGroups().size(); // a batch that made no update: all of it stale waste
                continue;
            }
            for (ScoredGroup g : b.getGroups()) {
                // an update making version s checks its groups against version s - 1
                long version = g.getRollout().getPolicyVersion();
                if (step - 1 - version > eta) {
                    stale++;
                    overtaken += overtaken(batches.subList(0, i), appliedAt, version, eta) ? 1 : 0;
                } else {
                    within++;
                }
            }
        }
        long snapshots = 0;
        double largest = 0;
        long beyond = 0;
        for (MetricsSnapshot m : metrics) {
            if (m.getKind() != MetricsSource.TRAINER || !m.getSource().equals(trainerSource)) {
                continue;
            }
            Double used = m.getValues().get("max_staleness");
            if (used == null) {
                continue;
            }
            snapshots++;
            largest = Math.max(largest, used);
            beyond += used > eta ? 1 : 0;
        }
        check("staleness-bound", "no update used a group beyond the staleness bound (eta = " + eta + ")",
                "0 updates beyond eta",
                String.format(Locale.ROOT, "%d of %d step reports (redone steps included) beyond; largest staleness "
                        + "used %.0f; applied batches held %d groups within the bound and %d beyond it (rejected by "
                        + "the gate, counted; %d of them overtaken: an earlier batch, where they were within the "
                        + "bound, took a group of a newer version) and %d more were in batches that made no update: "
                        + "stale waste %.1f%% of the batched groups; %d batches of fewer than %d groups",
                        beyond, snapshots, largest, within, stale, overtaken, unapplied,
                        100.0 * (stale + unapplied) / Math.max(1, within + stale + unapplied), shortBatches,
                        batchGroups),
                beyond == 0 && snapshots >= appliedAt.size(),
                Map.of("step_reports", snapshots, "step_reports_beyond", beyond, "groups_within", within,
                        "groups_beyond_rejected", stale, "groups_beyond_overtaken", overtaken,
                        "groups_in_unapplied_batches", unapplied, "short_batches", shortBatches));
    }

    /**
     * Whether a group of {@code version} had a place it lost: an earlier applied batch, where it would
     * have been within the bound, holds a group sampled by a newer version.
     */
    private static boolean overtaken(List<TrainingBatch> earlier, Map<String, Long> appliedAt, long version, int eta) {
        for (TrainingBatch b : earlier) {
            Long step = appliedAt.get(b.getBatchId());
            if (step != null && step - 1 - version <= eta
                    && b.getGroups().stream().anyMatch(g -> g.getRollout().getPolicyVersion() > version)) {
                return true;
            }
        }
        return false;
    }

    private void resumes(List<Resume> resumes) {
        long ok = resumes.stream().filter(Resume::ok).count();
        List<String> bad = resumes.stream().filter(x -> !x.ok())
                .map(x -> "fault " + x.fault() + ": expected " + x.expectedCheckpoint() + " " + x.expectedOffsets()
                        + ", it resumed from " + x.checkpoint() + " " + x.offsets()).toList();
        check("trainer-resumed", "the trainer resumed from its last checkpoint at the stored offsets after each kill",
                resumes.size() + " of " + resumes.size(),
                ok + " of " + resumes.size() + (bad.isEmpty() ? "" : "; " + String.join("; ", bad)),
                ok == resumes.size(), Map.of("restarts", (long) resumes.size(), "resumed_as_expected", ok));
    }

    private void deadLetters(List<DeadLetter> dead, List<Injected> injected) {
        List<String> other = new ArrayList<>();
        long matched = 0;
        for (DeadLetter d : dead) {
            boolean ours = injected.stream().anyMatch(i -> i.topic().equals(d.getSourceTopic()) && i.partition() == d.getPartition()
                    && i.offset() == d.getOffset());
            if (ours) {
                matched++;
            } else {
                other.add(d.getStage() + ": " + d.getError());
            }
        }
        check("dead-letters", "dead letters: only what was injected", injected.size() + " injected, 0 other",
                matched + " for injected records, " + other.size() + " other"
                        + (other.isEmpty() ? "" : " (" + String.join("; ", other.subList(0, Math.min(3, other.size())))
                        + ")"),
                matched == injected.size() && other.isEmpty(),
                Map.of("injected", (long) injected.size(), "for_injected", matched, "other", (long) other.size()));
    }

    /** A row the chaos command adds itself (faults recovered, unexpected exits, the replay). */
    void add(String id, String what, String expected, String found, boolean ok, Map<String, Long> counts) {
        check(id, what, expected, found, ok, counts);
    }

    /** The table in Markdown. */
    String table() {
        StringBuilder b = new StringBuilder("| check | expected | found | ok |\n|---|---|---|---|\n");
        for (Check ch : checks) {
            b.append("| ").append(ch.what()).append(" | ").append(ch.expected()).append(" | ")
                    .append(ch.found().replace("|", "/")).append(" | ").append(ch.ok() ? "yes" : "**NO**").append(" |\n");
        }
        return b.toString();
    }
}
