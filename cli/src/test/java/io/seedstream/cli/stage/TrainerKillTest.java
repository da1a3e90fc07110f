package io.seedstream.cli.stage;

import io.seedstream.cli.CliRun;
import io.seedstream.cli.Seedstream;
import io.seedstream.infra.harness.RealKafkaExtension;
import io.seedstream.infra.harness.TestCluster;
import io.seedstream.model.Checkpoints;
import io.seedstream.model.SafeTensors;
import io.seedstream.schemas.ConnectionConfig;
import io.seedstream.schemas.Topics;
import io.seedstream.schemas.avro.TrainingBatch;
import io.seedstream.schemas.serde.AvroSerdes;
import io.seedstream.trainer.CheckpointStore;
import io.seedstream.trainer.StreamingTrainer;
import io.seedstream.trainer.TinyPolicyDir;
import io.seedstream.trainer.TrainerConfig;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The real {@code seedstream train} in a JVM of its own, killed with SIGKILL between two full
 * checkpoints of a bf16 model (light checkpoints every step, full ones every third): restarted,
 * it resumes from the older full checkpoint's float32 master weights, applies the batches after
 * it again, and ends on the weights of an uninterrupted run, every batch once in the ledger.
 */
@ExtendWith(RealKafkaExtension.class)
class TrainerKillTest {

    private static final int BATCHES = 8;
    private static final int BEFORE_KILL = 5;

    @Test
    void aTrainerKilledBetweenTwoFullCheckpointsEndsOnTheUninterruptedWeights(TestCluster cluster, @TempDir Path tmp)
            throws Exception {
        ConnectionConfig c = cluster.isolatedConnection("trainer-kill");
        AvroSerdes serdes = cluster.serdes();
        Path model = TinyPolicyDir.create(tmp.resolve("init"), 17, SafeTensors.DType.BF16);
        Path config = tmp.resolve("trainer.properties");
        Files.writeString(config, String.join("\n",
                TrainerConfig.CHECKPOINT_EVERY + "=1",
                TrainerConfig.CHECKPOINT_FULL_EVERY + "=3",
                TrainerConfig.CHECKPOINT_KEEP + "=0",
                TrainerConfig.STALENESS + "=100", // every batch here comes from version 0
                TrainerConfig.LR + "=0.001",
                TrainerConfig.POLL_MS + "=100", ""));
        List<String> ids = new ArrayList<>();
        produce(c, serdes, 0, BEFORE_KILL, ids);

        Path killedDir = tmp.resolve("killed");
        Process first = train(c, model, killedDir, config, null, tmp.resolve("first.log"));
        Path light = killedDir.resolve(String.format("step-%010d", BEFORE_KILL));
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
        while (!Files.exists(light.resolve(CheckpointStore.STATE))) {
            assertThat(first.isAlive()).as("trainer alive (log %s)", tmp.resolve("first.log")).isTrue();
            assertThat(System.nanoTime()).as("step %d checkpointed in time", BEFORE_KILL).isLessThan(deadline);
            Thread.sleep(100);
        }
        first.destroyForcibly(); // SIGKILL: no shutdown hook, no final checkpoint
        assertThat(first.waitFor(30, TimeUnit.SECONDS)).isTrue();
        CheckpointStore killed = new CheckpointStore(killedDir);
        assertThat(killed.latest().orElseThrow().state().step()).isEqualTo(BEFORE_KILL);
        assertThat(killed.latest().orElseThrow().full()).isFalse();
        assertThat(killed.latestFull().orElseThrow().state().step()).isEqualTo(3);

        produce(c, serdes, BEFORE_KILL, BATCHES, ids);
        // --max-steps counts this run's steps: from the full checkpoint at 3 to the last batch
        Process second = train(c, null, killedDir, config, (long) BATCHES - 3, tmp.resolve("second.log"));
        boolean ended = second.waitFor(3, TimeUnit.MINUTES);
        second.destroyForcibly();
        assertThat(ended).as("restarted trainer ends; its log:%n%s", Files.readString(tmp.resolve("second.log")))
                .isTrue();
        assertThat(second.exitValue()).isZero();

        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(config)) {
            p.load(r);
        }
        p.put(TrainerConfig.MODEL_DIR, model.toString());
        p.put(TrainerConfig.CHECKPOINT_DIR, tmp.resolve("straight").toString());
        p.put(TrainerConfig.MAX_STEPS, String.valueOf(BATCHES));
        StreamingTrainer straight = new StreamingTrainer(c, TrainerConfig.from(p), serdes);
        straight.run((step, id, r, m) -> { });

        CheckpointStore.Checkpoint end = killed.latest().orElseThrow();
        CheckpointStore.Checkpoint reference = straight.store().latest().orElseThrow();
        assertThat(end.state().step()).isEqualTo(BATCHES);
        assertThat(end.state().weightsSha256()).isEqualTo(reference.state().weightsSha256());
        assertThat(Checkpoints.sha256(end.dir().resolve(CheckpointStore.MASTER_WEIGHTS)))
                .isEqualTo(Checkpoints.sha256(reference.dir().resolve(CheckpointStore.MASTER_WEIGHTS)));
        List<String> ledger = new ArrayList<>();
        for (CheckpointStore.Checkpoint k : killed.list()) {
            ledger.addAll(k.state().appliedBatches());
        }
        assertThat(ledger).containsExactlyElementsOf(ids);
    }

    private static Process train(ConnectionConfig c, Path model, Path checkpoints, Path config, Long maxSteps, Path log)
            throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), Seedstream.class.getName(), "train"));
        cmd.addAll(CliRun.connectionFlags(c));
        cmd.addAll(List.of("--checkpoint-dir", checkpoints.toString(), "--config", config.toString()));
        if (model != null) {
            cmd.addAll(List.of("--model-dir", model.toString()));
        }
        if (maxSteps != null) {
            cmd.addAll(List.of("--max-steps", String.valueOf(maxSteps)));
        }
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    private static void produce(ConnectionConfig c, AvroSerdes serdes, int from, int to, List<String> ids)
            throws Exception {
        var values = serdes.value(Topics.TRAINING_BATCHES).serializer();
        String topic = c.topic(Topics.TRAINING_BATCHES);
        try (KafkaProducer<String, byte[]> p = new KafkaProducer<>(c.kafkaProperties(), new StringSerializer(),
                new ByteArraySerializer())) {
            for (int i = from; i < to; i++) {
                TrainingBatch b = TinyPolicyDir.batch("batch-" + i, 3, 0, 300 + i);
                p.send(new ProducerRecord<>(topic, b.getBatchId(), values.serialize(topic, b))).get();
                ids.add(b.getBatchId());
            }
        }
    }
}
