package io.seedstream.streams.topology;

import io.seedstream.schemas.DeadLetters;
import io.seedstream.schemas.avro.DeadLetter;
import io.seedstream.schemas.avro.MetricsSnapshot;
import io.seedstream.schemas.avro.MetricsSource;
import io.seedstream.streams.topology.DashboardRecords.MetricsPoint;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps {@code metrics-history}: every snapshot of the metrics topic, keyed by its source and its
 * step (the trainer: a step sent again replaces itself) or its time (everyone else), so one
 * source's points are one key range, in order; and {@code newest-metrics-by-source}, so the
 * pipeline view reads one point per source instead of the whole history. Feeds the dashboard's
 * trainer and pipeline views; the topic itself keeps the full record.
 */
final class KeepMetricsProcessor implements Processor<String, byte[], String, DeadLetter> {

    private static final Logger log = LoggerFactory.getLogger(KeepMetricsProcessor.class);

    private final Deserializer<MetricsSnapshot> decoder;
    private final String topic;
    private KeyValueStore<String, MetricsPoint> history;
    private KeyValueStore<String, MetricsPoint> newest;
    private ProcessorContext<String, DeadLetter> context;

    private final ScoringMetrics metrics;

    KeepMetricsProcessor(Deserializer<MetricsSnapshot> decoder, String topic, ScoringMetrics metrics) {
        this.decoder = decoder;
        this.topic = topic;
        this.metrics = metrics;
    }

    @Override
    public void init(ProcessorContext<String, DeadLetter> context) {
        this.context = context;
        this.history = context.getStateStore(ScoringTopology.METRICS_HISTORY_STORE);
        this.newest = context.getStateStore(ScoringTopology.NEWEST_METRICS_STORE);
    }

    @Override
    public void process(Record<String, byte[]> record) {
        MetricsSnapshot s;
        try {
            s = decoder.deserialize(topic, record.value());
        } catch (RuntimeException e) {
            // a snapshot is for display only: an unreadable one is a dead letter, never a reason to stop scoring
            log.warn("dead-lettering an unreadable metrics snapshot: {}", e.getMessage());
            metrics.deadLetter("keep-metrics");
            var where = context.recordMetadata();
            context.forward(new Record<>(record.key(), DeadLetters.of(topic,
                    where.map(m -> m.partition()).orElse(-1), where.map(m -> m.offset()).orElse(-1L), record.key(),
                    record.value(), "keep-metrics", "cannot decode a metrics snapshot: " + e.getMessage(), e,
                    Instant.now()), record.timestamp()));
            return;
        }
        if (s == null) {
            return;
        }
        Map<String, List<Long>> histograms = new LinkedHashMap<>();
        s.getHistograms().forEach((k, v) -> histograms.put(k, List.copyOf(v)));
        MetricsPoint p = new MetricsPoint(s.getSource(), s.getKind().name(), s.getStep(), s.getPolicyVersion(),
                s.getCreatedAt().toEpochMilli(), new LinkedHashMap<>(s.getValues()), histograms);
        history.put(key(p), p);
        MetricsPoint before = newest.get(p.source());
        if (before == null || before.createdAt() <= p.createdAt()) {
            newest.put(p.source(), p);
        }
    }

    static String key(MetricsPoint p) {
        long order = p.kind().equals(MetricsSource.TRAINER.name()) ? p.step() : p.createdAt();
        return p.source() + "/" + String.format("%019d", Math.max(0, order));
    }

    /** The first and the last possible history key of one source: its points are this range. */
    static String[] keyRange(String source) {
        return new String[] {source + "/" + "0".repeat(19), source + "/" + "9".repeat(19)};
    }
}
