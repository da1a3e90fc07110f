package io.seedstream.cli.experiment;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.seedstream.cli.PromptFiles;
import io.seedstream.cli.experiment.ExperimentData.ArmResult;
import io.seedstream.cli.experiment.ExperimentData.Eval;
import io.seedstream.cli.experiment.ExperimentData.Run;
import io.seedstream.cli.experiment.ExperimentData.Step;
import io.seedstream.cli.local.LocalLoop;
import io.seedstream.cli.offline.ModelCommand;
import io.seedstream.infra.topics.TopicSetup;
import io.seedstream.producers.dispatch.DispatcherConfig;
import io.seedstream.producers.generator.GeneratorConfig;
import io.seedstream.producers.generator.RolloutGenerator;
import io.seedstream.producers.task.SolutionMode;
import io.seedstream.schemas.ConnectionConfig;
import io.seedstream.schemas.LogReading;
import io.seedstream.schemas.Topics;
import io.seedstream.schemas.avro.ScoredGroup;
import io.seedstream.schemas.serde.AvroSerdes;
import io.seedstream.streams.evaluation.AnswerMode;
import io.seedstream.streams.evaluation.Bootstrap;
import io.seedstream.streams.evaluation.EvalSummary;
import io.seedstream.streams.scoring.ScoringConfig;
import io.seedstream.streams.topology.DashboardRecords.EvalTally;
import io.seedstream.streams.topology.ScoringService;
import io.seedstream.streams.topology.TopologySettings;
import io.seedstream.trainer.TrainerConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.apache.kafka.clients.admin.Admin;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One arm with one seed through the real pipeline, as {@code up} runs it: its own topics (under
 * its own prefix) on the experiment's broker, its own scoring topology, dispatcher, generator and
 * trainer, from the same initial policy. Trains until the step or time limit, waits for the
 * held-out evaluations of the versions it made, then reads what it needs back from the log.
 */
final class ArmRun {

    private static final Logger log = LoggerFactory.getLogger(ArmRun.class);

    /** How long the held-out rounds still owed after the last step may take before the run gives up on them. */
    static final Duration EVAL_WAIT = Duration.ofMinutes(5);

    /**
     * @param steps training steps (policy versions) to make
     * @param minutes wall-time limit of the training, or null
     * @param evalEvery the held-out set is evaluated at every version divisible by this
     * @param heldOut problems in the held-out set
     */
    record Limits(long steps, Double minutes, int evalEvery, int heldOut) {}

    /**
     * Where an arm's data come from and where it runs.
     *
     * @param prompts the training prompts every arm loads into its own prompts topic
     * @param dataset their dataset name (null: the file's name)
     * @param benchmark the evaluation set whose rounds the report reads
     * @param device the generators' and the trainer's device
     */
    record Data(Path prompts, String dataset, String benchmark, String device) {}

    private final ConnectionConfig stack;
    private final Properties base;
    private final Data data;
    private final Limits limits;

    /**
     * @param stack the experiment's broker and registry
     * @param base every arm's settings (up's for the task policy, the model and the limits)
     */
    ArmRun(ConnectionConfig stack, Properties base, Data data, Limits limits) {
        this.stack = stack;
        this.base = base;
        this.data = data;
        this.limits = limits;
    }

