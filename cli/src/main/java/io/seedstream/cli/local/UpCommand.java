package io.seedstream.cli.local;

import io.seedstream.cli.BuiltInTask;
import io.seedstream.cli.ConfigKeys;
import io.seedstream.cli.GracefulStop;
import io.seedstream.cli.MethodOptions;
import io.seedstream.cli.MetricsServer;
import io.seedstream.cli.PromptFiles;
import io.seedstream.cli.PromptOptions;
import io.seedstream.cli.StatusLine;
import io.seedstream.cli.UpdateOptions;
import io.seedstream.cli.offline.ModelCommand;
import io.seedstream.cli.offline.TaskCommand;
import io.seedstream.infra.LocalStack;
import io.seedstream.infra.broker.BrokerSecurity;
import io.seedstream.infra.broker.BrokerSettings;
import io.seedstream.infra.registry.RegistrySettings;
import io.seedstream.infra.topics.TopicSetup;
import io.seedstream.model.Checkpoints;
import io.seedstream.model.ModelConfig;
import io.seedstream.producers.dispatch.DispatcherConfig;
import io.seedstream.producers.generator.GeneratorConfig;
import io.seedstream.producers.task.TaskPolicy;
import io.seedstream.schemas.ClientIds;
import io.seedstream.schemas.ConnectionConfig;
import io.seedstream.streams.scoring.ScoringConfig;
import io.seedstream.streams.topology.ScoringService;
import io.seedstream.streams.topology.TopologySettings;
import io.seedstream.trainer.TrainerConfig;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "up", mixinStandardHelpOptions = true,
        description = {"Train on the embedded defaults: a real Kafka broker (in this JVM), the schema registry, every "
                + "topic, the prompts, the scoring topology with its dashboard, the dispatcher, the generators and the "
                + "trainer, each talking to the others only through Kafka. By default it trains the built-in task's "
                + "warm-started tiny policy with SEED-GRPO and evaluates it on a held-out set every few versions.",
            "Data is kept in --data-dir, so a restart resumes where it stopped: the trainer from its checkpoint, the "
                    + "dispatcher from its position, the dashboard from the topology's state. Every stage's key "
                    + "(trainer.*, generator.*, dispatch.*, scoring.*, batch.*) can be set in --config.",
            "On the built-in task policy, up uses other defaults than the stages' own (shown below), unless a flag "
                    + "or --config sets them: " + BuiltInTask.TASK_POLICY_HELP + "."})
public final class UpCommand implements Callable<Integer> {

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

    @Option(names = "--eval-file", paramLabel = "FILE.jsonl",
            description = "Evaluation set, JSONL of problems with \"answer\" or \"answers\" (repeatable; the benchmark "
                    + "is the file name); default: the built-in task's held-out set.")
    List<Path> evalFiles = List.of();

    @Mixin
    PromptOptions prompt;

    @Option(names = "--task-problems", defaultValue = "2000",
            description = "Without --prompts: load this many built-in task problems (seed 0) as prompts; 0 loads none "
                    + "(default: ${DEFAULT-VALUE}).")
    int taskProblems;

    @Option(names = "--dashboard-port", defaultValue = "8090",
            description = "Port of the scoring topology's dashboard API, 0 for any (default: ${DEFAULT-VALUE}).")
    int dashboardPort;

    @Option(names = "--prometheus-port", defaultValue = "9404",
            description = "Serve every stage's metrics on /metrics at this port, -1 off (default: ${DEFAULT-VALUE}).")
    int prometheusPort;

    @Option(names = "--secure", description = "SASL/SCRAM-SHA-512 over TLS with ACLs: CA, keys and users made once in "
            + "<data-dir>/security (each component's client settings in <component>.properties there), and every stage "
            + "connects as its own principal.")
    boolean secure;

    @Option(names = "--once", description = "Stop as soon as everything is up (smoke tests, start-up benchmarks).")
    boolean once;

    @Option(names = "--json", description = "With --once: print one JSON line with the start-up timings.")
    boolean json;

    @Option(names = "--model-dir", paramLabel = "DIR", description = "Initial policy (default: the warm-started task "
            + "policy shipped in models/task-policy); ignored when the run resumes from a checkpoint.")
    Path modelDir;

    @Option(names = "--warm-start", description = "Warm-start a fresh task policy first (seedstream task sft, about 10 "
            + "minutes on 2 cores; kept in DATA/warm-start) instead of the shipped one.")
    boolean warmStart;

