package io.seedstream.cli.stage;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import io.seedstream.infra.harness.RealKafkaExtension;
import io.seedstream.infra.harness.TestCluster;
import io.seedstream.model.Checkpoints;
import io.seedstream.model.Weights;
import io.seedstream.producers.generator.GeneratorConfig;
import io.seedstream.producers.generator.RolloutGenerator;
import io.seedstream.producers.task.TaskPolicy;
import io.seedstream.schemas.ConnectionConfig;
import io.seedstream.schemas.Topics;
import io.seedstream.schemas.avro.AnswerGroup;
import io.seedstream.schemas.avro.DeadLetter;
import io.seedstream.schemas.avro.RolloutRequest;
import io.seedstream.schemas.avro.SamplingParams;
import io.seedstream.schemas.serde.AvroSerdes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.TransactionDescription;
import org.apache.kafka.clients.admin.TransactionState;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import static io.seedstream.infra.harness.TestTopics.await;
import static io.seedstream.infra.harness.TestTopics.prompts;
import static io.seedstream.infra.harness.TestTopics.send;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A generator in its own JVM (the real {@code seedstream generate}) is killed with SIGKILL while
 * its transaction is open; the generator in this JVM takes its partitions over and every request
 * is answered exactly once, while the dead one's transaction is aborted.
 */
@ExtendWith(RealKafkaExtension.class)
class GeneratorKillTest {

    private static final int REQUESTS = 200;

    @Test
    void aGeneratorKilledMidBatchLosesNothingAndCountsNothingTwice(TestCluster cluster, @TempDir Path tmp)
            throws Exception {
        ConnectionConfig c = cluster.isolatedConnection("kill");
        AvroSerdes serdes = cluster.serdes();
        Path model = tmp.resolve("policy");
        try (NDManager m = NDManager.newBaseManager(); Weights w = Weights.random(TaskPolicy.CONFIG, 5, m)) {
            Checkpoints.save(model, TaskPolicy.CONFIG, w, TaskPolicy.tokenizerJson());
        }
        String group = c.topicPrefix() + "generators";
        Path config = tmp.resolve("generator.properties");
        Files.writeString(config, String.join("\n",
                GeneratorConfig.GROUP_ID + "=" + group,
                GeneratorConfig.SESSION_TIMEOUT_MS + "=6000",
                GeneratorConfig.TRANSACTION_TIMEOUT_MS + "=5000",
                GeneratorConfig.MAX_BATCH_SEQUENCES + "=32",
                GeneratorConfig.START_WAIT_MS + "=5000", ""));
        send(c, serdes, prompts(c, 20));

        Path log = tmp.resolve("killme.log");
        Process child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "io.seedstream.cli.Seedstream", "generate",
                "--bootstrap-servers", c.bootstrapServers(), "--registry-url", c.registryUrl(),
                "--topic-prefix", c.topicPrefix(), "--model-dir", model.toString(), "--generator-id", "killme",
                "--config", config.toString())
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try (Admin admin = cluster.admin()) {
            awaitMembers(admin, group, 1, child, log);
            Map<String, Object> props = new HashMap<>();
            props.put(GeneratorConfig.ID, "survivor");
            props.put(GeneratorConfig.GROUP_ID, group);
            props.put(GeneratorConfig.MODEL_DIR, model.toString());
            props.put(GeneratorConfig.MAX_BATCH_SEQUENCES, 32);
            props.put(GeneratorConfig.SESSION_TIMEOUT_MS, 6000L);
            RolloutGenerator survivor = new RolloutGenerator(c, GeneratorConfig.from(props), serdes, Device.cpu(),
                    Clock.systemUTC());
            Future<RolloutGenerator.Summary> running = pool.submit(survivor::run);
            awaitMembers(admin, group, 2, child, log);

            // one request in five cannot be answered (G = 1): its dead letter opens the batch's transaction,
            // so a batch holding one keeps a transaction open while it samples
            List<ProducerRecord<String, Object>> requests = new ArrayList<>();
            int valid = 0;
            for (int i = 0; i < REQUESTS; i++) {
                boolean bad = i % 5 == 4;
                valid += bad ? 0 : 1;
                RolloutRequest r = RolloutRequest.newBuilder().setRequestId("r" + i).setPromptId("p" + (i % 20))
                        .setGroupSize(bad ? 1 : 4).setSampling(SamplingParams.newBuilder().setTemperature(1.0)
                                .setTopP(1.0).setTopK(0).setMaxNewTokens(48).setSeed(null).build())
                        .setMinPolicyVersion(0).setCreatedAt(Instant.now()).build();
                requests.add(new ProducerRecord<>(c.topic(Topics.ROLLOUT_REQUESTS), r.getPromptId(), r));
            }
            send(c, serdes, requests);

            String txn = "seedstream-generator-killme";
            long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
            // kill it in a transaction after it has committed one: both generators then hold answers in the log
            // (on a loaded machine its first batch can take long enough for the survivor to answer everything else)
            boolean committedOne = false;
            TransactionState now = state(admin, txn);
            while (!(committedOne && now == TransactionState.ONGOING)) {
                assertThat(System.nanoTime()).as("the child generator committed a transaction and opened another")
                        .isLessThan(deadline);
                if (!child.isAlive()) {
                    throw new AssertionError("the child generator ended (exit " + child.exitValue() + "); its log:\n"
                            + Files.readString(log));
                }
                Thread.sleep(5);
                now = state(admin, txn);
                committedOne |= now == TransactionState.COMPLETE_COMMIT;
            }
            child.destroyForcibly(); // SIGKILL: no abort, no leave-group, no flush
            assertThat(child.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)).isTrue();

