package io.seedstream.producers.dispatch;

import static io.seedstream.infra.harness.TestTopics.committedNow;
import static io.seedstream.infra.harness.TestTopics.prompts;
import static io.seedstream.infra.harness.TestTopics.send;
import static org.assertj.core.api.Assertions.assertThat;

import io.seedstream.infra.harness.RealKafkaExtension;
import io.seedstream.infra.harness.TestCluster;
import io.seedstream.schemas.ConnectionConfig;
import io.seedstream.schemas.Topics;
import io.seedstream.schemas.avro.EvalRequest;
import io.seedstream.schemas.avro.PolicyVersion;
import io.seedstream.schemas.avro.Prompt;
import io.seedstream.schemas.avro.RolloutRequest;
import io.seedstream.schemas.serde.AvroSerdes;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

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

            send(c, serdes, List.of(announce(c, 0), announce(c, 1)));
            assertThat(awaitCount(c, serdes, Topics.ROLLOUT_REQUESTS, (ETA + 1 + 1) * B)).hasSize((ETA + 2) * B);
            first.stop();
            assertThat(run.get().released()).isEqualTo((ETA + 2) * B);

            // a restarted dispatcher continues from its position in Kafka: nothing twice
            Dispatcher second = new Dispatcher(c, config, serdes, Clock.systemUTC());
            Future<Dispatcher.Status> again = pool.submit(() -> second.run(s -> { }));
            Thread.sleep(2000);
            assertThat(committedNow(c, serdes, Topics.ROLLOUT_REQUESTS)).hasSize((ETA + 2) * B);
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
                assertThat(e.getSeed()).isEqualTo(Dispatcher.sampleSeed(e.getPromptId())).isNotZero();
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

    private static ProducerRecord<String, Object> announce(ConnectionConfig c, long version) {
        PolicyVersion v = PolicyVersion.newBuilder().setRunId("seedstream").setVersion(version)
                .setCheckpointUri("file:///nowhere/step-" + version).setSha256("00").setTrainerStep(version)
                .setConsumedOffsets(List.of()).setCreatedAt(Instant.now()).build();
        return new ProducerRecord<>(c.topic(Topics.POLICY_VERSIONS), "seedstream", v);
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
