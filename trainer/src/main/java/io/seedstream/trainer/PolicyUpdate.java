package io.seedstream.trainer;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import io.seedstream.model.ContinuationLogProbs;
import io.seedstream.model.Transformer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * One entropy-weighted GRPO update: log-probs of the step's answers, the clipped loss,
 * backward over micro-batches with gradients accumulating, clipping at the total norm, AdamW.
 * The streaming trainer and {@code seedstream train step} both call {@link #apply}.
 */
public final class PolicyUpdate implements AutoCloseable {

    /**
     * @param maxGradNorm clip the total gradient norm to this (DESIGN default 1.0)
     * @param microBatchTokens padded tokens (answers x longest sequence) per forward/backward pass
     */
    public record Options(LossSettings loss, AdamW.Settings adam, double maxGradNorm, long microBatchTokens) {

        public static Options defaults() {
            return new Options(LossSettings.defaults(), AdamW.Settings.defaults(), 1.0, 8192);
        }
    }

    private final Transformer policy;
    private final Transformer reference;
    private final Options options;
    private final AdamW optimizer;
    private final NDManager manager;
    private final int padId;

    /**
     * @param reference the frozen reference for the KL penalty, or null when the penalty is off
     */
    public PolicyUpdate(Transformer policy, Transformer reference, Options options, NDManager parent) {
        if (options.loss().klCoef() > 0 && reference == null) {
            throw new IllegalArgumentException("a KL penalty needs a reference model");
        }
        this.policy = policy;
        this.reference = reference;
        this.options = options;
        this.manager = parent.newSubManager();
        this.optimizer = new AdamW(options.adam(), manager);
        this.padId = Math.max(0, policy.config().eosTokenId());
        policy.weights().all().values().forEach(p -> p.setRequiresGradient(true));
    }

    public AdamW optimizer() {
        return optimizer;
    }

    public Options options() {
        return options;
    }

    /** Applies one update from the given answers with the given learning rate. */
    public StepResult apply(List<TrainingSample> samples, double lr) {
        long t0 = System.nanoTime();
        Map<String, NDArray> params = policy.weights().all();
        Accumulated a = accumulate(samples);
        Gradients.Step step;
        try (NDManager scratch = manager.newSubManager()) {
            step = Gradients.clipAndApply(params, optimizer, lr, options.maxGradNorm(), scratch);
        }
        if (!step.applied()) {
            throw new ArithmeticException("non-finite gradient norm " + step.gradNorm() + "; update skipped");
        }
        long tokens = a.normalizer().tokens();
        return new StepResult(a.loss(), step.gradNorm(), step.clipCoef(), lr, samples.size(), tokens,
                a.clippedTokens() / tokens, a.behaviourKlSum() / tokens, a.referenceKlSum() / tokens, a.microBatches(),
                (System.nanoTime() - t0) / 1e9);
    }

    /** The step's loss terms, summed over micro-batches; the gradients are left in the parameters. */
    record Accumulated(double loss, double clippedTokens, double behaviourKlSum, double referenceKlSum,
            int microBatches, PolicyLoss.Normalizer normalizer) {}

    /** Forward and backward over the step's micro-batches; gradients accumulate in the parameters. */
    Accumulated accumulate(List<TrainingSample> samples) {
        if (samples.isEmpty()) {
            throw new IllegalArgumentException("an update needs at least one answer");
        }
        LossSettings s = options.loss();
        PolicyLoss.Normalizer norm = PolicyLoss.Normalizer.of(samples, s);
        List<List<TrainingSample>> micro = microBatches(samples, options.microBatchTokens());
        double loss = 0;
        double clipped = 0;
        double behaviourKl = 0;
        double referenceKl = 0;
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            for (List<TrainingSample> mb : micro) {
                try (NDManager m = manager.newSubManager()) {
                    PolicyLoss.Terms terms = microBatchLoss(mb, s, norm, m);
                    gc.backward(terms.loss());
                    loss += terms.loss().getFloat();
                    clipped += terms.clippedTokens();
                    behaviourKl += terms.behaviourKlSum();
                    referenceKl += terms.referenceKlSum();
                }
            }
        }
        return new Accumulated(loss, clipped, behaviourKl, referenceKl, micro.size(), norm);
    }

    private PolicyLoss.Terms microBatchLoss(List<TrainingSample> mb, LossSettings s, PolicyLoss.Normalizer norm,
            NDManager m) {
        List<int[]> prompts = new ArrayList<>(mb.size());
        List<int[]> completions = new ArrayList<>(mb.size());
        int l = 1;
        for (TrainingSample x : mb) {
            prompts.add(x.promptIds());
            completions.add(x.completionIds());
            l = Math.max(l, x.completionIds().length);
        }
        double[] temperatures = mb.stream().mapToDouble(TrainingSample::temperature).toArray();
        float[][] old = new float[mb.size()][l];
        float[][] adv = new float[mb.size()][1];
        for (int i = 0; i < mb.size(); i++) {
            System.arraycopy(mb.get(i).oldLogprobs(), 0, old[i], 0, mb.get(i).oldLogprobs().length);
            adv[i][0] = (float) mb.get(i).scaledAdvantage();
        }
        NDList lp = ContinuationLogProbs.compute(policy, prompts, completions, temperatures, m, padId);
        NDArray logp = lp.get(0); // (B, L)
        NDArray mask = lp.get(1); // (B, L)
        if (mb.stream().anyMatch(x -> x.modelTokens() != null)) {
            // a tool's reply was appended, not sampled: no loss, ratio or KL on its tokens
            float[][] model = new float[mb.size()][l];
            for (int i = 0; i < mb.size(); i++) {
                for (int t = 0; t < mb.get(i).completionIds().length; t++) {
                    model[i][t] = mb.get(i).isModelToken(t) ? 1f : 0f;
                }
            }
            mask = mask.mul(m.create(model));
        }
        NDArray refLogp = null;
        if (s.klCoef() > 0) {
            // the reference's weights need no gradient, so no graph is recorded for it
            refLogp = ContinuationLogProbs.compute(reference, prompts, completions, temperatures, m, padId).get(0)
                    .stopGradient();
        }
        // one policy epoch per batch: the proximal policy is the current weights, detached
        NDArray prox = s.decoupled() ? logp.stopGradient() : null;
        return PolicyLoss.compute(logp, mask, m.create(old), prox, refLogp, m.create(adv), s, norm);
    }

    /** Consecutive answers packed while answers x longest sequence stays within the budget. */
    static List<List<TrainingSample>> microBatches(List<TrainingSample> samples, long tokenBudget) {
        List<List<TrainingSample>> out = new ArrayList<>();
        List<TrainingSample> current = new ArrayList<>();
        int longest = 0;
        for (TrainingSample x : samples) {
            int newLongest = Math.max(longest, x.length());
            if (!current.isEmpty() && (long) newLongest * (current.size() + 1) > tokenBudget) {
                out.add(current);
                current = new ArrayList<>();
                newLongest = x.length();
            }
            current.add(x);
            longest = newLongest;
        }
        if (!current.isEmpty()) {
            out.add(current);
        }
        return out;
    }

    @Override
    public void close() {
        manager.close();
    }
}
