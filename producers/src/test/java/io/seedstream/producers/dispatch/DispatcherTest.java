package io.seedstream.producers.dispatch;

import static io.seedstream.infra.harness.TestTopics.announcement;
import static io.seedstream.infra.harness.TestTopics.committedNow;
import static io.seedstream.infra.harness.TestTopics.prompts;
import static io.seedstream.infra.harness.TestTopics.send;
import static io.seedstream.infra.harness.TestTopics.trainingBatches;
import static org.assertj.core.api.Assertions.assertThat;

import io.seedstream.infra.harness.RealKafkaExtension;
import io.seedstream.infra.harness.TestCluster;
import io.seedstream.schemas.ConnectionConfig;
import io.seedstream.schemas.RecordSeeds;
import io.seedstream.schemas.Topics;
import io.seedstream.schemas.avro.DeadLetter;
import io.seedstream.schemas.avro.EvalRequest;
import io.seedstream.schemas.avro.Prompt;
import io.seedstream.schemas.avro.RolloutRequest;
import io.seedstream.schemas.serde.AvroSerdes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

@ExtendWith(RealKafkaExtension.class)
class DispatcherTest {

    private static final int ETA = 1;
    private static final int B = 4;

    @Test
    void admissionHoldsWhileTheTrainerStallsAndReleasingResumesWithANewVersionAcrossARestart(TestCluster cluster)
            throws Exception {
        ConnectionConfig c = cluster.isolatedConnection("dispatch");
        AvroSerdes serdes = cluster.serdes();
        send(c, serdes, prompts(c, 10));
        Map<String, Object> props = new HashMap<>();
        props.put(DispatcherConfig.STALENESS, ETA);
        props.put(DispatcherConfig.BATCH_GROUPS, B);
        props.put(DispatcherConfig.GROUP_SIZE, 2);
        props.put(DispatcherConfig.EVAL_EVERY, 2);
        props.put(DispatcherConfig.HELD_OUT_SIZE, 5);
        props.put(DispatcherConfig.EVAL_SAMPLES, 3);
        props.put(DispatcherConfig.EVAL_SAMPLES_EVERY, 2);
        props.put(DispatcherConfig.POLL_MS, 100L);
        DispatcherConfig config = DispatcherConfig.from(props);
        ExecutorService pool = Executors.newCachedThreadPool();
        try {
            // no trainer: no version is ever announced
            Dispatcher first = new Dispatcher(c, config, serdes, Clock.systemUTC());
            Future<Dispatcher.Status> run = pool.submit(() -> first.run(s -> { }));
            assertThat(awaitCount(c, serdes, Topics.ROLLOUT_REQUESTS, (ETA + 1) * B)).hasSize((ETA + 1) * B);
            Thread.sleep(2000);
            assertThat(committedNow(c, serdes, Topics.ROLLOUT_REQUESTS)).as("no more than (eta + 1) x B while stalled")
                    .hasSize((ETA + 1) * B);
            assertThat(committedNow(c, serdes, Topics.EVAL_REQUESTS)).as("no evaluation before a version exists").isEmpty();

            batches(c, 1);
            send(c, serdes, List.of(announce(c, 0), announce(c, 1)));
            assertThat(awaitCount(c, serdes, Topics.ROLLOUT_REQUESTS, (ETA + 1 + 1) * B)).hasSize((ETA + 2) * B);
            first.stop();
            assertThat(run.get().released()).isEqualTo((ETA + 2) * B);

            // a restarted dispatcher continues from its position in Kafka: nothing twice
            Dispatcher second = new Dispatcher(c, config, serdes, Clock.systemUTC());
            Future<Dispatcher.Status> again = pool.submit(() -> second.run(s -> { }));
            Thread.sleep(2000);
            assertThat(committedNow(c, serdes, Topics.ROLLOUT_REQUESTS)).hasSize((ETA + 2) * B);
            batches(c, 2);
            send(c, serdes, List.of(announce(c, 2), announce(c, 3)));
            List<RolloutRequest> all = awaitCount(c, serdes, Topics.ROLLOUT_REQUESTS, (ETA + 3 + 1) * B);
            second.stop();
            again.get();
            assertThat(all).hasSize((ETA + 4) * B);
            Set<String> ids = new HashSet<>();
            all.forEach(r -> ids.add(r.getRequestId()));
            assertThat(ids).hasSize(all.size());
            for (RolloutRequest r : all) {
                long n = Long.parseLong(r.getRequestId().substring(r.getRequestId().lastIndexOf('g') + 1));
                assertThat(r.getMinPolicyVersion()).isEqualTo(Math.max(0, n / B - ETA));
                assertThat(r.getGroupSize()).isEqualTo(2);
            }
            // 20 groups over 10 prompts: two whole epochs, each prompt once per epoch
            Map<String, Integer> perPrompt = new HashMap<>();
            all.forEach(r -> perPrompt.merge(r.getPromptId(), 1, Integer::sum));
            assertThat(perPrompt).hasSize(10).allSatisfy((k, v) -> assertThat(v).isEqualTo(2));
            // evaluation every 2 versions from the first: versions 0 and 2, on the built-in held-out set; the first
            // round (every second one) also asks for 3 samples per problem, with a problem's own seed
            List<EvalRequest> evals = committedNow(c, serdes, Topics.EVAL_REQUESTS);
            assertThat(evals).hasSize(15);
            List<EvalRequest> sampled = evals.stream().filter(e -> e.getSamples() > 0).toList();
            assertThat(sampled).hasSize(5).allSatisfy(e -> {
                assertThat(e.getPolicyVersion()).isZero();
                assertThat(e.getSamples()).isEqualTo(3);
                assertThat(e.getTemperature()).isEqualTo(1.0f);
                // within 2^53, so that JavaScript's Avro readers decode the record
                assertThat(e.getSeed()).isEqualTo(Dispatcher.sampleSeed(e.getPromptId())).isBetween(1L, RecordSeeds.MAX);
            });
            assertThat(evals.stream().filter(e -> e.getSamples() == 0).map(EvalRequest::getPromptId).sorted().toList())
                    .as("every problem answered greedily at both versions").hasSize(10);
            assertThat(evals.stream().map(EvalRequest::getPolicyVersion).distinct().sorted().toList())
                    .containsExactly(0L, 2L);
            assertThat(evals).allSatisfy(e -> assertThat(e.getBenchmark()).isEqualTo("task-heldout"));
            List<Prompt> stored = committedNow(c, serdes, Topics.PROMPTS);
            Set<String> heldOut = new HashSet<>();
            stored.stream().filter(p -> p.getDataset().equals("task-heldout")).forEach(p -> heldOut.add(p.getId()));
            assertThat(heldOut).hasSize(5);
            assertThat(evals).allSatisfy(e -> assertThat(heldOut).contains(e.getPromptId()));
            assertThat(perPrompt.keySet()).as("held-out prompts are never trained on").doesNotContainAnyElementsOf(heldOut);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aForgedAnnouncementAdmitsNothingAndIsDeadLettered(TestCluster cluster, @TempDir Path store) throws Exception {
        ConnectionConfig c = cluster.isolatedConnection("dispatch-forged");
        AvroSerdes serdes = cluster.serdes();
        send(c, serdes, prompts(c, 10));
        Map<String, Object> props = new HashMap<>();
        props.put(DispatcherConfig.STALENESS, ETA);
        props.put(DispatcherConfig.BATCH_GROUPS, B);
        props.put(DispatcherConfig.EVAL_EVERY, 0);
        props.put(DispatcherConfig.POLL_MS, 100L);
        DispatcherConfig config = DispatcherConfig.from(props);
        ExecutorService pool = Executors.newCachedThreadPool();
        try {
            Dispatcher d = new Dispatcher(c, config, serdes, Clock.systemUTC());
            Future<Dispatcher.Status> run = pool.submit(() -> d.run(s -> { }));
            assertThat(awaitCount(c, serdes, Topics.ROLLOUT_REQUESTS, (ETA + 1) * B)).hasSize((ETA + 1) * B);
            batches(c, 1); // one real batch: a version 1 could exist
            Files.createDirectories(store.resolve("step-0000000001"));
            send(c, serdes, List.of(
                    // version 10^12, claiming offsets the log does not have
                    announce(c, 1_000_000_000_000L, 1_000_000_000_000L, "file:///nowhere/step-x"),
                    // more versions than batches it says it consumed
                    announce(c, 5, 1, "file:///nowhere/step-5"),
                    // a checkpoint the store (on this machine) does not hold
                    announce(c, 1, 1, store.resolve("step-0000000002").toUri().toString())));
            List<DeadLetter> refused = awaitDead(c, serdes, 3);
            assertThat(refused).hasSize(3).allSatisfy(dl -> {
                assertThat(dl.getStage()).isEqualTo("dispatcher-validate");
                assertThat(dl.getSourceTopic()).isEqualTo(c.topic(Topics.POLICY_VERSIONS));
            });
            assertThat(refused).extracting(DeadLetter::getError).anySatisfy(e -> assertThat(e).contains("ends at 1"))
                    .anySatisfy(e -> assertThat(e).contains("every version applies at least one batch"))
                    .anySatisfy(e -> assertThat(e).contains("is not in the checkpoint store"));
            Thread.sleep(1500);
            assertThat(committedNow(c, serdes, Topics.ROLLOUT_REQUESTS)).as("nothing admitted for a refused one")
                    .hasSize((ETA + 1) * B);

            // the real version 1, its checkpoint in the store: admission moves on by B
            send(c, serdes, List.of(announce(c, 1, 1, store.resolve("step-0000000001").toUri().toString())));
            assertThat(awaitCount(c, serdes, Topics.ROLLOUT_REQUESTS, (ETA + 2) * B)).hasSize((ETA + 2) * B);
            d.stop();
            assertThat(run.get().newestVersion()).isEqualTo(1);
        } finally {
            pool.shutdownNow();
        }
    }

    /**
     * A version made from a short batch (a stage was down and the topology closed the batch on its
     * linger) consumed fewer than B groups: admission grows by what was consumed, not by B.
     */
    @Test
    void admissionCountsTheGroupsTheTrainerConsumed(TestCluster cluster) throws Exception {
        ConnectionConfig c = cluster.isolatedConnection("dispatch-groups");
        AvroSerdes serdes = cluster.serdes();
        send(c, serdes, prompts(c, 10));
        Map<String, Object> props = new HashMap<>();
        props.put(DispatcherConfig.STALENESS, ETA);
        props.put(DispatcherConfig.BATCH_GROUPS, B);
        props.put(DispatcherConfig.EVAL_EVERY, 0);
        props.put(DispatcherConfig.POLL_MS, 100L);
        DispatcherConfig config = DispatcherConfig.from(props);
        ExecutorService pool = Executors.newCachedThreadPool();
        try {
            Dispatcher d = new Dispatcher(c, config, serdes, Clock.systemUTC());
            Future<Dispatcher.Status> run = pool.submit(() -> d.run(s -> { }));
            assertThat(awaitCount(c, serdes, Topics.ROLLOUT_REQUESTS, (ETA + 1) * B)).hasSize((ETA + 1) * B);
            batches(c, 2);
            // version 1 from a batch of 1 group: 1 + (eta + 1) x B in all, where AReaL's rule would allow (eta + 2) x B
            send(c, serdes, List.of(announce(c, 0, 0, 0L), announce(c, 1, 1, 1L)));
            assertThat(awaitCount(c, serdes, Topics.ROLLOUT_REQUESTS, 1 + (ETA + 1) * B)).hasSize(1 + (ETA + 1) * B);
            Thread.sleep(1500);
            assertThat(committedNow(c, serdes, Topics.ROLLOUT_REQUESTS)).hasSize(1 + (ETA + 1) * B);
            // a claim of more groups than its consumed batches can hold is refused: it would flood admission
            send(c, serdes, List.of(announce(c, 2, 2, 1_000L)));
            assertThat(awaitDead(c, serdes, 1)).singleElement().satisfies(dl -> assertThat(dl.getError())
                    .contains("a batch holds at most " + B));
            // version 2 after a full batch: B more
            send(c, serdes, List.of(announce(c, 2, 2, 1L + B)));
            assertThat(awaitCount(c, serdes, Topics.ROLLOUT_REQUESTS, 1 + (ETA + 2) * B)).hasSize(1 + (ETA + 2) * B);
            d.stop();
            assertThat(run.get().capacity()).isEqualTo(1 + (ETA + 2) * B);
        } finally {
            pool.shutdownNow();
        }
    }

    /** An announcement as the trainer makes it: version v has consumed v batches (offsets 0 .. v - 1). */
    /**
     * Under learnable, on a broker: prompts the topology has not scored come first and every other
     * release is inside the band (exploration off); a state record that does not decode and one that
     * cannot be true are dead letters and selection goes on; a second run from the same seed and the
     * same states releases the same prompts for the same reasons.
     */
    @Test
    void learnableReleasesInsideTheBandDeadLettersBadStatesAndReplaysFromTheSameSeedAndState(TestCluster cluster)
            throws Exception {
        List<List<String>> runs = new ArrayList<>();
        for (String name : List.of("learnable-a", "learnable-b")) {
            ConnectionConfig c = cluster.isolatedConnection(name);
            AvroSerdes serdes = cluster.serdes();
            send(c, serdes, prompts(c, 10));
            Map<String, Double> passRates = Map.of("p2", 1.0, "p3", 1.0, "p4", 0.0, "p5", 0.0, "p6", 0.5, "p7", 0.25,
                    "p8", 0.75, "p9", 0.4);
            List<ProducerRecord<String, Object>> states = new ArrayList<>();
            passRates.forEach((id, rate) -> states.add(new ProducerRecord<>(c.topic(Topics.PROMPT_STATES), id,
                    PromptSelectorTest.state(id, rate, 0.5, 0))));
            // p1 is unseen: its only record says a pass rate of 1.7
            states.add(new ProducerRecord<>(c.topic(Topics.PROMPT_STATES), "p1", PromptSelectorTest.state("p1", 1.7, 0.5, 0)));
            send(c, serdes, states);
            try (KafkaProducer<String, byte[]> raw = new KafkaProducer<>(c.producerProperties("test-raw-states"),
                    new StringSerializer(), new ByteArraySerializer())) {
                raw.send(new ProducerRecord<>(c.topic(Topics.PROMPT_STATES), "p0", new byte[] {0, 0, 0, 0, 42, 1})).get();
            }
            Map<String, Object> props = new HashMap<>();
            props.put(DispatcherConfig.STALENESS, ETA);
            props.put(DispatcherConfig.BATCH_GROUPS, B);
            props.put(DispatcherConfig.EVAL_EVERY, 0);
            props.put(DispatcherConfig.POLL_MS, 100L);
            props.put(DispatcherConfig.SEED, 17L);
            props.put(DispatcherConfig.SELECTION, "learnable");
            props.put(DispatcherConfig.EXPLORE_SOLVED, 0.0);
            props.put(DispatcherConfig.EXPLORE_UNSOLVED, 0.0);
            batches(c, 8);
            List<ProducerRecord<String, Object>> announcements = new ArrayList<>();
            for (long v = 0; v <= 8; v++) {
                announcements.add(announce(c, v));
            }
            send(c, serdes, announcements);
            Dispatcher d = new Dispatcher(c, DispatcherConfig.from(props), serdes, Clock.systemUTC());
            ExecutorService pool = Executors.newSingleThreadExecutor();
            Future<Dispatcher.Status> run = pool.submit(() -> d.run(st -> { }));
            List<RolloutRequest> all = awaitCount(c, serdes, Topics.ROLLOUT_REQUESTS, 10 * B);
            List<DeadLetter> dead = awaitDead(c, serdes, 2);
            d.stop();
            Dispatcher.Status last = run.get();
            pool.shutdown();

            assertThat(all).hasSize(10 * B);
            for (RolloutRequest r : all) {
                if (r.getSelection().toString().equals("unseen")) {
                    assertThat(r.getPromptId().toString()).isIn("p0", "p1");
                } else {
                    assertThat(r.getSelection().toString()).isEqualTo("learnable");
                    assertThat(passRates.get(r.getPromptId().toString())).as(r.getPromptId().toString()).isBetween(0.1, 0.9);
                }
            }
            assertThat(all).extracting(r -> r.getPromptId().toString()).contains("p0", "p1", "p6", "p7", "p8", "p9");
            assertThat(dead).extracting(DeadLetter::getStage).containsOnly("dispatcher-decode");
            assertThat(dead).extracting(x -> x.getError().toString()).anyMatch(x -> x.contains("prompt state")
                    && x.contains("recent_pass_rate 1.7"));
            assertThat(last.reasons()).containsOnlyKeys("unseen", "learnable");
            List<RolloutRequest> ordered = new ArrayList<>(all);
            ordered.sort(java.util.Comparator.comparingLong(r -> number(r.getRequestId().toString())));
            runs.add(ordered.stream().map(r -> r.getRequestId() + " " + r.getPromptId() + " " + r.getSelection()).toList());
        }
        assertThat(runs.get(1)).as("the same seed and states, the same releases").isEqualTo(runs.get(0));
    }

    private static long number(String requestId) {
        return Long.parseLong(requestId.substring(requestId.lastIndexOf('g') + 1));
    }

    private static ProducerRecord<String, Object> announce(ConnectionConfig c, long version) {
        return announce(c, version, version, "file:///nowhere/step-" + version);
    }

    private static ProducerRecord<String, Object> announce(ConnectionConfig c, long version, long consumed, String uri) {
        return announce(c, version, consumed, uri, null);
    }

    /** With the groups the trainer says it consumed. */
    private static ProducerRecord<String, Object> announce(ConnectionConfig c, long version, long consumed, Long groups) {
        return announce(c, version, consumed, "file:///nowhere/step-" + version, groups);
    }

    private static ProducerRecord<String, Object> announce(ConnectionConfig c, long version, long consumed, String uri,
            Long groups) {
        return announcement(c, version, consumed, uri, groups);
    }

    private static void batches(ConnectionConfig c, int n) throws Exception {
        trainingBatches(c, n);
    }

    private static List<DeadLetter> awaitDead(ConnectionConfig c, AvroSerdes serdes, int n) throws InterruptedException {
        return awaitCount(c, serdes, Topics.DEAD_LETTERS, n);
    }

    private static <V extends SpecificRecord> List<V> awaitCount(ConnectionConfig c, AvroSerdes serdes,
            io.seedstream.schemas.Topic<String, V> topic, int n) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        List<V> got = committedNow(c, serdes, topic);
        while (got.size() < n && System.nanoTime() < deadline) {
            Thread.sleep(200);
            got = committedNow(c, serdes, topic);
        }
        return got;
    }
}
