package io.seedstream.cli.chaos;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.JsonNode;
import io.seedstream.cli.local.StageProcess;
import io.seedstream.cli.local.UpCommand;
import io.seedstream.model.Checkpoints;
import io.seedstream.model.ModelConfig;
import io.seedstream.producers.dispatch.DispatcherConfig;
import io.seedstream.producers.task.TaskPolicy;
import io.seedstream.schemas.ConnectionConfig;
import io.seedstream.schemas.StageEvents;
import io.seedstream.schemas.Topics;
import io.seedstream.schemas.serde.AvroSerdes;
import io.seedstream.streams.topology.TopologySettings;
import io.seedstream.trainer.CheckpointStore;
import io.seedstream.trainer.TrainerConfig;
import java.io.IOException;
import java.io.Writer;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "chaos", mixinStandardHelpOptions = true,
        description = {"Run the whole stack as separate processes (broker, registry, topology, trainer, generators, "
                + "dispatcher) on this machine, kill -9 its processes and restart the broker at seeded random times, "
                + "then reconcile the log and the checkpoints against the exactly-once promises.",
            "Writes reconciliation.md and reconciliation.json (and every process's log) under --out; exits 1 when a "
                + "check fails."})
public final class ChaosCommand implements Callable<Integer> {

    @Option(names = "--out", defaultValue = "data/chaos", paramLabel = "DIR",
            description = "A new or empty directory for the run's data, logs and reconciliation (default: ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--faults", defaultValue = "10", description = "Faults to inject (default: ${DEFAULT-VALUE}).")
    int faults;

    @Option(names = "--seed", defaultValue = "0", description = "Seed of the fault schedule (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--fault-interval", defaultValue = "30", paramLabel = "SECONDS",
            description = "Mean time between a recovery and the next fault, drawn uniformly in [0.5, 1.5] x this "
                    + "(default: ${DEFAULT-VALUE}).")
    double faultInterval;

    @Option(names = "--recovery-timeout", defaultValue = "300", paramLabel = "SECONDS",
            description = "How long the loop may take to make its next version after a fault (default: ${DEFAULT-VALUE}).")
    long recoveryTimeout;

    @Option(names = "--generators", defaultValue = "2", description = "Generator processes (default: ${DEFAULT-VALUE}).")
    int generators;

    @Option(names = "--model-dir", paramLabel = "DIR", description = "Initial policy (default: the shipped task policy).")
    Path modelDir;

    @Option(names = "--task-problems", defaultValue = "500", description = "Built-in task problems to load as prompts "
            + "(default: ${DEFAULT-VALUE}).")
    int taskProblems;

    @Option(names = "--group-size", defaultValue = "8", description = "G (default: ${DEFAULT-VALUE}).")
    int groupSize;

    @Option(names = "--batch-groups", defaultValue = "8", description = "B (default: ${DEFAULT-VALUE}).")
    int batchGroups;

    @Option(names = "--max-new-tokens", defaultValue = "64", description = "Token budget per answer (default: ${DEFAULT-VALUE}).")
    int maxNewTokens;

    @Option(names = "--staleness", defaultValue = "2", description = "eta (default: ${DEFAULT-VALUE}).")
    int staleness;

    @Option(names = "--eval-every", defaultValue = "5", description = "Evaluation round every K versions (default: ${DEFAULT-VALUE}).")
    int evalEvery;

    @Option(names = "--heldout", defaultValue = "16", description = "Held-out problems per evaluation round (default: ${DEFAULT-VALUE}).")
    int heldout;

    @Option(names = "--config", paramLabel = "FILE", description = "Properties file with any stage's keys, given to every process.")
    Path config;

    /** What a fault does. */
    enum Kind {
        KILL_GENERATOR("kill -9 a generator"), KILL_TOPOLOGY("kill -9 the topology"), KILL_TRAINER("kill -9 the trainer"),
        KILL_DISPATCHER("kill -9 the dispatcher"), RESTART_BROKER("kill -9 and restart the broker");

