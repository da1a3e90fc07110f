package io.seedstream.producers.tools;

import java.time.Duration;

/**
 * A tool the policy may call mid-answer: the built-in {@link Calculator}, an {@link HttpTool}, or
 * a user's own implementation given to the generator. A call's failure is a reply too (an error
 * text the model reads, with its status), never an exception out of {@link #call}.
 */
public interface Tool {

    /** The name a call uses to pick this tool. */
    String name();

    /**
     * Answers one call.
     *
     * @param arguments the call as the model wrote it (an expression, or a Hermes call's arguments as JSON)
     * @param timeout how long the caller waits; a tool that does its own I/O should bound itself by it
     */
    ToolReply call(String arguments, Duration timeout);
}
