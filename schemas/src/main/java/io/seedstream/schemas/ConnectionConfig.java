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
 * @param registryUserInfo {@code user:password} for the registry's HTTP basic authentication, as
 *     Confluent's clients take it ({@code basic.auth.credentials.source=USER_INFO} with
 *     {@code basic.auth.user.info}); null for none or credentials in the URL
 * @param maxMessageBytes the largest record written to the rollouts and training-batches topics: their
 *     {@code max.message.bytes} when {@code topics create} makes them, and their producers' request size
 */
public record ConnectionConfig(
        String bootstrapServers,
        String registryUrl,
        String topicPrefix,
        boolean autoRegisterSchemas,
        int registryTimeoutMs,
        Map<String, String> clientOverrides,
        String registryUserInfo,
        int maxMessageBytes) {

    public static final String BOOTSTRAP_SERVERS = "bootstrap.servers";
    public static final String SCHEMA_REGISTRY_URL = "schema.registry.url";
    public static final String TOPIC_PREFIX = "topic.prefix";
    public static final String AUTO_REGISTER_SCHEMAS = "auto.register.schemas";
    public static final String SCHEMA_REGISTRY_TIMEOUT_MS = "schema.registry.timeout.ms";
    /** Confluent's names: where the registry's credentials come from (URL or USER_INFO), and the user info. */
    public static final String BASIC_AUTH_SOURCE = "basic.auth.credentials.source";
    public static final String BASIC_AUTH_USER_INFO = "basic.auth.user.info";
    /** The same, with the prefix Kafka Connect and ksqlDB configurations use. */
    public static final String REGISTRY_BASIC_AUTH_SOURCE = "schema.registry." + BASIC_AUTH_SOURCE;
    public static final String REGISTRY_BASIC_AUTH_USER_INFO = "schema.registry." + BASIC_AUTH_USER_INFO;

    public static final String MAX_MESSAGE_BYTES = "topic.max.message.bytes";

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
                            Importance.LOW, "Bound on each schema registry HTTP call, in ms.")
                    .define(BASIC_AUTH_SOURCE, Type.STRING, "URL", ConfigDef.ValidString.in("URL", "USER_INFO"),
                            Importance.MEDIUM, "Where the registry's HTTP basic credentials come from: the URL "
                                    + "(http://user:password@host) or basic.auth.user.info.")
                    .define(BASIC_AUTH_USER_INFO, Type.PASSWORD, null, Importance.MEDIUM,
                            "user:password for the registry, with basic.auth.credentials.source=USER_INFO.")
                    .define(REGISTRY_BASIC_AUTH_SOURCE, Type.STRING, null, Importance.LOW,
                            "The same as basic.auth.credentials.source.")
                    .define(REGISTRY_BASIC_AUTH_USER_INFO, Type.PASSWORD, null, Importance.LOW,
                            "The same as basic.auth.user.info.")
                    .define(MAX_MESSAGE_BYTES, Type.INT, Topics.LARGE_MESSAGE_BYTES, Range.atLeast(1 << 20),
                            Importance.MEDIUM, "The largest record of the rollouts and training-batches topics: "
                                    + "topics create sets it as their max.message.bytes, the generators and the "
                                    + "topology as their producers' max.request.size. Managed services cap "
                                    + "max.message.bytes (often at 8 MiB or lower): set this to the cap, and "
                                    + "batch.max.tokens low enough that a training batch fits.");

    public ConnectionConfig {
        clientOverrides = Map.copyOf(clientOverrides);
    }

    /** Settings without registry credentials beyond the URL's. */
    public ConnectionConfig(String bootstrapServers, String registryUrl, String topicPrefix, boolean autoRegisterSchemas,
            int registryTimeoutMs, Map<String, String> clientOverrides) {
        this(bootstrapServers, registryUrl, topicPrefix, autoRegisterSchemas, registryTimeoutMs, clientOverrides, null,
                Topics.LARGE_MESSAGE_BYTES);
    }

    /** The credentials of basic.auth.user.info when the source is USER_INFO; a clear error when they do not fit. */
    private static String userInfo(AbstractConfig parsed) {
        String source = parsed.getString(REGISTRY_BASIC_AUTH_SOURCE) != null ? parsed.getString(REGISTRY_BASIC_AUTH_SOURCE)
                : parsed.getString(BASIC_AUTH_SOURCE);
        org.apache.kafka.common.config.types.Password info = parsed.getPassword(REGISTRY_BASIC_AUTH_USER_INFO) != null
                ? parsed.getPassword(REGISTRY_BASIC_AUTH_USER_INFO) : parsed.getPassword(BASIC_AUTH_USER_INFO);
        if (!source.equals("USER_INFO") && !source.equals("URL")) {
            throw new IllegalArgumentException(BASIC_AUTH_SOURCE + " was '" + source + "', must be URL or USER_INFO");
        }
        if (source.equals("URL")) {
            if (info != null) {
                throw new IllegalArgumentException(BASIC_AUTH_USER_INFO + " is set but " + BASIC_AUTH_SOURCE
                        + " is URL: set it to USER_INFO to use them");
            }
            return null;
        }
        if (info == null || !info.value().contains(":")) {
            throw new IllegalArgumentException(BASIC_AUTH_SOURCE + "=USER_INFO needs " + BASIC_AUTH_USER_INFO
                    + " as user:password");
        }
        return info.value();
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
                overrides,
                userInfo(parsed),
                parsed.getInt(MAX_MESSAGE_BYTES));
    }

    /** Every setting, the registry's password left out (a record's default would print it). */
    @Override
    public String toString() {
        return "ConnectionConfig[bootstrapServers=" + bootstrapServers + ", registryUrl=" + registryUrl + ", topicPrefix="
                + topicPrefix + ", autoRegisterSchemas=" + autoRegisterSchemas + ", registryTimeoutMs=" + registryTimeoutMs
                + ", clientOverrides=" + clientOverrides.keySet() + ", maxMessageBytes=" + maxMessageBytes + ", registryUserInfo="
                + (registryUserInfo == null ? "none" : registryUserInfo.substring(0, registryUserInfo.indexOf(':')) + ":[hidden]")
                + "]";
    }

    /** A copy pointing at other servers, keeping everything else. */
    public ConnectionConfig withServers(String bootstrap, String registry) {
        return new ConnectionConfig(bootstrap, registry, topicPrefix, autoRegisterSchemas,
                registryTimeoutMs, clientOverrides, registryUserInfo, maxMessageBytes);
    }

    /** A copy with other client security settings (another principal's). */
    public ConnectionConfig withClientOverrides(Map<String, String> overrides) {
        return new ConnectionConfig(bootstrapServers, registryUrl, topicPrefix, autoRegisterSchemas,
                registryTimeoutMs, overrides, registryUserInfo, maxMessageBytes);
    }

    /** A copy with another topic prefix. */
    public ConnectionConfig withTopicPrefix(String prefix) {
        return new ConnectionConfig(bootstrapServers, registryUrl, prefix, autoRegisterSchemas,
                registryTimeoutMs, clientOverrides, registryUserInfo, maxMessageBytes);
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
        m.put(MAX_MESSAGE_BYTES, String.valueOf(maxMessageBytes));
        // sasl.jaas.config holds a password too
        clientOverrides.keySet().forEach(k -> m.put(k, k.contains("password") || k.contains("jaas") ? "[hidden]"
                : clientOverrides.get(k)));
        return m;
    }
}
