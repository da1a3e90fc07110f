package io.seedstream.model;

import java.util.Set;

/**
 * How to sample completions. Log-probs are those of the tempered distribution softmax(logits / T),
 * before top-k and top-p, as verl and TRL record them: the trainer computes its log-probs at the
 * same temperature, so the importance ratio compares like with like.
 *
 * @param greedy take the most likely token (temperature, top-k and top-p are then ignored)
 * @param temperature softmax temperature (> 0)
 * @param topP nucleus mass in (0, 1]; 1 disables it
 * @param topK keep the k most likely tokens; 0 disables it
 * @param maxNewTokens token budget; a completion that reaches it finishes with LENGTH
 * @param stopTokenIds tokens that end a completion (included in its tokens, not in its text)
 * @param seed seed of the sampling randomness (each sequence of the batch derives its own)
 */
public record SamplingOptions(boolean greedy, double temperature, double topP, int topK, int maxNewTokens,
        Set<Integer> stopTokenIds, long seed) {

    public SamplingOptions {
        if (!greedy && !(temperature > 0)) {
            throw new IllegalArgumentException("temperature was " + temperature + ", must be > 0 (or use greedy)");
        }
        if (!(topP > 0 && topP <= 1)) {
            throw new IllegalArgumentException("top-p was " + topP + ", must be in (0, 1]");
        }
        if (topK < 0) {
            throw new IllegalArgumentException("top-k was " + topK + ", must be >= 0");
        }
        if (maxNewTokens < 1) {
            throw new IllegalArgumentException("max new tokens was " + maxNewTokens + ", must be >= 1");
        }
        stopTokenIds = Set.copyOf(stopTokenIds);
    }

    public static SamplingOptions greedy(int maxNewTokens, Set<Integer> stopTokenIds) {
        return new SamplingOptions(true, 1.0, 1.0, 0, maxNewTokens, stopTokenIds, 0);
    }

    public static SamplingOptions sample(double temperature, double topP, int topK, int maxNewTokens,
            Set<Integer> stopTokenIds, long seed) {
        return new SamplingOptions(false, temperature, topP, topK, maxNewTokens, stopTokenIds, seed);
    }
}
