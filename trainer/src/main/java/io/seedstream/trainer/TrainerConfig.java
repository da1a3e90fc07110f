package io.seedstream.trainer;

import io.seedstream.schemas.SharedKeys;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigDef.ValidString;

/**
 * Every setting of the trainer (DESIGN.md 1.7, 1.8 and 4), as documented configuration keys.
 *
 * @param modelDir the initial policy (a Hugging Face directory); ignored when a checkpoint exists
 * @param stalenessBound eta: answers from a policy more than eta versions older are rejected
 * @param checkpointEvery write a checkpoint and announce it every this many steps
 * @param checkpointsKept older checkpoints beyond this many are deleted (0 keeps all); the newest full one stays
 * @param checkpointsKeptEvery checkpoints whose version is a multiple of this are never deleted (0: none)
 * @param fullCheckpointEvery every this many checkpoints, one also holds the optimizer's moments (what a restart
 *     resumes from); the others hold the weights and the ledger, what the generators load
 * @param maxSteps stop after this many steps (0: run until stopped)
 * @param prometheusPort port of the /metrics endpoint (-1: off, 0: any free port)
 * @param updateSettings the keys that decide the weights ({@link #UPDATE_KEYS}) with the values in effect,
 *     defaults included: what each checkpoint records so {@code replay train} can run the same update
 */
