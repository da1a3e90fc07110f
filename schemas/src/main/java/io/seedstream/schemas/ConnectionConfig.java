package io.seedstream.schemas;

import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigDef.Type;

/**
 * How every seedstream process reaches the cluster: Kafka bootstrap servers, the schema
 * registry, the topic prefix, and the client security settings passed through to Kafka.
 *
 * @param bootstrapServers Kafka {@code bootstrap.servers}
 * @param registryUrl base URL of a Confluent-API-compatible schema registry
 * @param topicPrefix prefix of every seedstream topic name
 * @param autoRegisterSchemas whether serializers register their schema on first use
 * @param registryTimeoutMs bound on each registry HTTP call
 * @param clientOverrides {@code security.*}, {@code sasl.*} and {@code ssl.*} settings, passed
 *     unchanged to every Kafka client
 */
public record ConnectionConfig(
        String bootstrapServers,
        String registryUrl,
        String topicPrefix,
        boolean autoRegisterSchemas,
        int registryTimeoutMs,
        Map<String, String> clientOverrides) {

    public static final String BOOTSTRAP_SERVERS = "bootstrap.servers";
    public static final String SCHEMA_REGISTRY_URL = "schema.registry.url";
    public static final String TOPIC_PREFIX = "topic.prefix";
    public static final String AUTO_REGISTER_SCHEMAS = "auto.register.schemas";
    public static final String SCHEMA_REGISTRY_TIMEOUT_MS = "schema.registry.timeout.ms";

    public static final String DEFAULT_BOOTSTRAP_SERVERS = "127.0.0.1:9092";
    public static final String DEFAULT_REGISTRY_URL = "http://127.0.0.1:8081";
    public static final String DEFAULT_TOPIC_PREFIX = "seedstream.";

    public static final ConfigDef DEFINITION =
            new ConfigDef()
                    .define(BOOTSTRAP_SERVERS, Type.STRING, DEFAULT_BOOTSTRAP_SERVERS,
                            new ConfigDef.NonEmptyString(), Importance.HIGH,
                            "Kafka brokers to connect to, host:port[,host:port...].")
                    .define(SCHEMA_REGISTRY_URL, Type.STRING, DEFAULT_REGISTRY_URL,
                            new ConfigDef.NonEmptyString(), Importance.HIGH,
                            "Base URL of a Confluent-API-compatible schema registry.")
                    .define(TOPIC_PREFIX, Type.STRING, DEFAULT_TOPIC_PREFIX, Importance.MEDIUM,
                            "Prefix of every seedstream topic name.")
                    .define(AUTO_REGISTER_SCHEMAS, Type.BOOLEAN, true, Importance.MEDIUM,
                            "Register a record's schema on first use; when false the schema"
                                    + " must already be registered under the subject.")
                    .define(SCHEMA_REGISTRY_TIMEOUT_MS, Type.INT, 10_000, Range.atLeast(1),
                            Importance.LOW, "Bound on each schema registry HTTP call, in ms.");

    public ConnectionConfig {
        clientOverrides = Map.copyOf(clientOverrides);
    }

    /** The configuration of the embedded defaults. */
    public static ConnectionConfig defaults() {
        return from(Map.of());
    }

    /**
     * Parses and validates properties; unknown keys are ignored except the security settings,
     * which are kept for the Kafka clients.
     */
    public static ConnectionConfig from(Map<?, ?> props) {
        AbstractConfig parsed = new AbstractConfig(DEFINITION, props, false);
        Map<String, String> overrides = new HashMap<>();
        props.forEach((k, v) -> {
            String key = String.valueOf(k);
            if (key.startsWith("security.") || key.startsWith("sasl.") || key.startsWith("ssl.")) {
                overrides.put(key, String.valueOf(v));
            }
        });
        return new ConnectionConfig(
                parsed.getString(BOOTSTRAP_SERVERS),
                parsed.getString(SCHEMA_REGISTRY_URL),
                parsed.getString(TOPIC_PREFIX),
                parsed.getBoolean(AUTO_REGISTER_SCHEMAS),
                parsed.getInt(SCHEMA_REGISTRY_TIMEOUT_MS),
                overrides);
    }

    /** A copy pointing at other servers, keeping everything else. */
    public ConnectionConfig withServers(String bootstrap, String registry) {
        return new ConnectionConfig(bootstrap, registry, topicPrefix, autoRegisterSchemas,
                registryTimeoutMs, clientOverrides);
    }

    /** A copy with other client security settings (another principal's). */
    public ConnectionConfig withClientOverrides(Map<String, String> overrides) {
        return new ConnectionConfig(bootstrapServers, registryUrl, topicPrefix, autoRegisterSchemas,
                registryTimeoutMs, overrides);
    }

    /** A copy with another topic prefix. */
    public ConnectionConfig withTopicPrefix(String prefix) {
        return new ConnectionConfig(bootstrapServers, registryUrl, prefix, autoRegisterSchemas,
                registryTimeoutMs, clientOverrides);
    }

    /** The full name of a topic in this deployment. */
    public String topic(Topic<?, ?> topic) {
        return topic.name(topicPrefix);
    }

    /** Base properties for any Kafka client: bootstrap servers plus the security settings. */
    public Properties kafkaProperties() {
        Properties p = new Properties();
        p.put(BOOTSTRAP_SERVERS, bootstrapServers);
        p.putAll(clientOverrides);
        return p;
    }

    /**
     * What every producer of the project sets: writes acknowledged by all in-sync replicas,
     * idempotent, and one request in flight per connection. Kafka up to 4.4 (KAFKA-15591, fixed in
     * 4.5) can refuse an idempotent producer's first request to a just-created partition
     * (NOT_LEADER_OR_FOLLOWER) while a later request is appended; the first is then retried as out
     * of order until its delivery timeout: a stalled transaction, or lost records. With one request
     * in flight there is no later request, whichever partition a producer writes first.
     */
    public static final Map<String, String> PRODUCER_SAFETY = Map.of("acks", "all", "enable.idempotence", "true",
            "max.in.flight.requests.per.connection", "1");

    /** Base properties for a producer of the project: {@link #kafkaProperties()}, {@link #PRODUCER_SAFETY} and its client id. */
    public Properties producerProperties(String clientId) {
        Properties p = kafkaProperties();
        p.putAll(PRODUCER_SAFETY);
        p.put("client.id", clientId);
        return p;
    }

    /** The settings as a map, for logging and saving with a run. */
    public Map<String, String> describe() {
        Map<String, String> m = new java.util.TreeMap<>();
        m.put(BOOTSTRAP_SERVERS, bootstrapServers);
        m.put(SCHEMA_REGISTRY_URL, registryUrl);
        m.put(TOPIC_PREFIX, topicPrefix);
        m.put(AUTO_REGISTER_SCHEMAS, String.valueOf(autoRegisterSchemas));
        m.put(SCHEMA_REGISTRY_TIMEOUT_MS, String.valueOf(registryTimeoutMs));
        // sasl.jaas.config holds a password too
        clientOverrides.keySet().forEach(k -> m.put(k, k.contains("password") || k.contains("jaas") ? "[hidden]"
                : clientOverrides.get(k)));
        return m;
    }
}
