package io.seedstream.streams.topology;

import io.seedstream.schemas.ConnectionConfig;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.GroupListing;
import org.apache.kafka.clients.admin.ListConsumerGroupOffsetsSpec;
import org.apache.kafka.clients.admin.ListGroupsOptions;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.ListOffsetsResult.ListOffsetsResultInfo;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;

/**
 * The lag of every consumer group that reads this deployment's topics, computed as
 * {@code kafka-consumer-groups --describe} does: the partitions' end offsets (read_committed,
 * what those consumers can see) minus the group's committed offsets. Refreshed in the
 * background every few seconds with bounded admin calls, so a page refresh never waits on the
 * broker; the last answer (or why there is none) is what {@link #current()} gives.
 */
final class ConsumerLag implements AutoCloseable {

    /** One group: records it has not consumed yet, over how many partitions of which topics. */
    record GroupLag(String group, long lag, int partitions, List<String> topics) {}

    /** The newest refresh: its time, the groups, and the error of the last refresh if it failed. */
    record Snapshot(long at, List<GroupLag> groups, String error) {}

    static final Duration PERIOD = Duration.ofSeconds(5);
    private static final Duration CALL_TIMEOUT = Duration.ofSeconds(4);

    private final Admin admin;
    private final String topicPrefix;
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "dashboard-consumer-lag");
        t.setDaemon(true);
        return t;
    });
    private volatile Snapshot current = new Snapshot(0, List.of(), "not measured yet");

    ConsumerLag(ConnectionConfig c) {
        var p = c.kafkaProperties();
        p.put(AdminClientConfig.CLIENT_ID_CONFIG, "seedstream-dashboard-lag");
        p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) CALL_TIMEOUT.toMillis());
        p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) CALL_TIMEOUT.toMillis());
        this.admin = Admin.create(p);
        this.topicPrefix = c.topicPrefix();
        timer.scheduleWithFixedDelay(this::refresh, 0, PERIOD.toMillis(), TimeUnit.MILLISECONDS);
    }

    Snapshot current() {
        return current;
    }

    private void refresh() {
        try {
            current = new Snapshot(System.currentTimeMillis(), measure(), null);
        } catch (Exception e) {
            // keep the last measurement on screen, say why it is not newer
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            current = new Snapshot(current.at(), current.groups(), cause.getClass().getSimpleName() + ": "
                    + cause.getMessage());
        }
    }

    List<GroupLag> measure() throws Exception {
        long timeout = CALL_TIMEOUT.toMillis();
        Map<String, ListConsumerGroupOffsetsSpec> specs = new HashMap<>();
        for (GroupListing g : admin.listGroups(ListGroupsOptions.forConsumerGroups()).all()
                .get(timeout, TimeUnit.MILLISECONDS)) {
            specs.put(g.groupId(), new ListConsumerGroupOffsetsSpec());
        }
        if (specs.isEmpty()) {
            return List.of();
        }
        Map<String, Map<TopicPartition, OffsetAndMetadata>> committed = admin.listConsumerGroupOffsets(specs).all()
                .get(timeout, TimeUnit.MILLISECONDS);
        // only groups that read one of this deployment's topics (another application's groups are not ours)
        Map<TopicPartition, OffsetSpec> ends = new HashMap<>();
        committed.values().removeIf(offsets -> offsets == null
                || offsets.keySet().stream().noneMatch(tp -> tp.topic().startsWith(topicPrefix)));
        committed.values().forEach(offsets -> offsets.keySet().forEach(tp -> ends.put(tp, OffsetSpec.latest())));
        Map<TopicPartition, ListOffsetsResultInfo> end = ends.isEmpty() ? Map.of()
                : admin.listOffsets(ends, new ListOffsetsOptions(IsolationLevel.READ_COMMITTED)).all()
                        .get(timeout, TimeUnit.MILLISECONDS);
        List<GroupLag> out = new ArrayList<>();
        committed.forEach((group, offsets) -> {
            long lag = 0;
            List<String> topics = new ArrayList<>();
            for (Map.Entry<TopicPartition, OffsetAndMetadata> e : offsets.entrySet()) {
                ListOffsetsResultInfo info = end.get(e.getKey());
                if (info != null && e.getValue() != null) {
                    lag += Math.max(0, info.offset() - e.getValue().offset());
                }
                if (!topics.contains(e.getKey().topic())) {
                    topics.add(e.getKey().topic());
                }
            }
            topics.sort(Comparator.naturalOrder());
            out.add(new GroupLag(group, lag, offsets.size(), topics));
        });
        out.sort(Comparator.comparing(GroupLag::group));
        return out;
    }

    @Override
    public void close() {
        timer.shutdownNow();
        admin.close(Duration.ofSeconds(5));
    }
}
