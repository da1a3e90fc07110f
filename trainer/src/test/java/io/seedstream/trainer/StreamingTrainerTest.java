package io.seedstream.trainer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.seedstream.infra.harness.RealKafkaExtension;
import io.seedstream.infra.harness.TestCluster;
import io.seedstream.model.Checkpoints;
import io.seedstream.model.SafeTensors;
import io.seedstream.schemas.ConnectionConfig;
import io.seedstream.schemas.Topics;
import io.seedstream.schemas.avro.DeadLetter;
import io.seedstream.schemas.avro.PolicyVersion;
import io.seedstream.schemas.avro.TrainingBatch;
import io.seedstream.schemas.serde.AvroSerdes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.RecordsToDelete;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

@ExtendWith(RealKafkaExtension.class)
class StreamingTrainerTest {

    private static final int BATCHES = 6;

    /** Six batches with an undecodable record after the second. */
    private static List<String> produceBatches(ConnectionConfig c, AvroSerdes serdes) throws Exception {
        var valueSerializer = serdes.value(Topics.TRAINING_BATCHES).serializer();
        List<String> ids = new ArrayList<>();
        try (KafkaProducer<String, byte[]> p = new KafkaProducer<>(c.kafkaProperties(), new StringSerializer(),
                new ByteArraySerializer())) {
            String topic = c.topic(Topics.TRAINING_BATCHES);
            for (int i = 0; i < BATCHES; i++) {
                TrainingBatch b = TinyPolicyDir.batch("batch-" + i, 3, 0, 100 + i);
                p.send(new ProducerRecord<>(topic, b.getBatchId(), valueSerializer.serialize(topic, b))).get();
                ids.add(b.getBatchId());
                if (i == 1) {
                    p.send(new ProducerRecord<>(topic, "garbage", new byte[] {0, 0, 0, 0, 42, 1, 2})).get();
                }
            }
        }
        return ids;
    }

    private static TrainerConfig config(Path model, Path checkpoints, long maxSteps) {
        return TrainerConfig.from(settings(model, checkpoints, maxSteps));
    }

    private static Map<String, Object> settings(Path model, Path checkpoints, long maxSteps) {
        Map<String, Object> p = new HashMap<>();
        p.put(TrainerConfig.MODEL_DIR, model.toString());
        p.put(TrainerConfig.CHECKPOINT_DIR, checkpoints.toString());
        p.put(TrainerConfig.CHECKPOINT_EVERY, 2);
        p.put(TrainerConfig.CHECKPOINT_KEEP, 0);
        p.put(TrainerConfig.STALENESS, 100); // every batch here comes from version 0
        p.put(TrainerConfig.LR, 1e-3);
        p.put(TrainerConfig.MAX_STEPS, maxSteps);
        p.put(TrainerConfig.POLL_MS, 100L);
        return p;
    }

    /** The batch ids of every update in the lineage of checkpoints, oldest first. */
    private static List<String> ledger(CheckpointStore store) throws Exception {
        List<String> out = new ArrayList<>();
        for (CheckpointStore.Checkpoint c : store.list()) {
            out.addAll(c.state().appliedBatches());
        }
        return out;
    }

