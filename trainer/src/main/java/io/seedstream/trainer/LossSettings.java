package io.seedstream.trainer;

/**
 * The policy loss's options (DESIGN.md sections 1.7 and 1.8).
 *
 * @param epsLow lower clip range: rho is clipped below at 1 - epsLow
 * @param epsHigh upper clip range: rho is clipped above at 1 + epsHigh (clip-higher: larger than epsLow)
 * @param aggregation how token losses are combined
 * @param maxGenerationLength the divisor of {@link Aggregation#CONSTANT}; 0 takes the longest
 *     completion of the step
 * @param klCoef weight of the KL penalty to the frozen reference; 0 turns it off
 * @param klEstimator k1 or k3
 * @param decoupled AReaL's decoupled PPO: clip against a proximal policy (the trainer's weights
 *     before the update), times a truncated importance weight to the behaviour policy
 * @param importanceWeightCap c in min(c, pi_prox / pi_behaviour)
 */
public record LossSettings(double epsLow, double epsHigh, Aggregation aggregation, int maxGenerationLength,
        double klCoef, KlEstimator klEstimator, boolean decoupled, double importanceWeightCap) {

    public LossSettings {
        if (!(epsLow >= 0 && epsLow < 1) || !(epsHigh >= 0)) {
            throw new IllegalArgumentException("clip ranges must satisfy 0 <= eps_low < 1 and eps_high >= 0");
        }
        if (maxGenerationLength < 0 || klCoef < 0 || !(importanceWeightCap > 0)) {
            throw new IllegalArgumentException("max length and KL coefficient must be >= 0, the weight cap > 0");
        }
    }

    /** The defaults of DESIGN.md: eps 0.2 both sides, constant aggregation, no KL, no decoupling. */
    public static LossSettings defaults() {
        return new LossSettings(0.2, 0.2, Aggregation.CONSTANT, 0, 0.0, KlEstimator.K3, false, 5.0);
    }

    public LossSettings withClip(double low, double high) {
        return new LossSettings(low, high, aggregation, maxGenerationLength, klCoef, klEstimator, decoupled,
                importanceWeightCap);
    }

    public LossSettings withAggregation(Aggregation a, int maxLen) {
        return new LossSettings(epsLow, epsHigh, a, maxLen, klCoef, klEstimator, decoupled, importanceWeightCap);
    }

    public LossSettings withKl(double coef, KlEstimator estimator) {
        return new LossSettings(epsLow, epsHigh, aggregation, maxGenerationLength, coef, estimator, decoupled,
                importanceWeightCap);
    }

    public LossSettings withDecoupled(boolean on, double cap) {
        return new LossSettings(epsLow, epsHigh, aggregation, maxGenerationLength, klCoef, klEstimator, on, cap);
    }
}
