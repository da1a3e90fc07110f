package io.seedstream.cli;

import io.seedstream.trainer.TrainerConfig;
import java.util.Properties;
import picocli.CommandLine.Option;

/** The update's flags, shared by {@code train} and {@code train step}; each is also a trainer.* key. */
public final class UpdateOptions {

    @Option(names = "--aggregation", description = "constant | token-mean | seq-mean (default: ${sys:seedstream.default.trainer.loss.aggregation}).")
    String aggregation;

    @Option(names = "--eps-low", description = "PPO clip 1 - eps_low (default: ${sys:seedstream.default.trainer.clip.eps.low}).")
    Double epsLow;

    @Option(names = "--eps-high", description = "PPO clip 1 + eps_high (default: ${sys:seedstream.default.trainer.clip.eps.high}).")
    Double epsHigh;

    @Option(names = "--max-len", description = "Divisor of the constant aggregation, the generation budget "
            + "(default: the longest answer of the step).")
    Integer maxLen;

    @Option(names = "--lr", description = "Learning rate (default: ${sys:seedstream.default.trainer.learning.rate}).")
    Double lr;

    @Option(names = "--weight-decay", description = "AdamW weight decay (default: ${sys:seedstream.default.trainer.weight.decay}).")
    Double weightDecay;

    @Option(names = "--max-grad-norm", description = "Clip the total gradient norm (default: ${sys:seedstream.default.trainer.max.grad.norm}).")
    Double maxGradNorm;

    @Option(names = "--kl-coef", description = "KL penalty to the initial policy (default: ${sys:seedstream.default.trainer.kl.coef}, off).")
    Double klCoef;

    @Option(names = "--kl-estimator", description = "k1 | k3 (default: ${sys:seedstream.default.trainer.kl.estimator}).")
    String klEstimator;

    @Option(names = "--decoupled", description = "Decoupled PPO off-policy correction (default: ${sys:seedstream.default.trainer.decoupled}).")
    Boolean decoupled;

    @Option(names = "--micro-batch-tokens", description = "Padded tokens per forward/backward pass (default: ${sys:seedstream.default.trainer.micro.batch.tokens}).")
    Long microBatchTokens;

    public void putInto(Properties p) {
        put(p, TrainerConfig.AGGREGATION, aggregation);
        put(p, TrainerConfig.EPS_LOW, epsLow);
        put(p, TrainerConfig.EPS_HIGH, epsHigh);
        put(p, TrainerConfig.MAX_GEN_LENGTH, maxLen);
        put(p, TrainerConfig.LR, lr);
        put(p, TrainerConfig.WEIGHT_DECAY, weightDecay);
        put(p, TrainerConfig.MAX_GRAD_NORM, maxGradNorm);
        put(p, TrainerConfig.KL_COEF, klCoef);
        put(p, TrainerConfig.KL_ESTIMATOR, klEstimator);
        put(p, TrainerConfig.DECOUPLED, decoupled);
        put(p, TrainerConfig.MICRO_BATCH_TOKENS, microBatchTokens);
    }

    public static void put(Properties p, String key, Object value) {
        if (value != null) {
            p.put(key, String.valueOf(value));
        }
    }
}
