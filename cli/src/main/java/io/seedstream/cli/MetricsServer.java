package io.seedstream.cli;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.prometheus.metrics.exporter.httpserver.HTTPServer;
import java.io.IOException;

/**
 * GET /metrics for Prometheus: a Micrometer registry served by the Prometheus client's own HTTP
 * server, on the loopback interface (put a proxy or an agent in front to expose it further).
 */
public final class MetricsServer implements AutoCloseable {

    private final PrometheusMeterRegistry registry;
    private final HTTPServer server;

    private MetricsServer(PrometheusMeterRegistry registry, HTTPServer server) {
        this.registry = registry;
        this.server = server;
    }

    /** A registry for a process's meters, and a server for it when {@code port >= 0} (0: any free port). */
    public static MetricsServer start(int port) throws IOException {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        HTTPServer server = port < 0 ? null : HTTPServer.builder().hostname("127.0.0.1").port(port)
                .registry(registry.getPrometheusRegistry()).buildAndStart();
        return new MetricsServer(registry, server);
    }

    public PrometheusMeterRegistry registry() {
        return registry;
    }

    /** The port it serves on, or -1 when it does not serve. */
    public int port() {
        return server == null ? -1 : server.getPort();
    }

    @Override
    public void close() {
        if (server != null) {
            server.close();
        }
        registry.close();
    }
}
