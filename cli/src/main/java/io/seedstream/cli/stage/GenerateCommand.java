package io.seedstream.cli.stage;

import io.seedstream.cli.ConnectionOptions;
import io.seedstream.cli.MetricsServer;
import io.seedstream.cli.StatusLine;
import io.seedstream.cli.UpdateOptions;
import io.seedstream.cli.offline.ModelCommand;
import io.seedstream.producers.generator.GeneratorConfig;
import io.seedstream.producers.generator.GeneratorMetrics;
import io.seedstream.producers.generator.RolloutGenerator;
import io.seedstream.schemas.serde.AvroSerdes;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "generate", mixinStandardHelpOptions = true,
        description = {"Run a rollout generator: consume rollout and evaluation requests as a member of the "
                + "generators' consumer group, sample G answers per request with the current policy, and publish one "
                + "answer group per request, exactly once (one Kafka transaction per batch).",
            "Follows policy-versions and loads each new checkpoint between batches (sha256 checked). Every option "
                    + "is also a generator.* key of the --config file."})
public final class GenerateCommand extends StageCommand {

    @Mixin
    ConnectionOptions connection;

    @Option(names = "--model-dir", description = "Policy to start from when no version has been announced.")
    Path modelDir;

    @Option(names = "--checkpoint-dir", description = "Local mount of the checkpoint store (for announced URIs that do "
            + "not resolve on this machine).")
    Path checkpointDir;

    @Option(names = "--generator-id", description = "Generator id (default: host and process id); a restart with the "
            + "same id aborts its predecessor's open transaction at once.")
    String generatorId;

    @Option(names = "--max-batch-sequences", description = "Sequences sampled together (default: ${sys:seedstream.default.generator.max.batch.sequences}).")
    Integer maxBatchSequences;

    @Option(names = "--run-id", description = "Training run whose versions to follow (default: ${sys:seedstream.default.generator.run.id}).")
    String runId;

    @Option(names = "--prometheus-port", description = "Serve /metrics on this port (default: off).")
    Integer prometheusPort;

    @Option(names = "--device", defaultValue = "cpu", description = "cpu or gpu (default: ${DEFAULT-VALUE}).")
    String device;

    @Override
    String stage() {
        return "generate";
    }

    @Override
    Duration stopGrace() {
        return Duration.ofSeconds(60); // the batch being sampled, then its transaction
    }

    @Override
    Running start() throws Exception {
        Properties p = connection.properties();
        UpdateOptions.put(p, GeneratorConfig.MODEL_DIR, modelDir);
        UpdateOptions.put(p, GeneratorConfig.CHECKPOINT_DIR, checkpointDir);
        UpdateOptions.put(p, GeneratorConfig.ID, generatorId);
        UpdateOptions.put(p, GeneratorConfig.MAX_BATCH_SEQUENCES, maxBatchSequences);
        UpdateOptions.put(p, GeneratorConfig.RUN_ID, runId);
        UpdateOptions.put(p, GeneratorConfig.PROMETHEUS_PORT, prometheusPort);
        GeneratorConfig config = GeneratorConfig.from(p);
        MetricsServer metrics = MetricsServer.start(config.prometheusPort());
        RolloutGenerator generator = new RolloutGenerator(connection.connection(), config,
                AvroSerdes.connect(connection.connection()), ModelCommand.device(device), Clock.systemUTC(),
                metrics.registry());
        return new Running() {
            @Override
            public String readyText() {
                return "generator " + config.id() + ", group " + config.groupId() + ", batches of "
                        + config.maxBatchSequences() + " sequences";
            }

            @Override
            public Map<String, ?> readyFields() {
                return Map.of("generator_id", config.id());
            }

            @Override
            public int await() throws Exception {
                RolloutGenerator.Summary s;
                try (MetricsServer served = metrics;
                        StatusLine status = StatusLine.onStderr(10_000);
                        Reporter reporter = new Reporter(generator.metrics(), status)) {
                    s = generator.run();
                } catch (RolloutGenerator.FencedException e) {
                    System.err.println("seedstream generate: " + e.getMessage());
                    return 1;
                }
                System.out.printf("seedstream generate: %d batches, %d groups, %d evaluation answers, %d dead letters, "
                        + "ended at policy version %d%n", s.batches(), s.groups(), s.evalAnswers(), s.deadLetters(),
                        s.loadedVersion());
                return 0;
            }

            @Override
            public void stop() {
                generator.stop();
            }
        };
    }

    /** Redraws the status line every second from the generator's counters. */
    static final class Reporter implements AutoCloseable {
        private final java.util.concurrent.ScheduledExecutorService timer =
                java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
                    Thread t = new Thread(r, "seedstream-generate-status");
                    t.setDaemon(true);
                    return t;
                });

        Reporter(GeneratorMetrics m, StatusLine status) {
            long t0 = System.nanoTime();
            timer.scheduleAtFixedRate(() -> {
                double secs = (System.nanoTime() - t0) / 1e9;
                status.show(String.format(Locale.ROOT, "version %d  groups %d (%.2f/s)  tokens %d (%.0f/s)  dead letters %d"
                        + "  refused checkpoints %d", m.loadedVersion(), m.groups(), m.groups() / secs, m.tokens(),
                        m.tokens() / secs, m.deadLetters(), m.reloadFailures()));
            }, 1, 1, TimeUnit.SECONDS);
        }

        @Override
        public void close() {
            timer.shutdownNow();
        }
    }
}