        final String text;

        Kind(String text) {
            this.text = text;
        }
    }

    /** One injected fault and how the loop came back from it. */
    record Fault(int index, double atSeconds, Kind kind, String process, long pid, long versionBefore,
            Double recoverySeconds) {}

    private static final Duration READY = Duration.ofMinutes(3);
    private static final Duration STOP = Duration.ofMinutes(2);
    private static final String RUN_ID = "seedstream";
    private static final List<String> JVM = List.of("-Xmx1g");

    private final List<StageProcess> running = new ArrayList<>();
    private final List<String> unexpectedExits = new ArrayList<>();
    private long t0;

    @Override
    public Integer call() throws Exception {
        if (faults < 0 || generators < 1) {
            System.err.println("seedstream chaos: --faults must be >= 0 and --generators >= 1");
            return 2;
        }
        if (Files.isDirectory(out)) {
            try (var entries = Files.list(out)) {
                if (entries.findAny().isPresent()) {
                    System.err.println("seedstream chaos: " + out + " is not empty; give a new --out");
                    return 2;
                }
            }
        }
        Path model = modelDir != null ? modelDir.toAbsolutePath() : UpCommand.shippedPolicy();
        if (!Files.isRegularFile(model.resolve(Checkpoints.CONFIG))) {
            System.err.println("seedstream chaos: " + model + " is not a model directory (no config.json)");
            return 2;
        }
        out = out.toAbsolutePath();
        Files.createDirectories(out);
        t0 = System.nanoTime();
        int[] ports = freePorts(3);
        int brokerPort = ports[0];
        int controllerPort = ports[1];
        int registryPort = ports[2];
        ConnectionConfig c = ConnectionConfig.defaults().withServers("127.0.0.1:" + brokerPort,
                "http://127.0.0.1:" + registryPort);
        Path cfg = writeStageKeys(c, model);
        Stack stack = Stack.of(out, cfg, model, brokerPort, controllerPort, registryPort, generators);
        CheckpointStore store = new CheckpointStore(stack.checkpoints());
        List<Fault> done = new ArrayList<>();
        List<ChaosReconciliation.Resume> resumes = new ArrayList<>();
        List<ChaosReconciliation.Injected> injected = new ArrayList<>();
        String failure = null;
        ChaosReconciliation rec = null;
        try {
            say("starting broker and registry (logs in %s)", stack.logs());
            launch(stack.broker());
            launch(stack.registry());
            prepareTopicsAndPrompts(stack, cfg);
            injected.add(injectGarbage(c));
            say("starting the topology, the trainer, %d generator(s) and the dispatcher", generators);
            for (StageProcess p : stack.stages()) {
                launch(p);
            }
            long first = awaitVersionAfter(store, 0, Duration.ofSeconds(recoveryTimeout));
            say("loop running: version %d", first);
            injectFaults(stack, store, done, resumes);
            String drained = drainAndStop(stack, c, store);

            say("reconciling the log and %d checkpoints", store.list().size());
            rec = ChaosReconciliation.of(c, AvroSerdes.connect(c), store, staleness, RUN_ID, injected, resumes);
            rec.add("the loop drained after the last fault", "every request answered and batched, every batch consumed",
                    drained == null ? "yes" : drained, drained == null);
            addFaultRows(rec, done);
            replayRow(rec, store, model, cfg, stack.logs());
        } catch (IllegalStateException | IOException e) {
            failure = e.getMessage();
            System.err.println("seedstream chaos: " + failure);
        } finally {
            for (StageProcess p : List.copyOf(running)) {
                p.stop(STOP);
            }
        }
        write(rec, done, failure);
        if (rec == null) {
            System.out.printf(Locale.ROOT, "seedstream chaos: FAILED after %d faults (%s); logs in %s%n", done.size(),
                    failure, stack.logs());
            return 1;
        }
        long passed = rec.checks().stream().filter(ChaosReconciliation.Check::ok).count();
        System.out.println(rec.table());
        System.out.printf(Locale.ROOT, "seedstream chaos: %d faults in %.0f s, versions 0 -> %d, %d of %d checks passed; "
                        + "%s%n", done.size(), seconds(), latestVersion(store), passed, rec.checks().size(),
                out.resolve("reconciliation.md"));
        return rec.ok() && failure == null ? 0 : 1;
    }

