package io.seedstream.cli;

import io.seedstream.infra.LocalStack;
import io.seedstream.infra.broker.BrokerSettings;
import io.seedstream.infra.registry.RegistrySettings;
import io.seedstream.infra.topics.TopicSetup;
import io.seedstream.schemas.ConnectionConfig;
import io.seedstream.streams.scoring.ScoringConfig;
import io.seedstream.streams.topology.ScoringService;
import io.seedstream.streams.topology.TopologySettings;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "up", mixinStandardHelpOptions = true,
        description = {"Run the local stack on the embedded defaults: a real Kafka broker (in this JVM), "
                + "the schema registry, every topic, the scoring topology with its dashboard API; optionally load "
                + "prompt files.",
            "Data is kept in --data-dir, so a restart resumes where it stopped."})
final class UpCommand implements Callable<Integer> {

    private static final Logger log = LoggerFactory.getLogger(UpCommand.class);

    @Option(names = "--data-dir", paramLabel = "DIR", defaultValue = "data",
            description = "Where the broker keeps its log (default: ${DEFAULT-VALUE}).")
    Path dataDir;

    @Option(names = "--broker-port", defaultValue = "9092", description = "Kafka client port, 0 for any (default: ${DEFAULT-VALUE}).")
    int brokerPort;

    @Option(names = "--controller-port", defaultValue = "9093", description = "KRaft controller port, 0 for any (default: ${DEFAULT-VALUE}).")
    int controllerPort;

    @Option(names = "--registry-port", defaultValue = "8081", description = "Schema registry port, 0 for any (default: ${DEFAULT-VALUE}).")
    int registryPort;

    @Option(names = "--topic-prefix", defaultValue = ConnectionConfig.DEFAULT_TOPIC_PREFIX,
            description = "Prefix of every topic name (default: ${DEFAULT-VALUE}).")
    String topicPrefix;

    @Option(names = "--prompts", paramLabel = "FILE.jsonl",
            description = "Prompt files to load once the stack is up (repeatable).")
    List<Path> prompts = List.of();

    @Option(names = "--task-problems", defaultValue = "2000",
            description = "Without --prompts: load this many built-in task problems (seed 0) as prompts; 0 loads none "
                    + "(default: ${DEFAULT-VALUE}).")
    int taskProblems;

    @Option(names = "--dashboard-port", defaultValue = "8090",
            description = "Port of the scoring topology's dashboard API, 0 for any (default: ${DEFAULT-VALUE}).")
    int dashboardPort;

    @Option(names = "--once", description = "Stop as soon as everything is up (smoke tests, start-up benchmarks).")
    boolean once;

    @Option(names = "--json", description = "With --once: print one JSON line with the start-up timings.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        long t0 = System.nanoTime();
        ConnectionConfig base = ConnectionConfig.defaults().withTopicPrefix(topicPrefix);
        LocalStack stack;
        try {
            stack = LocalStack.start(
                    new BrokerSettings(dataDir.resolve("kafka"), BrokerSettings.DEFAULT_HOST, brokerPort,
                            controllerPort, Map.of()),
                    RegistrySettings.defaults().withPort(registryPort), base);
        } catch (RuntimeException e) {
            System.err.println("seedstream up: cannot start the local stack: " + e.getMessage());
            return 1;
        }
        ConnectionConfig c = stack.connection();
        ScoringService scoring;
        try {
            scoring = ScoringService.start(c, TopologySettings.defaults().withInstance("seedstream-scoring",
                    dashboardPort, dataDir.resolve("streams"), 1), ScoringConfig.DEFAULT);
            scoring.awaitRunning(java.time.Duration.ofMinutes(2));
        } catch (RuntimeException e) {
            stack.close();
            System.err.println("seedstream up: cannot start the scoring topology: " + e.getMessage());
            return 1;
        }
        long readyNanos = System.nanoTime();
        log.info("configuration: {}", c.describe());
        for (TopicSetup.Result r : stack.topics()) {
            log.info("topic {} {} ({} partitions)", r.name(), r.outcome(), r.partitions());
        }
        int rc = 0;
        List<Path> files = prompts;
        if (files.isEmpty() && taskProblems > 0) {
            Path task = dataDir.resolve("task").resolve("problems-" + taskProblems + ".jsonl");
            if (!java.nio.file.Files.exists(task)) {
                rc = new CommandLine(new TaskCommand()).execute("export", "--n", String.valueOf(taskProblems),
                        "--seed", "0", "--out", task.toString());
            }
            files = List.of(task);
        }
        for (Path file : files) {
            List<String> args = new java.util.ArrayList<>(List.of("load", file.toString(), "--bootstrap-servers",
                    c.bootstrapServers(), "--registry-url", c.registryUrl(), "--topic-prefix", c.topicPrefix()));
            if (prompts.isEmpty()) {
                args.addAll(List.of("--dataset", "task"));
            }
            int r = new CommandLine(new PromptsCommand()).execute(args.toArray(String[]::new));
            rc = Math.max(rc, r);
        }
        double startSecs = (readyNanos - t0) / 1e9;
        long sinceJvmStart = System.currentTimeMillis() - ManagementFactory.getRuntimeMXBean().getStartTime();
        if (once) {
            scoring.close();
            stack.close();
            if (json) {
                System.out.printf("{\"stack_start_ms\": %.1f, \"jvm_start_to_ready_ms\": %d}%n",
                        startSecs * 1000, sinceJvmStart);
            } else {
                System.out.printf("seedstream up: broker %s, registry %s, %d topics, scoring topology ready in %.1f s; "
                        + "stopped (--once)%n", c.bootstrapServers(), c.registryUrl(), stack.topics().size(), startSecs);
            }
            return rc;
        }
        Shutdown shutdown = new Shutdown(() -> {
            scoring.close();
            stack.close();
        });
        System.out.printf("seedstream up: broker %s, registry %s, %d topics, scoring topology (dashboard %s/api) "
                        + "ready in %.1f s, data in %s (Ctrl-C to stop)%n", c.bootstrapServers(), c.registryUrl(),
                stack.topics().size(), scoring.dashboardUrl(), startSecs, dataDir.toAbsolutePath());
        shutdown.await();
        return rc;
    }
}
