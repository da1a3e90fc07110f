package io.seedstream.trainer;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.seedstream.schemas.avro.MetricsSnapshot;
import io.seedstream.schemas.avro.MetricsSource;
import io.seedstream.schemas.avro.ScoredGroup;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The trainer's per-step metrics: one {@link MetricsSnapshot} per step for the metrics topic,
 * and as meters (the latest step's values as gauges, running totals and accepted groups by
 * staleness as counters, all tagged with the run) in the process's registry.
 */
public final class TrainerMetrics {

    private final String runId;
    private final MeterRegistry registry;
    private final Tags tags;
    private final Map<String, Double> last = new LinkedHashMap<>();
    private volatile Map<String, Double> lastView = Map.of();
    private volatile StepMetrics latest;
    private final Counter steps;
    private final Counter tokens;
    private final Counter waited;
    private volatile long[] staleness = new long[0];

    public TrainerMetrics(String runId, MeterRegistry registry) {
        this.runId = runId;
        this.registry = registry;
        this.tags = Tags.of("run", runId);
        steps = Counter.builder("seedstream.trainer.steps").description("Updates applied").tags(tags).register(registry);
        tokens = Counter.builder("seedstream.trainer.trained.tokens").description("Completion tokens trained on").tags(tags)
                .register(registry);
        waited = Counter.builder("seedstream.trainer.waited").baseUnit("seconds").description("Time spent waiting for batches")
                .tags(tags).register(registry);
    }

    /** Records one update and returns its snapshot. */
    public synchronized MetricsSnapshot step(long step, StepResult r, List<ScoredGroup> groups, double waitSeconds,
            StalenessGate gate, long invalidGroups) {
        StepMetrics sm = new StepMetrics(step, r.loss(), r.gradNorm(), r.clipCoef(), r.learningRate(),
                groups.stream().flatMap(g -> g.getRewards().stream()).mapToDouble(Double::doubleValue).average().orElse(0),
                groups.stream().mapToDouble(ScoredGroup::getSemanticEntropy).average().orElse(0),
                groups.stream().mapToDouble(ScoredGroup::getScale).average().orElse(0),
                // the step's groups were checked against the version before this step
                groups.stream().mapToLong(g -> step - 1 - g.getRollout().getPolicyVersion()).average().orElse(0),
                groups.stream().mapToLong(g -> step - 1 - g.getRollout().getPolicyVersion()).max().orElse(0),
                r.clipFraction(), r.approxKl(), r.referenceKl(), r.answers(), r.tokens(), r.seconds(), waitSeconds,
                gate.rejectedStale(), gate.rejectedAhead(), invalidGroups);
        Map<String, Double> v = sm.values();
        latest = sm;
        last.clear();
        last.putAll(v);
        last.put("step", (double) step);
        boolean first = lastView.isEmpty();
        lastView = Map.copyOf(last);
        steps.increment();
        tokens.increment(r.tokens());
        waited.increment(waitSeconds);
        staleness = gate.histogram();
        if (first) {
            register(staleness.length);
        }
        List<Long> hist = new ArrayList<>();
        for (long c : staleness) {
            hist.add(c);
        }
        hist.add(gate.rejectedStale());
        return MetricsSnapshot.newBuilder().setSource("trainer-" + runId).setKind(MetricsSource.TRAINER).setStep(step)
                .setPolicyVersion(step).setValues(new LinkedHashMap<>(v))
                .setHistograms(Map.of("staleness_0_to_eta_then_rejected", hist)).setCreatedAt(Instant.now()).build();
    }

    /** Gauges of the latest step's values and counters of accepted groups by staleness, once the first step shows them. */
    private void register(int stalenessBuckets) {
        for (String k : lastView.keySet()) {
            if (k.endsWith("_total")) { // running totals of the gate, not a step's value
                FunctionCounter.builder("seedstream.trainer." + k.substring(0, k.length() - "_total".length())
                        .replace('_', '.'), this, m -> m.lastView.getOrDefault(k, 0.0)).tags(tags).register(registry);
            } else {
                Gauge.builder("seedstream.trainer." + k.replace('_', '.'), this,
                        m -> m.lastView.getOrDefault(k, Double.NaN)).tags(tags).register(registry);
            }
        }
        for (int s = 0; s < stalenessBuckets; s++) {
            int bucket = s;
            FunctionCounter.builder("seedstream.trainer.accepted.groups.by.staleness", this,
                    m -> bucket < m.staleness.length ? m.staleness[bucket] : 0)
                    .description("Groups accepted by the staleness bound, by how many versions they lagged")
                    .tags(tags.and("staleness", String.valueOf(bucket))).register(registry);
        }
    }

    /** The latest step's metrics, null before the first. */
    public StepMetrics latest() {
        return latest;
    }
}
