package io.seedstream.trainer;


import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.seedstream.schemas.avro.MetricsSnapshot;
import org.junit.jupiter.api.Test;
import static org.assertj.core.api.Assertions.assertThat;

class TrainerMetricsTest {

    @Test
    void aStepBecomesASnapshotAndMeters() throws Exception {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        TrainerMetrics metrics = new TrainerMetrics("run-a", registry);
        StalenessGate gate = new StalenessGate(1);
        gate.admit(4, 4);
        gate.admit(3, 4);
        gate.admit(1, 4);
        StepResult r = new StepResult(-0.25, 0.8, 1.0, 1e-5, 8, 400, 0.05, 0.01, 0.0, 1, 0.5);
        var groups = TinyPolicyDir.batch("b", 2, 4, 1).getGroups();
        MetricsSnapshot s = metrics.step(5, r, groups, 0.5, gate, 0);
        assertThat(s.getStep()).isEqualTo(5);
        assertThat(s.getValues()).containsEntry("loss", -0.25).containsEntry("mean_reward", 0.5)
                .containsEntry("mean_semantic_entropy", Math.log(2)).containsEntry("tokens_per_second", 800.0)
                .containsEntry("wait_fraction", 0.5).containsEntry("rejected_stale_groups_total", 1.0);
        assertThat(s.getHistograms().get("staleness_0_to_eta_then_rejected")).containsExactly(1L, 1L, 1L);
        assertThat(registry.get("seedstream.trainer.loss").tag("run", "run-a").gauge().value()).isEqualTo(-0.25);
        assertThat(registry.get("seedstream.trainer.steps").tag("run", "run-a").counter().count()).isEqualTo(1.0);
        assertThat(registry.get("seedstream.trainer.trained.tokens").counter().count()).isEqualTo(400.0);
        assertThat(registry.get("seedstream.trainer.rejected.stale.groups").functionCounter().count()).isEqualTo(1.0);
        assertThat(registry.get("seedstream.trainer.accepted.groups.by.staleness").tag("staleness", "1")
                .functionCounter().count()).isEqualTo(1.0);
        metrics.step(6, r, groups, 0.25, gate, 0);
        assertThat(registry.get("seedstream.trainer.steps").counter().count()).isEqualTo(2.0);
        assertThat(registry.get("seedstream.trainer.wait.fraction").gauge().value()).isEqualTo(1.0 / 3);
    }
}