            List<AnswerGroup> committed = awaitRecords(c, serdes, Topics.ROLLOUTS, "read_committed", valid);
            Map<String, Integer> perRequest = new HashMap<>();
            committed.forEach(g -> perRequest.merge(g.getRequestId(), 1, Integer::sum));
            assertThat(perRequest).hasSize(valid);
            assertThat(perRequest.values()).as("every request answered exactly once").allMatch(n -> n == 1);
            List<DeadLetter> dead = awaitRecords(c, serdes, Topics.DEAD_LETTERS, "read_committed", REQUESTS - valid);
            assertThat(dead).hasSize(REQUESTS - valid);
            assertThat(committed).anyMatch(g -> g.getGeneratorId().equals("killme"))
                    .anyMatch(g -> g.getGeneratorId().equals("survivor"));

            long until = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            TransactionState end = state(admin, txn);
            while (end != TransactionState.COMPLETE_ABORT && System.nanoTime() < until) {
                Thread.sleep(200);
                end = state(admin, txn);
            }
            assertThat(end).as("the dead generator's open transaction is aborted").isEqualTo(TransactionState.COMPLETE_ABORT);
            List<AnswerGroup> everything = awaitRecords(c, serdes, Topics.ROLLOUTS, "read_uncommitted", valid);
            assertThat(everything.size()).as("records of the aborted transaction are in the log, never read as committed")
                    .isGreaterThanOrEqualTo(committed.size());
            survivor.stop();
            running.get();
        } finally {
            child.destroyForcibly();
            pool.shutdownNow();
        }
    }

    static TransactionState state(Admin admin, String txn) throws Exception {
        try {
            Map<String, TransactionDescription> d = admin.describeTransactions(List.of(txn)).all().get();
            return d.get(txn).state();
        } catch (java.util.concurrent.ExecutionException e) {
            return TransactionState.UNKNOWN; // not known to the coordinator yet
        }
    }

    static void awaitMembers(Admin admin, String group, int n, Process child, Path log) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        while (true) {
            int members;
            try {
                members = admin.describeConsumerGroups(List.of(group)).all().get().get(group).members().size();
            } catch (java.util.concurrent.ExecutionException e) {
                members = 0;
            }
            if (members >= n) {
                return;
            }
            assertThat(child.isAlive()).as("child generator alive, see %s:%n%s", log,
                    Files.exists(log) ? Files.readString(log) : "").isTrue();
            assertThat(System.nanoTime()).as("%d members in %s", n, group).isLessThan(deadline);
            Thread.sleep(200);
        }
    }

    /** The values of the topic, once it has at least {@code n} and 3 s passed without a new one (2 minutes at most). */
    private static <V extends SpecificRecord> List<V> awaitRecords(ConnectionConfig c, AvroSerdes serdes,
            io.seedstream.schemas.Topic<String, V> topic, String isolation, int n) {
        return await(c, serdes, topic, isolation, n, Duration.ofSeconds(120), Duration.ofSeconds(3)).stream()
                .map(org.apache.kafka.clients.consumer.ConsumerRecord::value).toList();
    }
}
