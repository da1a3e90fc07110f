package io.seedstream.producers.generator;

import io.seedstream.model.Policy;
import java.util.Arrays;

/**
 * A problem as the policy sees it: put into the prompt format, tokenized, and cut to what fits
 * the model's context next to the answer's token budget, keeping the end (the question) when the
 * beginning has to go. The one place prompts are built: the generators, eval and task sft use it.
 */
public final class PromptEncoder {

    /** Token ids, and whether the beginning was dropped to fit. */
    public record Encoded(int[] ids, boolean truncated) {}

    private final Policy policy;
    private final PromptFormat format;
    private final String answerPrefix;

    public PromptEncoder(Policy policy, PromptFormat format) {
        this(policy, format, "");
    }

    /** @param answerPrefix text the answer is made to start with, put after the prompt (e.g. " Steps:") */
    public PromptEncoder(Policy policy, PromptFormat format, String answerPrefix) {
        this.policy = policy;
        this.format = format;
        this.answerPrefix = answerPrefix;
    }

    public Encoded encode(String problem, int maxNewTokens) {
        int[] ids = policy.tokenizer().encode(format.text(problem) + answerPrefix);
        int room = Math.max(1, policy.model().config().maxPositionEmbeddings() - maxNewTokens);
        return ids.length <= room ? new Encoded(ids, false)
                : new Encoded(Arrays.copyOfRange(ids, ids.length - room, ids.length), true);
    }
}
