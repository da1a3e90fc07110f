package io.seedstream.cli.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import io.seedstream.infra.harness.SampleRecords;
import io.seedstream.schemas.avro.AnswerGroup;
import io.seedstream.schemas.avro.ScoredGroup;
import io.seedstream.schemas.avro.TrainingBatch;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The stale-waste accounting of the staleness check, on batches built by hand (eta = 2, B = 2). */
class ChaosReconciliationTest {

    @Test
    void staleGroupsAreToldApartAsOvertakenOrLateAndShortBatchesAreCounted() {
        List<TrainingBatch> batches = List.of(
                batch("b0", 0, 0), // applied by the update that makes version 1
                batch("b1", 0, 0),
                batch("b2", 1), // short
                // 0 at version 3 is beyond eta = 2; b2, where it was within, took a group of version 1: overtaken
                batch("b3", 0, 1),
                // 1 at version 4 is beyond; every earlier batch held versions 0 and 1 only: late, not overtaken
                batch("b4", 1, 1),
                batch("b5", 2, 2)); // made no update
        Map<String, Long> appliedAt = Map.of("b0", 1L, "b1", 2L, "b2", 3L, "b3", 4L, "b4", 5L);
        ChaosReconciliation r = new ChaosReconciliation();
        r.staleness(batches, appliedAt, 2, 2, List.of(), "trainer-run");

        ChaosReconciliation.Check check = r.checks().get(0);
        assertThat(check.id()).isEqualTo("staleness-bound");
        assertThat(check.counts()).containsEntry("groups_within", 6L).containsEntry("groups_beyond_rejected", 3L)
                .containsEntry("groups_beyond_overtaken", 1L).containsEntry("groups_in_unapplied_batches", 2L)
                .containsEntry("short_batches", 1L);
        assertThat(check.found()).contains("stale waste 45.5% of the batched groups").contains("1 batches of fewer than 2");
        assertThat(check.ok()).as("no step report says which staleness the updates used").isFalse();
    }

    private static TrainingBatch batch(String id, long... versions) {
        List<ScoredGroup> groups = Arrays.stream(versions).mapToObj(v -> {
            ScoredGroup g = SampleRecords.scoredGroup();
            AnswerGroup rollout = AnswerGroup.newBuilder(g.getRollout()).setPolicyVersion(v).build();
            return ScoredGroup.newBuilder(g).setRollout(rollout).build();
        }).toList();
        return TrainingBatch.newBuilder().setBatchId(id).setGroups(groups).setNumTokens(5L * versions.length)
                .setMinPolicyVersion(Arrays.stream(versions).min().orElse(0))
                .setMaxPolicyVersion(Arrays.stream(versions).max().orElse(0)).setCreatedAt(Instant.EPOCH).build();
    }
}
