package io.seedstream.model;

import java.util.List;

/**
 * One sampled completion.
 *
 * @param text decoded text (without a stop token, cut before a stop string)
 * @param tokenIds the completion's tokens, a final stop token included: the model's and any tool replies'
 * @param logprobs log-prob of each sampled token under the distribution it was drawn from,
 *     softmax(logits / T) (top-k and top-p ignored; T = 1 for greedy decoding); 0 for a reply's tokens
 * @param finishedByStop true when a stop token or string ended it, false when the budget did
 * @param toolCalls the calls made while sampling it, with the span of each reply's tokens
 */
public record Completion(String text, int[] tokenIds, float[] logprobs, boolean finishedByStop, List<ToolUse> toolCalls) {

    /** A call and where its reply's tokens are: [replyStart, replyEnd) of the completion's tokens. */
    public record ToolUse(ToolCaller.Result result, int replyStart, int replyEnd) {}

    public Completion(String text, int[] tokenIds, float[] logprobs, boolean finishedByStop) {
        this(text, tokenIds, logprobs, finishedByStop, List.of());
    }

    public Completion {
        toolCalls = List.copyOf(toolCalls);
    }
}
