package io.seedstream.trainer;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What one update did, as the trainer reports it after each step: to its listeners (the status
 * line, the experiment's records) as these fields, and to the metrics topic and the meters as the
 * named values of {@link #values()}.
 *
 * @param meanStaleness of the groups used, each against the version before this step
 * @param waitFraction of this step's wall time spent waiting for its batch
 */
public record StepMetrics(
        long step,
        double loss,
        double gradNorm,
        double clipCoef,
        double learningRate,
        double meanReward,
        double meanSemanticEntropy,
        double meanScale,
        double meanStaleness,
        long maxStaleness,
        double clipFraction,
        double approxKl,
        double referenceKl,
        long answers,
        long tokens,
        double stepSeconds,
        double waitSeconds,
        long rejectedStaleGroupsTotal,
        long rejectedAheadGroupsTotal,
        long invalidGroupsTotal) {

    public double tokensPerSecond() {
        return tokens / Math.max(1e-9, stepSeconds);
    }

    public double waitFraction() {
        return waitSeconds / Math.max(1e-9, waitSeconds + stepSeconds);
    }

    /**
     * The values under the names the metrics topic's snapshots carry (the dashboard reads them) and
     * the meters are named after ({@code seedstream.trainer.<name>}); the running totals end in {@code _total}.
     */
    public Map<String, Double> values() {
        Map<String, Double> v = new LinkedHashMap<>();
        v.put("loss", loss);
        v.put("grad_norm", gradNorm);
        v.put("clip_coef", clipCoef);
        v.put("learning_rate", learningRate);
        v.put("mean_reward", meanReward);
        v.put("mean_semantic_entropy", meanSemanticEntropy);
        v.put("mean_scale", meanScale);
        v.put("mean_staleness", meanStaleness);
        v.put("max_staleness", (double) maxStaleness);
        v.put("clip_fraction", clipFraction);
        v.put("approx_kl", approxKl);
        v.put("reference_kl", referenceKl);
        v.put("answers", (double) answers);
        v.put("tokens", (double) tokens);
        v.put("step_seconds", stepSeconds);
        v.put("tokens_per_second", tokensPerSecond());
        v.put("wait_seconds", waitSeconds);
        v.put("wait_fraction", waitFraction());
        v.put("rejected_stale_groups_total", (double) rejectedStaleGroupsTotal);
        v.put("rejected_ahead_groups_total", (double) rejectedAheadGroupsTotal);
        v.put("invalid_groups_total", (double) invalidGroupsTotal);
        return v;
    }
}
