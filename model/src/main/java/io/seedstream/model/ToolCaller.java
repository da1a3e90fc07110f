package io.seedstream.model;

import java.util.concurrent.Future;

/**
 * Tool calls while sampling. After each sampled token whose text may end a call, the sampler
 * gives the row's text so far; a call the text now ends is started and the row waits for its
 * reply while the other rows go on decoding (it feeds masked pads, which neither attend nor
 * advance positions). The reply's tokens are then fed one per step, recorded with log-prob 0 and
 * marked as the tool's, and sampling resumes.
 */
public interface ToolCaller {

    /** One finished call: what the log records of it. */
    record Result(String tool, String arguments, String reply, String status, long latencyMs) {}

    /** Calls per answer at most; a call beyond it is not made (the text stays as the model wrote it). */
    int maxCalls();

    /**
     * Steps a row may wait for a reply while others decode; after that the batch waits for the
     * reply (each waiting step takes a position of the KV cache).
     */
    int maxWaitSteps();

    /** Whether a token with this text could complete a call's closing marker (a cheap check before decoding). */
    boolean mayEndCall(String tokenText);

    /** The call the text ends with, started, or null when the text does not end with one. */
    Future<Result> callIfEnded(String text);

    /** The tokens appended for a reply. */
    int[] encode(String reply);
}
