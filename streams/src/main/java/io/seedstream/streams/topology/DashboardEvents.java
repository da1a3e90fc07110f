package io.seedstream.streams.topology;

import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * {@code GET /api/events}: server-sent events for the dashboard page, one "tick" every
 * {@link #PERIOD_MS} with this instance's topology counters; the page refetches what it shows
 * on each tick, so it stays live without reloads and without a second copy of the state here.
 */
final class DashboardEvents implements AutoCloseable {

    static final long PERIOD_MS = 2000;
    static final int MAX_CLIENTS = 16;

    private final ScoringMetrics metrics;
    private final Semaphore clients = new Semaphore(MAX_CLIENTS);
    private volatile boolean closed;

    DashboardEvents(ScoringMetrics metrics) {
        this.metrics = metrics;
    }

    void stream(HttpExchange ex) throws IOException {
        if (!clients.tryAcquire()) {
            HttpReplies.sendJson(ex, 503, "{\"error\": \"too many event streams\"}");
            return;
        }
        try {
            ex.getResponseHeaders().set("Content-Type", "text/event-stream; charset=utf-8");
            ex.getResponseHeaders().set("Cache-Control", "no-cache");
            ex.sendResponseHeaders(200, 0); // chunked, until the client goes away
            try (OutputStream out = ex.getResponseBody()) {
                out.write(("retry: " + PERIOD_MS + "\n\n").getBytes(StandardCharsets.UTF_8));
                while (!closed) {
                    String data = JsonSerde.JSON.writeValueAsString(metrics.snapshot());
                    out.write(("event: tick\ndata: " + data + "\n\n").getBytes(StandardCharsets.UTF_8));
                    out.flush();
                    TimeUnit.MILLISECONDS.sleep(PERIOD_MS);
                }
            }
        } catch (IOException e) {
            // the page was closed: nothing to do
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            clients.release();
            ex.close();
        }
    }

    @Override
    public void close() {
        closed = true;
    }
}
