package io.seedstream.infra.harness;

import io.seedstream.infra.LocalStack;
import io.seedstream.infra.broker.BrokerSettings;
import io.seedstream.infra.registry.RegistryServer;
import io.seedstream.infra.registry.RegistrySettings;
import io.seedstream.infra.topics.TopicSetup;
import io.seedstream.schemas.ConnectionConfig;
import io.seedstream.schemas.serde.AvroSerdes;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.kafka.KafkaContainer;

/**
 * A real Kafka broker and the real schema registry for tests: Testcontainers' Kafka when a
 * Docker engine is available, the in-JVM KRaft broker otherwise. One per test JVM (see
 * {@link RealKafkaExtension}); tests isolate themselves with {@link #newPrefix()}.
 */
public final class TestCluster implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(TestCluster.class);
    static final String KAFKA_IMAGE = "apache/kafka:4.1.0";
    private static final AtomicInteger PREFIXES = new AtomicInteger();

    private final AutoCloseable resources;
    private final ConnectionConfig connection;
    private final Path dataDir;
    private final String kind;

    private TestCluster(AutoCloseable resources, ConnectionConfig connection, Path dataDir, String kind) {
        this.resources = resources;
        this.connection = connection;
        this.dataDir = dataDir;
        this.kind = kind;
    }

    static TestCluster start() {
        long t0 = System.nanoTime();
        TestCluster cluster = dockerAvailable() ? startContainer() : startEmbedded();
        log.info("test cluster ({}) up in {} ms: {}", cluster.kind,
                (System.nanoTime() - t0) / 1_000_000, cluster.connection.describe());
        return cluster;
    }

    private static boolean dockerAvailable() {
        try {
            return DockerClientFactory.instance().isDockerAvailable();
        } catch (RuntimeException | LinkageError | java.util.ServiceConfigurationError e) {
            // a broken or incomplete Docker client set-up means no Docker: use the in-JVM broker
            log.info("Docker detection failed ({}); using the in-JVM broker", e.toString());
            return false;
        }
    }

    private static TestCluster startEmbedded() {
        try {
            Path dir = Files.createTempDirectory("seedstream-test-kafka");
            LocalStack stack = LocalStack.start(BrokerSettings.ephemeralPorts(dir),
                    RegistrySettings.defaults().withPort(0), ConnectionConfig.defaults());
            return new TestCluster(stack, stack.connection(), dir, "in-JVM KRaft broker");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static TestCluster startContainer() {
        KafkaContainer kafka = new KafkaContainer(KAFKA_IMAGE);
        kafka.start();
        ConnectionConfig partial = ConnectionConfig.defaults().withServers(kafka.getBootstrapServers(), "");
        RegistryServer registry = RegistryServer.start(partial.kafkaProperties(),
                RegistrySettings.defaults().withPort(0));
        ConnectionConfig connection = partial.withServers(kafka.getBootstrapServers(), registry.url());
        try (Admin admin = Admin.create(connection.kafkaProperties())) {
            new TopicSetup(admin, Duration.ofSeconds(30)).ensureAll(connection);
        }
        return new TestCluster(() -> {
            registry.close();
            kafka.stop();
        }, connection, null, "Testcontainers " + KAFKA_IMAGE);
    }

    /** How to reach the cluster, with the default topic prefix (topics already created). */
    public ConnectionConfig connection() {
        return connection;
    }

    /**
     * A connection with a fresh topic prefix whose topics are all created, so a test sees only
     * its own records.
     */
    public ConnectionConfig isolatedConnection(String testName) {
        ConnectionConfig c = connection.withTopicPrefix(newPrefix() + testName + ".");
        try (Admin admin = admin()) {
            new TopicSetup(admin, Duration.ofSeconds(30)).ensureAll(c);
        }
        return c;
    }

    /** A topic prefix no other test uses. */
    public String newPrefix() {
        return "t" + PREFIXES.incrementAndGet() + "-" + Long.toHexString(System.nanoTime()) + ".";
    }

    public Admin admin() {
        return Admin.create(connection.kafkaProperties());
    }

    public AvroSerdes serdes() {
        return AvroSerdes.connect(connection);
    }

    @Override
    public void close() throws Exception {
        resources.close();
        if (dataDir != null) {
            try (Stream<Path> files = Files.walk(dataDir)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }
}
