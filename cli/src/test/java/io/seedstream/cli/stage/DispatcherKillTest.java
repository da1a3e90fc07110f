package io.seedstream.cli.stage;

import io.seedstream.infra.harness.RealKafkaExtension;
import io.seedstream.infra.harness.TestCluster;
import io.seedstream.producers.dispatch.Dispatcher;
import io.seedstream.producers.dispatch.DispatcherConfig;
import io.seedstream.schemas.ConnectionConfig;
import io.seedstream.schemas.Topics;
import io.seedstream.schemas.avro.DispatchPosition;
import io.seedstream.schemas.avro.PromptState;
import io.seedstream.schemas.avro.RolloutRequest;
import io.seedstream.schemas.serde.AvroSerdes;
import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import static io.seedstream.infra.harness.TestTopics.announcement;
import static io.seedstream.infra.harness.TestTopics.committedNow;
import static io.seedstream.infra.harness.TestTopics.prompts;
import static io.seedstream.infra.harness.TestTopics.send;
import static io.seedstream.infra.harness.TestTopics.trainingBatches;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The real {@code seedstream dispatch --selection learnable} in its own JVM, killed with SIGKILL
 * while a trainer's announcements keep opening admission, then started again: the committed
 * requests are numbered without a gap or a repeat, every one is inside the pass-rate band, and they
 * are the releases an uninterrupted dispatcher makes from the same seed and the same states.
 */
@ExtendWith(RealKafkaExtension.class)
class DispatcherKillTest {

    private static final int B = 4;
    private static final int RELEASES = 48;

    @Test
    void aKilledDispatcherResumesWithoutARepeatOrAGapAndMakesTheUninterruptedReleases(TestCluster cluster,
            @TempDir Path tmp) throws Exception {
        Path config = tmp.resolve("dispatch.properties");
        Files.writeString(config, String.join("\n",
                DispatcherConfig.SELECTION + "=learnable",
                DispatcherConfig.EXPLORE_SOLVED + "=0",
                DispatcherConfig.EXPLORE_UNSOLVED + "=0",
                DispatcherConfig.EVAL_EVERY + "=0",
                DispatcherConfig.POLL_MS + "=50",
                DispatcherConfig.RELEASE_CHUNK + "=2",
                DispatcherConfig.SEED + "=5",
                DispatcherConfig.STALENESS + "=1",
                DispatcherConfig.BATCH_GROUPS + "=" + B, ""));

        ConnectionConfig c = cluster.isolatedConnection("dispatch-kill");
        AvroSerdes serdes = cluster.serdes();
        setUp(c, serdes);
        AtomicBoolean announcing = new AtomicBoolean(true);
        ExecutorService pool = Executors.newCachedThreadPool();
        Future<?> trainer = pool.submit(() -> {
            // a trainer that consumes a batch and announces a version every 200 ms
            for (long v = 0; announcing.get(); v++) {
                trainingBatches(c, v == 0 ? 0 : 1);
                send(c, serdes, List.of(announce(c, v)));
                Thread.sleep(200);
            }
            return null;
        });
        Process first = dispatch(c, config, tmp.resolve("first.log"));
        Process second = null;
        try {
            awaitReleased(c, serdes, 12, first, tmp.resolve("first.log"));
            first.destroyForcibly(); // SIGKILL: no abort, no final position
            assertThat(first.waitFor(30, TimeUnit.SECONDS)).isTrue();
            second = dispatch(c, config, tmp.resolve("second.log"));
            awaitReleased(c, serdes, RELEASES, second, tmp.resolve("second.log"));
        } finally {
            announcing.set(false);
            trainer.get();
            first.destroyForcibly();
            if (second != null) {
                second.destroyForcibly();
                second.waitFor(30, TimeUnit.SECONDS);
            }
        }
        Map<Long, RolloutRequest> killed = byNumber(committedNow(c, serdes, Topics.ROLLOUT_REQUESTS));
        long n = killed.size();
        assertThat(n).isGreaterThanOrEqualTo(RELEASES);
        assertThat(killed.keySet()).as("requests g0 .. g%d, each once", n - 1).containsExactlyElementsOf(
                java.util.stream.LongStream.range(0, n).boxed().toList());
        for (RolloutRequest r : killed.values()) {
            assertThat(r.getSelection().toString()).isEqualTo("learnable");
            assertThat(Integer.parseInt(r.getPromptId().toString().substring(1))).as("inside the band").isBetween(10, 19);
        }
        // the counts by reason are kept in the position: the second process went on from the first's
        List<DispatchPosition> positions = committedNow(c, serdes, Topics.DISPATCH_POSITIONS);
        DispatchPosition last = positions.get(positions.size() - 1);
        assertThat(last.getReleasedGroups()).isEqualTo(n);
        assertThat(last.getReleasedBySelection()).containsOnlyKeys("learnable").containsEntry("learnable", n);

        // the same seed and states in one uninterrupted run, in this JVM
        ConnectionConfig quiet = cluster.isolatedConnection("dispatch-quiet");
        setUp(quiet, serdes);
        trainingBatches(quiet, 100);
        List<ProducerRecord<String, Object>> versions = new ArrayList<>();
        for (long v = 0; v <= 100; v++) {
            versions.add(announce(quiet, v));
        }
        send(quiet, serdes, versions);
        Dispatcher d = new Dispatcher(quiet, DispatcherConfig.from(load(config)), serdes, Clock.systemUTC());
        Future<Dispatcher.Status> run = pool.submit(() -> d.run(s -> { }));
        awaitReleased(quiet, serdes, (int) n, null, null);
        d.stop();
        run.get();
        pool.shutdown();
        Map<Long, RolloutRequest> uninterrupted = byNumber(committedNow(quiet, serdes, Topics.ROLLOUT_REQUESTS));
        for (long i = 0; i < n; i++) {
            assertThat(killed.get(i).getPromptId()).as("release %d", i).isEqualTo(uninterrupted.get(i).getPromptId());
        }
    }

