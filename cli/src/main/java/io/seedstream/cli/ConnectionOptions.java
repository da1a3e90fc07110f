package io.seedstream.cli;

import io.seedstream.schemas.ConnectionConfig;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import picocli.CommandLine.Option;

/**
 * How a command reaches the cluster. Precedence, highest first: flags, environment variables
 * ({@code SEEDSTREAM_BOOTSTRAP_SERVERS}, {@code SEEDSTREAM_SCHEMA_REGISTRY_URL},
 * {@code SEEDSTREAM_TOPIC_PREFIX}, ...), the {@code --config} properties file, the defaults.
 */
public final class ConnectionOptions {

    @Option(names = "--config", paramLabel = "FILE",
            description = "Properties file: bootstrap.servers, schema.registry.url, topic.prefix, "
                    + "auto.register.schemas, security.*/sasl.*/ssl.* client settings, and component keys.")
    Path config;

    @Option(names = "--bootstrap-servers", paramLabel = "HOST:PORT",
            description = "Kafka brokers (default: " + ConnectionConfig.DEFAULT_BOOTSTRAP_SERVERS + ").")
    String bootstrapServers;

    @Option(names = "--registry-url", paramLabel = "URL",
            description = "Schema registry (default: " + ConnectionConfig.DEFAULT_REGISTRY_URL + ").")
    String registryUrl;

    @Option(names = "--topic-prefix", paramLabel = "PREFIX",
            description = "Prefix of every topic name (default: " + ConnectionConfig.DEFAULT_TOPIC_PREFIX + ").")
    String topicPrefix;

    /** Every property from the file, the environment and the flags, merged by precedence. */
    public Properties properties() {
        Properties p = config != null ? ConfigKeys.load(config) : new Properties();
        for (Map.Entry<String, String> env : System.getenv().entrySet()) {
            if (env.getKey().startsWith("SEEDSTREAM_") && !env.getKey().equals("SEEDSTREAM_LOG_LEVEL")
                    && !env.getKey().equals("SEEDSTREAM_JAVA_OPTS")) {
                p.put(env.getKey().substring("SEEDSTREAM_".length()).toLowerCase(Locale.ROOT).replace('_', '.'),
                        env.getValue());
            }
        }
        putIfSet(p, ConnectionConfig.BOOTSTRAP_SERVERS, bootstrapServers);
        putIfSet(p, ConnectionConfig.SCHEMA_REGISTRY_URL, registryUrl);
        putIfSet(p, ConnectionConfig.TOPIC_PREFIX, topicPrefix);
        return p;
    }

    public ConnectionConfig connection() {
        return ConnectionConfig.from(properties());
    }

    private static void putIfSet(Properties p, String key, String value) {
        if (value != null) {
            p.put(key, value);
        }
    }
}