    @Option(names = "--generators", defaultValue = "1", description = "Generator instances (default: ${DEFAULT-VALUE}).")
    int generators;

    @Option(names = "--staleness", description = "eta, the staleness bound (default: ${sys:seedstream.default.trainer.staleness.bound}).")
    Integer staleness;

    @Option(names = "--group-size", description = "G, answers per prompt (default: ${sys:seedstream.default.dispatch.group.size}).")
    Integer groupSize;

    @Option(names = "--batch-groups", description = "B, groups per training batch (default: ${sys:seedstream.default.batch.groups}).")
    Integer batchGroups;

    @Option(names = "--max-new-tokens", description = "Token budget per answer (default: ${sys:seedstream.default.dispatch.max.new.tokens}).")
    Integer maxNewTokens;

    @Option(names = "--eval-every", description = "Evaluate every K versions, 0 never (default: 20 for the task "
            + "policy, else 10).")
    Integer evalEvery;

    @Option(names = "--selection", description = "Which prompts to release: uniform, learnable or uncertainty "
            + "(default: ${sys:seedstream.default.dispatch.selection}; docs/method.md).")
    String selection;

    @Option(names = "--tools", paramLabel = "NAME[,NAME]", description = "Tools the policy may call mid-answer "
            + "(generator.tools; docs/tools.md). With calculator and no --model-dir, the task policy is warm-started "
            + "once with calculator calls in its targets (task sft --calc-share 0.2, about 15 minutes on 2 cores; kept "
            + "in DATA/warm-start-calc), and answers get " + BuiltInTask.CALC_MAX_NEW_TOKENS + " tokens, replies included, "
            + "unless --max-new-tokens says otherwise.")
    String tools;

    @Option(names = "--minutes", description = "Stop after this many minutes (default: run until Ctrl-C).")
    Double minutes;

    @Option(names = "--device", defaultValue = "cpu", description = "cpu, gpu or gpu:N, for the generators and the trainer (default: ${DEFAULT-VALUE}).")
    String device;

    @Option(names = "--config", paramLabel = "FILE", description = "Properties file with any stage's keys; flags win.")
    Path config;

    @Mixin
    MethodOptions method;

    @Mixin
    UpdateOptions update;

