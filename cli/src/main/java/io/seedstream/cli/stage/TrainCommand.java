package io.seedstream.cli.stage;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.seedstream.cli.ConnectionOptions;
import io.seedstream.cli.MetricsServer;
import io.seedstream.cli.UpdateOptions;
import io.seedstream.cli.offline.ModelCommand;
import io.seedstream.model.Policy;
import io.seedstream.model.Transformer;
import io.seedstream.model.Weights;
import io.seedstream.schemas.Topics;
import io.seedstream.schemas.serde.AvroSerdes;
import io.seedstream.trainer.PolicyUpdate;
import io.seedstream.trainer.StepFile;
import io.seedstream.trainer.StepResult;
import io.seedstream.trainer.StreamingTrainer;
import io.seedstream.trainer.TrainerConfig;
import io.seedstream.trainer.TrainingSample;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "train", mixinStandardHelpOptions = true,
        description = {"Run the SEED-GRPO trainer: consume training batches, apply entropy-weighted GRPO updates "
                + "within the staleness bound, checkpoint and announce new policy versions. Resumes from the latest "
                + "checkpoint of --checkpoint-dir.",
            "Every option is also a trainer.* key of the --config file."},
        subcommands = {TrainCommand.Step.class})
public final class TrainCommand extends StageCommand {

    @Mixin
    ConnectionOptions connection;

    @Mixin
    UpdateOptions update;

    @Option(names = "--device", defaultValue = "cpu", description = "cpu, gpu or gpu:N (default: ${DEFAULT-VALUE}).")
    String device;

    @Option(names = "--model-dir", description = "Initial policy (Hugging Face directory); not needed when resuming.")
    Path modelDir;

    @Option(names = "--checkpoint-dir", description = "Checkpoint store (default: ${sys:seedstream.default.trainer.checkpoint.dir}).")
    Path checkpointDir;

    @Option(names = "--checkpoint-every", description = "Checkpoint and announce every N steps (default: ${sys:seedstream.default.trainer.checkpoint.every}).")
    Integer checkpointEvery;

    @Option(names = "--staleness", description = "eta: max policy versions an answer may lag (default: ${sys:seedstream.default.trainer.staleness.bound}).")
    Integer staleness;

    @Option(names = "--max-steps", description = "Stop after N steps (default: run until stopped).")
    Long maxSteps;

    @Option(names = "--run-id", description = "Run id on policy-versions and metrics (default: ${sys:seedstream.default.trainer.run.id}).")
    String runId;

    @Option(names = "--prometheus-port", description = "Serve /metrics on this port (-1 off, the default).")
    Integer prometheusPort;

    @Override
    String stage() {
        return "train";
    }

    @Override
    Duration stopGrace() {
        return Duration.ofSeconds(120); // the update in progress and the final checkpoint
    }