    @Test
    void aCrashBetweenAStepAndItsCheckpointNeitherRepeatsNorSkipsABatch(TestCluster cluster, @TempDir Path tmp)
            throws Exception {
        ConnectionConfig c = cluster.isolatedConnection("trainer-crash");
        AvroSerdes serdes = cluster.serdes();
        List<String> batchIds = produceBatches(c, serdes);
        Path model = TinyPolicyDir.create(tmp.resolve("init"), 11);

        // uninterrupted reference run
        StreamingTrainer straight = new StreamingTrainer(c, config(model, tmp.resolve("straight"), BATCHES), serdes);
        StreamingTrainer.Summary s0 = straight.run((step, id, r, m) -> { });
        assertThat(s0.endStep()).isEqualTo(BATCHES);
        assertThat(ledger(straight.store())).containsExactlyElementsOf(batchIds);

        // the same run killed after step 3, whose checkpoint (step 4) is never written
        Path crashDir = tmp.resolve("crashed");
        StreamingTrainer first = new StreamingTrainer(c, config(model, crashDir, BATCHES), serdes);
        List<String> seenBeforeCrash = new ArrayList<>();
        assertThatThrownBy(() -> first.run((step, id, r, m) -> {
            seenBeforeCrash.add(id);
            if (step == 3) {
                throw new IllegalStateException("killed");
            }
        })).hasMessageContaining("killed");
        assertThat(seenBeforeCrash).containsExactly("batch-0", "batch-1", "batch-2");
        assertThat(first.store().latest().orElseThrow().state().step()).isEqualTo(2);

        StreamingTrainer restarted = new StreamingTrainer(c, config(model, crashDir, BATCHES - 2), serdes);
        List<String> seenAfter = new ArrayList<>();
        StreamingTrainer.Summary s1 = restarted.run((step, id, r, m) -> seenAfter.add(id));
        assertThat(s1.startStep()).isEqualTo(2);
        assertThat(s1.endStep()).isEqualTo(BATCHES);
        assertThat(seenAfter).containsExactly("batch-2", "batch-3", "batch-4", "batch-5"); // batch-2 redone once

        // every batch exactly once in the lineage, and the very same weights as the uninterrupted run
        assertThat(ledger(restarted.store())).containsExactlyElementsOf(batchIds);
        assertThat(restarted.store().latest().orElseThrow().state().weightsSha256())
                .isEqualTo(straight.store().latest().orElseThrow().state().weightsSha256());

        // the undecodable record was dead-lettered with its reason, and every checkpoint announced
        List<DeadLetter> dead = readAll(c, Topics.DEAD_LETTERS.name(c.topicPrefix()),
                serdes.value(Topics.DEAD_LETTERS).deserializer());
        assertThat(dead).isNotEmpty().allSatisfy(d -> {
            assertThat(d.getStage()).isEqualTo("trainer");
            assertThat(d.getError()).contains("undecodable training batch");
        });
        List<PolicyVersion> versions = readAll(c, Topics.POLICY_VERSIONS.name(c.topicPrefix()),
                serdes.value(Topics.POLICY_VERSIONS).deserializer());
        assertThat(versions).extracting(PolicyVersion::getVersion).contains(0L, 2L, 4L, 6L);
        PolicyVersion lastVersion = versions.get(versions.size() - 1);
        assertThat(lastVersion.getSha256()).isEqualTo(restarted.store().latest().orElseThrow().state().weightsSha256());
        assertThat(lastVersion.getCheckpointUri()).startsWith("file:");

        // what admission counts: the groups of every consumed batch (3 each), counted once across the crash
        assertThat(straight.store().latest().orElseThrow().state().consumedGroups()).isEqualTo(3L * BATCHES);
        assertThat(restarted.store().latest().orElseThrow().state().consumedGroups()).isEqualTo(3L * BATCHES);
        assertThat(lastVersion.getConsumedGroups()).isEqualTo(3L * BATCHES);
        assertThat(versions.get(0).getConsumedGroups()).isZero();
    }

    /**
     * Light checkpoints (weights and ledger) at every step, full ones (with the optimizer's moments)
     * every third: killed between two full ones, the trainer resumes from the older, re-applies the
     * batches after it and ends on the very weights of an uninterrupted run.
     */
    @Test
    void aCrashBetweenTwoFullCheckpointsResumesFromTheOlderAndEndsOnTheSameWeights(TestCluster cluster,
            @TempDir Path tmp) throws Exception {
        crashBetweenFullCheckpoints(cluster, tmp, "trainer-full-every", SafeTensors.DType.F32);
    }

    /**
     * A bf16 model: its checkpoints stay bf16 (what generators and other tools load), and the full
     * ones also hold the float32 master weights, from which the restart continues: the resumed
     * run's master weights equal the uninterrupted run's, not merely their bf16 rounding.
     */
    @Test
    void aBf16ModelKeepsItsDtypeAndResumesFromFloat32MasterWeights(TestCluster cluster, @TempDir Path tmp)
            throws Exception {
        crashBetweenFullCheckpoints(cluster, tmp, "trainer-full-every-bf16", SafeTensors.DType.BF16);
    }