    @Override
    public Integer call() throws Exception {
        if (generators < 1) {
            System.err.println("seedstream up: --generators must be >= 1, was " + generators);
            return 2;
        }
        for (Path f : evalFiles) {
            if (!java.nio.file.Files.isRegularFile(f)) {
                System.err.println("seedstream up: --eval-file " + f + " is not a file");
                return 2;
            }
        }
        Path initial = null;
        if (!once) {
            initial = initialPolicy();
            if (initial == null) {
                return 2;
            }
        }
        Properties keys = stageKeys(initial != null
                && ModelConfig.read(initial.resolve(Checkpoints.CONFIG)).equals(TaskPolicy.CONFIG));
        long t0 = System.nanoTime();
        ConnectionConfig base = ConnectionConfig.defaults().withTopicPrefix(topicPrefix);
        LocalStack stack;
        try {
            BrokerSettings broker = new BrokerSettings(dataDir.resolve("kafka"), BrokerSettings.DEFAULT_HOST, brokerPort,
                    controllerPort, Map.of());
            if (secure) {
                broker = broker.withSecurity(BrokerSecurity.prepare(dataDir.resolve("security"), broker.host()));
            }
            stack = LocalStack.start(broker, RegistrySettings.defaults().withPort(registryPort), base);
        } catch (RuntimeException e) {
            System.err.println("seedstream up: cannot start the local stack: " + e.getMessage());
            return 1;
        }
        ConnectionConfig c = stack.connection();
        ScoringService scoring;
        MetricsServer metrics;
        try {
            metrics = MetricsServer.start(once ? -1 : prometheusPort);
        } catch (java.io.IOException e) {
            stack.close();
            System.err.println("seedstream up: cannot serve /metrics on port " + prometheusPort + ": " + e.getMessage());
            return 1;
        }
        try {
            scoring = ScoringService.start(stack.connectionAs(BrokerSecurity.Principal.TOPOLOGY),
                    TopologySettings.from(keys), ScoringConfig.from(keys), metrics.registry());
            scoring.awaitRunning(Duration.ofMinutes(2));
        } catch (RuntimeException e) {
            metrics.close();
            stack.close();
            System.err.println("seedstream up: cannot start the scoring topology: " + e.getMessage());
            return 1;
        }
        long readyNanos = System.nanoTime();
        log.info("configuration: {}", c.describe());
        for (TopicSetup.Result r : stack.topics()) {
            log.debug("topic {} {} ({} partitions)", r.name(), r.outcome(), r.partitions());
        }
        int rc = loadPrompts(c);
        double startSecs = (readyNanos - t0) / 1e9;
        long sinceJvmStart = System.currentTimeMillis() - ManagementFactory.getRuntimeMXBean().getStartTime();
        if (once) {
            scoring.close();
            metrics.close();
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
        if (rc != 0) {
            scoring.close();
            metrics.close();
            stack.close();
            System.err.println("seedstream up: the prompts did not load; nothing to train on");
            return rc;
        }
        Path checkpoints = dataDir.resolve("checkpoints").toAbsolutePath();
        keys.put(TrainerConfig.MODEL_DIR, initial.toString());
        keys.put(TrainerConfig.CHECKPOINT_DIR, checkpoints.toString());
        keys.put(GeneratorConfig.MODEL_DIR, initial.toString());
        keys.put(GeneratorConfig.CHECKPOINT_DIR, checkpoints.toString());
        try (MetricsServer served = metrics) {
            return train(stack, scoring, keys, startSecs, served);
        }
    }

    /** Runs the loop until Ctrl-C, --minutes, or a stage that stops on its own; then stops everything in order. */
    private int train(LocalStack stack, ScoringService scoring, Properties keys, double startSecs, MetricsServer metrics)
            throws Exception {
        ConnectionConfig c = stack.connection();
        CountDownLatch stopAsked = new CountDownLatch(1);
        long deadline = minutes == null ? Long.MAX_VALUE : System.nanoTime() + (long) (minutes * 60e9);
        Optional<LocalLoop.StageEnd> ended = Optional.empty();
        long[] steps = {-1, -1};
        try (GracefulStop stop = new GracefulStop("up", stopAsked::countDown, Duration.ofMinutes(4))) {
            LocalLoop loop;
            StatusLine line = StatusLine.onStderr(30_000);
            UpStatus status = new UpStatus(scoring, line);
            try {
                loop = LocalLoop.start(stack::connectionAs, keys, generators, ModelCommand.device(device), metrics.registry(),
                        (step, batchId, r, m) -> {
                    steps[0] = steps[0] < 0 ? step - 1 : steps[0];
                    steps[1] = step;
                    status.step(m);
                }, st -> { });
            } catch (RuntimeException e) {
                status.close();
                scoring.close();
                stack.close();
                System.err.println("seedstream up: cannot start the loop: " + e.getMessage());
                return 1;
            }
            status.watch(loop.generators());
            System.err.printf(Locale.ROOT, "seedstream up: broker %s%s, registry %s, %d topics ready in %.1f s; training "
                            + "with %d generator(s), dashboard %s/%s (Ctrl-C to stop)%n", c.bootstrapServers(),
                    secure ? " (SASL_SSL, SCRAM-SHA-512, ACLs; client settings in " + dataDir.resolve("security") + ")"
                            : "", c.registryUrl(), stack.topics().size(), startSecs, generators, scoring.dashboardUrl(),
                    metrics.port() < 0 ? "" : ", metrics http://127.0.0.1:" + metrics.port() + "/metrics");
            while (!stopAsked.await(1, TimeUnit.SECONDS) && System.nanoTime() < deadline && ended.isEmpty()) {
                ended = loop.ended();
            }
            String last = status.text();
            status.close();
            line.close();
            System.err.println("seedstream up: stopping (dispatcher, generators, trainer, topology, broker)...");
            loop.close();
            scoring.close();
            stack.close();
            System.out.printf("seedstream up: %s; %s; data in %s%n", steps[1] < 0 ? "no training step"
                    : "versions " + steps[0] + " -> " + steps[1], last, dataDir.toAbsolutePath());
        }
        if (ended.isPresent() && ended.get().failed()) {
            System.err.println("seedstream up: " + ended.get());
            return 1;
        }
        return 0;
    }

    /** up's settings for the task policy (when it trains one), then the --config file, then the flags. */
    private Properties stageKeys(boolean taskPolicy) throws java.io.IOException {
        Properties p = new Properties();
        if (taskPolicy) {
            p.putAll(BuiltInTask.TASK_POLICY_SETTINGS);
            if (usesCalculator()) {
                p.put(DispatcherConfig.MAX_NEW_TOKENS, BuiltInTask.CALC_MAX_NEW_TOKENS);
            }
        }
        if (config != null) {
            Properties file = new Properties();
            try (var r = java.nio.file.Files.newBufferedReader(config)) {
                file.load(r);
            }
            ConfigKeys.check(file, config);
            p.putAll(file);
        }
        p.put(TopologySettings.APPLICATION_ID, ClientIds.SCORING_APPLICATION);
        p.put(TopologySettings.STATE_DIR, dataDir.resolve("streams").toString());
        p.put(TopologySettings.DASHBOARD_PORT, String.valueOf(dashboardPort));
        method.putInto(p);
        update.putInto(p);
        UpdateOptions.put(p, TrainerConfig.STALENESS, staleness);
        UpdateOptions.put(p, TopologySettings.BATCH_GROUPS, batchGroups);
        UpdateOptions.put(p, DispatcherConfig.GROUP_SIZE, groupSize);
        UpdateOptions.put(p, DispatcherConfig.MAX_NEW_TOKENS, maxNewTokens);
        UpdateOptions.put(p, DispatcherConfig.EVAL_EVERY, evalEvery);
        UpdateOptions.put(p, DispatcherConfig.SELECTION, selection);
        UpdateOptions.put(p, GeneratorConfig.TOOLS, tools);
        if (!evalFiles.isEmpty()) {
            p.put(DispatcherConfig.EVAL_FILES, evalFiles.stream().map(f -> f.toAbsolutePath().toString())
                    .collect(java.util.stream.Collectors.joining(",")));
        }
        prompt.putInto(p);
        return p;
    }

    private boolean usesCalculator() {
        return tools != null && java.util.Arrays.stream(tools.split(",")).map(String::strip)
                .anyMatch(t -> t.equals("calculator"));
    }

    /** --model-dir, a fresh warm start (--warm-start), or the shipped task policy; null after an error message. */
    private Path initialPolicy() {
        if (modelDir != null) {
            if (!java.nio.file.Files.isRegularFile(modelDir.resolve(Checkpoints.CONFIG))) {
                System.err.println("seedstream up: " + modelDir + " is not a model directory (no config.json)");
                return null;
            }
            return modelDir.toAbsolutePath();
        }
        // the shipped policy never writes a calculator call: a run with the calculator needs one that does
        boolean calc = usesCalculator();
        if (warmStart || calc) {
            Path out = dataDir.resolve(calc ? "warm-start-calc" : "warm-start").toAbsolutePath();
            if (!java.nio.file.Files.isRegularFile(out.resolve("warm-start.json"))) {
                System.err.println("seedstream up: warm-starting the task policy into " + out + " (seedstream task sft"
                        + (calc ? " --calc-share 0.2" : "") + ")");
                List<String> args = new java.util.ArrayList<>(List.of("sft", "--out", out.toString()));
                if (calc) {
                    args.addAll(List.of("--calc-share", "0.2"));
                }
                int r = new CommandLine(new TaskCommand()).execute(args.toArray(String[]::new));
                if (r != 0) {
                    System.err.println("seedstream up: the warm start failed");
                    return null;
                }
            }
            return out;
        }
        Path shipped = BuiltInTask.shippedPolicy();
        if (!java.nio.file.Files.isRegularFile(shipped.resolve(Checkpoints.CONFIG))) {
            System.err.println("seedstream up: the shipped task policy is missing (" + shipped + "); use --warm-start "
                    + "or --model-dir DIR");
            return null;
        }
        return shipped;
    }

    private int loadPrompts(ConnectionConfig c) throws InterruptedException, java.io.IOException {
        int rc = 0;
        List<Path> files = prompts;
        if (files.isEmpty() && taskProblems > 0) {
            Path task = BuiltInTask.problemsFile(dataDir, taskProblems, 0);
            BuiltInTask.exportProblems(task, taskProblems, 0);
            files = List.of(task);
        }
        for (Path file : files) {
            rc = Math.max(rc, PromptFiles.load(c, file, prompts.isEmpty() ? "task" : null));
        }
        return rc;
    }
}
