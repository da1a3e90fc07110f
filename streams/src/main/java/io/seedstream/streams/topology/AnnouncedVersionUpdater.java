package io.seedstream.streams.topology;

import io.seedstream.schemas.avro.PolicyVersion;
import io.seedstream.schemas.avro.TopicPartitionOffset;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the global {@code newest-announced-version-by-run} store: per training run, the newest
 * version the trainer announced on policy-versions, so that a group claiming a newer one can be
 * refused. It only grows. An announcement that cannot have come from the trainer (a version above
 * the training-batches offsets it says it consumed: every version applies at least one batch) is
 * logged and skipped, as is an undecodable one (the global thread cannot write dead letters).
 */
final class AnnouncedVersionUpdater implements Processor<String, byte[], Void, Void> {

    private static final Logger log = LoggerFactory.getLogger(AnnouncedVersionUpdater.class);

    private final Deserializer<PolicyVersion> versions;
    private final String topic;
    private final String batchesTopic;
    private KeyValueStore<String, Long> store;

    AnnouncedVersionUpdater(Deserializer<PolicyVersion> versions, String topic, String batchesTopic) {
        this.versions = versions;
        this.topic = topic;
        this.batchesTopic = batchesTopic;
    }

    @Override
    public void init(ProcessorContext<Void, Void> context) {
        store = context.getStateStore(ScoringTopology.ANNOUNCED_VERSIONS_STORE);
    }

    @Override
    public void process(Record<String, byte[]> record) {
        if (record.value() == null) {
            return; // a run's announcements compacted away: what it announced still stands
        }
        PolicyVersion v;
        try {
            v = versions.deserialize(topic, record.value());
        } catch (RuntimeException e) {
            log.warn("skipping an undecodable announcement: {}", e.getMessage());
            return;
        }
        long consumed = v.getConsumedOffsets().stream().filter(o -> o.getTopic().equals(batchesTopic))
                .mapToLong(TopicPartitionOffset::getOffset).sum();
        if (v.getVersion() < 0 || v.getVersion() > consumed) {
            log.warn("skipping the announcement of version {} of run {}: it names {} consumed training-batches "
                    + "offsets", v.getVersion(), v.getRunId(), consumed);
            return;
        }
        Long known = store.get(v.getRunId());
        if (known == null || v.getVersion() > known) {
            store.put(v.getRunId(), v.getVersion());
        }
    }
}
