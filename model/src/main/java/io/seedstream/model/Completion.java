package io.seedstream.model;

/**
 * One sampled completion.
 *
 * @param text decoded text (without a stop token, cut before a stop string)
 * @param tokenIds the sampled tokens, a final stop token included
 * @param logprobs log-prob of each sampled token under the distribution it was drawn from,
 *     softmax(logits / T) (top-k and top-p ignored; T = 1 for greedy decoding)
 * @param finishedByStop true when a stop token or string ended it, false when the budget did
 */
public record Completion(String text, int[] tokenIds, float[] logprobs, boolean finishedByStop) {}
