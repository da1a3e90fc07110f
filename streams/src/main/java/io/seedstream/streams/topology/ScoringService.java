package io.seedstream.streams.topology;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.seedstream.schemas.ConnectionConfig;
import io.seedstream.schemas.serde.AvroSerdes;
import io.seedstream.streams.grading.Grader;
import io.seedstream.streams.grading.GraderOptions;
import io.seedstream.streams.scoring.ScoringConfig;
import io.seedstream.streams.topology.DashboardRecords.EvalTally;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** A running instance of the scoring topology with its dashboard API. */
public final class ScoringService implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ScoringService.class);

    private final KafkaStreams streams;
    private final DashboardApi dashboard;
    private final ScoringMetrics metrics;

    private ScoringService(KafkaStreams streams, DashboardApi dashboard, ScoringMetrics metrics) {
        this.streams = streams;
        this.dashboard = dashboard;
        this.metrics = metrics;
    }

    /** Kafka Streams properties: exactly-once v2, the instance's threads, state dir and address. */
    public static Properties streamsProperties(ConnectionConfig c, TopologySettings s, int dashboardPort) {
        Properties p = c.kafkaProperties();
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, s.applicationId());
        p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        p.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, s.streamThreads());
        p.put(StreamsConfig.STATE_DIR_CONFIG, s.stateDir().toString());
        p.put(StreamsConfig.APPLICATION_SERVER_CONFIG, s.dashboardAdvertisedHost() + ":" + dashboardPort);
        p.put("processing.exception.handler.global.enabled", true);
        // Streams writes its changelogs right after creating them: KAFKA-15591 (ConnectionConfig.PRODUCER_SAFETY);
        // exactly-once sets the idempotence and acks itself
        p.put(StreamsConfig.producerPrefix(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION),
                ConnectionConfig.PRODUCER_SAFETY.get(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION));
        // the topology's own writes (changelogs, batches) are read back soon: lz4 costs a fraction of zstd's
        // CPU, which the broker and the stream threads share with it (training-batches keeps the producer's codec)
        p.put(StreamsConfig.producerPrefix(ProducerConfig.COMPRESSION_TYPE_CONFIG), "lz4");
        p.put(StreamsConfig.producerPrefix(ProducerConfig.MAX_REQUEST_SIZE_CONFIG), c.maxMessageBytes());
        // answer groups are tens of KB: batch several per request instead of one request each
        p.put(StreamsConfig.producerPrefix(ProducerConfig.BATCH_SIZE_CONFIG), 1024 * 1024);
        p.put(StreamsConfig.producerPrefix(ProducerConfig.LINGER_MS_CONFIG), 5);
        p.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 200);
        p.put(StreamsConfig.consumerPrefix(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG), 64 * 1024 * 1024);
        p.put(StreamsConfig.consumerPrefix(ConsumerConfig.FETCH_MAX_BYTES_CONFIG), 64 * 1024 * 1024);
        // grading is CPU-bound: give a slow batch of groups room before the consumer is kicked out
        p.put(StreamsConfig.consumerPrefix(ConsumerConfig.MAX_POLL_INTERVAL_MS_CONFIG), 600_000);
        // idle connections must outlive a poll interval, or the client warns that a rebalance may be disrupted
        p.put(StreamsConfig.consumerPrefix(ConsumerConfig.CONNECTIONS_MAX_IDLE_MS_CONFIG), 660_000);
        p.put(StreamsConfig.consumerPrefix(ConsumerConfig.MAX_POLL_RECORDS_CONFIG), 100);
        // a killed instance's tasks move (or its restart gets them back) within 10 s, not Streams' default 45 s
        p.put(StreamsConfig.consumerPrefix(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG), 10_000);
        p.put(StreamsConfig.consumerPrefix(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG), 2_500);
        return p;
    }

    /** A scoring service whose meters nobody scrapes (tests, benchmarks): the dashboard still shows its counters. */
    public static ScoringService start(ConnectionConfig c, TopologySettings settings, ScoringConfig scoring) {
        return start(c, settings, scoring, new SimpleMeterRegistry());
    }

    /** @param meters the process's registry (scraped on /metrics): the topology's counters and Kafka Streams' metrics */
    public static ScoringService start(ConnectionConfig c, TopologySettings settings, ScoringConfig scoring,
            MeterRegistry meters) {
        ScoringMetrics metrics = new ScoringMetrics();
        metrics.bindTo(meters, settings.applicationId());
        Grader grader = new Grader(GraderOptions.DEFAULT.withTimeout(settings.graderTimeout()));
        Topology topology = ScoringTopology.build(c, AvroSerdes.connect(c), settings, scoring, grader, metrics);
        DashboardApi dashboard;
        try {
            dashboard = new DashboardApi(settings.dashboardHost(), settings.dashboardAdvertisedHost(),
                    settings.dashboardPort(), metrics, new ConsumerLag(c));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot serve the dashboard API on " + settings.dashboardHost() + ":"
                    + settings.dashboardPort(), e);
        }
        KafkaStreams streams = new KafkaStreams(topology, streamsProperties(c, settings, dashboard.port()));
        streams.setUncaughtExceptionHandler(e -> {
            log.error("stream thread failed; replacing it", e);
            return org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse
                    .REPLACE_THREAD;
        });
        dashboard.attach(streams);
        // thread, task, store and client metrics of Kafka Streams (the consumers' lag among them)
        new KafkaStreamsMetrics(streams, Tags.of("application", settings.applicationId())).bindTo(meters);
        log.debug("scoring topology:\n{}", topology.describe());
        log.info("scoring configuration: {} {}", scoring.describe(), settings);
        streams.start();
        return new ScoringService(streams, dashboard, metrics);
    }

    public KafkaStreams streams() {
        return streams;
    }

    public ScoringMetrics metrics() {
        return metrics;
    }

    public String dashboardUrl() {
        return dashboard.url();
    }

    /**
     * The tally of the newest evaluated version held by this instance (the {@code eval-accuracy}
     * store), empty when there is none yet or the store is not queryable (during a rebalance).
     */
    public Optional<EvalTally> newestEvaluation() {
        return evaluations().stream().max(java.util.Comparator.comparingLong(EvalTally::policyVersion));
    }

    /**
     * Every tally (benchmark and version) this instance holds in the {@code eval-accuracy} store;
     * empty when the store is not queryable (during a rebalance).
     */
    public List<EvalTally> evaluations() {
        try {
            ReadOnlyKeyValueStore<String, EvalTally> store = streams.store(StoreQueryParameters.fromNameAndType(
                    ScoringTopology.EVAL_ACCURACY_STORE, QueryableStoreTypes.<String, EvalTally>keyValueStore()));
            List<EvalTally> all = new java.util.ArrayList<>();
            try (KeyValueIterator<String, EvalTally> it = store.all()) {
                it.forEachRemaining(kv -> all.add(kv.value));
            }
            return all;
        } catch (InvalidStateStoreException e) {
            return List.of();
        }
    }

    /** Waits until the instance is processing (RUNNING), or fails after the timeout. */
    public void awaitRunning(Duration timeout) throws InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        while (streams.state() != KafkaStreams.State.RUNNING) {
            if (System.nanoTime() > end || streams.state() == KafkaStreams.State.ERROR
                    || streams.state() == KafkaStreams.State.NOT_RUNNING) {
                throw new IllegalStateException("scoring topology not running after " + timeout + ": " + streams.state());
            }
            Thread.sleep(50);
        }
    }

    @Override
    public void close() {
        dashboard.close();
        // leave the group: a restarted or remaining instance gets the partitions now, not after the session timeout
        streams.close(CloseOptions.timeout(Duration.ofSeconds(30))
                .withGroupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP));
    }
}
