package io.seedstream.infra.broker;

import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;

/**
 * Where and how the embedded broker runs.
 *
 * @param dataDir log directory; a broker started again on the same directory keeps its records
 * @param host address the listeners bind to and advertise
 * @param port client port; 0 picks a free one
 * @param controllerPort KRaft controller port; 0 picks a free one
 * @param overrides further broker properties, applied last (a {@code server.properties} file)
 * @param security SASL/SCRAM over TLS with ACLs, or null for a plaintext listener
 */
public record BrokerSettings(
        Path dataDir, String host, int port, int controllerPort, Map<String, String> overrides,
        BrokerSecurity security) {

    public static final String DEFAULT_HOST = "127.0.0.1";
    public static final int DEFAULT_PORT = 9092;

    public BrokerSettings {
        Objects.requireNonNull(dataDir, "dataDir");
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("broker port was " + port + ", must be in [0, 65535]");
        }
        if (controllerPort < 0 || controllerPort > 65535) {
            throw new IllegalArgumentException(
                    "controller port was " + controllerPort + ", must be in [0, 65535]");
        }
        overrides = Map.copyOf(overrides);
    }

    /** A plaintext broker. */
    public BrokerSettings(Path dataDir, String host, int port, int controllerPort, Map<String, String> overrides) {
        this(dataDir, host, port, controllerPort, overrides, null);
    }

    public BrokerSettings withSecurity(BrokerSecurity s) {
        return new BrokerSettings(dataDir, host, port, controllerPort, overrides, s);
    }

    /** A broker on free ports of 127.0.0.1 with the given data directory. */
    public static BrokerSettings ephemeralPorts(Path dataDir) {
        return new BrokerSettings(dataDir, DEFAULT_HOST, 0, 0, Map.of());
    }
}