    /** The processes of one chaos run, as an operator would start them (docs/cluster.md). */
    record Stack(Path logs, Path checkpoints, StageProcess broker, StageProcess registry, StageProcess topology,
            StageProcess trainer, List<StageProcess> generators, StageProcess dispatcher) {

        static Stack of(Path out, Path cfg, Path model, int brokerPort, int controllerPort, int registryPort,
                int generatorCount) throws IOException {
            Path logs = out.resolve("logs");
            Path checkpoints = out.resolve("checkpoints");
            String config = cfg.toString();
            StageProcess broker = new StageProcess("broker", JVM, List.of("broker", "--data-dir",
                    out.resolve("kafka").toString(), "--port", String.valueOf(brokerPort), "--controller-port",
                    String.valueOf(controllerPort)), logs);
            StageProcess registry = new StageProcess("registry", JVM, List.of("registry", "--port",
                    String.valueOf(registryPort), "--config", config), logs);
            StageProcess topology = new StageProcess("topology", JVM, List.of("streams", "--config", config,
                    "--state-dir", out.resolve("streams").toString(), "--dashboard-port", String.valueOf(freePort())),
                    logs);
            StageProcess trainer = new StageProcess("trainer", JVM, List.of("train", "--config", config,
                    "--model-dir", model.toString(), "--checkpoint-dir", checkpoints.toString()), logs);
            List<StageProcess> gens = new ArrayList<>();
            for (int i = 0; i < generatorCount; i++) {
                gens.add(new StageProcess("generator-" + i, JVM, List.of("generate", "--config", config,
                        "--model-dir", model.toString(), "--checkpoint-dir", checkpoints.toString(), "--generator-id",
                        "gen-" + i), logs));
            }
            StageProcess dispatcher = new StageProcess("dispatcher", JVM, List.of("dispatch", "--config", config),
                    logs);
            return new Stack(logs, checkpoints, broker, registry, topology, trainer, List.copyOf(gens), dispatcher);
        }

        /** The loop's stages, in the order they start (the broker and the registry come first). */
        List<StageProcess> stages() {
            List<StageProcess> all = new ArrayList<>(List.of(topology, trainer));
            all.addAll(generators);
            all.add(dispatcher);
            return all;
        }
    }

    private void prepareTopicsAndPrompts(Stack stack, Path cfg) throws IOException, InterruptedException {
        int rc = new StageProcess("topics", JVM, List.of("topics", "create", "--config", cfg.toString()), stack.logs())
                .runToEnd(READY);
        Path problems = UpCommand.taskProblemsFile(out, taskProblems, 0);
        rc = Math.max(rc, UpCommand.exportTaskProblems(problems, taskProblems, 0));
        rc = Math.max(rc, new StageProcess("prompts", JVM, List.of("prompts", "load", problems.toString(),
                "--dataset", "task", "--config", cfg.toString()), stack.logs()).runToEnd(READY));
        if (rc != 0) {
            throw new IllegalStateException("creating the topics or loading the prompts failed; see " + stack.logs());
        }
    }

    /** A {@code resumed} event's partition-to-offset map. */
    private static Map<Integer, Long> offsets(JsonNode node) {
        Map<Integer, Long> out = new TreeMap<>();
        node.fields().forEachRemaining(e -> out.put(Integer.parseInt(e.getKey()), e.getValue().asLong()));
        return out;
    }

