package io.seedstream.trainer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.seedstream.model.Scalar;
import java.util.List;

/**
 * The token-level PPO-clip loss of SEED-GRPO (DESIGN.md 1.7, 1.8), on one micro-batch. Every
 * divisor comes from the whole step ({@link Normalizer}), so the micro-batch losses of a step add
 * up to the step's loss and their gradients accumulate to the step's gradient.
 */
public final class PolicyLoss {

    private PolicyLoss() {}

    /** The step-wide divisors of the aggregation modes. */
    public record Normalizer(int answers, long tokens, int maxLength) {

        public static Normalizer of(List<TrainingSample> step, LossSettings settings) {
            long tokens = 0;
            int longest = 0;
            for (TrainingSample s : step) {
                tokens += s.modelTokenCount();
                longest = Math.max(longest, s.completionIds().length);
            }
            int maxLength = settings.maxGenerationLength() > 0 ? settings.maxGenerationLength() : longest;
            return new Normalizer(step.size(), Math.max(1, tokens), Math.max(1, maxLength));
        }
    }

    /**
     * @param loss this micro-batch's share of the step loss (scalar, differentiable)
     * @param clippedTokens tokens whose clipped term was the active one
     * @param behaviourKlSum sum over tokens of k3(pi_behaviour || pi_theta), for the approximate KL
     * @param referenceKlSum sum over tokens of the reference KL estimate (0 when the penalty is off)
     */
    public record Terms(NDArray loss, double clippedTokens, double behaviourKlSum, double referenceKlSum) {}

    /**
     * @param logp (B, L) log-probs of the completion tokens under the weights being trained
     * @param mask (B, L) 1 for real tokens, 0 for padding
     * @param oldLogp (B, L) behaviour log-probs, recorded at generation time
     * @param proxLogp (B, L) proximal log-probs (the trainer's weights before the update), only
     *     used when decoupled; else null
     * @param refLogp (B, L) the frozen reference's log-probs when the KL penalty is on; else null
     * @param advantages (B, 1) scaled advantages
     */
    public static Terms compute(NDArray logp, NDArray mask, NDArray oldLogp, NDArray proxLogp, NDArray refLogp,
            NDArray advantages, LossSettings s, Normalizer n) {
        // scalars as tensors of the step (see Scalar): DJL's op(Number) frees its operand before the backward
        NDManager m = logp.getManager();
        NDArray base = s.decoupled() ? proxLogp : oldLogp;
        NDArray ratio = logp.sub(base).exp(); // (B, L)
        NDArray negAdv = advantages.neg(); // (B, 1)
        NDArray unclipped = negAdv.mul(ratio);
        NDArray clipped = negAdv.mul(ratio.clip(1 - s.epsLow(), 1 + s.epsHigh()));
        NDArray perToken = NDArrays.maximum(unclipped, clipped); // (B, L)
        if (s.decoupled()) {
            // truncated importance weight pi_prox / pi_behaviour: a constant, no gradient
            NDArray weight = proxLogp.sub(oldLogp).exp().minimum((float) s.importanceWeightCap());
            perToken = perToken.mul(weight);
        }
        double referenceKl = 0;
        if (s.klCoef() > 0) {
            NDArray kl = s.klEstimator().estimate(logp, refLogp);
            perToken = perToken.add(kl.mul(Scalar.of(m, s.klCoef())));
            referenceKl = kl.stopGradient().mul(mask).sum().getFloat();
        }
        NDArray masked = perToken.mul(mask);
        NDArray loss;
        switch (s.aggregation()) {
            case CONSTANT:
                loss = masked.sum().div(Scalar.of(m, (double) n.maxLength() * n.answers()));
                break;
            case TOKEN_MEAN:
                loss = masked.sum().div(Scalar.of(m, n.tokens()));
                break;
            case SEQ_MEAN:
                NDArray lengths = mask.sum(new int[] {1}).maximum(1f); // (B,); an empty answer adds 0
                loss = masked.sum(new int[] {1}).div(lengths).sum().div(Scalar.of(m, n.answers()));
                break;
            default:
                throw new IllegalStateException(s.aggregation().name());
        }
        double clippedTokens = clipped.stopGradient().gt(unclipped.stopGradient()).toType(DataType.FLOAT32, false).mul(mask).sum().getFloat();
        NDArray d = oldLogp.sub(logp.stopGradient()); // log(pi_old / pi_theta)
        double behaviourKl = d.exp().sub(d).sub(1).mul(mask).sum().getFloat();
        return new Terms(loss, clippedTokens, behaviourKl, referenceKl);
    }
}
