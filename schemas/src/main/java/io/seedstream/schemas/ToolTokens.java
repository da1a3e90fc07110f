package io.seedstream.schemas;

import io.seedstream.schemas.avro.Answer;
import io.seedstream.schemas.avro.ToolCall;
import java.util.List;

/**
 * Which of an answer's tokens the model sampled and which a tool's reply appended: the one place
 * that reads {@code Answer.tool_calls} for it. Scoring takes the answer's likelihood over the
 * model's tokens only, and the trainer's loss, ratios and KL cover only those; an answer without
 * calls (every record written before tools) is all model tokens.
 */
public final class ToolTokens {

    private ToolTokens() {}

    /** Whether the answer has tokens a tool produced. */
    public static boolean any(Answer a) {
        List<ToolCall> calls = a.getToolCalls();
        return calls != null && calls.stream().anyMatch(c -> c.getReplyEnd() > c.getReplyStart());
    }

    /**
     * Per token of an answer of {@code tokens} tokens, whether the model sampled it (false for the
     * tokens of a tool's reply). Call {@link #problem} first: the spans are trusted here.
     */
    public static boolean[] modelTokens(Answer a, int tokens) {
        boolean[] model = new boolean[tokens];
        java.util.Arrays.fill(model, true);
        List<ToolCall> calls = a.getToolCalls();
        if (calls != null) {
            for (ToolCall c : calls) {
                for (int t = Math.max(0, c.getReplyStart()); t < Math.min(tokens, c.getReplyEnd()); t++) {
                    model[t] = false;
                }
            }
        }
        return model;
    }

    /**
     * Why the answer's calls do not fit its {@code tokens} tokens (a reply span out of range, reversed,
     * or overlapping an earlier one), or null when they do.
     */
    public static String problem(Answer a, int tokens) {
        List<ToolCall> calls = a.getToolCalls();
        if (calls == null) {
            return null;
        }
        int end = 0;
        for (int i = 0; i < calls.size(); i++) {
            ToolCall c = calls.get(i);
            if (c.getReplyStart() < end || c.getReplyEnd() < c.getReplyStart() || c.getReplyEnd() > tokens) {
                return "tool call " + i + " (" + c.getTool() + ") claims reply tokens [" + c.getReplyStart() + ", "
                        + c.getReplyEnd() + ") of an answer of " + tokens + " tokens"
                        + (c.getReplyStart() < end ? ", overlapping the previous call's reply" : "");
            }
            end = c.getReplyEnd();
        }
        return null;
    }
}