    /** The faults, one after another, each followed by a new version (or the end of the run). */
    private void injectFaults(Stack stack, CheckpointStore store, List<Fault> done,
            List<ChaosReconciliation.Resume> resumes) throws IOException, InterruptedException {
        Random rng = new Random(seed);
        List<Kind> plan = plan(rng);
        for (int i = 0; i < plan.size(); i++) {
            Thread.sleep((long) (faultInterval * (0.5 + rng.nextDouble()) * 1000));
            restartUnexpected();
            Kind kind = plan.get(i);
            StageProcess victim = switch (kind) {
                case KILL_GENERATOR -> stack.generators().get(rng.nextInt(stack.generators().size()));
                case KILL_TOPOLOGY -> stack.topology();
                case KILL_TRAINER -> stack.trainer();
                case KILL_DISPATCHER -> stack.dispatcher();
                case RESTART_BROKER -> stack.broker();
            };
            long before = latestVersion(store);
            long pid = victim.pid();
            double at = seconds();
            victim.kill();
            if (kind == Kind.RESTART_BROKER) {
                Thread.sleep(1000);
            }
            // what a restarted trainer must resume from: the newest checkpoint the killed one left
            CheckpointStore.Checkpoint last = kind == Kind.KILL_TRAINER ? store.latest().orElseThrow() : null;
            victim.start();
            victim.awaitReady(READY);
            if (last != null) {
                StageEvents.Event resumed = victim.awaitEvent(StageEvents.RESUMED, READY);
                resumes.add(new ChaosReconciliation.Resume(i + 1, last.dir().getFileName().toString(),
                        last.state().nextOffsets(), resumed.fields().path("checkpoint").asText(),
                        offsets(resumed.fields().path("offsets"))));
            }
            Double recovered = null;
            try {
                long next = awaitVersionAfter(store, before, Duration.ofSeconds(recoveryTimeout));
                recovered = seconds() - at;
                say("fault %d/%d at %.0f s: %s (%s, pid %d) at version %d; version %d %.1f s later", i + 1,
                        plan.size(), at, kind.text, victim.name(), pid, before, next, recovered);
            } catch (IllegalStateException e) {
                say("fault %d/%d at %.0f s: %s (%s, pid %d) at version %d; NO new version within %d s", i + 1,
                        plan.size(), at, kind.text, victim.name(), pid, before, recoveryTimeout);
            }
            done.add(new Fault(i + 1, at, kind, victim.name(), pid, before, recovered));
            if (recovered == null) {
                return;
            }
        }
    }

    /** Stops the dispatcher, drains, then stops the trainer, generators and topology; null when drained. */
    private String drainAndStop(Stack stack, ConnectionConfig c, CheckpointStore store)
            throws IOException, InterruptedException {
        say("draining: dispatcher stopped, waiting for every released request to be answered, scored, batched and "
                + "consumed");
        stop(stack.dispatcher());
        String drained = drain(c, store);
        stop(stack.trainer());
        for (StageProcess g : stack.generators()) {
            stop(g);
        }
        stop(stack.topology());
        restartUnexpected(); // the broker and the registry, still needed for the reconciliation
        return drained;
    }

    private void stop(StageProcess p) throws InterruptedException {
        p.stop(STOP);
        running.remove(p);
    }

    /** Every kind once in a shuffled order, then again, until there are {@code faults}. */
    List<Kind> plan(Random rng) {
        List<Kind> plan = new ArrayList<>();
        while (plan.size() < faults) {
            List<Kind> round = new ArrayList<>(List.of(Kind.values()));
            Collections.shuffle(round, rng);
            plan.addAll(round.subList(0, Math.min(round.size(), faults - plan.size())));
        }
        return plan;
    }

