package io.seedstream.producers.tools;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The tools a generator may call, by name: the allow-list. A call names a tool; one not here is
 * refused. Every call runs on the box's own threads and is waited for at most its timeout, so a
 * tool that hangs costs one call its reply (a timeout text), never the generator's batch.
 */
public final class ToolBox implements AutoCloseable {

    /** One call as the box made it: which tool, what it answered and how long it took. */
    public record Outcome(String tool, String arguments, ToolReply reply, long latencyMs) {}

    private final Map<String, Tool> tools = new LinkedHashMap<>();
    private final Duration timeout;
    private final ExecutorService threads = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "tool-call");
        t.setDaemon(true);
        return t;
    });

    /** Threads that wait for calls on behalf of the sampler (each waits at most the timeout). */
    private final ExecutorService waiters = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "tool-wait");
        t.setDaemon(true);
        return t;
    });

    public ToolBox(List<Tool> tools, Duration timeout) {
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("tool timeout " + timeout + ", must be > 0");
        }
        for (Tool t : tools) {
            if (this.tools.putIfAbsent(t.name(), t) != null) {
                throw new IllegalArgumentException("two tools are named " + t.name());
            }
        }
        this.timeout = timeout;
    }

    public List<String> names() {
        return List.copyOf(tools.keySet());
    }

    /** Calls the named tool with the arguments, within the timeout; every failure is a reply. */
    public Outcome call(String tool, String arguments) {
        long start = System.nanoTime();
        Tool t = tool == null ? null : tools.get(tool);
        if (t == null) {
            return outcome(tool, arguments, new ToolReply("error: no tool named " + (tool == null ? "(none)" : tool)
                    + "; tools: " + String.join(", ", tools.keySet()), ToolReply.Status.REFUSED), start);
        }
        Future<ToolReply> reply = threads.submit(() -> t.call(arguments, timeout));
        try {
            return outcome(tool, arguments, reply.get(timeout.toNanos(), TimeUnit.NANOSECONDS), start);
        } catch (TimeoutException e) {
            reply.cancel(true);
            return outcome(tool, arguments, new ToolReply("error: no reply within " + timeout.toMillis() + " ms",
                    ToolReply.Status.TIMEOUT), start);
        } catch (ExecutionException e) {
            // a user's tool that throws: its call fails, the answer goes on
            return outcome(tool, arguments, ToolReply.error("the tool failed: " + e.getCause()), start);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            reply.cancel(true);
            return outcome(tool, arguments, new ToolReply("error: interrupted", ToolReply.Status.TIMEOUT), start);
        }
    }

    /**
     * The same call on the box's threads: the sampler goes on with other rows meanwhile. The
     * outcome arrives within the timeout (plus the refusal or timeout text's making).
     */
    public java.util.concurrent.CompletableFuture<Outcome> callAsync(String tool, String arguments) {
        return java.util.concurrent.CompletableFuture.supplyAsync(() -> call(tool, arguments), waiters);
    }

    private static Outcome outcome(String tool, String arguments, ToolReply reply, long startNanos) {
        return new Outcome(tool == null ? "" : tool, arguments, reply == null ? ToolReply.error("no reply") : reply,
                (System.nanoTime() - startNanos) / 1_000_000);
    }

    @Override
    public void close() {
        threads.shutdownNow();
        waiters.shutdownNow();
    }
}
