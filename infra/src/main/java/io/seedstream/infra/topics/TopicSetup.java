package io.seedstream.infra.topics;

import io.seedstream.schemas.ConnectionConfig;
import io.seedstream.schemas.Topic;
import io.seedstream.schemas.Topics;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;

/**
 * Creates seedstream's topics with their configuration, idempotently: missing topics are
 * created, existing ones get their declared configuration set again and are otherwise left as
 * they are (partitions are never changed, since that would move keys between partitions).
 */
public final class TopicSetup {

    /** What happened to one topic. */
    public enum Outcome { CREATED, EXISTS }

    /** The result for one topic. */
    public record Result(String name, Outcome outcome, int partitions, int declaredPartitions) {}

    private final Admin admin;
    private final Duration timeout;

    public TopicSetup(Admin admin, Duration timeout) {
        this.admin = admin;
        this.timeout = timeout;
    }

    /** Ensures every topic of DESIGN.md section 3 exists under the connection's prefix. */
    public List<Result> ensureAll(ConnectionConfig connection) {
        return ensure(connection.topicPrefix(), Topics.RECORD_TOPICS, connection.maxMessageBytes());
    }

    public List<Result> ensure(String prefix, Collection<? extends Topic<?, ?>> topics) {
        return ensure(prefix, topics, Topics.LARGE_MESSAGE_BYTES);
    }

    /** As above, the large topics capped at {@code maxMessageBytes} ({@code topic.max.message.bytes}). */
    public List<Result> ensure(String prefix, Collection<? extends Topic<?, ?>> topics, int maxMessageBytes) {
        try {
            Set<String> existing = admin.listTopics().names().get(millis(), TimeUnit.MILLISECONDS);
            Map<String, Topic<?, ?>> byName = new HashMap<>();
            List<NewTopic> toCreate = new ArrayList<>();
            for (Topic<?, ?> t : topics) {
                String name = t.name(prefix);
                byName.put(name, t);
                if (!existing.contains(name)) {
                    toCreate.add(new NewTopic(name, t.partitions(), (short) -1)
                            .configs(Topics.withMaxMessageBytes(t, maxMessageBytes)));
                }
            }
            List<String> created = new ArrayList<>();
            for (var entry : admin.createTopics(toCreate).values().entrySet()) {
                try {
                    entry.getValue().get(millis(), TimeUnit.MILLISECONDS);
                    created.add(entry.getKey());
                } catch (ExecutionException e) {
                    if (!(e.getCause() instanceof TopicExistsException)) { // lost a race: fine
                        throw new IllegalStateException("cannot create topic " + entry.getKey()
                                + ": " + e.getCause().getMessage(), e.getCause());
                    }
                }
            }
            // Re-apply the declared configuration to topics that already existed.
            Map<ConfigResource, Collection<AlterConfigOp>> alter = new HashMap<>();
            for (String name : byName.keySet()) {
                Map<String, String> declared = Topics.withMaxMessageBytes(byName.get(name), maxMessageBytes);
                if (!created.contains(name) && !declared.isEmpty()) {
                    List<AlterConfigOp> ops = declared.entrySet().stream()
                            .map(c -> new AlterConfigOp(new ConfigEntry(c.getKey(), c.getValue()),
                                    AlterConfigOp.OpType.SET)).toList();
                    alter.put(new ConfigResource(ConfigResource.Type.TOPIC, name), ops);
                }
            }
            if (!alter.isEmpty()) {
                admin.incrementalAlterConfigs(alter).all().get(millis(), TimeUnit.MILLISECONDS);
            }
            Map<String, TopicDescription> described = describe(byName.keySet());
            confirmServed(created, described);
            List<Result> results = new ArrayList<>();
            for (Topic<?, ?> t : topics) {
                String name = t.name(prefix);
                results.add(new Result(name, created.contains(name) ? Outcome.CREATED : Outcome.EXISTS,
                        described.get(name).partitions().size(), t.partitions()));
            }
            return results;
        } catch (ExecutionException e) {
            throw new IllegalStateException("topic set-up failed: " + e.getCause().getMessage(), e.getCause());
        } catch (TimeoutException e) {
            throw new IllegalStateException("topic set-up timed out after " + timeout, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    /**
     * Describes topics, waiting while freshly created ones propagate to the broker's metadata and
     * every partition has a leader: a producer that writes before that gets NOT_LEADER errors, and
     * an idempotent one can then be stuck on out-of-order sequence numbers.
     */
    private Map<String, TopicDescription> describe(Set<String> names)
            throws ExecutionException, TimeoutException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            try {
                Map<String, TopicDescription> d =
                        admin.describeTopics(names).allTopicNames().get(millis(), TimeUnit.MILLISECONDS);
                boolean led = d.values().stream().allMatch(t -> t.partitions().stream()
                        .allMatch(p -> p.leader() != null && !p.leader().isEmpty()));
                if (led || System.nanoTime() > deadline) {
                    return d;
                }
                Thread.sleep(50);
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof UnknownTopicOrPartitionException)
                        || System.nanoTime() > deadline) {
                    throw e;
                }
                Thread.sleep(50);
            }
        }
    }

    /**
     * Waits until the leader of every partition of the created topics answers for it (a
     * ListOffsets request is served only by a leader whose replica is online, as a produce request
     * is): the broker's metadata names a leader before that leader has the partition online, and
     * writes sent in that gap are refused (KAFKA-15591, see ConnectionConfig.PRODUCER_SAFETY).
     */
    private void confirmServed(List<String> created, Map<String, TopicDescription> described)
            throws ExecutionException, TimeoutException, InterruptedException {
        Map<TopicPartition, OffsetSpec> partitions = new HashMap<>();
        for (String name : created) {
            described.get(name).partitions().forEach(p -> partitions.put(new TopicPartition(name, p.partition()),
                    OffsetSpec.latest()));
        }
        if (!partitions.isEmpty()) {
            admin.listOffsets(partitions).all().get(millis(), TimeUnit.MILLISECONDS);
        }
    }

    private long millis() {
        return timeout.toMillis();
    }
}