    /** The run's stage keys: up's settings for the task policy, the bounds given, then --config. */
    private Path writeStageKeys(ConnectionConfig c, Path model) throws IOException {
        Properties p = new Properties();
        if (ModelConfig.read(model.resolve(Checkpoints.CONFIG)).equals(TaskPolicy.CONFIG)) {
            p.putAll(UpCommand.TASK_POLICY_SETTINGS);
        }
        p.put(TopologySettings.BATCH_LINGER_MS, "5000"); // the drain's last short batch closes soon
        p.put(ConnectionConfig.BOOTSTRAP_SERVERS, c.bootstrapServers());
        p.put(ConnectionConfig.SCHEMA_REGISTRY_URL, c.registryUrl());
        p.put(TrainerConfig.STALENESS, String.valueOf(staleness));
        p.put(TrainerConfig.CHECKPOINT_EVERY, "1");
        p.put(TrainerConfig.CHECKPOINT_KEEP, "0"); // the whole lineage is the ledger the reconciliation reads
        p.put(TrainerConfig.RUN_ID, RUN_ID);
        p.put(TopologySettings.BATCH_GROUPS, String.valueOf(batchGroups));
        p.put(DispatcherConfig.GROUP_SIZE, String.valueOf(groupSize));
        p.put(DispatcherConfig.MAX_NEW_TOKENS, String.valueOf(maxNewTokens));
        p.put(DispatcherConfig.EVAL_EVERY, String.valueOf(evalEvery));
        p.put(DispatcherConfig.HELD_OUT_SIZE, String.valueOf(heldout));
        p.put(DispatcherConfig.RUN_ID, RUN_ID);
        if (config != null) {
            try (var r = Files.newBufferedReader(config)) {
                p.load(r);
            }
        }
        Path file = out.resolve("chaos.properties");
        try (Writer w = Files.newBufferedWriter(file)) {
            p.store(w, "seedstream chaos: every process's keys");
        }
        return file;
    }

