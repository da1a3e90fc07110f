package io.seedstream.trainer;

import ai.djl.ndarray.NDManager;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.kafka.KafkaClientMetrics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.seedstream.model.Policy;
import io.seedstream.model.Transformer;
import io.seedstream.model.Weights;
import io.seedstream.schemas.ConnectionConfig;
import io.seedstream.schemas.DeadLetters;
import io.seedstream.schemas.LogReading;
import io.seedstream.schemas.StageEvents;
import io.seedstream.schemas.Topics;
import io.seedstream.schemas.avro.DeadLetter;
import io.seedstream.schemas.avro.MetricsSnapshot;
import io.seedstream.schemas.avro.PolicyVersion;
import io.seedstream.schemas.avro.TopicPartitionOffset;
import io.seedstream.schemas.avro.TrainingBatch;
import io.seedstream.schemas.serde.AvroSerdes;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
/**
 * The asynchronous trainer: reads training batches, applies one update per batch within the
 * staleness bound, checkpoints every k steps and announces each checkpoint on policy-versions.
 *
 * <p>Exactly once: the offsets consumed are stored inside each checkpoint, never committed to
 * Kafka. On start the trainer loads the latest checkpoint and seeks to its offsets; updates made
 * after it (lost with the process) are redone from the same batches, so every batch contributes
 * to exactly one update in the lineage of checkpoints.
 *
 * <p>Over 400 lines because consume, gate, update, checkpoint and announce share one transaction
 * boundary and one offset map; the update itself ({@code PolicyUpdate}), the gate
 * ({@code StalenessGate}) and the checkpointed state ({@code TrainerState}) live in their own classes.
 */
public final class StreamingTrainer {

    private static final Logger log = LoggerFactory.getLogger(StreamingTrainer.class);

    /** Called after every update, before any checkpoint of it; an exception stops the trainer as a crash would. */
    public interface StepListener {
        void afterStep(long step, String batchId, StepResult result, StepMetrics metrics) throws Exception;
    }

    /** How a run ended. */
    public record Summary(long startStep, long endStep, long batchesRead, long rejectedStaleGroups, long invalidGroups,
            long deadLetters, CheckpointStore.Checkpoint lastCheckpoint) {}

    private final ConnectionConfig connection;
    private final TrainerConfig config;
    private final AvroSerdes serdes;
    private final CheckpointStore store;
    private final MeterRegistry meters;
    /** Replaying: no announcements, metrics or dead letters, and the run ends at the log's end. */
    private final boolean replay;
    private volatile boolean stopping;
    private volatile KafkaConsumer<String, byte[]> consumer;
    private ai.djl.Device device;

    /** A trainer whose meters nobody scrapes (tests): they are still counted. */
    public StreamingTrainer(ConnectionConfig connection, TrainerConfig config, AvroSerdes serdes) {
        this(connection, config, serdes, new SimpleMeterRegistry());
    }

    /** @param meters the process's registry (scraped on /metrics); the trainer's meters are tagged with its run */
    public StreamingTrainer(ConnectionConfig connection, TrainerConfig config, AvroSerdes serdes, MeterRegistry meters) {
        this(connection, config, serdes, meters, false);
    }

    /** @param device where the policy, its update and the optimizer live (null: the engine's default device) */
    public StreamingTrainer(ConnectionConfig connection, TrainerConfig config, AvroSerdes serdes, MeterRegistry meters,
            ai.djl.Device device) {
        this(connection, config, serdes, meters, false);
        this.device = device;
    }

    private StreamingTrainer(ConnectionConfig connection, TrainerConfig config, AvroSerdes serdes, MeterRegistry meters,
            boolean replay) {
        this.replay = replay;
        this.connection = connection;
        this.config = config;
        this.serdes = serdes;
        this.meters = meters;
        this.store = new CheckpointStore(config.checkpointDir());
    }

    /**
     * A trainer that re-applies the recorded batches after the checkpoint in its checkpoint
     * directory, in log order, through the same code path as the live trainer, and writes its own
     * checkpoints there; it never writes to Kafka (no version is announced on the live run's
     * policy-versions) and stops at the end of the log as it was when it started, or after
     * {@code trainer.max.steps}.
     */
    public static StreamingTrainer replay(ConnectionConfig connection, TrainerConfig config, AvroSerdes serdes) {
        return new StreamingTrainer(connection, config, serdes, new SimpleMeterRegistry(), true);
    }

    public CheckpointStore store() {
        return store;
    }

    /** Asks a running {@link #run} to finish its current step, checkpoint and return. */
    public void stop() {
        stopping = true;
        KafkaConsumer<String, byte[]> c = consumer;
        if (c != null) {
            c.wakeup();
        }
    }

