package io.seedstream.producers.tools;

import io.seedstream.model.Policy;
import io.seedstream.model.ToolCaller;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Future;
import java.util.function.Function;

/**
 * The sampler's view of a generator's tools: calls are read in the configured format, made through
 * the box (the allow-list, each bounded in time), and their replies written back in the format.
 */
public final class ToolCalling implements ToolCaller {

    /** Steps a waiting row lets the others decode before the batch waits for its reply. */
    static final int MAX_WAIT_STEPS = 64;

    private final CallFormat format;
    private final ToolBox box;
    private final int maxCalls;
    private final Function<String, int[]> encoder;
    private final String lastMarkerChar;

    public ToolCalling(CallFormat format, ToolBox box, int maxCalls, Function<String, int[]> encoder) {
        this.format = format;
        this.box = box;
        this.maxCalls = maxCalls;
        this.encoder = encoder;
        this.lastMarkerChar = format.close().substring(format.close().length() - 1);
    }

    /** The settings' calls for a policy's sampler, replies encoded by the policy's tokenizer. */
    public static ToolCalling of(ToolSettings settings, ToolBox box, Policy policy) {
        return new ToolCalling(settings.format(), box, settings.maxCalls(), text -> policy.tokenizer().encode(text));
    }

    @Override
    public int maxCalls() {
        return maxCalls;
    }

    @Override
    public int maxWaitSteps() {
        return MAX_WAIT_STEPS;
    }

    @Override
    public boolean mayEndCall(String tokenText) {
        return tokenText.contains(lastMarkerChar);
    }

    @Override
    public Future<Result> callIfEnded(String text) {
        return format.completedCall(text).map(call -> {
            if (call.problem() != null) {
                ToolReply r = ToolReply.error(call.problem());
                return CompletableFuture.completedFuture(new Result(call.tool() == null ? "" : call.tool(),
                        call.arguments(), format.reply(r), r.status().label(), 0));
            }
            return box.callAsync(call.tool(), call.arguments()).thenApply(o -> new Result(o.tool(), o.arguments(),
                    format.reply(o.reply()), o.reply().status().label(), o.latencyMs()));
        }).orElse(null);
    }

    @Override
    public int[] encode(String reply) {
        return encoder.apply(reply);
    }
}
