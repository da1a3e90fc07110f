package io.seedstream.trainer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.seedstream.model.ContinuationLogProbs;
import io.seedstream.model.ModelConfig;
import io.seedstream.model.Transformer;
import io.seedstream.model.Weights;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PolicyUpdateTest {

    static final ModelConfig TINY = new ModelConfig("qwen2", 23, 16, 32, 2, 4, 2, 4, 1e-6, 10000, true, true, 64, 0, 0);

    /** Answers whose old log-probs are the model's own (ratio 1), with advantages times {@code scale}. */
    static List<TrainingSample> samples(Transformer model, double scale, NDManager m) {
        List<int[]> prompts = List.of(new int[] {1, 2, 3}, new int[] {1, 2, 3}, new int[] {4, 5}, new int[] {4, 5});
        List<int[]> conts = List.of(new int[] {6, 7, 0}, new int[] {8}, new int[] {9, 10, 11, 12}, new int[] {13, 0});
        double[] adv = {0.5, -0.5, 0.75, -0.75};
        float[][] lp;
        try (NDManager s = m.newSubManager()) {
            lp = rows(ContinuationLogProbs.compute(model, prompts, conts, s, 0).get(0), conts);
        }
        List<TrainingSample> out = new ArrayList<>();
        for (int i = 0; i < prompts.size(); i++) {
            out.add(new TrainingSample(prompts.get(i), conts.get(i), lp[i], adv[i] * scale, 0));
        }
        return out;
    }

    private static float[][] rows(NDArray a, List<int[]> conts) {
        long l = a.getShape().get(1);
        float[] flat = a.toFloatArray();
        float[][] out = new float[conts.size()][];
        for (int i = 0; i < conts.size(); i++) {
            out[i] = java.util.Arrays.copyOfRange(flat, (int) (i * l), (int) (i * l) + conts.get(i).length);
        }
        return out;
    }

    private static Map<String, float[]> gradients(PolicyUpdate update, Weights w, List<TrainingSample> step, NDManager m) {
        update.accumulate(step);
        Map<String, float[]> g = new LinkedHashMap<>();
        w.all().forEach((k, v) -> g.put(k, v.getGradient().toFloatArray()));
        try (NDManager s = m.newSubManager()) {
            Gradients.zero(w.all().values(), s);
        }
        return g;
    }

    @Test
    void gradientWithScaleSIsSTimesTheGradientWithScaleOne() {
        try (NDManager m = NDManager.newBaseManager(); Weights w = Weights.random(TINY, 1, m)) {
            Transformer model = new Transformer(TINY, w);
            try (PolicyUpdate update = new PolicyUpdate(model, null, PolicyUpdate.Options.defaults(), m)) {
                Map<String, float[]> one = gradients(update, w, samples(model, 1.0, m), m);
                // a power of two scales every float exactly
                Map<String, float[]> half = gradients(update, w, samples(model, 0.5, m), m);
                // any other scale: equal up to float32 rounding of the sums in backward (relative to the tensor)
                double s = 0.959969;
                Map<String, float[]> scaled = gradients(update, w, samples(model, s, m), m);
                double nonZero = 0;
                for (String k : one.keySet()) {
                    float[] g1 = one.get(k);
                    double largest = 0;
                    for (float v : g1) {
                        largest = Math.max(largest, Math.abs(v));
                    }
                    for (int i = 0; i < g1.length; i++) {
                        assertThat(half.get(k)[i]).isEqualTo(g1[i] * 0.5f);
                        assertThat((double) scaled.get(k)[i]).isCloseTo(s * g1[i], within(1e-6 * largest + 1e-12));
                        nonZero += Math.abs(g1[i]);
                    }
                }
                assertThat(nonZero).isGreaterThan(0);
            }
        }
    }

    @Test
    void aToolsReplyTokensGetNoLossRatioOrKl() {
        try (NDManager m = NDManager.newBaseManager(); Weights w = Weights.random(TINY, 4, m);
                Weights r = Weights.random(TINY, 5, m)) {
            Transformer model = new Transformer(TINY, w);
            Transformer reference = new Transformer(TINY, r);
            PolicyUpdate.Options o = new PolicyUpdate.Options(LossSettings.defaults().withKl(0.1, KlEstimator.K3)
                    .withAggregation(Aggregation.TOKEN_MEAN, 0), AdamW.Settings.defaults(), 1.0, 8192);
            // tokens 2 and 3 of the first answer are a tool's reply in its middle; the second's reply ends it
            boolean[] middle = {true, true, false, false, true, true};
            boolean[] end = {true, true, true, false, false};
            int[] withReply = {6, 7, 8, 14, 15};
            int[] otherReply = {6, 7, 8, 16, 17};
            try (PolicyUpdate update = new PolicyUpdate(model, reference, o, m)) {
                // what the tool's tokens were recorded with does not matter (the generator writes 0) ...
                Map<String, float[]> zero = gradients(update, w, toolStep(model, withReply, 0f, middle, end, m), m);
                Map<String, float[]> other = gradients(update, w, toolStep(model, withReply, -7f, middle, end, m), m);
                // ... nor, when nothing the model sampled follows it, what the tool answered
                Map<String, float[]> replied = gradients(update, w, toolStep(model, otherReply, 0f, middle, end, m), m);
                // the control: the same answers counted as all model tokens do differ
                Map<String, float[]> unmasked = gradients(update, w, toolStep(model, withReply, -7f, null, null, m), m);
                double moved = 0;
                for (String k : zero.keySet()) {
                    assertThat(other.get(k)).as(k).containsExactly(zero.get(k));
                    assertThat(replied.get(k)).as(k).containsExactly(zero.get(k));
                    for (int i = 0; i < zero.get(k).length; i++) {
                        moved += Math.abs(unmasked.get(k)[i] - zero.get(k)[i]);
                    }
                }
                assertThat(moved).as("counting the reply's tokens changes the gradient").isGreaterThan(1e-6);
            }
        }
    }

    /**
     * Two answers whose model tokens carry the model's own log-probs and whose tool tokens carry
     * {@code toolLogprob}; {@code middle} and {@code end} flag the model's tokens (null: all).
     */
    private static List<TrainingSample> toolStep(Transformer model, int[] second, float toolLogprob, boolean[] middle,
            boolean[] end, NDManager m) {
        List<int[]> prompts = List.of(new int[] {1, 2, 3}, new int[] {4, 5});
        List<int[]> conts = List.of(new int[] {6, 7, 14, 15, 8, 0}, second);
        float[][] lp;
        try (NDManager s = m.newSubManager()) {
            lp = rows(ContinuationLogProbs.compute(model, prompts, conts, s, 0).get(0), conts);
        }
        boolean[][] flags = {middle, end};
        double[] adv = {0.5, -0.75};
        List<TrainingSample> out = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            for (int t = 0; t < lp[i].length; t++) {
                boolean tool = flags[i] == null ? (i == 0 ? t == 2 || t == 3 : t >= 3) : !flags[i][t];
                lp[i][t] = tool ? toolLogprob : lp[i][t];
            }
            out.add(new TrainingSample(prompts.get(i), conts.get(i), lp[i], adv[i], 0, 1.0, flags[i]));
        }
        return out;
    }

    @Test
    void microBatchesAccumulateToTheFullBatchGradient() {
        try (NDManager m = NDManager.newBaseManager(); Weights w = Weights.random(TINY, 2, m)) {
            Transformer model = new Transformer(TINY, w);
            List<TrainingSample> step = samples(model, 1.0, m);
            Map<String, float[]> whole;
            Map<String, float[]> split;
            try (PolicyUpdate big = new PolicyUpdate(model, null, PolicyUpdate.Options.defaults(), m)) {
                whole = gradients(big, w, step, m);
            }
            PolicyUpdate.Options tiny = new PolicyUpdate.Options(LossSettings.defaults(), AdamW.Settings.defaults(), 1.0, 6);
            assertThat(PolicyUpdate.microBatches(step, 6)).hasSize(4);
            try (PolicyUpdate small = new PolicyUpdate(model, null, tiny, m)) {
                split = gradients(small, w, step, m);
            }
            for (String k : whole.keySet()) {
                for (int i = 0; i < whole.get(k).length; i++) {
                    assertThat((double) split.get(k)[i]).isCloseTo(whole.get(k)[i], within(1e-6));
                }
            }
        }
    }

    @Test
    void anUpdateLowersTheLossOnItsOwnBatchAndClipsTheNorm() {
        try (NDManager m = NDManager.newBaseManager(); Weights w = Weights.random(TINY, 3, m)) {
            Transformer model = new Transformer(TINY, w);
            List<TrainingSample> step = samples(model, 1.0, m);
            PolicyUpdate.Options o = new PolicyUpdate.Options(LossSettings.defaults(), AdamW.Settings.defaults(), 1e-3, 8192);
            try (PolicyUpdate update = new PolicyUpdate(model, null, o, m)) {
                StepResult first = update.apply(step, 1e-2);
                StepResult second = update.apply(step, 1e-2);
                assertThat(first.gradNorm()).isGreaterThan(1e-3);
                assertThat(first.clipCoef()).isCloseTo(1e-3 / (first.gradNorm() + 1e-6), within(1e-9));
                assertThat(second.loss()).isLessThan(first.loss());
                assertThat(update.optimizer().step()).isEqualTo(2);
            }
        }
    }
}
