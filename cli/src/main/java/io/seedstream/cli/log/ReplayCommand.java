package io.seedstream.cli.log;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.seedstream.cli.CommandGroup;
import io.seedstream.cli.ConnectionOptions;
import io.seedstream.cli.MethodOptions;
import io.seedstream.cli.UpdateOptions;
import io.seedstream.schemas.ConnectionConfig;
import io.seedstream.schemas.LogReading;
import io.seedstream.schemas.Topics;
import io.seedstream.schemas.avro.ScoredGroup;
import io.seedstream.schemas.serde.AvroSerdes;
import io.seedstream.streams.grading.Grader;
import io.seedstream.streams.grading.GraderOptions;
import io.seedstream.streams.scoring.GroupScore;
import io.seedstream.streams.scoring.GroupScorer;
import io.seedstream.streams.scoring.ScoringConfig;
import io.seedstream.streams.topology.TopologySettings;
import io.seedstream.trainer.CheckpointStore;
import io.seedstream.trainer.StreamingTrainer;
import io.seedstream.trainer.TrainerConfig;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.function.BiConsumer;
import java.util.function.BooleanSupplier;
import org.apache.kafka.common.serialization.Deserializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Commands that read a run's durable log again: {@code replay score} and {@code replay train}. */
@Command(name = "replay", mixinStandardHelpOptions = true, description = "Replay a run's recorded log offline.",
        subcommands = {ReplayCommand.Score.class, ReplayCommand.Train.class})
public final class ReplayCommand extends CommandGroup {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Command(name = "score", mixinStandardHelpOptions = true,
            description = {"Re-score the recorded groups of training-batches under other method settings, through the "
                + "topology's scoring code, without touching the live pipeline. One JSON line per group with the "
                + "recorded and the replayed SE, scale and scaled advantages; a last line {\"summary\": ...} with how "
                + "the update weights change (mean scale, weight ratio, Spearman rank correlation of prompt weights, "
                + "the prompts that move most) and the largest difference from the record."})
    static final class Score implements Callable<Integer> {

        @Option(names = "--from-version", paramLabel = "V", description = "Only groups sampled by version >= V.")
        long fromVersion = 0;

        @Option(names = "--to-version", paramLabel = "W", description = "Only groups sampled by version <= W.")
        long toVersion = Long.MAX_VALUE;

        @Option(names = "--max-groups", paramLabel = "N", description = "Stop after N groups.")
        long maxGroups = Long.MAX_VALUE;

        @Option(names = "--out", paramLabel = "FILE.jsonl", description = "Write the lines here (default: standard output).")
        Path out;

        @Option(names = "--top", defaultValue = "10", description = "Prompts listed in the summary (default: ${DEFAULT-VALUE}).")
        int top;

        @Mixin
        MethodOptions method;

        @Mixin
        ConnectionOptions connection;

        @Override
        public Integer call() throws Exception {
            ConnectionConfig c = connection.connection();
            AvroSerdes serdes = AvroSerdes.connect(c);
            Properties keys = new Properties();
            method.putInto(keys);
            ScoringConfig config = ScoringConfig.from(keys);
            // the topology's grader, with the topology's bound on one grading decision
            GroupScorer scorer = new GroupScorer(new Grader(GraderOptions.DEFAULT.withTimeout(
                    TopologySettings.defaults().graderTimeout())), config);
            Map<String, List<String>> gold = new HashMap<>();
            readAll(c, c.topic(Topics.PROMPTS), serdes.value(Topics.PROMPTS).deserializer(),
                    (offset, p) -> gold.put(p.getId(), List.copyOf(p.getAnswers())), null);
            ReplaySummary summary = new ReplaySummary();
            long started = System.nanoTime();
            PrintStream lines = out == null ? System.out
                    : new PrintStream(Files.newOutputStream(out), false, StandardCharsets.UTF_8);
            try {
                String gone = readAll(c, c.topic(Topics.TRAINING_BATCHES),
                        serdes.value(Topics.TRAINING_BATCHES).deserializer(), (offset, batch) -> {
                    for (ScoredGroup g : batch.getGroups()) {
                        long v = g.getRollout().getPolicyVersion();
                        if (v < fromVersion || v > toVersion || summary.groups() >= maxGroups) {
                            continue;
                        }
                        List<String> references = gold.get(g.getRollout().getPromptId());
                        if (references == null) {
                            summary.missingPrompt();
                            continue;
                        }
                        GroupScore replayed = scorer.score(references, GroupScorer.answersOf(g.getRollout()));
                        lines.println(summary.add(batch.getBatchId(), g, replayed).toString());
                    }
                }, () -> summary.groups() >= maxGroups);
                double secs = (System.nanoTime() - started) / 1e9;
                ObjectNode s = summary.toJson(top);
                s.set("replayed_settings", JSON.valueToTree(config.describe()));
                s.put("groups_per_second", summary.groups() / Math.max(secs, 1e-9));
                if (gone != null) {
                    s.put("not_available", gone);
                }
                lines.println(JSON.createObjectNode().set("summary", s).toString());
                System.err.printf(Locale.ROOT, "seedstream replay score: %d groups of %d prompts in %.1f s (%.0f groups/s), "
                        + "max difference from the record %.3g%s%n", summary.groups(), summary.prompts(), secs,
                        summary.groups() / Math.max(secs, 1e-9), summary.maxDifference(),
                        gone == null ? "" : "; " + gone);
            } finally {
                if (out == null) {
                    lines.flush(); // standard output stays open
                } else {
                    lines.close();
                }
            }
            return summary.groups() == 0 ? 1 : 0;
        }
    }

