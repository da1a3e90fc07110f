package io.seedstream.cli.chaos;

import io.seedstream.cli.local.StageProcess;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The processes of one chaos run, as an operator would start them (docs/cluster.md): broker,
 * registry, topology, trainer, generators and dispatcher, each a {@code seedstream} command in a
 * JVM of its own. Keeps track of which are running, and restarts (and records) one that ended
 * without being killed.
 */
final class ChaosStack {

    static final Duration READY = Duration.ofMinutes(3);
    static final Duration STOP = Duration.ofMinutes(2);
    static final List<String> JVM = List.of("-Xmx1g");

    private final Path logs;
    private final Path checkpoints;
    private final StageProcess broker;
    private final StageProcess registry;
    private final StageProcess topology;
    private final StageProcess trainer;
    private final List<StageProcess> generators;
    private final StageProcess dispatcher;
    private final ChaosLog log;
    private final List<StageProcess> running = new ArrayList<>();
    private final List<String> unexpectedExits = new ArrayList<>();

    private ChaosStack(Path logs, Path checkpoints, StageProcess broker, StageProcess registry, StageProcess topology,
            StageProcess trainer, List<StageProcess> generators, StageProcess dispatcher, ChaosLog log) {
        this.logs = logs;
        this.checkpoints = checkpoints;
        this.broker = broker;
        this.registry = registry;
        this.topology = topology;
        this.trainer = trainer;
        this.generators = List.copyOf(generators);
        this.dispatcher = dispatcher;
        this.log = log;
    }

    static ChaosStack of(Path out, Path cfg, Path model, int brokerPort, int controllerPort, int registryPort,
            int generatorCount, ChaosLog log) throws IOException {
        Path logs = out.resolve("logs");
        Path checkpoints = out.resolve("checkpoints");
        String config = cfg.toString();
        StageProcess broker = new StageProcess("broker", JVM, List.of("broker", "--data-dir",
                out.resolve("kafka").toString(), "--port", String.valueOf(brokerPort), "--controller-port",
                String.valueOf(controllerPort)), logs);
        StageProcess registry = new StageProcess("registry", JVM, List.of("registry", "--port",
                String.valueOf(registryPort), "--config", config), logs);
        StageProcess topology = new StageProcess("topology", JVM, List.of("streams", "--config", config,
                "--state-dir", out.resolve("streams").toString(), "--dashboard-port", String.valueOf(freePorts(1)[0])),
                logs);
        StageProcess trainer = new StageProcess("trainer", JVM, List.of("train", "--config", config,
                "--model-dir", model.toString(), "--checkpoint-dir", checkpoints.toString()), logs);
        List<StageProcess> gens = new ArrayList<>();
        for (int i = 0; i < generatorCount; i++) {
            gens.add(new StageProcess("generator-" + i, JVM, List.of("generate", "--config", config,
                    "--model-dir", model.toString(), "--checkpoint-dir", checkpoints.toString(), "--generator-id",
                    "gen-" + i), logs));
        }
        StageProcess dispatcher = new StageProcess("dispatcher", JVM, List.of("dispatch", "--config", config), logs);
        return new ChaosStack(logs, checkpoints, broker, registry, topology, trainer, gens, dispatcher, log);
    }

    Path logs() {
        return logs;
    }

    Path checkpoints() {
        return checkpoints;
    }

    StageProcess broker() {
        return broker;
    }

    StageProcess registry() {
        return registry;
    }

    StageProcess topology() {
        return topology;
    }

    StageProcess trainer() {
        return trainer;
    }

    List<StageProcess> generators() {
        return generators;
    }

    StageProcess dispatcher() {
        return dispatcher;
    }

    /** The loop's stages, in the order they start (the broker and the registry come first). */
    List<StageProcess> stages() {
        List<StageProcess> all = new ArrayList<>(List.of(topology, trainer));
        all.addAll(generators);
        all.add(dispatcher);
        return all;
    }

    /** Starts a process and waits for its {@code ready} event. */
    void launch(StageProcess p) throws IOException, InterruptedException {
        p.start();
        running.add(p);
        p.awaitReady(READY);
    }

    /** Stops a process for good (SIGTERM, then SIGKILL after the grace period). */
    void stop(StageProcess p) throws InterruptedException {
        p.stop(STOP);
        running.remove(p);
    }

    void stopAll() throws InterruptedException {
        for (StageProcess p : List.copyOf(running)) {
            stop(p);
        }
    }

    /** A process that ended without being killed is recorded (a defect) and started again. */
    void restartUnexpected() throws IOException {
        for (StageProcess p : running) {
            if (!p.alive()) {
                unexpectedExits.add(String.format(Locale.ROOT, "%s incarnation %d ended on its own at %.0f s (exit %s)",
                        p.name(), p.incarnation(), log.seconds(), p.exitCode()));
                log.say("%s ended on its own (exit %s); the end of its log:%n%s", p.name(), p.exitCode(), p.tail(15));
                p.start();
            }
        }
    }

    /** What {@link #restartUnexpected} found, one line each. */
    List<String> unexpectedExits() {
        return List.copyOf(unexpectedExits);
    }

    /**
     * n distinct free ports: the sockets are held open until all are chosen, or the kernel may hand
     * a just-closed port out again (a broker and a registry on one port: "cannot listen").
     */
    static int[] freePorts(int n) throws IOException {
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