    public Summary run(StepListener listener) throws IOException, InterruptedException {
        store.prune(config.checkpointsKept(), config.checkpointsKeptEvery());
        String topic = connection.topic(Topics.TRAINING_BATCHES);
        try (NDManager manager = device == null ? NDManager.newBaseManager() : NDManager.newBaseManager(device)) {
            // the newest full checkpoint: the light ones after it are made again, bit for bit, from the same batches
            CheckpointStore.Checkpoint resumed = store.latestFull().orElse(null);
            if (resumed == null && store.latest().isPresent()) {
                throw new IllegalStateException("the checkpoints in " + store.root() + " hold no full one (with "
                        + CheckpointStore.OPTIMIZER + "): nothing to resume from");
            }
            java.nio.file.Path start = resumed != null ? resumed.dir() : config.modelDir();
            if (start == null || replay && resumed == null) {
                throw new IllegalArgumentException("no checkpoint in " + store.root()
                        + (replay ? " to replay from" : " and no " + TrainerConfig.MODEL_DIR + " to start from"));
            }
            try (Policy policy = Policy.load(start, manager, resumed != null ? resumed.resumeWeights() : start);
                    Weights refWeights = config.update().loss().klCoef() > 0
                            ? Weights.load(policy.model().config(), referenceDir(), manager)
                            : null;
                    PolicyUpdate update = new PolicyUpdate(policy.model(),
                            refWeights == null ? null : new Transformer(policy.model().config(), refWeights),
                            config.update(), manager);
                    KafkaProducer<String, Object> producer = replay ? null : producer();
                    KafkaConsumer<String, byte[]> c = consumer()) {
                this.consumer = c;
                Run run = new Run(policy, update, producer, c, topic, listener);
                if (resumed != null) {
                    CheckpointStore.restoreOptimizer(resumed, update.optimizer());
                    run.resumeFrom(resumed);
                } else {
                    run.checkpoint(true); // version 0: the initial weights, so generators and restarts have a start
                }
                return run.loop();
            } finally {
                this.consumer = null;
            }
        }
    }

    /** The reference of the KL penalty is the run's first checkpoint (the initial policy). */
    private java.nio.file.Path referenceDir() {
        if (config.modelDir() == null) {
            throw new IllegalArgumentException("the KL penalty needs " + TrainerConfig.MODEL_DIR + " (the reference policy)");
        }
        return config.modelDir();
    }