    @Command(name = "train", mixinStandardHelpOptions = true,
            description = {"Re-apply the recorded training batches that followed a checkpoint, in log order, through "
                + "the trainer's own code path, into a checkpoint directory of its own; nothing is written to Kafka "
                + "(the live run's policy-versions never sees it). One JSON line per step: loss, gradient norm, the "
                + "sha256 of the weights and, where the live run kept a checkpoint of that step, whether it is the "
                + "same and the L2 distance between the two. The live run's update settings come from the checkpoint, "
                + "so without flags it ends with the live run's weights bit for bit; with other flags it is an A/B "
                + "of the trainer on identical data."})
    static final class Train implements Callable<Integer> {

        @Option(names = "--from-checkpoint", required = true, paramLabel = "DIR",
                description = "A checkpoint of the live run (data/checkpoints/step-...).")
        Path from;

        @Option(names = "--to-version", required = true, paramLabel = "W", description = "Stop at this version.")
        long toVersion;

        @Option(names = "--out", required = true, paramLabel = "DIR", description = "New checkpoint directory.")
        Path out;

        @Option(names = "--model-dir", paramLabel = "DIR",
                description = "The run's initial policy, the reference of a KL penalty (needed when --kl-coef > 0).")
        Path modelDir;

        @Option(names = "--staleness", description = "eta (default: the live run's, as its checkpoint recorded it).")
        Integer staleness;

        @Mixin
        UpdateOptions update;

        @Mixin
        ConnectionOptions connection;

        @Override
        public Integer call() throws Exception {
            CheckpointStore.Checkpoint start;
            try {
                start = CheckpointStore.read(from);
            } catch (IOException e) {
                System.err.println("seedstream replay train: " + e.getMessage());
                return 2;
            }
            long from0 = start.state().step();
            if (toVersion <= from0) {
                System.err.printf("seedstream replay train: --to-version %d is not after the checkpoint's version %d%n",
                        toVersion, from0);
                return 2;
            }
            CheckpointStore store = new CheckpointStore(out);
            if (!store.list().isEmpty()) {
                System.err.println("seedstream replay train: " + out + " already holds checkpoints; give a new --out");
                return 2;
            }
            store.copyIn(start);
            Properties p = connection.properties();
            // the live run's own settings, as its checkpoint recorded them; flags given here override them
            Map<String, String> recorded = start.state().settings();
            if (recorded != null) {
                p.putAll(recorded);
            }
            update.putInto(p);
            UpdateOptions.put(p, TrainerConfig.MODEL_DIR, modelDir);
            UpdateOptions.put(p, TrainerConfig.STALENESS, staleness);
            p.put(TrainerConfig.CHECKPOINT_DIR, out.toString());
            p.put(TrainerConfig.CHECKPOINT_EVERY, "1");
            p.put(TrainerConfig.CHECKPOINT_KEEP, "0");
            p.put(TrainerConfig.MAX_STEPS, String.valueOf(toVersion - from0));
            p.putIfAbsent(TrainerConfig.RUN_ID, start.state().runId());
            System.err.println("seedstream replay train: " + (recorded == null
                    ? "the checkpoint records no settings (written by an older version): the trainer's defaults and "
                            + "the flags given here apply"
                    : "the live run's " + recorded.size() + " update settings from the checkpoint, flags given here "
                            + "override them"));
            StreamingTrainer trainer = StreamingTrainer.replay(connection.connection(), TrainerConfig.from(p),
                    AvroSerdes.connect(connection.connection()));
            Map<Long, ObjectNode> steps = new TreeMap<>();
            StreamingTrainer.Summary s = trainer.run((step, batchId, r, m) -> steps.put(step, JSON.createObjectNode()
                    .put("step", step).put("batch_id", batchId).put("loss", r.loss()).put("grad_norm", r.gradNorm())));
            Path live = from.toAbsolutePath().getParent();
            String verdict = "the live run kept no checkpoint of version " + s.endStep();
            for (CheckpointStore.Checkpoint c : store.list()) {
                ObjectNode line = steps.get(c.state().step());
                if (line == null) {
                    continue; // the starting checkpoint
                }
                line.put("sha256", c.state().weightsSha256());
                Path twin = live.resolve(c.dir().getFileName());
                if (Files.isRegularFile(twin.resolve(CheckpointStore.STATE))) {
                    String liveSha = CheckpointStore.read(twin).state().weightsSha256();
                    double distance = WeightDistance.l2(twin, c.dir());
                    line.put("live_sha256", liveSha).put("same_as_live", liveSha.equals(c.state().weightsSha256()))
                            .put("weight_distance_to_live", distance);
                    if (c.state().step() == s.endStep()) {
                        verdict = liveSha.equals(c.state().weightsSha256())
                                ? "the same weights as the live run's version " + s.endStep() + " (sha256 " + liveSha + ")"
                                : String.format(Locale.ROOT, "weights differ from the live run's version %d (L2 distance "
                                        + "%.4g)", s.endStep(), distance);
                    }
                }
                System.out.println(line);
            }
            System.err.printf("seedstream replay train: versions %d -> %d into %s; %s%n", s.startStep(), s.endStep(),
                    out, verdict);
            if (s.endStep() < toVersion) {
                System.err.printf("seedstream replay train: the log ends at version %d, before %d%n", s.endStep(),
                        toVersion);
                return 1;
            }
            return 0;
        }
    }

    /** {@link LogReading#readAll}, reporting each undecodable record on standard error. */
    public static <V> String readAll(ConnectionConfig c, String topic, Deserializer<V> values,
            BiConsumer<Long, V> each, BooleanSupplier enough) {
        return LogReading.readAll(c, topic, values, each, enough,
                reason -> System.err.println("seedstream replay: " + reason));
    }
}
