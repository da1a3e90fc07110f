package io.seedstream.trainer;

import ai.djl.ndarray.NDManager;
import io.seedstream.model.Median;
import io.seedstream.model.ModelBenchmark;
import io.seedstream.model.ModelConfig;
import io.seedstream.model.Transformer;
import io.seedstream.model.Weights;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A full SEED-GRPO update (log-probs, loss, backward, clipping, AdamW) as the trainer runs it:
 * step time, tokens per second and model FLOPs utilisation against a large matrix product
 * through the same engine.
 */
public final class TrainBenchmark {

    private TrainBenchmark() {}

    public static Map<String, Object> run(ModelConfig c, NDManager m, double peakGflops, int answers, int promptLen,
            int completionLen, int steps) {
        List<TrainingSample> batch = FootprintWorkload.randomBatch(c,
                new FootprintWorkload.Shape(answers, promptLen, completionLen, PolicyUpdate.Options.defaults().microBatchTokens()));
        List<Double> seconds = new ArrayList<>();
        try (Weights w = Weights.random(c, 3, m);
                PolicyUpdate update = new PolicyUpdate(new Transformer(c, w), null, PolicyUpdate.Options.defaults(), m)) {
            for (int k = -1; k < steps; k++) {
                StepResult r = update.apply(batch, 1e-5);
                if (k >= 0) { // the first step warms up
                    seconds.add(r.seconds());
                }
            }
        }
        double perStep = Median.of(seconds);
        long params = c.parameterCount();
        int seq = promptLen + completionLen;
        double tokens = (double) answers * seq;
        double flops = ModelBenchmark.trainingFlops(c, answers, seq, completionLen);
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("parameters", params);
        r.put("answers_per_step", answers);
        r.put("prompt_tokens", promptLen);
        r.put("completion_tokens", completionLen);
        r.put("step_seconds_median", perStep);
        r.put("step_seconds_all", seconds);
        r.put("tokens_per_second", tokens / perStep);
        r.put("completion_tokens_per_second", (double) answers * completionLen / perStep);
        r.put("gflops", flops / perStep / 1e9);
        r.put("mfu_vs_matmul", flops / perStep / 1e9 / peakGflops);
        return r;
    }
}