    /** Runs the arm with the seed; {@code status} gets a short progress text every second. */
    ArmResult run(ExperimentArm arm, int seed, String prefix, Path runDir, Consumer<String> status) throws Exception {
        ConnectionConfig c = stack.withTopicPrefix(prefix);
        try (Admin admin = Admin.create(c.kafkaProperties())) {
            new TopicSetup(admin, Duration.ofSeconds(30)).ensureAll(c);
        }
        if (PromptFiles.load(c, data.prompts(), data.dataset()) != 0) {
            throw new IllegalStateException("the prompts did not load into " + prefix + "prompts");
        }
        Properties keys = new Properties();
        keys.putAll(base);
        keys.putAll(arm.settings());
        keys.put(DispatcherConfig.SEED, String.valueOf(seed));
        keys.put(DispatcherConfig.EVAL_EVERY, String.valueOf(limits.evalEvery()));
        keys.put(DispatcherConfig.HELD_OUT_SIZE, String.valueOf(limits.heldOut()));
        keys.put(TrainerConfig.MAX_STEPS, String.valueOf(limits.steps()));
        keys.put(TopologySettings.APPLICATION_ID, prefix + "scoring");
        keys.put(TopologySettings.STATE_DIR, runDir.resolve("streams").toString());
        keys.put(TopologySettings.DASHBOARD_PORT, "0");
        keys.put(GeneratorConfig.GROUP_ID, prefix + "generators");
        String checkpoints = runDir.resolve("checkpoints").toAbsolutePath().toString();
        keys.put(TrainerConfig.CHECKPOINT_DIR, checkpoints);
        keys.put(GeneratorConfig.CHECKPOINT_DIR, checkpoints);

        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        List<Step> steps = new ArrayList<>();
        Map<Long, Double> versionMadeAt = new ConcurrentHashMap<>(Map.of(0L, 0.0));
        Map<String, Long> stepOfBatch = new ConcurrentHashMap<>();
        long[] rejectedStale = {0};
        Run run;
        Map<Long, EvalTally> evals;
        try (ScoringService scoring = ScoringService.start(c, TopologySettings.from(keys), ScoringConfig.from(keys),
                meters)) {
            scoring.awaitRunning(Duration.ofMinutes(2));
            long t0 = System.nanoTime();
            LocalLoop loop = LocalLoop.start(c, keys, 1, ModelCommand.device(data.device()), meters, (step, batchId, r, m) -> {
                double wall = (System.nanoTime() - t0) / 1e9;
                versionMadeAt.put(step, wall);
                stepOfBatch.put(batchId, step);
                rejectedStale[0] = m.rejectedStaleGroupsTotal();
                synchronized (steps) {
                    steps.add(Step.of(arm.name(), seed, wall, m));
                }
            }, st -> { });
            String ended;
            double wall;
            RolloutGenerator generator = loop.generators().get(0);
            long deadline = limits.minutes() == null ? Long.MAX_VALUE : t0 + (long) (limits.minutes() * 60e9);
            try {
                Optional<LocalLoop.StageEnd> end = Optional.empty();
                while (end.isEmpty() && System.nanoTime() < deadline) {
                    TimeUnit.SECONDS.sleep(1);
                    end = loop.ended();
                    status.accept(progress(steps, scoring));
                }
                if (end.isEmpty()) {
                    loop.trainer().stop();
                    ended = "time limit";
                } else {
                    ended = end.get().failed() ? end.get().toString() : "step limit";
                }
                wall = (System.nanoTime() - t0) / 1e9;
                long sampled = generator.metrics().tokens();
                double busy = generator.metrics().samplingSeconds() / wall;
                long groups = generator.metrics().groups();
                evals = awaitEvaluations(scoring, versionMadeAt.keySet(), steps, status, DispatcherConfig.from(keys));
                double trainSeconds;
                long trained;
                synchronized (steps) {
                    trainSeconds = steps.stream().mapToDouble(Step::stepSeconds).sum();
                    trained = steps.stream().mapToLong(Step::tokens).sum();
                }
                double first = versionMadeAt.getOrDefault(1L, Double.NaN);
                Map<String, Long> counts = scoring.metrics().snapshot();
                run = new Run(arm.name(), seed, arm.describe(), steps.size(), wall, first, groups, sampled, trained, busy,
                        trainSeconds / wall, rejectedStale[0], ended, counts.getOrDefault("groups_scored", 0L),
                        counts.getOrDefault("zero_advantage_groups", 0L));
            } finally {
                loop.close();
            }
        }
        List<Step> withBatches = addBatchShape(c, steps, stepOfBatch);
        List<Eval> evalRows = new ArrayList<>();
        EvalTally first = evals.isEmpty() ? null : evals.values().iterator().next();
        evals.forEach((v, t) -> evalRows.add(evalRow(arm.name(), seed, versionMadeAt.getOrDefault(v, Double.NaN), t, first)));
        deleteTopics(c, prefix);
        return new ArmResult(run, withBatches, evalRows);
    }

    /**
     * A round's row: its counts, interval and step-verified accuracy, its paired change since {@code first}, and
     * its share of direct answers.
     */
    static Eval evalRow(String arm, int seed, double wall, EvalTally t, EvalTally first) {
        List<EvalSummary> s = t.summaries();
        EvalSummary all = s.isEmpty() ? null : s.get(0);
        Bootstrap.Interval d = first == null || first == t ? null : t.changeSince(first);
        return new Eval(arm, seed, t.policyVersion(), wall, t.answered(), t.correct(),
                all == null ? Double.NaN : all.passAt1().low(), all == null ? Double.NaN : all.passAt1().high(),
                all == null ? Double.NaN : all.stepVerifiedPassAt1(), d == null ? Double.NaN : d.mean(),
                d == null ? Double.NaN : d.low(), d == null ? Double.NaN : d.high(),
                all == null ? Double.NaN : all.modeShares().getOrDefault(AnswerMode.of(SolutionMode.DIRECT.label()), 0.0),
                all == null || all.k() == 0 ? Double.NaN : all.meanAtK(), all == null || all.k() == 0 ? Double.NaN
                        : all.passAtK(), all == null || all.k() == 0 ? Double.NaN : all.majorityAtK());
    }