    /** Random bytes into rollouts: the topology must dead-letter exactly this record. */
    private static ChaosReconciliation.Injected injectGarbage(ConnectionConfig c) throws IOException {
        byte[] junk = new byte[64];
        new Random(7).nextBytes(junk);
        try (KafkaProducer<String, byte[]> p = new KafkaProducer<>(c.producerProperties("seedstream-chaos"),
                new StringSerializer(), new ByteArraySerializer())) {
            RecordMetadata m = p.send(new ProducerRecord<>(c.topic(Topics.ROLLOUTS), "chaos-garbage", junk))
                    .get(60, java.util.concurrent.TimeUnit.SECONDS);
            return new ChaosReconciliation.Injected(m.topic(), m.partition(), m.offset(), "64 random bytes");
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            throw new IOException("cannot inject the garbage record: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

    private void launch(StageProcess p) throws IOException, InterruptedException {
        p.start();
        running.add(p);
        p.awaitReady(READY);
    }

    /** A process that ended without being killed is recorded (a defect) and started again. */
    private void restartUnexpected() throws IOException, InterruptedException {
        for (StageProcess p : running) {
            if (!p.alive()) {
                unexpectedExits.add(String.format(Locale.ROOT, "%s incarnation %d ended on its own at %.0f s (exit %s)",
                        p.name(), p.incarnation(), seconds(), p.exitCode()));
                say("%s ended on its own (exit %s); the end of its log:%n%s", p.name(), p.exitCode(), p.tail(15));
                p.start();
            }
        }
    }

    private static long latestVersion(CheckpointStore store) throws IOException {
        return store.latest().map(cp -> cp.state().step()).orElse(-1L);
    }

    private long awaitVersionAfter(CheckpointStore store, long version, Duration limit)
            throws IOException, InterruptedException {
        long deadline = System.nanoTime() + limit.toNanos();
        long v;
        while ((v = latestVersion(store)) <= version) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("no version after " + version + " within " + limit.toSeconds() + " s");
            }
            restartUnexpected();
            Thread.sleep(250);
        }
        return v;
    }

    /**
     * With the dispatcher stopped: waits until every released request is answered and every group
     * batched, then until the trainer's newest checkpoint has consumed the last batch (or nothing
     * changed for a minute: a last batch rejected as stale is checkpointed when the trainer stops).
     * Returns null when drained, else what is left.
     */
    private String drain(ConnectionConfig c, CheckpointStore store) throws IOException, InterruptedException {
        AvroSerdes serdes = AvroSerdes.connect(c);
        long deadline = System.nanoTime() + Duration.ofSeconds(recoveryTimeout).toNanos();
        String left;
        long said = System.nanoTime();
        while ((left = ChaosReconciliation.unfinished(c, serdes)) != null) {
            if (System.nanoTime() > deadline) {
                return left;
            }
            if (System.nanoTime() - said > Duration.ofSeconds(30).toNanos()) {
                say("draining: %s", left);
                said = System.nanoTime();
            }
            restartUnexpected();
            Thread.sleep(3000);
        }
        long lastBatch = ChaosReconciliation.lastOffset(c, serdes, Topics.TRAINING_BATCHES);
        long idleSince = System.nanoTime();
        long seen = latestVersion(store);
        while (store.latest().map(cp -> cp.state().nextOffsets().getOrDefault(0, 0L)).orElse(0L) <= lastBatch) {
            long v = latestVersion(store);
            if (v != seen) {
                seen = v;
                idleSince = System.nanoTime();
            }
            if (System.nanoTime() - idleSince > Duration.ofMinutes(1).toNanos()) {
                say("the trainer made no version for a minute with batches after its checkpoint: stopping it (a "
                        + "rejected last batch is checkpointed when it stops)");
                break;
            }
            Thread.sleep(500);
        }
        return null;
    }

    private void addFaultRows(ChaosReconciliation rec, List<Fault> done) {
        Map<Kind, Integer> byKind = new EnumMap<>(Kind.class);
        done.forEach(f -> byKind.merge(f.kind(), 1, Integer::sum));
        long recovered = done.stream().filter(f -> f.recoverySeconds() != null).count();
        double worst = done.stream().filter(f -> f.recoverySeconds() != null).mapToDouble(Fault::recoverySeconds).max()
                .orElse(0);
        List<Double> times = done.stream().filter(f -> f.recoverySeconds() != null).map(Fault::recoverySeconds).sorted()
                .toList();
        int n = times.size();
        double median = n == 0 ? 0 : n % 2 == 1 ? times.get(n / 2) : (times.get(n / 2 - 1) + times.get(n / 2)) / 2;
        rec.add("faults injected, each followed by a new version", faults + " faults", String.format(Locale.ROOT,
                "%d of %d recovered (%s); fault to next version median %.1f s, max %.1f s", recovered, done.size(),
                byKind.toString().replace("=", ": "), median, worst), recovered == faults && done.size() == faults);
        rec.add("processes that died on their own", "0", unexpectedExits.isEmpty() ? "0"
                : unexpectedExits.size() + ": " + String.join("; ", unexpectedExits), unexpectedExits.isEmpty());
    }

    /** Replays the recorded batches from version 0 in a fresh trainer process: the same weights at every version? */
    private void replayRow(ChaosReconciliation rec, CheckpointStore store, Path model, Path cfg, Path logs)
            throws IOException, InterruptedException {
        List<CheckpointStore.Checkpoint> all = store.list();
        long last = all.isEmpty() ? 0 : all.get(all.size() - 1).state().step();
        if (all.isEmpty() || last == 0) {
            rec.add("a run without faults fed the same batches ends with the same weights", "same sha256",
                    "no version to compare", false);
            return;
        }
        StageProcess replay = new StageProcess("replay", JVM, List.of("replay", "train", "--from-checkpoint",
                all.get(0).dir().toString(), "--to-version", String.valueOf(last), "--out",
                out.resolve("replay").toString(), "--model-dir", model.toString(), "--config", cfg.toString()), logs);
        say("replaying versions 1-%d from version 0 without faults", last);
        int rc = replay.runToEnd(Duration.ofMinutes(60));
        ObjectMapper json = new ObjectMapper();
        long steps = 0;
        long same = 0;
        String finalSha = null;
        for (String line : replay.logText().lines().filter(l -> l.startsWith("{")).toList()) {
            var node = json.readTree(line);
            steps++;
            same += node.path("same_as_live").asBoolean(false) ? 1 : 0;
            if (node.path("step").asLong() == last) {
                finalSha = node.path("sha256").asText() + (node.path("same_as_live").asBoolean() ? "" : " (live: "
                        + node.path("live_sha256").asText() + ")");
            }
        }
        String liveSha = all.get(all.size() - 1).state().weightsSha256();
        rec.add("a run without faults fed the same batches (replay train from v0) has the same weights",
                "versions 1-" + last + " identical, final " + liveSha.substring(0, 12),
                String.format(Locale.ROOT, "%d of %d versions bit-identical; final %s; exit %d", same, steps,
                        finalSha == null ? "not reached" : finalSha.substring(0, Math.min(12, finalSha.length())), rc),
                rc == 0 && steps == last && same == last);
    }

    private void write(ChaosReconciliation rec, List<Fault> done, String failure) throws IOException {
        StringBuilder md = new StringBuilder("# seedstream chaos\n\n");
        md.append(String.format(Locale.ROOT, "%d faults, seed %d, mean interval %.0f s, %d generators, G = %d, B = %d, "
                + "eta = %d; %.0f s in all.%n%n", done.size(), seed, faultInterval, generators, groupSize, batchGroups,
                staleness, seconds()));
        md.append("| # | at (s) | fault | process (pid) | version at fault | fault to next version (s) |\n|---|---|---|---|---|---|\n");
        for (Fault f : done) {
            md.append(String.format(Locale.ROOT, "| %d | %.0f | %s | %s (%d) | %d | %s |%n", f.index(), f.atSeconds(),
                    f.kind().text, f.process(), f.pid(), f.versionBefore(),
                    f.recoverySeconds() == null ? "none" : String.format(Locale.ROOT, "%.1f", f.recoverySeconds())));
        }
        md.append("\n");
        if (rec != null) {
            md.append(rec.table());
        }
        if (failure != null) {
            md.append("\nThe run failed: ").append(failure).append("\n");
        }
        Files.writeString(out.resolve("reconciliation.md"), md.toString());
        ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        ObjectNode root = json.createObjectNode();
        root.put("ok", rec != null && rec.ok() && failure == null);
        root.put("failure", failure);
        root.put("seconds", seconds());
        ArrayNode fs = root.putArray("faults");
        for (Fault f : done) {
            fs.addObject().put("index", f.index()).put("at_seconds", f.atSeconds()).put("kind", f.kind().name())
                    .put("process", f.process()).put("pid", f.pid()).put("version_before", f.versionBefore())
                    .put("recovery_seconds", f.recoverySeconds());
        }
        ArrayNode cs = root.putArray("checks");
        if (rec != null) {
            for (ChaosReconciliation.Check ch : rec.checks()) {
                cs.addObject().put("what", ch.what()).put("expected", ch.expected()).put("found", ch.found())
                        .put("ok", ch.ok());
            }
        }
        json.writeValue(out.resolve("reconciliation.json").toFile(), root);
    }

    private double seconds() {
        return (System.nanoTime() - t0) / 1e9;
    }

    private void say(String format, Object... args) {
        System.err.printf(Locale.ROOT, "seedstream chaos: [%4.0f s] " + format + "%n",
                java.util.stream.Stream.concat(java.util.stream.Stream.of(seconds()), java.util.Arrays.stream(args)).toArray());
    }

    private static int freePort() throws IOException {
        return freePorts(1)[0];
    }

    /**
     * n distinct free ports: the sockets are held open until all are chosen, or the kernel may hand
     * a just-closed port out again (a broker and a registry on one port: "cannot listen").
     */
    private static int[] freePorts(int n) throws IOException {
        List<ServerSocket> open = new ArrayList<>();
        try {
            int[] ports = new int[n];
            for (int i = 0; i < n; i++) {
                ServerSocket s = new ServerSocket(0);
                open.add(s);
                ports[i] = s.getLocalPort();
            }
            return ports;
        } finally {
            for (ServerSocket s : open) {
                s.close();
            }
        }
    }
}
