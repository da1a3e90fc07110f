package io.seedstream.infra.registry;

import io.seedstream.schemas.Topics;
import io.seedstream.schemas.registry.Compatibility;
import java.time.Duration;
import java.util.Map;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.types.Password;

/**
 * How the schema registry server runs.
 *
 * @param host address to listen on
 * @param port HTTP port; 0 picks a free one
 * @param topic the compacted topic holding the schemas (shared by every registry of a cluster)
 * @param defaultCompatibility level used when neither a global nor a subject level was set
 * @param timeout bound on each Kafka operation of the registry
 */
public record RegistrySettings(
        String host, int port, String topic, Compatibility defaultCompatibility, Duration timeout,
        String writeUser, Password writePassword) {

    public static final String HOST = "registry.host";
    public static final String PORT = "registry.port";
    public static final String TOPIC = "registry.topic";
    public static final String COMPATIBILITY = "registry.default.compatibility";
    public static final String TIMEOUT_MS = "registry.timeout.ms";
    public static final String WRITE_USER = "registry.write.user";
    public static final String WRITE_PASSWORD = "registry.write.password";

    public static final ConfigDef DEFINITION = new ConfigDef()
            .define(HOST, Type.STRING, "127.0.0.1", Importance.MEDIUM, "Address the registry listens on.")
            .define(PORT, Type.INT, 8081, Range.between(0, 65535), Importance.MEDIUM,
                    "HTTP port of the registry; 0 picks a free port.")
            .define(TOPIC, Type.STRING, Topics.SCHEMAS.suffix(), new ConfigDef.NonEmptyString(),
                    Importance.LOW, "Compacted topic that stores the schemas.")
            .define(COMPATIBILITY, Type.STRING, Compatibility.DEFAULT.name(),
                    ConfigDef.ValidString.in(java.util.Arrays.stream(Compatibility.values())
                            .map(Enum::name).toArray(String[]::new)),
                    Importance.MEDIUM, "Compatibility level when none was configured through /config.")
            .define(TIMEOUT_MS, Type.INT, 30_000, Range.atLeast(100), Importance.LOW,
                    "Bound on each Kafka operation of the registry, in ms.")
            .define(WRITE_USER, Type.STRING, "", Importance.MEDIUM,
                    "When set, requests that change the registry (register a schema, set a compatibility level, "
                            + "delete) need HTTP basic authentication as this user; reads stay open.")
            .define(WRITE_PASSWORD, Type.PASSWORD, "", Importance.MEDIUM, "The write user's password.");

    public static RegistrySettings from(Map<?, ?> props) {
        AbstractConfig c = new AbstractConfig(DEFINITION, props, false);
        if (!c.getString(WRITE_USER).isEmpty() && c.getPassword(WRITE_PASSWORD).value().isEmpty()) {
            throw new org.apache.kafka.common.config.ConfigException(WRITE_USER + " is set without " + WRITE_PASSWORD);
        }
        return new RegistrySettings(c.getString(HOST), c.getInt(PORT), c.getString(TOPIC),
                Compatibility.parse(c.getString(COMPATIBILITY)), Duration.ofMillis(c.getInt(TIMEOUT_MS)),
                c.getString(WRITE_USER), c.getPassword(WRITE_PASSWORD));
    }

    public static RegistrySettings defaults() {
        return from(Map.of());
    }

    public RegistrySettings withPort(int p) {
        return new RegistrySettings(host, p, topic, defaultCompatibility, timeout, writeUser, writePassword);
    }

    /** Writes need basic authentication as this user. */
    public RegistrySettings withWriteCredentials(String user, String password) {
        return new RegistrySettings(host, port, topic, defaultCompatibility, timeout, user, new Password(password));
    }

    public RegistrySettings withTopic(String t) {
        return new RegistrySettings(host, port, t, defaultCompatibility, timeout, writeUser, writePassword);
    }
}
