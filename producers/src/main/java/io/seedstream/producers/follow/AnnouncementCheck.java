package io.seedstream.producers.follow;

import io.seedstream.schemas.ConnectionConfig;
import io.seedstream.schemas.Topics;
import io.seedstream.schemas.avro.PolicyVersion;
import io.seedstream.schemas.avro.TopicPartitionOffset;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.TopicPartition;

/**
 * Whether an announcement on policy-versions could have been made by the trainer, checked before
 * anything is admitted for it: a forged one (any client may write the topic without
 * {@code --secure}) naming version 10^12 would otherwise open admission for 10^12 x B groups.
 *
 * <p>An update applies at least one training batch, so an announcement of version v must name
 * consumed training-batches offsets that add up to at least v, lie within the topic as it is, and
 * have grown since the newest accepted announcement by at least as many offsets as versions; the
 * groups it says it consumed (what admission counts) can be at most B per consumed offset; a new
 * announcement's checkpoint must be there when this machine can see the checkpoint store.
 */
public final class AnnouncementCheck implements PolicyVersions.Check {

    private static final Duration CALL_TIMEOUT = Duration.ofSeconds(10);

    private final Properties admin;
    private final String batchesTopic;
    private final Path checkpointMount;
    private final int batchGroups;

    /**
     * @param checkpointMount where this machine sees the checkpoint store, or null (the announced path itself)
     * @param batchGroups B: the most groups a training batch holds
     */
    public AnnouncementCheck(ConnectionConfig connection, Path checkpointMount, int batchGroups) {
        this.admin = connection.kafkaProperties();
        this.batchesTopic = connection.topic(Topics.TRAINING_BATCHES);
        this.checkpointMount = checkpointMount;
        this.batchGroups = batchGroups;
    }

    @Override
    public Optional<String> refusal(PolicyVersion v, Optional<PolicyVersions.Announcement> newest, boolean live) {
        if (v.getVersion() < 0) {
            return Optional.of("negative version " + v.getVersion());
        }
        long consumed = consumed(v);
        if (v.getVersion() > consumed) {
            return Optional.of("version " + v.getVersion() + " names " + consumed + " consumed training-batches "
                    + "offsets: every version applies at least one batch");
        }
        if (v.getConsumedGroups() != null && (v.getConsumedGroups() < 0
                || v.getConsumedGroups() > (long) batchGroups * consumed)) {
            return Optional.of("version " + v.getVersion() + " claims " + v.getConsumedGroups() + " consumed groups in "
                    + consumed + " consumed offsets: a batch holds at most " + batchGroups);
        }
        if (newest.isPresent() && v.getVersion() > newest.get().number()) {
            long versions = v.getVersion() - newest.get().number();
            long grown = consumed - consumed(newest.get().version());
            if (grown < versions) {
                return Optional.of("version " + v.getVersion() + " is " + versions + " after version "
                        + newest.get().number() + " but its consumed offsets grew by " + grown);
            }
        }
        if (consumed > 0) {
            Optional<String> beyond = beyondTheLog(v);
            if (beyond.isPresent()) {
                return beyond;
            }
        }
        // the history read at start names checkpoints the store may have pruned since; only new ones are looked for
        return live ? missingCheckpoint(v) : Optional.empty();
    }

    private long consumed(PolicyVersion v) {
        return v.getConsumedOffsets().stream().filter(o -> o.getTopic().equals(batchesTopic))
                .mapToLong(TopicPartitionOffset::getOffset).sum();
    }

    /** Consumed offsets beyond the end of training-batches as it is now. */
    private Optional<String> beyondTheLog(PolicyVersion v) {
        Map<TopicPartition, OffsetSpec> ask = new HashMap<>();
        for (TopicPartitionOffset o : v.getConsumedOffsets()) {
            if (o.getTopic().equals(batchesTopic)) {
                ask.put(new TopicPartition(o.getTopic(), o.getPartition()), OffsetSpec.latest());
            }
        }
        Map<TopicPartition, Long> end = new HashMap<>();
        try (Admin a = Admin.create(admin)) {
            a.listOffsets(ask).all().get(CALL_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
                    .forEach((tp, info) -> end.put(tp, info.offset()));
        } catch (Exception e) {
            return Optional.of("cannot read the end offsets of " + batchesTopic + " to check it: " + e);
        }
        for (TopicPartitionOffset o : v.getConsumedOffsets()) {
            Long last = end.get(new TopicPartition(o.getTopic(), o.getPartition()));
            if (last != null && o.getOffset() > last) {
                return Optional.of("version " + v.getVersion() + " claims offset " + o.getOffset() + " of "
                        + o.getTopic() + "-" + o.getPartition() + ", which ends at " + last);
            }
        }
        return Optional.empty();
    }

    /**
     * The checkpoint, when this machine can see the store: the announced directory itself, or the
     * same name under the mount. An announced path whose store is not here cannot be checked.
     */
    private Optional<String> missingCheckpoint(PolicyVersion v) {
        Path dir;
        try {
            URI uri = URI.create(v.getCheckpointUri());
            dir = uri.getScheme() == null ? Paths.get(v.getCheckpointUri()) : Paths.get(uri);
        } catch (IllegalArgumentException | java.nio.file.FileSystemNotFoundException e) {
            return Optional.of("unreadable checkpoint URI '" + v.getCheckpointUri() + "'");
        }
        if (Files.isDirectory(dir)) {
            return Optional.empty();
        }
        if (checkpointMount != null && dir.getFileName() != null) {
            return Files.isDirectory(checkpointMount.resolve(dir.getFileName().toString())) ? Optional.empty()
                    : Optional.of("checkpoint " + dir.getFileName() + " is not in the checkpoint store " + checkpointMount);
        }
        Path store = dir.getParent();
        if (store != null && Files.isDirectory(store)) {
            return Optional.of("checkpoint " + dir + " is not in the checkpoint store " + store);
        }
        return Optional.empty();
    }
}
