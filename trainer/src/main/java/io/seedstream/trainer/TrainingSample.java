package io.seedstream.trainer;

/**
 * One answer as the trainer uses it: the prompt's token ids, the answer's token ids, the
 * behaviour policy's log-prob of each answer token (recorded at generation time), the answer's
 * entropy-scaled advantage (computed by the scorer, never recomputed here), the policy version
 * that generated it and the temperature it was sampled at (the old log-probs are those of
 * softmax(logits / T), and the trainer's must be too).
 *
 * @param modelTokens per completion token, whether the model sampled it (false for a tool's reply,
 *     which the loss, the ratios and the KL leave out); null when the model sampled every token
 */
public record TrainingSample(int[] promptIds, int[] completionIds, float[] oldLogprobs, double scaledAdvantage,
        long policyVersion, double temperature, boolean[] modelTokens) {

    public TrainingSample(int[] promptIds, int[] completionIds, float[] oldLogprobs, double scaledAdvantage,
            long policyVersion) {
        this(promptIds, completionIds, oldLogprobs, scaledAdvantage, policyVersion, 1.0);
    }

    public TrainingSample(int[] promptIds, int[] completionIds, float[] oldLogprobs, double scaledAdvantage,
            long policyVersion, double temperature) {
        this(promptIds, completionIds, oldLogprobs, scaledAdvantage, policyVersion, temperature, null);
    }

    public TrainingSample {
        if (promptIds.length == 0) {
            throw new IllegalArgumentException("empty prompt");
        }
        if (oldLogprobs.length != completionIds.length) {
            throw new IllegalArgumentException(completionIds.length + " completion tokens but " + oldLogprobs.length
                    + " old log-probs");
        }
        if (!(temperature > 0) || Double.isInfinite(temperature)) {
            throw new IllegalArgumentException("sampling temperature " + temperature + ", must be finite and > 0");
        }
        if (!Double.isFinite(scaledAdvantage)) {
            throw new IllegalArgumentException("non-finite advantage " + scaledAdvantage);
        }
        for (float lp : oldLogprobs) {
            if (!Float.isFinite(lp) || lp > 0) {
                throw new IllegalArgumentException("invalid old log-prob " + lp);
            }
        }
        if (modelTokens != null && modelTokens.length != completionIds.length) {
            throw new IllegalArgumentException(completionIds.length + " completion tokens but " + modelTokens.length
                    + " model-token flags");
        }
    }

    /** Whether completion token t is the model's (not a tool's reply). */
    public boolean isModelToken(int t) {
        return modelTokens == null || modelTokens[t];
    }

    /** Completion tokens the model sampled: those the loss covers. */
    public int modelTokenCount() {
        if (modelTokens == null) {
            return completionIds.length;
        }
        int n = 0;
        for (boolean b : modelTokens) {
            n += b ? 1 : 0;
        }
        return n;
    }

    /** Tokens of prompt and completion: what a forward pass over this sample costs. */
    public int length() {
        return promptIds.length + completionIds.length;
    }
}
