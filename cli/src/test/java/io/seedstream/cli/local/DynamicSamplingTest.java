package io.seedstream.cli.local;

import ai.djl.Device;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.seedstream.infra.harness.RealKafkaExtension;
import io.seedstream.infra.harness.TestCluster;
import io.seedstream.producers.dispatch.Dispatcher;
import io.seedstream.schemas.ConnectionConfig;
import io.seedstream.schemas.LogReading;
import io.seedstream.schemas.SharedKeys;
import io.seedstream.schemas.Topics;
import io.seedstream.schemas.avro.DispatchPosition;
import io.seedstream.schemas.avro.ScoredGroup;
import io.seedstream.schemas.avro.TrainingBatch;
import io.seedstream.schemas.serde.AvroSerdes;
import io.seedstream.streams.scoring.ScoringConfig;
import io.seedstream.streams.topology.ScoringService;
import io.seedstream.streams.topology.TopologySettings;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Dynamic sampling in async mode, the whole loop on the shipped task policy (which solves most
 * problems, so many groups have zero advantage): the topology drops those groups, the dispatcher
 * releases one more for each, and every training batch still holds B groups, all with a learning
 * signal, while the staleness gate rejects nothing.
 */
@ExtendWith(RealKafkaExtension.class)
class DynamicSamplingTest {

    private static final int B = 4;

    @Test
    void droppedGroupsAreReplacedSoEveryBatchHoldsBTrainableGroupsAndNothingGoesStale(TestCluster cluster,
            @TempDir Path tmp) throws Exception {
        ConnectionConfig c = cluster.isolatedConnection("dynamic");
        AvroSerdes serdes = cluster.serdes();
        TaskLoop.loadProblems(c, tmp, 80);
        Properties keys = TaskLoop.keys(c, tmp);
        keys.put(SharedKeys.FILTER_ZERO_ADVANTAGE, "true");
        keys.put(SharedKeys.STALENESS_BOUND, "1");

        AtomicLong version = new AtomicLong();
        AtomicLong rejectedStale = new AtomicLong();
        AtomicReference<Dispatcher.Status> dispatcher = new AtomicReference<>();
        Map<String, Long> topology;
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        try (ScoringService scoring = ScoringService.start(c, TopologySettings.from(keys), ScoringConfig.from(keys), meters)) {
            scoring.awaitRunning(Duration.ofMinutes(2));
            LocalLoop loop = LocalLoop.start(c, keys, 1, Device.cpu(), meters, (step, batch, r, m) -> {
                version.set(step);
                rejectedStale.set(m.rejectedStaleGroupsTotal());
            }, dispatcher::set);
            try {
                long deadline = System.nanoTime() + Duration.ofMinutes(6).toNanos();
                while (version.get() < 6 || scoring.metrics().snapshot().getOrDefault("filtered_groups", 0L) < 2) {
                    assertThat(loop.ended()).as("a stage stopped").isEmpty();
                    assertThat(System.nanoTime()).as("6 versions and 2 dropped groups (at v%d, %s)", version.get(),
                            scoring.metrics().snapshot()).isLessThan(deadline);
                    Thread.sleep(500);
                }
            } finally {
                loop.close();
            }
            topology = scoring.metrics().snapshot();
        }

        List<TrainingBatch> batches = new ArrayList<>();
        LogReading.readAll(c, c.topic(Topics.TRAINING_BATCHES), serdes.value(Topics.TRAINING_BATCHES).deserializer(),
                (offset, b) -> batches.add(b), null, s -> { });
        AtomicReference<DispatchPosition> position = new AtomicReference<>();
        LogReading.readAll(c, c.topic(Topics.DISPATCH_POSITIONS), serdes.value(Topics.DISPATCH_POSITIONS).deserializer(),
                (offset, p) -> position.set(p), null, s -> { });

        long filtered = topology.get("filtered_groups");
        assertThat(filtered).as("the warm start solves many problems: groups were dropped").isGreaterThanOrEqualTo(2);
        assertThat(batches).hasSizeGreaterThanOrEqualTo(6);
        for (TrainingBatch b : batches) {
            assertThat(b.getGroups()).as("batch %s", b.getBatchId()).hasSize(B);
            for (ScoredGroup g : b.getGroups()) {
                assertThat(g.getAdvantages()).as("a trainable group").anyMatch(a -> a != 0.0);
            }
        }
        assertThat(rejectedStale.get()).as("groups the staleness gate rejected").isZero();
        long batched = batches.size() * (long) B;
        // the dispatcher admitted one more group for each dropped one, on top of (eta + 1) x B past the consumed
        Dispatcher.Status last = dispatcher.get();
        System.out.printf("dynamic sampling: %d batches of %d trainable groups, %d groups scored, %d dropped; "
                + "dispatcher released %d (capacity %d, %d of it replacements); %d rejected as stale%n", batches.size(), B,
                topology.get("groups_scored"), filtered, last.released(), last.capacity(), last.replaced(),
                rejectedStale.get());
        assertThat(last.replaced()).isPositive().isLessThanOrEqualTo(filtered);
        assertThat(last.released()).isLessThanOrEqualTo(last.capacity());
        assertThat(last.capacity() - last.replaced()).as("admission without the replacements")
                .isLessThanOrEqualTo(batched + 2L * B);
        assertThat(position.get().getReleasedGroups()).isGreaterThanOrEqualTo(last.released());
        assertThat(last.reasons()).containsOnlyKeys("epoch");
        assertThat(topology.get("groups_scored")).as("scored: batched, dropped, and any in the open batch")
                .isGreaterThanOrEqualTo(batched + filtered);
    }
}
