package io.seedstream.cli.stage;

import io.seedstream.cli.ConnectionOptions;
import io.seedstream.cli.MethodOptions;
import io.seedstream.cli.MetricsServer;
import io.seedstream.cli.UpdateOptions;
import io.seedstream.streams.scoring.ScoringConfig;
import io.seedstream.streams.topology.ScoringService;
import io.seedstream.streams.topology.TopologySettings;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "streams", mixinStandardHelpOptions = true,
        description = {"Run the scoring topology: grade, cluster, semantic entropy, advantages, entropy-tagged "
                + "training batches (exactly-once v2), with its dashboard API.",
            "Every option is also a key of the --config file (scoring.*, batch.*, prompt.wait.ms, grader.timeout.ms, "
                    + "streams.*, dashboard.*). Run several instances with the same application id to scale out."})
public final class StreamsCommand extends StageCommand {

    @Mixin
    ConnectionOptions connection;

    @Mixin
    MethodOptions method;

    @Option(names = "--batch-groups", description = "Groups per training batch (default: ${sys:seedstream.default.batch.groups}).")
    Integer batchGroups;

    @Option(names = "--batch-max-tokens", description = "Completion-token budget of a batch (default: ${sys:seedstream.default.batch.max.tokens}).")
    Long batchMaxTokens;

    @Option(names = "--batch-linger-ms", description = "Close a batch that is not full after this long with no group "
            + "joining (default: ${sys:seedstream.default.batch.linger.ms}).")
    Long lingerMs;

    @Option(names = "--prompt-wait-ms", description = "How long a group waits for its prompt (default: ${sys:seedstream.default.prompt.wait.ms}).")
    Long promptWaitMs;

    @Option(names = "--threads", description = "Stream threads (default: ${sys:seedstream.default.streams.num.threads}).")
    Integer threads;

    @Option(names = "--dashboard-port", description = "Port of the dashboard API (default: ${sys:seedstream.default.dashboard.port}).")
    Integer dashboardPort;

    @Option(names = "--prometheus-port", defaultValue = "-1",
            description = "Serve /metrics (the topology's counters, Kafka Streams' metrics) on this port (default: off).")
    int prometheusPort;

    @Option(names = "--application-id", description = "Kafka Streams application id (default: ${sys:seedstream.default.streams.application.id}).")
    String applicationId;

    @Option(names = "--state-dir", description = "Local state directory (default: <tmp>/seedstream-streams).")
    String stateDir;

    @Override
    String stage() {
        return "streams";
    }

    @Override
    Duration stopGrace() {
        return Duration.ofSeconds(60); // the open transaction commits, the state stores are flushed
    }

    @Override
    Running start() throws Exception {
        Properties p = connection.properties();
        method.putInto(p);
        UpdateOptions.put(p, TopologySettings.BATCH_GROUPS, batchGroups);
        UpdateOptions.put(p, TopologySettings.BATCH_MAX_TOKENS, batchMaxTokens);
        UpdateOptions.put(p, TopologySettings.BATCH_LINGER_MS, lingerMs);
        UpdateOptions.put(p, TopologySettings.PROMPT_WAIT_MS, promptWaitMs);
        UpdateOptions.put(p, TopologySettings.STREAM_THREADS, threads);
        UpdateOptions.put(p, TopologySettings.DASHBOARD_PORT, dashboardPort);
        UpdateOptions.put(p, TopologySettings.APPLICATION_ID, applicationId);
        UpdateOptions.put(p, TopologySettings.STATE_DIR, stateDir);
        ScoringService service;
        MetricsServer metrics = MetricsServer.start(prometheusPort);
        try {
            service = ScoringService.start(connection.connection(), TopologySettings.from(p), ScoringConfig.from(p),
                    metrics.registry());
            service.awaitRunning(Duration.ofMinutes(2));
        } catch (RuntimeException e) {
            metrics.close();
            throw new NotStarted(1, String.valueOf(e.getMessage()));
        }
        return serving("scoring topology running, dashboard API at " + service.dashboardUrl() + "/api",
                Map.of("dashboard", service.dashboardUrl()), service, metrics);
    }
}
