package io.seedstream.cli;

import io.seedstream.trainer.TrainerConfig;
import java.util.Properties;
import picocli.CommandLine.Option;

/** The update's flags, shared by {@code train} and {@code train step}; each is also a trainer.* key. */
public final class UpdateOptions {

    @Option(names = "--aggregation", description = "constant | token-mean | seq-mean (default: constant).")
    String aggregation;

    @Option(names = "--eps-low", description = "PPO clip 1 - eps_low (default: 0.2).")
    Double epsLow;

    @Option(names = "--eps-high", description = "PPO clip 1 + eps_high (default: 0.2).")
    Double epsHigh;

    @Option(names = "--max-len", description = "Divisor of the constant aggregation, the generation budget "
            + "(default: the longest answer of the step).")
    Integer maxLen;

    @Option(names = "--lr", description = "Learning rate (default: 1e-6).")
    Double lr;

    @Option(names = "--weight-decay", description = "AdamW weight decay (default: 0).")
    Double weightDecay;

    @Option(names = "--max-grad-norm", description = "Clip the total gradient norm (default: 1.0).")
    Double maxGradNorm;

    @Option(names = "--kl-coef", description = "KL penalty to the initial policy (default: 0, off).")
    Double klCoef;

    @Option(names = "--kl-estimator", description = "k1 | k3 (default: k3).")
    String klEstimator;

    @Option(names = "--decoupled", description = "Decoupled PPO off-policy correction (default: off).")
    Boolean decoupled;

    @Option(names = "--micro-batch-tokens", description = "Padded tokens per forward/backward pass (default: 8192).")
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