    /** 20 prompts, all scored: p0-p4 always solved, p5-p9 never, p10-p19 inside the band. */
    private static void setUp(ConnectionConfig c, AvroSerdes serdes) throws Exception {
        send(c, serdes, prompts(c, 20));
        List<ProducerRecord<String, Object>> states = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            double rate = i < 5 ? 1.0 : i < 10 ? 0.0 : 0.2 + 0.06 * (i - 10);
            PromptState s = PromptState.newBuilder().setPromptId("p" + i).setVisits(3).setRecentVisits(3)
                    .setRecentPassRate(rate).setPassRateEwma(rate).setLastSemanticEntropy(0.5)
                    .setRecentSemanticEntropy(0.5).setLastClusters(2).setLastPolicyVersion(0)
                    .setUpdatedAt(Instant.EPOCH).build();
            states.add(new ProducerRecord<>(c.topic(Topics.PROMPT_STATES), s.getPromptId(), s));
        }
        send(c, serdes, states);
    }

    private static Process dispatch(ConnectionConfig c, Path config, Path log) throws IOException {
        return new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "io.seedstream.cli.Seedstream", "dispatch",
                "--bootstrap-servers", c.bootstrapServers(), "--registry-url", c.registryUrl(),
                "--topic-prefix", c.topicPrefix(), "--config", config.toString())
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    private static void awaitReleased(ConnectionConfig c, AvroSerdes serdes, int n, Process child, Path log)
            throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        while (committedNow(c, serdes, Topics.ROLLOUT_REQUESTS).size() < n) {
            if (child != null && !child.isAlive()) {
                throw new AssertionError("the dispatcher ended (exit " + child.exitValue() + "); its log:\n"
                        + Files.readString(log));
            }
            assertThat(System.nanoTime()).as("%d requests released", n).isLessThan(deadline);
            Thread.sleep(100);
        }
    }

    private static Map<Long, RolloutRequest> byNumber(List<RolloutRequest> requests) {
        Map<Long, RolloutRequest> out = new TreeMap<>();
        for (RolloutRequest r : requests) {
            String id = r.getRequestId().toString();
            RolloutRequest before = out.put(Long.parseLong(id.substring(id.lastIndexOf('g') + 1)), r);
            assertThat(before).as("request %s released twice", id).isNull();
        }
        return out;
    }

    /** A version as a trainer announces it: it consumed {@code version} batches, one per version. */
    private static ProducerRecord<String, Object> announce(ConnectionConfig c, long version) {
        return announcement(c, version, version, "file:///nowhere/step-" + version, null);
    }

    private static Map<String, Object> load(Path file) throws IOException {
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(file)) {
            p.load(r);
        }
        Map<String, Object> out = new HashMap<>();
        p.forEach((k, v) -> out.put((String) k, v));
        return out;
    }
}
