package io.seedstream.producers.generator;

import ai.djl.ndarray.NDManager;
import io.seedstream.model.Policy;
import io.seedstream.producers.follow.PolicyVersions;
import io.seedstream.producers.follow.PolicyVersions.Announcement;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The weights a generator samples with, swapped between batches when a newer version is
 * announced, and a second slot for evaluating an older version than the one loaded. A checkpoint
 * that cannot be loaded is refused once (an error with the reason, a counter) and the weights
 * already loaded stay.
 */
final class PolicyHolder implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(PolicyHolder.class);

    private final CheckpointLoader loader;
    private final NDManager manager;
    private final GeneratorMetrics metrics;
    private final PolicyVersions versions;
    private Policy current;
    private long version = -1;
    private Policy evalPolicy;
    private long evalVersion = -1;
    private long refused = -1;
    private Announcement unused; // loaded and not yet sampled with
    private final List<Refusal> refusals = new ArrayList<>();

    /** An announced version whose checkpoint was refused, and why. */
    record Refusal(Announcement announcement, String reason) {}

    PolicyHolder(CheckpointLoader loader, NDManager manager, GeneratorMetrics metrics, PolicyVersions versions) {
        this.loader = loader;
        this.manager = manager;
        this.metrics = metrics;
        this.versions = versions;
    }

    /**
     * Takes the newest announced version, else the model directory (version 0) when none is
     * announced or loadable; without either, waits up to
     * {@code firstVersionWait} for the trainer's first announcement (a generator may start first).
     *
     * @return false when stopped while waiting (nothing to generate with)
     */
    boolean start(Path modelDir, java.time.Duration firstVersionWait, java.util.function.BooleanSupplier stopping)
            throws IOException, InterruptedException {
        if (modelDir == null && versions.latest().isEmpty()) {
            long end = System.nanoTime() + firstVersionWait.toNanos();
            long nextLog = 0;
            while (versions.latest().isEmpty() && System.nanoTime() < end && !stopping.getAsBoolean()) {
                if (System.nanoTime() >= nextLog) {
                    log.info("waiting up to {} s for run '{}' to announce its first version (no model directory given)",
                            Math.max(0, (end - System.nanoTime()) / 1_000_000_000L), versions.runId());
                    nextLog = System.nanoTime() + 30_000_000_000L;
                }
                Thread.sleep(200);
            }
        }
        Optional<Announcement> latest = versions.latest();
        if (latest.isPresent() && reload()) {
            return true;
        }
        if (modelDir == null && latest.isEmpty() && stopping.getAsBoolean()) {
            return false;
        }
        if (modelDir == null) {
            throw new IOException(latest.isEmpty()
                    ? "no policy version announced for run '" + versions.runId() + "' within "
                            + firstVersionWait.toMillis() + " ms and no model directory given"
                    : "the announced version " + latest.get().number() + " was refused and no model directory given");
        }
        long t0 = System.nanoTime();
        current = Policy.load(modelDir, manager);
        version = 0;
        metrics.reloaded(0, (System.nanoTime() - t0) / 1e9);
        log.info("generating with {} as version 0 (no version announced yet)", modelDir);
        return true;
    }

    Policy current() {
        return current;
    }

    long version() {
        return version;
    }

    /** Loads the newest announced version when it is newer than the one held; true when weights changed. */
    boolean reload() {
        Optional<Announcement> latest = versions.latest();
        metrics.versions(version, latest.map(Announcement::number).orElse(-1L));
        if (latest.isEmpty() || latest.get().number() <= version || latest.get().number() == refused) {
            return false;
        }
        Announcement a = latest.get();
        long t0 = System.nanoTime();
        try {
            Policy next = loader.load(a.version(), manager);
            if (current != null) {
                current.close();
            }
            current = next;
            version = a.number();
            unused = a;
            double secs = (System.nanoTime() - t0) / 1e9;
            metrics.reloaded(version, secs);
            log.debug("loaded policy version {} in {} s", version, String.format("%.2f", secs));
            return true;
        } catch (CheckpointLoader.RefusedException e) {
            refused = a.number();
            refusals.add(new Refusal(a, e.getMessage()));
            metrics.reloadFailed();
            log.error("refused policy version {}: {}; keeping version {}", a.number(), e.getMessage(), version);
            return false;
        }
    }

    /** The refusals not taken yet (the generator dead-letters their announcements); they are taken. */
    List<Refusal> takeRefusals() {
        List<Refusal> out = List.copyOf(refusals);
        refusals.clear();
        return out;
    }

    /** The first batch with the newest weights starts now: how long after their announcement. */
    void used(Instant now) {
        if (unused != null) {
            metrics.firstUse(Math.max(0, Duration.between(unused.version().getCreatedAt(), now).toNanos() / 1e9));
            unused = null;
        }
    }

    /**
     * The weights of exactly {@code wanted}: the loaded ones, or an older announced checkpoint
     * loaded into the evaluation slot.
     */
    Policy forVersion(long wanted) throws CheckpointLoader.RefusedException {
        if (wanted == version) {
            return current;
        }
        if (wanted == evalVersion) {
            return evalPolicy;
        }
        Announcement a = versions.version(wanted).orElseThrow(() -> new CheckpointLoader.RefusedException(
                "the announcement of version " + wanted + " is no longer known to this generator", null));
        Policy p = loader.load(a.version(), manager);
        if (evalPolicy != null) {
            evalPolicy.close();
        }
        evalPolicy = p;
        evalVersion = wanted;
        return p;
    }

    @Override
    public void close() {
        if (evalPolicy != null) {
            evalPolicy.close();
        }
        if (current != null) {
            current.close();
        }
    }
}
