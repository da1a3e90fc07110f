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
import java.util.SplittableRandom;

/**
 * Supervised warm start: next-token cross-entropy on the target tokens of (prompt, target)
 * pairs, with the trainer's AdamW, gradient clipping and a warmup-then-cosine learning rate.
 * Deterministic for a seed: the minibatches are drawn from a seeded generator.
 */
public final class WarmStart {

    /** One supervised pair: the target is what the model should write after the prompt. */
    public record Example(int[] prompt, int[] target) {}

    /**
     * @param steps optimizer steps
     * @param batchSize examples per step
     * @param learningRate peak learning rate
     * @param warmupSteps linear warmup, then cosine decay to zero
     */
    public record Options(int steps, int batchSize, double learningRate, int warmupSteps, long seed) {}

    /** Called after each step with the step number (1-based) and the step's mean token loss. */
    public interface Progress {
        void onStep(int step, int steps, double loss);
    }

    private WarmStart() {}

    /** Trains {@code model} in place; returns the mean token loss of the last tenth of the steps. */
    public static double train(Transformer model, List<Example> data, Options o, Progress progress) {
        if (data.isEmpty()) {
            throw new IllegalArgumentException("no training examples");
        }
        Map<String, NDArray> params = model.weights().all();
        params.values().forEach(p -> p.setRequiresGradient(true));
        LearningRate lr = new LearningRate(o.learningRate(), LearningRate.Schedule.COSINE, o.warmupSteps(),
                Math.max(o.steps(), o.warmupSteps() + 1));
        SplittableRandom r = new SplittableRandom(o.seed());
        int padId = Math.max(0, model.config().eosTokenId());
        double tail = 0;
        int tailCount = 0;
        int skipped = 0;
        try (NDManager manager = NDManager.newBaseManager(); AdamW opt = new AdamW(AdamW.Settings.defaults(), manager)) {
            for (int step = 0; step < o.steps(); step++) {
                List<int[]> prompts = new ArrayList<>(o.batchSize());
                List<int[]> targets = new ArrayList<>(o.batchSize());
                for (int i = 0; i < o.batchSize(); i++) {
                    Example e = data.get(r.nextInt(data.size()));
                    prompts.add(e.prompt());
                    targets.add(e.target());
                }
                double loss;
                try (NDManager m = manager.newSubManager()) {
                    try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                        NDList lp = ContinuationLogProbs.compute(model, prompts, targets, m, padId);
                        NDArray mean = lp.get(0).sum().neg().div(lp.get(1).sum()); // mean over target tokens
                        gc.backward(mean);
                        loss = mean.getFloat();
                    }
                    if (!Gradients.clipAndApply(params, opt, lr.at(step), 1.0, m).applied()) {
                        skipped++; // a non-finite step is dropped, never applied
                    }
                }
                if (step >= o.steps() - Math.max(1, o.steps() / 10) && Double.isFinite(loss)) {
                    tail += loss;
                    tailCount++;
                }
                progress.onStep(step + 1, o.steps(), loss);
            }
        }
        if (skipped > o.steps() / 10) {
            throw new ArithmeticException(skipped + " of " + o.steps() + " warm-start steps had a non-finite loss or "
                    + "gradient; lower the learning rate");
        }
        return tailCount == 0 ? Double.NaN : tail / tailCount;
    }
}
