package io.seedstream.producers.generator;

import io.seedstream.model.Policy;
import io.seedstream.producers.task.ArithmeticTask;
import java.util.Arrays;

/**
 * A problem as the policy sees it: put into the prompt template, tokenized, and cut to what fits
 * the model's context next to the answer's token budget, keeping the end (the question) when the
 * beginning has to go.
 */
public final class PromptEncoder {

    /** The built-in task's format; {@code {problem}} stands for the problem text. */
    public static final String DEFAULT_TEMPLATE = ArithmeticTask.prompt("{problem}");

    /** Token ids, and whether the beginning was dropped to fit. */
    public record Encoded(int[] ids, boolean truncated) {}

    private final Policy policy;
    private final String template;

    public PromptEncoder(Policy policy, String template) {
        if (!template.contains("{problem}")) {
            throw new IllegalArgumentException("prompt template '" + template + "' has no {problem}");
        }
        this.policy = policy;
        this.template = template;
    }

    public Encoded encode(String problem, int maxNewTokens) {
        int[] ids = policy.tokenizer().encode(template.replace("{problem}", problem));
        int room = Math.max(1, policy.model().config().maxPositionEmbeddings() - maxNewTokens);
        return ids.length <= room ? new Encoded(ids, false)
                : new Encoded(Arrays.copyOfRange(ids, ids.length - room, ids.length), true);
    }
}