    private void crashBetweenFullCheckpoints(TestCluster cluster, Path tmp, String name, SafeTensors.DType dtype)
            throws Exception {
        ConnectionConfig c = cluster.isolatedConnection(name);
        AvroSerdes serdes = cluster.serdes();
        List<String> batchIds = produceBatches(c, serdes);
        Path model = TinyPolicyDir.create(tmp.resolve("init"), 11, dtype);
        StreamingTrainer straight = new StreamingTrainer(c, config(model, tmp.resolve("straight"), BATCHES), serdes);
        straight.run((step, id, r, m) -> { });

        Path dir = tmp.resolve("light");
        Map<String, Object> settings = settings(model, dir, BATCHES);
        settings.put(TrainerConfig.CHECKPOINT_EVERY, 1);
        settings.put(TrainerConfig.CHECKPOINT_FULL_EVERY, 3);
        StreamingTrainer first = new StreamingTrainer(c, TrainerConfig.from(settings), serdes);
        assertThatThrownBy(() -> first.run((step, id, r, m) -> {
            if (step == 5) {
                throw new IllegalStateException("killed");
            }
        })).hasMessageContaining("killed");
        CheckpointStore store = first.store();
        assertThat(store.list()).extracting(cp -> cp.state().step() + (cp.full() ? " full" : " light"))
                .containsExactly("0 full", "1 light", "2 light", "3 full", "4 light");
        assertThat(store.latestFull().orElseThrow().state().step()).isEqualTo(3);
        assertThatThrownBy(() -> CheckpointStore.restoreOptimizer(store.latest().orElseThrow(), null))
                .hasMessageContaining("no optimizer moments");

        settings.put(TrainerConfig.MAX_STEPS, (long) BATCHES - 3);
        StreamingTrainer restarted = new StreamingTrainer(c, TrainerConfig.from(settings), serdes);
        List<String> seenAfter = new ArrayList<>();
        StreamingTrainer.Summary s = restarted.run((step, id, r, m) -> seenAfter.add(id));
        assertThat(s.startStep()).isEqualTo(3);
        assertThat(seenAfter).containsExactly("batch-3", "batch-4", "batch-5"); // batch-3 and 4 applied again
        assertThat(ledger(restarted.store())).containsExactlyElementsOf(batchIds);
        assertThat(restarted.store().latest().orElseThrow().state().weightsSha256())
                .isEqualTo(straight.store().latest().orElseThrow().state().weightsSha256());
        assertThat(restarted.store().latest().orElseThrow().full()).as("a clean stop ends on a full checkpoint").isTrue();
        for (CheckpointStore.Checkpoint k : restarted.store().list()) {
            assertThat(Checkpoints.storedDtype(k.dir())).isEqualTo(dtype);
            assertThat(new ObjectMapper().readTree(k.dir().resolve(Checkpoints.CONFIG).toFile()).get("torch_dtype")
                    .asText()).isEqualTo(dtype.torchName());
            assertThat(Files.exists(k.dir().resolve(CheckpointStore.MASTER_WEIGHTS)))
                    .as("master weights in step %d", k.state().step())
                    .isEqualTo(k.full() && dtype != SafeTensors.DType.F32);
        }
        if (dtype != SafeTensors.DType.F32) {
            Path resumedMaster = restarted.store().latest().orElseThrow().dir().resolve(CheckpointStore.MASTER_WEIGHTS);
            Path straightMaster = straight.store().latest().orElseThrow().dir().resolve(CheckpointStore.MASTER_WEIGHTS);
            assertThat(Checkpoints.sha256(resumedMaster)).isEqualTo(Checkpoints.sha256(straightMaster));
        }
    }

    @Test
    void aReplayFromACheckpointReproducesTheLiveWeightsBitForBitAndAnnouncesNothing(TestCluster cluster,
            @TempDir Path tmp) throws Exception {
        ConnectionConfig c = cluster.isolatedConnection("trainer-replay");
        AvroSerdes serdes = cluster.serdes();
        produceBatches(c, serdes);
        Path model = TinyPolicyDir.create(tmp.resolve("init"), 13);
        StreamingTrainer live = new StreamingTrainer(c, config(model, tmp.resolve("live"), BATCHES), serdes);
        live.run((step, id, r, m) -> { });
        String liveSha = live.store().latest().orElseThrow().state().weightsSha256();
        int announced = readAll(c, Topics.POLICY_VERSIONS.name(c.topicPrefix()),
                serdes.value(Topics.POLICY_VERSIONS).deserializer()).size();

        // from the live run's version 2 to the end of the log, in a directory of its own
        CheckpointStore.Checkpoint two = live.store().list().stream().filter(k -> k.state().step() == 2).findFirst()
                .orElseThrow();
        CheckpointStore replayStore = new CheckpointStore(tmp.resolve("replay"));
        replayStore.copyIn(two);
        StreamingTrainer replay = StreamingTrainer.replay(c, config(model, replayStore.root(), 0), serdes);
        List<String> replayed = new ArrayList<>();
        StreamingTrainer.Summary s = replay.run((step, id, r, m) -> replayed.add(id));
        assertThat(s.startStep()).isEqualTo(2);
        assertThat(s.endStep()).isEqualTo(BATCHES); // stopped at the end of the log on its own
        assertThat(replayed).containsExactly("batch-2", "batch-3", "batch-4", "batch-5");
        assertThat(replay.store().latest().orElseThrow().state().weightsSha256()).isEqualTo(liveSha);
        assertThat(readAll(c, Topics.POLICY_VERSIONS.name(c.topicPrefix()),
                serdes.value(Topics.POLICY_VERSIONS).deserializer())).hasSize(announced);

        // other trainer settings on the same data end elsewhere
        CheckpointStore other = new CheckpointStore(tmp.resolve("other-lr"));
        other.copyIn(two);
        Map<String, Object> otherLr = settings(model, other.root(), 0);
        otherLr.put(TrainerConfig.LR, 3e-3);
        StreamingTrainer ab = StreamingTrainer.replay(c, TrainerConfig.from(otherLr), serdes);
        ab.run((step, id, r, m) -> { });
        assertThat(ab.store().latest().orElseThrow().state().weightsSha256()).isNotEqualTo(liveSha);

        // once retention has deleted the batches after the checkpoint, a replay says so instead of skipping them
        try (Admin admin = cluster.admin()) {
            admin.deleteRecords(Map.of(new TopicPartition(c.topic(Topics.TRAINING_BATCHES), 0),
                    RecordsToDelete.beforeOffset(4))).all().get();
        }
        CheckpointStore late = new CheckpointStore(tmp.resolve("late"));
        late.copyIn(two);
        assertThatThrownBy(() -> StreamingTrainer.replay(c, config(model, late.root(), 0), serdes)
                .run((step, id, r, m) -> { })).hasMessageContaining("no longer in the log")
                .hasMessageContaining("before 4");
    }

