package io.seedstream.trainer;

/**
 * What one update did.
 *
 * @param loss the step loss before the update
 * @param gradNorm total gradient norm before clipping
 * @param clipCoef factor the gradients were scaled by (1 when under the bound)
 * @param learningRate the rate applied
 * @param answers answers in the step
 * @param tokens completion tokens in the step
 * @param clipFraction fraction of completion tokens whose clipped term was active
 * @param approxKl mean per-token k3 estimate of KL(pi_behaviour || pi_theta) before the update
 * @param referenceKl mean per-token reference KL estimate (0 when the penalty is off)
 * @param microBatches how many forward/backward passes the step took
 * @param seconds wall time of the step
 */
public record StepResult(double loss, double gradNorm, double clipCoef, double learningRate, int answers, long tokens,
        double clipFraction, double approxKl, double referenceKl, int microBatches, double seconds) {}