public record TrainerConfig(
        Path modelDir,
        String runId,
        PolicyUpdate.Options update,
        LearningRate learningRate,
        int stalenessBound,
        Path checkpointDir,
        int checkpointEvery,
        int checkpointsKept,
        int checkpointsKeptEvery,
        int fullCheckpointEvery,
        long maxSteps,
        int prometheusPort,
        long pollMs,
        Map<String, String> updateSettings) {

    public static final String MODEL_DIR = "trainer.model.dir";
    public static final String RUN_ID = "trainer.run.id";
    public static final String LR = "trainer.learning.rate";
    public static final String LR_SCHEDULE = "trainer.lr.schedule";
    public static final String LR_WARMUP = "trainer.lr.warmup.steps";
    public static final String LR_TOTAL = "trainer.lr.total.steps";
    public static final String BETA1 = "trainer.adam.beta1";
    public static final String BETA2 = "trainer.adam.beta2";
    public static final String ADAM_EPS = "trainer.adam.eps";
    public static final String WEIGHT_DECAY = "trainer.weight.decay";
    public static final String MAX_GRAD_NORM = "trainer.max.grad.norm";
    public static final String MICRO_BATCH_TOKENS = "trainer.micro.batch.tokens";
    public static final String EPS_LOW = "trainer.clip.eps.low";
    public static final String EPS_HIGH = "trainer.clip.eps.high";
    public static final String AGGREGATION = "trainer.loss.aggregation";
    public static final String MAX_GEN_LENGTH = "trainer.max.generation.length";
    public static final String KL_COEF = "trainer.kl.coef";
    public static final String KL_ESTIMATOR = "trainer.kl.estimator";
    public static final String DECOUPLED = "trainer.decoupled";
    public static final String WEIGHT_CAP = "trainer.decoupled.weight.cap";
    public static final String STALENESS = SharedKeys.STALENESS_BOUND;
    public static final String CHECKPOINT_DIR = "trainer.checkpoint.dir";
    public static final String CHECKPOINT_EVERY = "trainer.checkpoint.every";
    public static final String CHECKPOINT_KEEP = "trainer.checkpoint.keep";
    public static final String CHECKPOINT_KEEP_EVERY = "trainer.checkpoint.keep.every";
    public static final String CHECKPOINT_FULL_EVERY = "trainer.checkpoint.full.every";
    public static final String MAX_STEPS = "trainer.max.steps";
    public static final String PROMETHEUS_PORT = "trainer.prometheus.port";
    public static final String POLL_MS = "trainer.poll.ms";

    /** The settings an update's result depends on (where the run keeps its files and when it stops do not count). */
    public static final List<String> UPDATE_KEYS = List.of(MODEL_DIR, LR, LR_SCHEDULE, LR_WARMUP, LR_TOTAL, BETA1,
            BETA2, ADAM_EPS, WEIGHT_DECAY, MAX_GRAD_NORM, MICRO_BATCH_TOKENS, EPS_LOW, EPS_HIGH, AGGREGATION,
            MAX_GEN_LENGTH, KL_COEF, KL_ESTIMATOR, DECOUPLED, WEIGHT_CAP, STALENESS);

    public static final ConfigDef DEFINITION = new ConfigDef()
            .define(MODEL_DIR, Type.STRING, "", Importance.HIGH,
                    "Initial policy (Hugging Face directory). Not needed when the checkpoint store has a checkpoint.")
            .define(RUN_ID, Type.STRING, "seedstream", Importance.HIGH,
                    "Run id: the key of this run's records on policy-versions and metrics.")
            .define(LR, Type.DOUBLE, 1e-6, Range.atLeast(0), Importance.HIGH, "Peak learning rate.")
            .define(LR_SCHEDULE, Type.STRING, "constant", ValidString.in("constant", "linear", "cosine"),
                    Importance.MEDIUM, "Learning-rate schedule after the warmup: constant, linear or cosine decay.")
            .define(LR_WARMUP, Type.INT, 0, Range.atLeast(0), Importance.MEDIUM, "Linear warmup steps.")
            .define(LR_TOTAL, Type.INT, 0, Range.atLeast(0), Importance.MEDIUM,
                    "Steps at which a decaying schedule reaches zero.")
            .define(BETA1, Type.DOUBLE, 0.9, Range.between(0, 1), Importance.LOW, "AdamW beta1.")
            .define(BETA2, Type.DOUBLE, 0.95, Range.between(0, 1), Importance.LOW, "AdamW beta2.")
            .define(ADAM_EPS, Type.DOUBLE, 1e-8, Range.atLeast(0), Importance.LOW, "AdamW epsilon.")
            .define(WEIGHT_DECAY, Type.DOUBLE, 0.0, Range.atLeast(0), Importance.LOW, "AdamW decoupled weight decay.")
            .define(MAX_GRAD_NORM, Type.DOUBLE, 1.0, Range.atLeast(0), Importance.MEDIUM,
                    "Clip gradients to this total L2 norm.")
            .define(MICRO_BATCH_TOKENS, Type.LONG, 8192L, Range.atLeast(1), Importance.MEDIUM,
                    "Padded tokens (answers x longest prompt+answer) per forward/backward pass; gradients accumulate.")
            .define(EPS_LOW, Type.DOUBLE, 0.2, Range.between(0, 0.999), Importance.HIGH, "PPO clip: 1 - eps_low.")
            .define(EPS_HIGH, Type.DOUBLE, 0.2, Range.atLeast(0), Importance.HIGH,
                    "PPO clip: 1 + eps_high (clip-higher: larger than eps_low).")
            .define(AGGREGATION, Type.STRING, "constant", ValidString.in("constant", "token-mean", "seq-mean"),
                    Importance.HIGH, "Loss aggregation: Dr. GRPO constant (token sum / max generation length, mean "
                            + "over answers), token-mean or seq-mean.")
            .define(MAX_GEN_LENGTH, Type.INT, 0, Range.atLeast(0), Importance.MEDIUM,
                    "Divisor of the constant aggregation: the generation budget; 0 takes the longest answer of the step.")
            .define(KL_COEF, Type.DOUBLE, 0.0, Range.atLeast(0), Importance.MEDIUM,
                    "Weight of the KL penalty to the initial policy (0: off, no reference model kept).")
            .define(KL_ESTIMATOR, Type.STRING, "k3", ValidString.in("k1", "k3"), Importance.LOW, "KL estimator.")
            .define(DECOUPLED, Type.BOOLEAN, false, Importance.MEDIUM,
                    "Decoupled PPO (AReaL): clip against the trainer's own weights, importance-weight to the behaviour policy.")
            .define(WEIGHT_CAP, Type.DOUBLE, 5.0, Range.atLeast(0), Importance.LOW,
                    "Truncation c of the decoupled importance weight min(c, pi_prox / pi_behaviour).")
            .define(SharedKeys.key(STALENESS))
            .define(CHECKPOINT_DIR, Type.STRING, "data/checkpoints", Importance.HIGH, "The checkpoint store (a directory).")
            .define(CHECKPOINT_EVERY, Type.INT, 1, Range.atLeast(1), Importance.HIGH,
                    "Checkpoint and announce a new policy version every this many steps.")
            .define(CHECKPOINT_KEEP, Type.INT, 5, Range.atLeast(0), Importance.LOW,
                    "Checkpoints kept (older ones are deleted, but never the newest full one; 0 keeps all).")
            .define(CHECKPOINT_KEEP_EVERY, Type.INT, 0, Range.atLeast(0), Importance.LOW,
                    "Also keeps every checkpoint whose version is a multiple of this (0: none). up and experiment "
                            + "set it to dispatch.eval.every, so that a held-out round finds its version however far "
                            + "training has moved on when a generator reaches it.")
            .define(CHECKPOINT_FULL_EVERY, Type.INT, 1, Range.atLeast(1), Importance.MEDIUM,
                    "Every this many checkpoints, one is full: it also holds the optimizer's moments (twice the "
                            + "weights in float32), and a restart resumes from the newest full one, re-applying the "
                            + "batches after it. The others hold the weights and the ledger only. 1: every checkpoint "
                            + "is full.")
            .define(MAX_STEPS, Type.LONG, 0L, Range.atLeast(0), Importance.MEDIUM, "Stop after this many steps (0: never).")
            .define(PROMETHEUS_PORT, Type.INT, -1, Range.atLeast(-1), Importance.LOW,
                    "Port of the Prometheus /metrics endpoint (-1: off, 0: any free port).")
            .define(POLL_MS, Type.LONG, 500L, Range.atLeast(1), Importance.LOW, "Consumer poll timeout.");

    public static TrainerConfig from(Map<?, ?> props) {
        AbstractConfig c = new AbstractConfig(DEFINITION, props, false);
        LossSettings loss = new LossSettings(c.getDouble(EPS_LOW), c.getDouble(EPS_HIGH),
                Aggregation.parse(c.getString(AGGREGATION)), c.getInt(MAX_GEN_LENGTH), c.getDouble(KL_COEF),
                KlEstimator.parse(c.getString(KL_ESTIMATOR)), c.getBoolean(DECOUPLED), c.getDouble(WEIGHT_CAP));
        AdamW.Settings adam = new AdamW.Settings(c.getDouble(BETA1), c.getDouble(BETA2), c.getDouble(ADAM_EPS),
                c.getDouble(WEIGHT_DECAY));
        PolicyUpdate.Options update = new PolicyUpdate.Options(loss, adam, c.getDouble(MAX_GRAD_NORM),
                c.getLong(MICRO_BATCH_TOKENS));
        LearningRate lr = new LearningRate(c.getDouble(LR), LearningRate.Schedule.parse(c.getString(LR_SCHEDULE)),
                c.getInt(LR_WARMUP), c.getInt(LR_TOTAL));
        String model = c.getString(MODEL_DIR);
        return new TrainerConfig(model.isBlank() ? null : Path.of(model), c.getString(RUN_ID), update, lr,
                c.getInt(STALENESS), Path.of(c.getString(CHECKPOINT_DIR)), c.getInt(CHECKPOINT_EVERY),
                c.getInt(CHECKPOINT_KEEP), c.getInt(CHECKPOINT_KEEP_EVERY), c.getInt(CHECKPOINT_FULL_EVERY), c.getLong(MAX_STEPS), c.getInt(PROMETHEUS_PORT),
                c.getLong(POLL_MS), updateSettings(c));
    }

    private static Map<String, String> updateSettings(AbstractConfig c) {
        Map<String, String> out = new TreeMap<>();
        for (String k : UPDATE_KEYS) {
            String v = ConfigDef.convertToString(c.values().get(k), DEFINITION.configKeys().get(k).type);
            if (v != null) {
                out.put(k, v);
            }
        }
        return Map.copyOf(out);
    }
}
