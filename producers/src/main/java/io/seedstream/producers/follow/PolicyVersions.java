package io.seedstream.producers.follow;

import io.seedstream.schemas.ConnectionConfig;
import io.seedstream.schemas.Topics;
import io.seedstream.schemas.avro.PolicyVersion;
import io.seedstream.schemas.serde.AvroSerdes;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * The announcements of one training run on policy-versions, followed on their own thread. The
 * topic is compacted by run id, so after a restart only the newest announcement may be left;
 * while running, every announcement seen is kept (the last {@value #KEPT}), so an evaluation
 * request can still find the checkpoint of a version that is no longer the newest.
 */
public final class PolicyVersions implements AutoCloseable {

    static final int KEPT = 64;

    /** An announcement, when this process received it and where it is in the log. */
    public record Announcement(PolicyVersion version, Instant receivedAt, int partition, long offset) {
        public long number() {
            return version.getVersion();
        }
    }

    /** Vets an announcement before it counts; {@link AnnouncementCheck} is the dispatcher's. */
    public interface Check {
        /**
         * Why the announcement is refused, or empty to accept it; {@code newest} is the newest accepted so far,
         * {@code live} false while reading the announcements that were there when following started.
         */
        Optional<String> refusal(PolicyVersion v, Optional<Announcement> newest, boolean live);
    }

    /** An announcement that was refused, where it is in the log and why. */
    public record Refusal(PolicyVersion version, int partition, long offset, String reason) {}

    private final String runId;
    private final ConcurrentSkipListMap<Long, Announcement> seen = new ConcurrentSkipListMap<>();
    private final java.util.concurrent.ConcurrentLinkedQueue<Refusal> refused = new java.util.concurrent.ConcurrentLinkedQueue<>();
    private final Object changed = new Object();
    private final Undecodable undecodable = new Undecodable();
    private final TopicFollower<PolicyVersion> follower;

    private PolicyVersions(ConnectionConfig connection, AvroSerdes serdes, String runId, String clientId, Check check) {
        this.runId = runId;
        this.follower = new TopicFollower<>(connection, connection.topic(Topics.POLICY_VERSIONS),
                serdes.value(Topics.POLICY_VERSIONS).deserializer(), clientId, (r, v) -> {
                    if (v != null && runId.equals(v.getRunId())) {
                        Optional<String> refusal = check.refusal(v, latest(), live());
                        if (refusal.isPresent()) {
                            refused.add(new Refusal(v, r.partition(), r.offset(), refusal.get()));
                            return;
                        }
                        seen.put(v.getVersion(), new Announcement(v, Instant.now(), r.partition(), r.offset()));
                        while (seen.size() > KEPT) {
                            seen.pollFirstEntry();
                        }
                        synchronized (changed) {
                            changed.notifyAll();
                        }
                    }
                }, undecodable::add);
    }

    /** Every announcement of the run counts (a generator checks a checkpoint's sha256 when it loads it). */
    public static PolicyVersions follow(ConnectionConfig connection, AvroSerdes serdes, String runId, String clientId) {
        return follow(connection, serdes, runId, clientId, (v, newest, live) -> Optional.empty());
    }

    /** Only the announcements {@code check} accepts count; the others wait in {@link #takeRefused()}. */
    public static PolicyVersions follow(ConnectionConfig connection, AvroSerdes serdes, String runId, String clientId,
            Check check) {
        PolicyVersions v = new PolicyVersions(connection, serdes, runId, clientId, check);
        v.follower.start();
        return v;
    }

    /** The announcements refused since the last call. */
    public java.util.List<Refusal> takeRefused() {
        java.util.List<Refusal> out = new java.util.ArrayList<>();
        Refusal r;
        while ((r = refused.poll()) != null) {
            out.add(r);
        }
        return out;
    }

    /** Past the announcements that were there when following started. */
    private boolean live() {
        return follower != null && follower.caughtUp();
    }

    public String runId() {
        return runId;
    }

    /** Waits until every announcement that existed when following started has been read. */
    public boolean awaitLoaded(Duration timeout) throws InterruptedException {
        return follower.awaitCaughtUp(timeout);
    }

    /** The newest announcement of the run, if any. */
    public Optional<Announcement> latest() {
        Map.Entry<Long, Announcement> e = seen.lastEntry();
        return e == null ? Optional.empty() : Optional.of(e.getValue());
    }

    /** The newest announced version, or -1 before any. */
    public long latestVersion() {
        return latest().map(Announcement::number).orElse(-1L);
    }

    /** Records of policy-versions that could not be decoded (skipped here; the dispatcher dead-letters them). */
    public Undecodable undecodable() {
        return undecodable;
    }

    public Optional<Announcement> version(long version) {
        return Optional.ofNullable(seen.get(version));
    }

    /** Waits up to {@code timeout} for an announcement newer than {@code version}. */
    public void awaitNewerThan(long version, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (changed) {
            while (latestVersion() <= version) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return;
                }
                changed.wait(Math.max(1, left / 1_000_000));
            }
        }
    }

    @Override
    public void close() throws InterruptedException {
        follower.close();
    }
}
