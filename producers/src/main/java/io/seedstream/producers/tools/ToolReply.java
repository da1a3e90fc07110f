package io.seedstream.producers.tools;

/**
 * What a tool answered: the text appended to the answer and how the call went (the log records
 * both, as {@code ToolCall.reply} and {@code ToolCall.status}).
 */
public record ToolReply(String text, Status status) {

    public enum Status {
        OK, ERROR, TIMEOUT, REFUSED;

        /** As the log records it. */
        public String label() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    public ToolReply {
        if (text == null || status == null) {
            throw new IllegalArgumentException("a reply needs a text and a status");
        }
    }

    public static ToolReply ok(String text) {
        return new ToolReply(text, Status.OK);
    }

    /** A failed call, as the model reads it. */
    public static ToolReply error(String why) {
        return new ToolReply("error: " + why, Status.ERROR);
    }
}
