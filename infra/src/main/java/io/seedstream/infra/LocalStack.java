package io.seedstream.infra;

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

    public static LocalStack start(BrokerSettings brokerSettings, RegistrySettings registrySettings,
            ConnectionConfig base) {
        EmbeddedKafka broker = EmbeddedKafka.start(brokerSettings);
        RegistryServer registry = null;
        try {
            ConnectionConfig partial = base.withServers(broker.bootstrapServers(), base.registryUrl());
            registry = RegistryServer.start(partial.kafkaProperties(), registrySettings);
            ConnectionConfig connection = partial.withServers(broker.bootstrapServers(), registry.url());
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

    /** How clients reach this stack. */
    public ConnectionConfig connection() {
        return connection;
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