    private KafkaConsumer<String, byte[]> consumer() {
        Properties p = connection.kafkaProperties();
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "16");
        p.put(ConsumerConfig.CLIENT_ID_CONFIG, "seedstream-trainer-" + config.runId() + "-batches");
        return new KafkaConsumer<>(p, new org.apache.kafka.common.serialization.StringDeserializer(),
                new ByteArrayDeserializer());
    }

    /** The trainer's idempotent producer (announcements, metrics, dead letters). */
    public static Properties producerProperties(ConnectionConfig connection, TrainerConfig config) {
        return connection.producerProperties("seedstream-trainer-" + config.runId());
    }

    private KafkaProducer<String, Object> producer() {
        Properties p = producerProperties(connection, config);
        return new KafkaProducer<>(p, new StringSerializer(),
                serdes.anyValue(Topics.POLICY_VERSIONS, Topics.METRICS, Topics.DEAD_LETTERS));
    }

    /** The state of one run of the loop. */
    private final class Run {
        private final Policy policy;
        private final PolicyUpdate update;
        private final KafkaProducer<String, Object> producer;
        private final KafkaConsumer<String, byte[]> consumer;
        private final String topic;
        private final StepListener listener;
        private final Deserializer<TrainingBatch> decoder = serdes.value(Topics.TRAINING_BATCHES).deserializer();
        private final StalenessGate gate = new StalenessGate(config.stalenessBound());
        private final TrainerMetrics metrics = new TrainerMetrics(config.runId(), meters);
        private final Map<Integer, Long> nextOffsets = new TreeMap<>();
        private final List<String> applied = new ArrayList<>();
        private final List<String> rejected = new ArrayList<>();
        /** Groups in every batch consumed so far (null: resumed from a checkpoint that did not count them). */
        private Long consumedGroups = 0L;
        private long step;
        private long startStep;
        private long batchesRead;
        private long invalidGroups;
        private long deadLetters;
        private String previous;
        private CheckpointStore.Checkpoint last;

        Run(Policy policy, PolicyUpdate update, KafkaProducer<String, Object> producer,
                KafkaConsumer<String, byte[]> consumer, String topic, StepListener listener) {
            this.policy = policy;
            this.update = update;
            this.producer = producer;
            this.consumer = consumer;
            this.topic = topic;
            this.listener = listener;
        }

        void resumeFrom(CheckpointStore.Checkpoint c) throws IOException {
            TrainerState s = c.state();
            step = s.step();
            startStep = step;
            nextOffsets.putAll(s.nextOffsets());
            consumedGroups = s.consumedGroups();
            previous = c.dir().getFileName().toString();
            last = c;
            log.info("resuming from {} (version {}) at offsets {} of {}", previous, step, nextOffsets, topic);
            // supervisors (seedstream chaos among them) check where a restarted trainer picked up
            StageEvents.emit("train", StageEvents.RESUMED, Map.of("checkpoint", previous, "version", step,
                    "offsets", new TreeMap<>(nextOffsets), "topic", topic));
            announce(c); // idempotent: the previous process may have died before announcing it
        }

        Summary loop() throws IOException, InterruptedException {
            List<TopicPartition> partitions = new ArrayList<>();
            for (PartitionInfo info : consumer.partitionsFor(topic, Duration.ofSeconds(30))) {
                partitions.add(new TopicPartition(topic, info.partition()));
            }
            consumer.assign(partitions);
            if (replay) {
                // a replay that silently skipped deleted batches would not be the run it claims to be
                Map<TopicPartition, Long> first = consumer.beginningOffsets(partitions, Duration.ofSeconds(30));
                for (TopicPartition tp : partitions) {
                    long next = nextOffsets.getOrDefault(tp.partition(), 0L);
                    if (next < first.get(tp)) {
                        throw new IllegalStateException("the batches after this checkpoint (" + tp + " from offset "
                                + next + ") are no longer in the log: retention deleted offsets before " + first.get(tp));
                    }
                }
            }
            for (TopicPartition tp : partitions) {
                Long next = nextOffsets.get(tp.partition());
                if (next == null) {
                    consumer.seekToBeginning(List.of(tp));
                } else {
                    consumer.seek(tp, next);
                }
            }
            // a replay reads the log as it is now: what the live run appends later is not part of it
            Map<TopicPartition, Long> end = replay ? consumer.endOffsets(partitions, Duration.ofSeconds(30)) : Map.of();
            long waitStart = System.nanoTime();
            KafkaClientMetrics consumerMetrics = new KafkaClientMetrics(consumer, Tags.of("run", config.runId()));
            KafkaClientMetrics producerMetrics = producer == null ? null
                    : new KafkaClientMetrics(producer, Tags.of("run", config.runId()));
            consumerMetrics.bindTo(meters);
            if (producerMetrics != null) {
                producerMetrics.bindTo(meters);
            }
            try {
                while (!stopping && (config.maxSteps() == 0 || step - startStep < config.maxSteps())
                        && !(replay && LogReading.reachedEnd(consumer, end, Duration.ofSeconds(30)))) {
                    Iterable<ConsumerRecord<String, byte[]>> records;
                    try {
                        records = consumer.poll(Duration.ofMillis(config.pollMs()));
                    } catch (WakeupException e) {
                        break;
                    }
                    for (ConsumerRecord<String, byte[]> r : records) {
                        if (replay && r.offset() >= end.get(new TopicPartition(r.topic(), r.partition()))) {
                            continue;
                        }
                        double waited = (System.nanoTime() - waitStart) / 1e9;
                        handle(r, waited);
                        waitStart = System.nanoTime();
                        if (config.maxSteps() > 0 && step - startStep >= config.maxSteps()) {
                            break; // the rest of the poll is read again by the next run
                        }
                    }
                }
                if (!applied.isEmpty() || !rejected.isEmpty() || (last != null && !last.full())) {
                    checkpoint(true); // a clean stop keeps every finished update, resumable without re-applying any
                }
            } finally {
                consumerMetrics.close();
                if (producerMetrics != null) {
                    producerMetrics.close();
                }
            }
            return new Summary(startStep, step, batchesRead, gate.rejectedStale() + gate.rejectedAhead(), invalidGroups,
                    deadLetters, last);
        }

        private void handle(ConsumerRecord<String, byte[]> r, double waited) throws IOException {
            batchesRead++;
            nextOffsets.put(r.partition(), r.offset() + 1);
            TrainingBatch batch;
            try {
                batch = decoder.deserialize(r.topic(), r.value());
                if (batch == null) {
                    throw new IllegalArgumentException("empty record");
                }
            } catch (RuntimeException e) {
                deadLetter(r, "undecodable training batch: " + e.getMessage(), e, true);
                rejected.add(r.key() == null ? "offset-" + r.offset() : r.key());
                return;
            }
            if (consumedGroups != null) {
                consumedGroups += batch.getGroups().size(); // applied or not, these groups are used up
            }
            BatchSamples.Selection sel = BatchSamples.select(batch, step, gate, policy.model().config().vocabSize());
            for (String reason : sel.invalid()) {
                invalidGroups++;
                deadLetter(r, "batch " + batch.getBatchId() + ": " + reason, null, false);
            }
            if (sel.samples().isEmpty()) {
                rejected.add(batch.getBatchId());
                return;
            }
            StepResult result;
            try {
                result = update.apply(sel.samples(), config.learningRate().at(step));
            } catch (ArithmeticException e) {
                deadLetter(r, "batch " + batch.getBatchId() + ": " + e.getMessage(), e, false);
                rejected.add(batch.getBatchId());
                return;
            }
            step++;
            applied.add(batch.getBatchId());
            MetricsSnapshot snapshot = metrics.step(step, result, sel.usedGroups(), waited, gate, invalidGroups);
            if (producer != null) {
                producer.send(new ProducerRecord<>(connection.topic(Topics.METRICS), "trainer-" + config.runId(), snapshot));
            }
            try {
                listener.afterStep(step, batch.getBatchId(), result, metrics.latest());
            } catch (RuntimeException | IOException e) {
                throw e;
            } catch (Exception e) {
                throw new IllegalStateException("step listener failed", e);
            }
            if (step % config.checkpointEvery() == 0) {
                checkpoint(step % ((long) config.checkpointEvery() * config.fullCheckpointEvery()) == 0);
            }
        }

        /** @param full whether it also holds the optimizer's moments (where a restart may resume) */
        void checkpoint(boolean full) throws IOException {
            if (producer != null) {
                producer.flush(); // the steps' reports (and dead letters) are in the log before the steps are durable
            }
            List<String> appliedHere = new ArrayList<>(applied);
            List<String> rejectedHere = new ArrayList<>(rejected);
            String before = previous;
            if (last != null && last.state().step() == step) {
                // no update since the last checkpoint, only rejected batches (a stop): the same weights are
                // written again with its ledger extended, so the record of the update that made them stays
                appliedHere.addAll(0, last.state().appliedBatches());
                rejectedHere.addAll(0, last.state().rejectedBatches());
                before = last.state().previous();
            }
            TrainerState s = new TrainerState(config.runId(), step, topic, new TreeMap<>(nextOffsets),
                    List.copyOf(appliedHere), List.copyOf(rejectedHere), before, null, TrainerState.NO_RNG,
                    System.currentTimeMillis(), config.updateSettings(), consumedGroups);
            last = store.write(policy, update.optimizer(), s, full);
            previous = last.dir().getFileName().toString();
            applied.clear();
            rejected.clear();
            announce(last);
            store.prune(config.checkpointsKept(), config.checkpointsKeptEvery());
        }

        private void announce(CheckpointStore.Checkpoint c) throws IOException {
            if (producer == null) {
                return; // a replay: the live run's versions are the live run's
            }
            List<TopicPartitionOffset> offsets = new ArrayList<>();
            c.state().nextOffsets().forEach((p, o) -> offsets.add(new TopicPartitionOffset(c.state().topic(), p, o)));
            PolicyVersion v = PolicyVersion.newBuilder().setRunId(config.runId()).setVersion(c.state().step())
                    .setCheckpointUri(c.uri()).setSha256(c.state().weightsSha256()).setTrainerStep(c.state().step())
                    .setConsumedOffsets(offsets).setConsumedGroups(c.state().consumedGroups())
                    .setCreatedAt(Instant.now()).build();
            try {
                producer.send(new ProducerRecord<>(connection.topic(Topics.POLICY_VERSIONS), config.runId(), v)).get();
            } catch (ExecutionException e) {
                throw new IOException("announcing version " + v.getVersion() + " failed: " + e.getCause().getMessage(), e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while announcing version " + v.getVersion(), e);
            }
        }

        /**
         * The batch itself stays in the log at its partition and offset; its bytes are copied only
         * when it could not be decoded and fits in a dead letter.
         */
        private void deadLetter(ConsumerRecord<String, byte[]> r, String error, Exception e, boolean withValue) {
            deadLetters++;
            if (producer == null) {
                log.warn("replay: {} at {}-{}@{}", error, r.topic(), r.partition(), r.offset());
                return;
            }
            DeadLetter d = DeadLetters.of(r.topic(), r.partition(), r.offset(), r.key(), withValue ? r.value() : null,
                    "trainer", error, e, Instant.now());
            producer.send(new ProducerRecord<>(connection.topic(Topics.DEAD_LETTERS), r.key(), d));
        }
    }
}