    private static String progress(List<Step> steps, ScoringService scoring) {
        Step last;
        synchronized (steps) {
            last = steps.isEmpty() ? null : steps.get(steps.size() - 1);
        }
        String eval = scoring.newestEvaluation().map(t -> String.format(java.util.Locale.ROOT, "held-out v%d %d/%d",
                t.policyVersion(), t.correct(), t.answered())).orElse("held-out -");
        return last == null ? "waiting for the first batch, " + eval : String.format(java.util.Locale.ROOT,
                "v%d reward %.2f SE %.2f scale %.3f, %s", last.step(), last.meanReward(), last.meanEntropy(),
                last.scaleMean(), eval);
    }

    /**
     * Waits until every version owed a held-out round (0 and each multiple of the interval the run
     * reached) has all its answers graded, bounded by {@link #EVAL_WAIT}; returns the tallies by version.
     */
    private Map<Long, EvalTally> awaitEvaluations(ScoringService scoring, java.util.Set<Long> versions, List<Step> steps,
            Consumer<String> status, DispatcherConfig dispatch) throws InterruptedException {
        List<Long> owed = versions.stream().filter(v -> limits.evalEvery() > 0 && v % limits.evalEvery() == 0)
                .sorted().toList();
        long end = System.nanoTime() + EVAL_WAIT.toNanos();
        Map<Long, EvalTally> byVersion = new TreeMap<>();
        while (true) {
            byVersion.clear();
            for (EvalTally t : scoring.evaluations()) {
                if (t.benchmark().equals(data.benchmark())) {
                    byVersion.put(t.policyVersion(), t);
                }
            }
            boolean complete = owed.stream().allMatch(v -> byVersion.containsKey(v)
                    && byVersion.get(v).answered() >= limits.heldOut()
                    // a round that drew samples is complete once every problem's samples are graded too
                    && (!dispatch.samplesAt(v) || byVersion.get(v).sampled().size() >= limits.heldOut()));
            if (complete) {
                return byVersion;
            }
            if (System.nanoTime() > end) {
                log.warn("held-out rounds still incomplete after {} s: {}", EVAL_WAIT.toSeconds(), owed.stream()
                        .filter(v -> !byVersion.containsKey(v) || byVersion.get(v).answered() < limits.heldOut())
                        .toList());
                return byVersion;
            }
            status.accept(progress(steps, scoring) + ", finishing held-out rounds");
            TimeUnit.SECONDS.sleep(1);
        }
    }

    /** The scale distribution and meaning clusters of each step's batch, read back from training-batches. */
    private static List<Step> addBatchShape(ConnectionConfig c, List<Step> steps, Map<String, Long> stepOfBatch) {
        Map<Long, double[]> scales = new HashMap<>();
        Map<Long, Double> clusters = new HashMap<>();
        AvroSerdes serdes = AvroSerdes.connect(c);
        LogReading.readAll(c, c.topic(Topics.TRAINING_BATCHES), serdes.value(Topics.TRAINING_BATCHES).deserializer(),
                (offset, batch) -> {
                    Long step = stepOfBatch.get(batch.getBatchId());
                    if (step == null) {
                        return; // written after the trainer stopped
                    }
                    scales.put(step, batch.getGroups().stream().mapToDouble(ScoredGroup::getScale).sorted().toArray());
                    clusters.put(step, batch.getGroups().stream()
                            .mapToDouble(g -> g.getClusterIds().stream().distinct().count()).average().orElse(Double.NaN));
                }, null, skipped -> System.err.println("seedstream experiment: " + skipped));
        List<Step> out = new ArrayList<>();
        synchronized (steps) {
            for (Step s : steps) {
                double[] sc = scales.get(s.step());
                out.add(sc == null || sc.length == 0 ? s : s.withBatch(sc, clusters.get(s.step())));
            }
        }
        return out;
    }

    /** The run's topics and its topology's internal ones: the broker stays as light for the next arm. */
    private static void deleteTopics(ConnectionConfig c, String prefix) {
        try (Admin admin = Admin.create(c.kafkaProperties())) {
            List<String> mine = admin.listTopics().names().get(30, TimeUnit.SECONDS).stream()
                    .filter(t -> t.startsWith(prefix)).toList();
            admin.deleteTopics(mine).all().get(60, TimeUnit.SECONDS);
        } catch (Exception e) {
            log.warn("could not delete the topics of {}: {}", prefix, e.toString());
        }
    }
}
