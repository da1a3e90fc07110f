package io.seedstream.infra;

import io.seedstream.infra.broker.BrokerSecurity;
import io.seedstream.infra.broker.BrokerSettings;
import io.seedstream.infra.broker.EmbeddedKafka;
import io.seedstream.infra.registry.RegistryServer;
import io.seedstream.infra.registry.RegistrySettings;
import io.seedstream.infra.topics.TopicSetup;
import io.seedstream.schemas.ConnectionConfig;
import java.time.Duration;
import java.util.List;
import org.apache.kafka.clients.admin.Admin;

/**
 * The embedded defaults in one object: a real broker, the schema registry on it, and every
 * topic created. What {@code seedstream up} and the test harness start.
 */
public final class LocalStack implements AutoCloseable {

    private final EmbeddedKafka broker;
    private final RegistryServer registry;
    private final ConnectionConfig connection;
    private final List<TopicSetup.Result> topics;

    private LocalStack(EmbeddedKafka broker, RegistryServer registry, ConnectionConfig connection,
            List<TopicSetup.Result> topics) {
        this.broker = broker;
        this.registry = registry;
        this.connection = connection;
        this.topics = topics;
    }

    /**
     * Starts the broker, the registry and the topics. With {@link BrokerSettings#security()}, the
     * deployment's ACLs are created first, the registry runs as its own principal, and
     * {@link #connection()} is the operator's ({@code admin}); {@link #connectionAs} gives each
     * component's.
     */
    public static LocalStack start(BrokerSettings brokerSettings, RegistrySettings registrySettings,
            ConnectionConfig base) {
        EmbeddedKafka broker = EmbeddedKafka.start(brokerSettings);
        BrokerSecurity security = brokerSettings.security();
        RegistryServer registry = null;
        try {
            ConnectionConfig partial = base.withServers(broker.bootstrapServers(), base.registryUrl());
            broker.secureDeployment(partial, registrySettings.topic());
            registry = RegistryServer.start(as(partial, security, BrokerSecurity.Principal.REGISTRY).kafkaProperties(),
                    registrySettings);
            ConnectionConfig connection = as(partial.withServers(broker.bootstrapServers(), registry.url()), security,
                    BrokerSecurity.Principal.ADMIN);
            List<TopicSetup.Result> topics;
            try (Admin admin = Admin.create(connection.kafkaProperties())) {
                topics = new TopicSetup(admin, Duration.ofSeconds(30)).ensureAll(connection);
            }
            return new LocalStack(broker, registry, connection, topics);
        } catch (RuntimeException e) {
            if (registry != null) {
                registry.close();
            }
            broker.close();
            throw e;
        }
    }

    /** How clients reach this stack (as the operator when it is secure). */
    public ConnectionConfig connection() {
        return connection;
    }

    /** How one component reaches this stack: as its own principal when it is secure, else {@link #connection()}. */
    public ConnectionConfig connectionAs(BrokerSecurity.Principal p) {
        return as(connection, broker.security(), p);
    }

    private static ConnectionConfig as(ConnectionConfig c, BrokerSecurity security, BrokerSecurity.Principal p) {
        return security == null ? c : c.withClientOverrides(security.clientProperties(p));
    }

    public EmbeddedKafka broker() {
        return broker;
    }

    public RegistryServer registry() {
        return registry;
    }

    public List<TopicSetup.Result> topics() {
        return topics;
    }

    @Override
    public void close() {
        registry.close();
        broker.close();
    }
}
