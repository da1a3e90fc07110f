package io.seedstream.trainer;

import io.seedstream.schemas.avro.MetricsSnapshot;
import io.seedstream.schemas.avro.MetricsSource;
import io.seedstream.schemas.avro.ScoredGroup;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The trainer's per-step metrics: one {@link MetricsSnapshot} per step for the metrics topic,
 * and the latest values and running totals in the Prometheus text format.
 */
public final class TrainerMetrics {

    private final String runId;
    private final Map<String, Double> last = new LinkedHashMap<>();
    private final Map<String, Double> totals = new LinkedHashMap<>();
    private long[] staleness = new long[0];

    public TrainerMetrics(String runId) {
        this.runId = runId;
    }

    /** Records one update and returns its snapshot. */
    public synchronized MetricsSnapshot step(long step, StepResult r, List<ScoredGroup> groups, double waitSeconds,
            StalenessGate gate, long invalidGroups) {
        Map<String, Double> v = new LinkedHashMap<>();
        v.put("loss", r.loss());
        v.put("grad_norm", r.gradNorm());
        v.put("clip_coef", r.clipCoef());
        v.put("learning_rate", r.learningRate());
        v.put("mean_reward", groups.stream().flatMap(g -> g.getRewards().stream()).mapToDouble(Double::doubleValue)
                .average().orElse(0));
        v.put("mean_semantic_entropy", groups.stream().mapToDouble(ScoredGroup::getSemanticEntropy).average().orElse(0));
        v.put("mean_scale", groups.stream().mapToDouble(ScoredGroup::getScale).average().orElse(0));
        // the step's groups were checked against the version before this step
        v.put("mean_staleness", groups.stream().mapToLong(g -> step - 1 - g.getRollout().getPolicyVersion()).average().orElse(0));
        v.put("clip_fraction", r.clipFraction());
        v.put("approx_kl", r.approxKl());
        v.put("reference_kl", r.referenceKl());
        v.put("answers", (double) r.answers());
        v.put("tokens", (double) r.tokens());
        v.put("step_seconds", r.seconds());
        v.put("tokens_per_second", r.tokens() / Math.max(1e-9, r.seconds()));
        v.put("wait_seconds", waitSeconds);
        v.put("wait_fraction", waitSeconds / Math.max(1e-9, waitSeconds + r.seconds()));
        v.put("rejected_stale_groups_total", (double) gate.rejectedStale());
        v.put("rejected_ahead_groups_total", (double) gate.rejectedAhead());
        v.put("invalid_groups_total", (double) invalidGroups);
        last.clear();
        last.putAll(v);
        last.put("step", (double) step);
        totals.merge("steps_total", 1.0, Double::sum);
        totals.merge("tokens_total", (double) r.tokens(), Double::sum);
        totals.merge("wait_seconds_total", waitSeconds, Double::sum);
        staleness = gate.histogram();
        List<Long> hist = new ArrayList<>();
        for (long c : staleness) {
            hist.add(c);
        }
        hist.add(gate.rejectedStale());
        return MetricsSnapshot.newBuilder().setSource("trainer-" + runId).setKind(MetricsSource.TRAINER).setStep(step)
                .setPolicyVersion(step).setValues(new LinkedHashMap<>(v))
                .setHistograms(Map.of("staleness_0_to_eta_then_rejected", hist)).setCreatedAt(Instant.now()).build();
    }

    /** Prometheus text exposition format 0.0.4. */
    public synchronized String prometheus() {
        StringBuilder sb = new StringBuilder();
        last.forEach((k, v) -> gauge(sb, k, v));
        totals.forEach((k, v) -> {
            sb.append("# TYPE seedstream_trainer_").append(k).append(" counter\n");
            sb.append("seedstream_trainer_").append(k).append("{run=\"").append(runId).append("\"} ")
                    .append(fmt(v)).append('\n');
        });
        sb.append("# TYPE seedstream_trainer_accepted_groups_by_staleness counter\n");
        for (int s = 0; s < staleness.length; s++) {
            sb.append("seedstream_trainer_accepted_groups_by_staleness{run=\"").append(runId).append("\",staleness=\"")
                    .append(s).append("\"} ").append(staleness[s]).append('\n');
        }
        return sb.toString();
    }

    private void gauge(StringBuilder sb, String name, double v) {
        sb.append("# TYPE seedstream_trainer_").append(name).append(" gauge\n");
        sb.append("seedstream_trainer_").append(name).append("{run=\"").append(runId).append("\"} ").append(fmt(v))
                .append('\n');
    }

    private static String fmt(double v) {
        return Double.isFinite(v) ? String.format(Locale.ROOT, "%.9g", v) : (Double.isNaN(v) ? "NaN" : v > 0 ? "+Inf" : "-Inf");
    }

    /** The latest step's values (for the command's progress line). */
    public synchronized Map<String, Double> latest() {
        return new LinkedHashMap<>(last);
    }
}