    @Test
    void aStopAfterOnlyRejectedBatchesExtendsTheLastCheckpointsLedgerInsteadOfLosingIt(TestCluster cluster,
            @TempDir Path tmp) throws Exception {
        ConnectionConfig c = cluster.isolatedConnection("trainer-stop-after-stale");
        AvroSerdes serdes = cluster.serdes();
        var valueSerializer = serdes.value(Topics.TRAINING_BATCHES).serializer();
        String topic = c.topic(Topics.TRAINING_BATCHES);
        try (KafkaProducer<String, byte[]> p = new KafkaProducer<>(c.kafkaProperties(), new StringSerializer(),
                new ByteArraySerializer())) {
            for (String id : List.of("fresh", "stale")) { // both sampled by version 0
                TrainingBatch b = TinyPolicyDir.batch(id, 2, 0, id.length());
                p.send(new ProducerRecord<>(topic, id, valueSerializer.serialize(topic, b))).get();
            }
        }
        Path model = TinyPolicyDir.create(tmp.resolve("init"), 17);
        StreamingTrainer live = new StreamingTrainer(c, config(model, tmp.resolve("live"), 1), serdes);
        live.run((step, id, r, m) -> { });
        CheckpointStore.Checkpoint zero = live.store().list().get(0);

        // with eta 0 the second batch is one version too old for step 2: the replay applies one, rejects
        // one and stops at the end of the log, writing version 1 again with both in its ledger
        CheckpointStore store = new CheckpointStore(tmp.resolve("replay"));
        store.copyIn(zero);
        Map<String, Object> settings = settings(model, store.root(), 0);
        settings.put(TrainerConfig.STALENESS, 0);
        settings.put(TrainerConfig.CHECKPOINT_EVERY, 1);
        StreamingTrainer.Summary s = StreamingTrainer.replay(c, TrainerConfig.from(settings), serdes)
                .run((step, id, r, m) -> { });
        assertThat(s.endStep()).isEqualTo(1);
        assertThat(s.rejectedStaleGroups()).isEqualTo(2);
        List<CheckpointStore.Checkpoint> lineage = store.list();
        assertThat(lineage).extracting(k -> k.state().step()).containsExactly(0L, 1L);
        TrainerState one = lineage.get(1).state();
        assertThat(one.appliedBatches()).containsExactly("fresh");
        assertThat(one.rejectedBatches()).containsExactly("stale");
        assertThat(one.previous()).isEqualTo(lineage.get(0).dir().getFileName().toString());
        assertThat(one.nextOffsets()).containsEntry(0, 2L);
        assertThat(one.weightsSha256()).isEqualTo(live.store().latest().orElseThrow().state().weightsSha256());
    }

    private static <V> List<V> readAll(ConnectionConfig c, String topic, Deserializer<V> d) {
        Properties p = c.kafkaProperties();
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.GROUP_ID_CONFIG, "reader-" + System.nanoTime());
        List<V> out = new ArrayList<>();
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(p, new StringDeserializer(),
                new org.apache.kafka.common.serialization.ByteArrayDeserializer())) {
            consumer.subscribe(List.of(topic));
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            int empty = 0;
            while (System.nanoTime() < deadline && empty < 3) {
                var records = consumer.poll(Duration.ofMillis(500));
                if (records.isEmpty() && !out.isEmpty()) {
                    empty++;
                }
                for (ConsumerRecord<String, byte[]> r : records) {
                    out.add(d.deserialize(topic, r.value()));
                }
            }
        }
        return out;
    }
}