    @Override
    Running start() throws Exception {
        Properties p = connection.properties();
        update.putInto(p);
        UpdateOptions.put(p, TrainerConfig.MODEL_DIR, modelDir);
        UpdateOptions.put(p, TrainerConfig.CHECKPOINT_DIR, checkpointDir);
        UpdateOptions.put(p, TrainerConfig.CHECKPOINT_EVERY, checkpointEvery);
        UpdateOptions.put(p, TrainerConfig.STALENESS, staleness);
        UpdateOptions.put(p, TrainerConfig.MAX_STEPS, maxSteps);
        UpdateOptions.put(p, TrainerConfig.RUN_ID, runId);
        UpdateOptions.put(p, TrainerConfig.PROMETHEUS_PORT, prometheusPort);
        TrainerConfig config = TrainerConfig.from(p);
        MetricsServer metrics = MetricsServer.start(config.prometheusPort());
        StreamingTrainer trainer = new StreamingTrainer(connection.connection(), config,
                AvroSerdes.connect(connection.connection()), metrics.registry(), ModelCommand.device(device));
        return new Running() {
            @Override
            public String readyText() {
                return "reading " + connection.connection().topic(Topics.TRAINING_BATCHES) + ", checkpoints in "
                        + config.checkpointDir();
            }

            @Override
            public Map<String, ?> readyFields() {
                return Map.of("checkpoint_dir", config.checkpointDir().toString());
            }

            @Override
            public int await() throws Exception {
                StreamingTrainer.Summary s;
                try (MetricsServer served = metrics) {
                    s = trainer.run((step, batchId, r, m) -> System.err.printf(Locale.ROOT,
                            "step %d  batch %s  loss %.5f  reward %.3f  SE %.3f  scale %.4f  clip %.3f  |g| %.3f  "
                                    + "%.0f tok/s  waited %.2fs%n", step, batchId, r.loss(), m.meanReward(),
                            m.meanSemanticEntropy(), m.meanScale(), r.clipFraction(), r.gradNorm(), m.tokensPerSecond(),
                            m.waitSeconds()));
                }
                System.out.printf("seedstream train: steps %d -> %d, %d batches read, %d stale groups rejected, "
                        + "%d invalid, %d dead letters, latest checkpoint %s%n", s.startStep(), s.endStep(),
                        s.batchesRead(), s.rejectedStaleGroups(), s.invalidGroups(), s.deadLetters(),
                        s.lastCheckpoint() == null ? "none" : s.lastCheckpoint().dir());
                return 0;
            }

            @Override
            public void stop() {
                trainer.stop();
            }
        };
    }

    @Command(name = "step", mixinStandardHelpOptions = true,
            description = {"Apply exactly one update, without Kafka, through the streaming trainer's code path, from "
                    + "{\"groups\": [{\"prompt_ids\": [...], \"answers\": [{\"completion_ids\": [...], "
                    + "\"old_logprobs\": [...], \"scaled_advantage\": x}, ...]}, ...]}.",
                "Prints {\"loss\": ..., \"grad_norm\": ...} (loss before the step, norm before clipping) and writes "
                        + "the updated model to --out in the Hugging Face layout."})
    static final class Step implements Callable<Integer> {

        @Option(names = "--model-dir", required = true, description = "Policy to update (Hugging Face directory).")
        Path modelDir;

        @Option(names = "--groups", required = true, description = "The JSON file of groups.")
        Path groups;

        @Option(names = "--out", required = true, description = "Directory for the updated model.")
        Path out;

        @Mixin
        UpdateOptions update;

        @Option(names = "--device", defaultValue = "cpu", description = "cpu, gpu or gpu:N (default: ${DEFAULT-VALUE}).")
        String device;

        @Override
        public Integer call() throws Exception {
            Properties p = new Properties();
            update.putInto(p);
            TrainerConfig config = TrainerConfig.from(p);
            try (NDManager m = NDManager.newBaseManager(ModelCommand.device(device)); Policy policy = Policy.load(modelDir, m)) {
                List<TrainingSample> samples = StepFile.read(groups, policy.model().config().vocabSize());
                Weights refWeights = config.update().loss().klCoef() > 0
                        ? Weights.load(policy.model().config(), modelDir, m) : null;
                Transformer reference = refWeights == null ? null : new Transformer(policy.model().config(), refWeights);
                StepResult r;
                try (PolicyUpdate u = new PolicyUpdate(policy.model(), reference, config.update(), m)) {
                    r = u.apply(samples, config.learningRate().peak());
                } finally {
                    if (refWeights != null) {
                        refWeights.close();
                    }
                }
                String sha = policy.save(out);
                ObjectNode json = new ObjectMapper().createObjectNode();
                json.put("loss", r.loss());
                json.put("grad_norm", r.gradNorm());
                System.out.println(json);
                System.err.printf(Locale.ROOT, "seedstream train step: %d answers, %d tokens, loss %.6g, grad norm %.6g "
                        + "(clipped x%.4f), lr %.3g; wrote %s (sha256 %s)%n", r.answers(), r.tokens(), r.loss(),
                        r.gradNorm(), r.clipCoef(), r.learningRate(), out, sha.substring(0, 12));
            }
            return 0;
        }
    }
}
