package io.seedstream.infra.registry;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Properties;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** A running schema registry: the log-backed registry plus its HTTP front. */
public final class RegistryServer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(RegistryServer.class);

    private final SchemaRegistry registry;
    private final RegistryHttpServer http;
    private final String host;

    private RegistryServer(SchemaRegistry registry, RegistryHttpServer http, String host) {
        this.registry = registry;
        this.http = http;
        this.host = host;
    }

    /** Starts a registry on the cluster reached through the given Kafka client properties. */
    public static RegistryServer start(Properties kafkaProps, RegistrySettings settings) {
        SchemaRegistry registry = new SchemaRegistry(kafkaProps, settings.topic(),
                settings.defaultCompatibility(), settings.timeout());
        try {
            RegistryHttpServer http = new RegistryHttpServer(registry, settings.host(), settings.port(),
                    settings.writeUser().isEmpty() ? null : settings.writeUser() + ":" + settings.writePassword().value());
            RegistryServer server = new RegistryServer(registry, http, settings.host());
            log.info("schema registry ready at {} (schemas in topic {})", server.url(), settings.topic());
            return server;
        } catch (IOException e) {
            registry.close();
            throw new UncheckedIOException("cannot listen on " + settings.host() + ":" + settings.port(), e);
        }
    }

    public String url() {
        return "http://" + host + ":" + http.port();
    }

    public int port() {
        return http.port();
    }

    @Override
    public void close() {
        http.close();
        registry.close();
    }
}
