package io.seedstream.producers.tools;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.Optional;

/**
 * How a call and its reply are written in the answer. {@code CALC}: the built-in task's
 * {@code <calc>21-5</calc>}, answered by {@code <result>16</result>}. {@code HERMES}: the
 * {@code <tool_call>{"name": ..., "arguments": ...}</tool_call>} that Qwen2.5's chat template
 * uses, answered by {@code <tool_response>...</tool_response>}. The generator stops a sequence at
 * {@link #close}, reads the call, and appends the reply's tokens.
 */
public enum CallFormat {
    CALC("<calc>", "</calc>", "<result>", "</result>"),
    HERMES("<tool_call>", "</tool_call>", "\n<tool_response>\n", "\n</tool_response>\n");

    /** A call read from an answer: the tool it names and its arguments, or why it cannot be read. */
    public record Call(String tool, String arguments, String problem) {}

    private static final ObjectMapper JSON = new ObjectMapper();

    private final String open;
    private final String close;
    private final String replyOpen;
    private final String replyClose;

    CallFormat(String open, String close, String replyOpen, String replyClose) {
        this.open = open;
        this.close = close;
        this.replyOpen = replyOpen;
        this.replyClose = replyClose;
    }

    /** The marker that ends a call: sampling stops there. */
    public String close() {
        return close;
    }

    /** The call the text ends with, when it ends with a complete one. */
    public Optional<Call> completedCall(String text) {
        if (!text.endsWith(close)) {
            return Optional.empty();
        }
        int start = text.lastIndexOf(open, text.length() - close.length());
        if (start < 0) {
            return Optional.of(new Call(null, "", "a closing " + close + " without an opening " + open));
        }
        String inner = text.substring(start + open.length(), text.length() - close.length());
        return Optional.of(parse(inner));
    }

    Call parse(String inner) {
        if (this == CALC) {
            // as written, spaces too: the log's call then reads back out of the answer's text exactly
            return new Call(Calculator.NAME, inner, null);
        }
        try {
            JsonNode call = JSON.readTree(inner);
            if (call == null || !call.isObject() || !call.path("name").isTextual()) {
                return new Call(null, inner.strip(), "a tool call must be a JSON object with a \"name\"");
            }
            JsonNode args = call.path("arguments");
            String arguments = args.isMissingNode() ? "{}" : args.isTextual() ? args.asText() : args.toString();
            return new Call(call.get("name").asText(), arguments, null);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            return new Call(null, inner.strip(), "the tool call is not JSON: " + e.getOriginalMessage());
        }
    }

    /** The text appended to the answer for a reply. */
    public String reply(ToolReply reply) {
        return replyOpen + reply.text() + replyClose;
    }
}
