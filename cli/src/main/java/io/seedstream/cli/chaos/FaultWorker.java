package io.seedstream.cli.chaos;

import com.fasterxml.jackson.databind.JsonNode;
import io.seedstream.cli.local.StageProcess;
import io.seedstream.schemas.StageEvents;
import io.seedstream.trainer.CheckpointStore;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

/**
 * Carries out a {@link FaultSpec} against a running {@link ChaosStack} (the worker, in Trogdor's
 * terms): one fault after another, each followed by a new policy version, and for each trainer
 * kill what the restarted trainer said it resumed from.
 */
final class FaultWorker {

    /** One injected fault and how the loop came back from it ({@code recoverySeconds} null: it did not). */
    record Fault(int index, double atSeconds, FaultSpec.Kind kind, String process, long pid, long versionBefore,
            Double recoverySeconds) {}

    private final FaultSpec spec;
    private final ChaosStack stack;
    private final CheckpointStore store;
    private final ChaosLog log;
    private final List<Fault> done = new ArrayList<>();
    private final List<ChaosReconciliation.Resume> resumes = new ArrayList<>();

    FaultWorker(FaultSpec spec, ChaosStack stack, CheckpointStore store, ChaosLog log) {
        this.spec = spec;
        this.stack = stack;
        this.store = store;
        this.log = log;
    }

    /** The faults, one after another, each followed by a new version; stops at the first the loop does not survive. */
    void run() throws IOException, InterruptedException {
        Random rng = new Random(spec.seed());
        List<FaultSpec.Kind> plan = spec.plan(rng);
        for (int i = 0; i < plan.size(); i++) {
            Thread.sleep(spec.delayMillis(rng));
            stack.restartUnexpected();
            FaultSpec.Kind kind = plan.get(i);
            StageProcess victim = switch (kind) {
                case KILL_GENERATOR -> stack.generators().get(rng.nextInt(stack.generators().size()));
                case KILL_TOPOLOGY -> stack.topology();
                case KILL_TRAINER -> stack.trainer();
                case KILL_DISPATCHER -> stack.dispatcher();
                case RESTART_BROKER -> stack.broker();
            };
            long before = latestVersion(store);
            long pid = victim.pid();
            double at = log.seconds();
            victim.kill();
            if (kind == FaultSpec.Kind.RESTART_BROKER) {
                Thread.sleep(1000);
            }
            // what a restarted trainer must resume from: the newest checkpoint the killed one left
            CheckpointStore.Checkpoint last = kind == FaultSpec.Kind.KILL_TRAINER ? store.latest().orElseThrow() : null;
            victim.start();
            victim.awaitReady(ChaosStack.READY);
            if (last != null) {
                StageEvents.Event resumed = victim.awaitEvent(StageEvents.RESUMED, ChaosStack.READY);
                resumes.add(new ChaosReconciliation.Resume(i + 1, last.dir().getFileName().toString(),
                        last.state().nextOffsets(), resumed.fields().path("checkpoint").asText(),
                        offsets(resumed.fields().path("offsets"))));
            }
            Double recovered = null;
            try {
                long next = awaitVersionAfter(before, spec.recoveryTimeout());
                recovered = log.seconds() - at;
                log.say("fault %d/%d at %.0f s: %s (%s, pid %d) at version %d; version %d %.1f s later", i + 1,
                        plan.size(), at, kind.text, victim.name(), pid, before, next, recovered);
            } catch (IllegalStateException e) {
                log.say("fault %d/%d at %.0f s: %s (%s, pid %d) at version %d; NO new version within %d s", i + 1,
                        plan.size(), at, kind.text, victim.name(), pid, before, spec.recoveryTimeout().toSeconds());
            }
            done.add(new Fault(i + 1, at, kind, victim.name(), pid, before, recovered));
            if (recovered == null) {
                return;
            }
        }
    }

    List<Fault> done() {
        return List.copyOf(done);
    }

    List<ChaosReconciliation.Resume> resumes() {
        return List.copyOf(resumes);
    }

    /** Waits for a version newer than {@code version}, restarting any process that ended on its own meanwhile. */
    long awaitVersionAfter(long version, Duration limit) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + limit.toNanos();
        long v;
        while ((v = latestVersion(store)) <= version) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("no version after " + version + " within " + limit.toSeconds() + " s");
            }
            stack.restartUnexpected();
            Thread.sleep(250);
        }
        return v;
    }

    static long latestVersion(CheckpointStore store) throws IOException {
        return store.latest().map(cp -> cp.state().step()).orElse(-1L);
    }

    /** A {@code resumed} event's partition-to-offset map. */
    private static Map<Integer, Long> offsets(JsonNode node) {
        Map<Integer, Long> out = new TreeMap<>();
        node.fields().forEachRemaining(e -> out.put(Integer.parseInt(e.getKey()), e.getValue().asLong()));
        return out;
    }
}
