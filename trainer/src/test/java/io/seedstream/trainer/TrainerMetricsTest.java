package io.seedstream.trainer;

import static org.assertj.core.api.Assertions.assertThat;

import io.seedstream.schemas.avro.MetricsSnapshot;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;

class TrainerMetricsTest {

    @Test
    void aStepBecomesASnapshotAndPrometheusText() throws Exception {
        TrainerMetrics metrics = new TrainerMetrics("run-a");
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
        try (PrometheusEndpoint endpoint = new PrometheusEndpoint(0, metrics::prometheus)) {
            HttpResponse<String> res = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + endpoint.port() + "/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(res.statusCode()).isEqualTo(200);
            assertThat(res.body()).contains("# TYPE seedstream_trainer_loss gauge")
                    .contains("seedstream_trainer_loss{run=\"run-a\"} -0.250000000")
                    .contains("seedstream_trainer_steps_total{run=\"run-a\"} 1.00000000")
                    .contains("seedstream_trainer_accepted_groups_by_staleness{run=\"run-a\",staleness=\"1\"} 1");
        }
    }
}
