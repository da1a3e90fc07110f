package io.seedstream.cli.chaos;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.seedstream.cli.BuiltInTask;
import io.seedstream.cli.ConfigKeys;
import io.seedstream.cli.local.StageProcess;
import io.seedstream.model.Checkpoints;
import io.seedstream.model.ModelConfig;
import io.seedstream.producers.dispatch.DispatcherConfig;
import io.seedstream.producers.task.TaskPolicy;
import io.seedstream.schemas.ConnectionConfig;
import io.seedstream.schemas.Topics;
import io.seedstream.schemas.serde.AvroSerdes;
import io.seedstream.streams.scoring.ScoringConfig;
import io.seedstream.streams.topology.TopologySettings;
import io.seedstream.trainer.CheckpointStore;
import io.seedstream.trainer.TrainerConfig;
import java.io.IOException;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
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

    /** The run's scoring settings: with the zero-advantage filter on, dropped groups are accounted for. */
    private ScoringConfig scoring;

    private static final String RUN_ID = "seedstream";

    private final ChaosLog log = new ChaosLog();

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
        Path model = modelDir != null ? modelDir.toAbsolutePath() : BuiltInTask.shippedPolicy();
        if (!Files.isRegularFile(model.resolve(Checkpoints.CONFIG))) {
            System.err.println("seedstream chaos: " + model + " is not a model directory (no config.json)");
            return 2;
        }
        out = out.toAbsolutePath();
        Files.createDirectories(out);
        int[] ports = ChaosStack.freePorts(3);
        ConnectionConfig c = ConnectionConfig.defaults().withServers("127.0.0.1:" + ports[0],
                "http://127.0.0.1:" + ports[2]);
        Path cfg = writeStageKeys(c, model);
        scoring = ScoringConfig.from(ConfigKeys.load(cfg));
        ChaosStack stack = ChaosStack.of(out, cfg, model, ports[0], ports[1], ports[2], generators, log);
        CheckpointStore store = new CheckpointStore(stack.checkpoints());
        FaultSpec spec = new FaultSpec(faults, seed, faultInterval, Duration.ofSeconds(recoveryTimeout));
        FaultWorker worker = new FaultWorker(spec, stack, store, log);
        List<ChaosReconciliation.Injected> injected = new ArrayList<>();
        String failure = null;
        ChaosReconciliation rec = null;
        try {
            log.say("starting broker and registry (logs in %s)", stack.logs());
            stack.launch(stack.broker());
            stack.launch(stack.registry());
            prepareTopicsAndPrompts(stack, cfg);
            injected.add(injectGarbage(c));
            log.say("starting the topology, the trainer, %d generator(s) and the dispatcher", generators);
            for (StageProcess p : stack.stages()) {
                stack.launch(p);
            }
            long first = worker.awaitVersionAfter(0, spec.recoveryTimeout());
            log.say("loop running: version %d", first);
            worker.run();
            String drained = drainAndStop(stack, c, store);

            log.say("reconciling the log and %d checkpoints", store.list().size());
            rec = ChaosReconciliation.of(c, AvroSerdes.connect(c), store, staleness, batchGroups, RUN_ID, scoring, injected,
                    worker.resumes());
            rec.add("drained", "the loop drained after the last fault",
                    "every request answered and batched, every batch consumed", drained == null ? "yes" : drained,
                    drained == null, Map.of("drained", drained == null ? 1L : 0L));
            ChaosReport.addFaultRows(rec, worker.done(), faults, stack.unexpectedExits());
            replayRow(rec, store, model, cfg, stack.logs());
        } catch (IllegalStateException | IOException e) {
            failure = e.getMessage();
            System.err.println("seedstream chaos: " + failure);
        } finally {
            stack.stopAll();
        }
        String setup = String.format(Locale.ROOT, "%d faults, seed %d, mean interval %.0f s, %d generators, G = %d, "
                + "B = %d, eta = %d", worker.done().size(), seed, faultInterval, generators, groupSize, batchGroups,
                staleness);
        ChaosReport.write(out, setup, log.seconds(), rec, worker.done(), failure);
        if (rec == null) {
            System.out.printf(Locale.ROOT, "seedstream chaos: FAILED after %d faults (%s); logs in %s%n",
                    worker.done().size(), failure, stack.logs());
            return 1;
        }
        long passed = rec.checks().stream().filter(ChaosReconciliation.Check::ok).count();
        System.out.println(rec.table());
        System.out.printf(Locale.ROOT, "seedstream chaos: %d faults in %.0f s, versions 0 -> %d, %d of %d checks passed; "
                        + "%s%n", worker.done().size(), log.seconds(), FaultWorker.latestVersion(store), passed,
                rec.checks().size(), out.resolve("reconciliation.md"));
        return rec.ok() && failure == null ? 0 : 1;
    }

    private void prepareTopicsAndPrompts(ChaosStack stack, Path cfg) throws IOException, InterruptedException {
        int rc = new StageProcess("topics", ChaosStack.JVM, List.of("topics", "create", "--config", cfg.toString()),
                stack.logs()).runToEnd(ChaosStack.READY);
        Path problems = BuiltInTask.problemsFile(out, taskProblems, 0);
        BuiltInTask.exportProblems(problems, taskProblems, 0);
        rc = Math.max(rc, new StageProcess("prompts", ChaosStack.JVM, List.of("prompts", "load", problems.toString(),
                "--dataset", "task", "--config", cfg.toString()), stack.logs()).runToEnd(ChaosStack.READY));
        if (rc != 0) {
            throw new IllegalStateException("creating the topics or loading the prompts failed; see " + stack.logs());
        }
    }

    /** Stops the dispatcher, drains, then stops the trainer, generators and topology; null when drained. */
    private String drainAndStop(ChaosStack stack, ConnectionConfig c, CheckpointStore store)
            throws IOException, InterruptedException {
        log.say("draining: dispatcher stopped, waiting for every released request to be answered, scored, batched "
                + "and consumed");
        stack.stop(stack.dispatcher());
        String drained = drain(stack, c, store);
        stack.stop(stack.trainer());
        for (StageProcess g : stack.generators()) {
            stack.stop(g);
        }
        stack.stop(stack.topology());
        stack.restartUnexpected(); // the broker and the registry, still needed for the reconciliation
        return drained;
    }

    /** The run's stage keys: up's settings for the task policy, the bounds given, then --config. */
    private Path writeStageKeys(ConnectionConfig c, Path model) throws IOException {
        Properties p = new Properties();
        if (ModelConfig.read(model.resolve(Checkpoints.CONFIG)).equals(TaskPolicy.CONFIG)) {
            p.putAll(BuiltInTask.TASK_POLICY_SETTINGS);
        }
        // up's 30 s batch linger stays: a shorter one closes short batches whenever groups pause (a stage
        // restarting), versions then run ahead of the groups, and groups admitted for later versions go stale
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

    /**
     * With the dispatcher stopped: waits until every released request is answered and every group
     * batched, then until the trainer's newest checkpoint has consumed the last batch (or nothing
     * changed for a minute: a last batch rejected as stale is checkpointed when the trainer stops).
     * Returns null when drained, else what is left.
     */
    private String drain(ChaosStack stack, ConnectionConfig c, CheckpointStore store) throws IOException, InterruptedException {
        AvroSerdes serdes = AvroSerdes.connect(c);
        long deadline = System.nanoTime() + Duration.ofSeconds(recoveryTimeout).toNanos();
        String left;
        long said = System.nanoTime();
        while ((left = ChaosReconciliation.unfinished(c, serdes, scoring.filterZeroAdvantage())) != null) {
            if (System.nanoTime() > deadline) {
                return left;
            }
            if (System.nanoTime() - said > Duration.ofSeconds(30).toNanos()) {
                log.say("draining: %s", left);
                said = System.nanoTime();
            }
            stack.restartUnexpected();
            Thread.sleep(3000);
        }
        long lastBatch = ChaosReconciliation.lastOffset(c, serdes, Topics.TRAINING_BATCHES);
        long idleSince = System.nanoTime();
        long seen = FaultWorker.latestVersion(store);
        while (store.latest().map(cp -> cp.state().nextOffsets().getOrDefault(0, 0L)).orElse(0L) <= lastBatch) {
            long v = FaultWorker.latestVersion(store);
            if (v != seen) {
                seen = v;
                idleSince = System.nanoTime();
            }
            if (System.nanoTime() - idleSince > Duration.ofMinutes(1).toNanos()) {
                log.say("the trainer made no version for a minute with batches after its checkpoint: stopping it (a "
                        + "rejected last batch is checkpointed when it stops)");
                break;
            }
            Thread.sleep(500);
        }
        return null;
    }

    /** Replays the recorded batches from version 0 in a fresh trainer process: the same weights at every version? */
    private void replayRow(ChaosReconciliation rec, CheckpointStore store, Path model, Path cfg, Path logs)
            throws IOException, InterruptedException {
        List<CheckpointStore.Checkpoint> all = store.list();
        long last = all.isEmpty() ? 0 : all.get(all.size() - 1).state().step();
        if (all.isEmpty() || last == 0) {
            rec.add("replay-identical", "a run without faults fed the same batches ends with the same weights",
                    "same sha256", "no version to compare", false, Map.of("versions", 0L, "identical", 0L));
            return;
        }
        StageProcess replay = new StageProcess("replay", ChaosStack.JVM, List.of("replay", "train", "--from-checkpoint",
                all.get(0).dir().toString(), "--to-version", String.valueOf(last), "--out",
                out.resolve("replay").toString(), "--model-dir", model.toString(), "--config", cfg.toString()), logs);
        log.say("replaying versions 1-%d from version 0 without faults", last);
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
        rec.add("replay-identical", "a run without faults fed the same batches (replay train from v0) has the same weights",
                "versions 1-" + last + " identical, final " + liveSha.substring(0, 12),
                String.format(Locale.ROOT, "%d of %d versions bit-identical; final %s; exit %d", same, steps,
                        finalSha == null ? "not reached" : finalSha.substring(0, Math.min(12, finalSha.length())), rc),
                rc == 0 && steps == last && same == last, Map.of("versions", last, "replayed", steps, "identical", same,
                        "exit_code", (long) rc));
    }
}
