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

    private final String runId;
    private final ConcurrentSkipListMap<Long, Announcement> seen = new ConcurrentSkipListMap<>();
    private final Object changed = new Object();
    private final Undecodable undecodable = new Undecodable();
    private final TopicFollower<PolicyVersion> follower;

    private PolicyVersions(ConnectionConfig connection, AvroSerdes serdes, String runId, String clientId) {
        this.runId = runId;
        this.follower = new TopicFollower<>(connection, connection.topic(Topics.POLICY_VERSIONS),
                serdes.value(Topics.POLICY_VERSIONS).deserializer(), clientId, (r, v) -> {
                    if (v != null && runId.equals(v.getRunId())) {
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

    public static PolicyVersions follow(ConnectionConfig connection, AvroSerdes serdes, String runId, String clientId) {
        PolicyVersions v = new PolicyVersions(connection, serdes, runId, clientId);
        v.follower.start();
        return v;
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
