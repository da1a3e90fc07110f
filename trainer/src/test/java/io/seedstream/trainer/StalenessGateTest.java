package io.seedstream.trainer;

import static org.assertj.core.api.Assertions.assertThat;

import io.seedstream.schemas.avro.ScoredGroup;
import io.seedstream.schemas.avro.TrainingBatch;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class StalenessGateTest {

    @Test
    void admitsUpToEtaVersionsBackAndCountsTheRest() {
        StalenessGate gate = new StalenessGate(2);
        assertThat(gate.admit(5, 5)).isTrue();
        assertThat(gate.admit(3, 5)).isTrue();
        assertThat(gate.admit(2, 5)).isFalse();
        assertThat(gate.admit(6, 5)).isFalse();
        assertThat(gate.histogram()).containsExactly(1, 0, 1);
        assertThat(gate.rejectedStale()).isEqualTo(1);
        assertThat(gate.rejectedAhead()).isEqualTo(1);
    }

    @Test
    void etaZeroIsOnPolicy() {
        StalenessGate gate = new StalenessGate(0);
        assertThat(gate.admit(4, 4)).isTrue();
        assertThat(gate.admit(3, 4)).isFalse();
    }

    @Test
    void aBatchLosesOnlyItsStaleGroupsAndAnInvalidGroupIsReported() {
        TrainingBatch fresh = TinyPolicyDir.batch("b", 2, 7, 1);
        TrainingBatch stale = TinyPolicyDir.batch("s", 1, 3, 2);
        List<ScoredGroup> groups = new ArrayList<>(fresh.getGroups());
        groups.addAll(stale.getGroups());
        ScoredGroup broken = ScoredGroup.newBuilder(fresh.getGroups().get(0)).build();
        broken.setScaledAdvantages(List.of(1.0)); // 4 answers, 1 advantage
        groups.add(broken);
        ScoredGroup outOfVocabulary = ScoredGroup.newBuilder(fresh.getGroups().get(0)).build();
        outOfVocabulary.setRollout(io.seedstream.schemas.avro.AnswerGroup.newBuilder(outOfVocabulary.getRollout())
                .setPromptTokenIds(io.seedstream.schemas.TokenArrays.ofInts(new int[] {1, TinyPolicyDir.VOCAB})).build());
        groups.add(outOfVocabulary);
        TrainingBatch mixed = TrainingBatch.newBuilder(fresh).setGroups(groups).build();
        StalenessGate gate = new StalenessGate(1);
        BatchSamples.Selection sel = BatchSamples.select(mixed, 8, gate, TinyPolicyDir.VOCAB);
        assertThat(sel.usedGroups()).hasSize(2);
        assertThat(sel.samples()).hasSize(8);
        assertThat(sel.invalid()).hasSize(2);
        assertThat(sel.invalid().get(0)).contains("4 answers but 1 advantages");
        assertThat(sel.invalid().get(1)).contains("token id " + TinyPolicyDir.VOCAB + ", outside the vocabulary");
        assertThat(gate.rejectedStale()).isEqualTo(1);
        assertThat(sel.samples().get(0).scaledAdvantage()).isEqualTo(0.5); // the scorer's value, as it came
    }

    @Test
    void anInvalidGroupIsReportedEvenWhenItIsAlsoStale() {
        ScoredGroup stale = TinyPolicyDir.batch("s", 1, 3, 2).getGroups().get(0);
        ScoredGroup badAndStale = ScoredGroup.newBuilder(stale).build();
        badAndStale.setRollout(io.seedstream.schemas.avro.AnswerGroup.newBuilder(stale.getRollout())
                .setPromptTokenIds(io.seedstream.schemas.TokenArrays.ofInts(new int[] {-1})).build());
        TrainingBatch batch = TrainingBatch.newBuilder(TinyPolicyDir.batch("s", 1, 3, 2))
                .setGroups(List.of(stale, badAndStale)).build();
        StalenessGate gate = new StalenessGate(1);
        BatchSamples.Selection sel = BatchSamples.select(batch, 8, gate, TinyPolicyDir.VOCAB);
        assertThat(sel.usedGroups()).isEmpty();
        assertThat(sel.invalid()).singleElement().asString().contains("token id -1");
        assertThat(gate.rejectedStale()).as("only the valid group is counted as stale").isEqualTo(1);
    }
}
