package io.seedstream.infra.broker;

import io.seedstream.schemas.ConnectionConfig;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import kafka.tools.StorageTool;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real Kafka broker and KRaft controller in this JVM (combined mode, one node). The data
 * directory is formatted on first start and reused afterwards, so records survive a restart.
 */
public final class EmbeddedKafka implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(EmbeddedKafka.class);
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(60);

    private final BrokerSettings settings;
    private final String bootstrapServers;
    private final KafkaRaftServer server;
    private boolean closed;

    private EmbeddedKafka(BrokerSettings settings, String bootstrapServers, KafkaRaftServer server) {
        this.settings = settings;
        this.bootstrapServers = bootstrapServers;
        this.server = server;
    }

    /** Formats the data directory if needed, starts the broker and waits until it serves. */
    public static EmbeddedKafka start(BrokerSettings settings) {
        int port = settings.port() == 0 ? freePort() : settings.port();
        int controllerPort = settings.controllerPort() == 0 ? freePort() : settings.controllerPort();
        Map<String, String> props = brokerProperties(settings, port, controllerPort);
        Path logDir = Path.of(props.get("log.dirs").split(",")[0]);
        try {
            Files.createDirectories(logDir);
            format(logDir, props, settings.security());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prepare broker data dir " + settings.dataDir(), e);
        }
        KafkaRaftServer server = new KafkaRaftServer(new KafkaConfig(props), Time.SYSTEM);
        server.startup();
        EmbeddedKafka kafka = new EmbeddedKafka(settings, clientAddress(props), server);
        try {
            kafka.awaitReady(READY_TIMEOUT);
        } catch (RuntimeException e) {
            kafka.close();
            throw e;
        }
        log.info("Kafka broker ready at {} (data in {})", kafka.bootstrapServers(), settings.dataDir());
        return kafka;
    }

    /** The full broker configuration: single-node defaults, then the settings' overrides. */
    static Map<String, String> brokerProperties(BrokerSettings s, int port, int controllerPort) {
        Map<String, String> p = new TreeMap<>();
        p.put("process.roles", "broker,controller");
        p.put("node.id", "1");
        p.put("controller.quorum.voters", "1@" + s.host() + ":" + controllerPort);
        p.put("listeners", "PLAINTEXT://" + s.host() + ":" + port + ",CONTROLLER://" + s.host()
                + ":" + controllerPort);
        p.put("advertised.listeners", "PLAINTEXT://" + s.host() + ":" + port);
        p.put("controller.listener.names", "CONTROLLER");
        p.put("inter.broker.listener.name", "PLAINTEXT");
        p.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
        p.put("log.dirs", s.dataDir().toAbsolutePath().toString());
        p.put("num.partitions", "1");
        p.put("default.replication.factor", "1");
        p.put("min.insync.replicas", "1");
        p.put("offsets.topic.replication.factor", "1");
        p.put("offsets.topic.num.partitions", "4");
        p.put("transaction.state.log.replication.factor", "1");
        p.put("transaction.state.log.min.isr", "1");
        p.put("transaction.state.log.num.partitions", "4");
        p.put("share.coordinator.state.topic.replication.factor", "1");
        p.put("share.coordinator.state.topic.min.isr", "1");
        p.put("group.initial.rebalance.delay.ms", "0");
        // Topics are created explicitly (topics create), so a typo in a topic name fails loudly.
        p.put("auto.create.topics.enable", "false");
        p.put("message.max.bytes", String.valueOf(64 * 1024 * 1024 + 1024));
        if (s.security() != null) {
            p.putAll(s.security().brokerProperties(s.host(), port, controllerPort));
        }
        p.putAll(s.overrides());
        return p;
    }

    /** Marks a data directory formatted with the SCRAM users of {@link BrokerSecurity}. */
    private static final String SECURE_MARK = "seedstream-secure";

    private static void format(Path dataDir, Map<String, String> props, BrokerSecurity security) throws IOException {
        boolean formatted = Files.exists(dataDir.resolve("meta.properties"));
        if (formatted && (security != null) != Files.exists(dataDir.resolve(SECURE_MARK))) {
            throw new IllegalStateException("the broker data directory " + dataDir + " was made "
                    + (security != null ? "without" : "with") + " --secure; start it as it was made, or use a new one");
        }
        Path config = Files.createTempFile("seedstream-broker", ".properties");
        try {
            Properties p = new Properties();
            p.putAll(props);
            try (Writer w = Files.newBufferedWriter(config, StandardCharsets.UTF_8)) {
                p.store(w, "seedstream embedded broker");
            }
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            // execute, never main: main exits the JVM.
            List<String> args = new ArrayList<>(List.of("format", "-t", clusterId(dataDir), "-c", config.toString(),
                    "--ignore-formatted"));
            if (security != null) {
                args.addAll(security.formatArguments()); // the users exist before the first client connects
            }
            int rc = StorageTool.execute(args.toArray(String[]::new), new PrintStream(out, true, StandardCharsets.UTF_8));
            if (rc != 0) {
                throw new IllegalStateException("formatting broker storage in " + dataDir
                        + " failed (exit " + rc + "): " + out.toString(StandardCharsets.UTF_8));
            }
            if (security != null && !formatted) {
                Files.writeString(dataDir.resolve(SECURE_MARK), "SASL/SCRAM users in " + security.dir() + "\n");
            }
        } finally {
            Files.deleteIfExists(config);
        }
    }

    /** The cluster id the directory was formatted with, or a new one. */
    private static String clusterId(Path dataDir) throws IOException {
        Path meta = dataDir.resolve("meta.properties");
        if (Files.exists(meta)) {
            Properties p = new Properties();
            try (var in = Files.newBufferedReader(meta, StandardCharsets.UTF_8)) {
                p.load(in);
            }
            String id = p.getProperty("cluster.id");
            if (id != null) {
                return id;
            }
        }
        return Uuid.randomUuid().toString();
    }

    private void awaitReady(Duration timeout) {
        Properties p = adminProperties();
        long deadline = System.nanoTime() + timeout.toNanos();
        try (Admin admin = Admin.create(p)) {
            while (true) {
                try {
                    if (!admin.describeCluster().nodes().get(5, TimeUnit.SECONDS).isEmpty()) {
                        return;
                    }
                } catch (ExecutionException | TimeoutException e) {
                    if (System.nanoTime() > deadline) {
                        throw new IllegalStateException("broker at " + bootstrapServers()
                                + " not ready after " + timeout, e);
                    }
                }
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException(
                            "broker at " + bootstrapServers() + " not ready after " + timeout);
                }
                Thread.sleep(50);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted waiting for the broker", e);
        }
    }

    private static int freePort() {
        try (ServerSocket s = new ServerSocket(0, 0, java.net.InetAddress.getLoopbackAddress())) {
            s.setReuseAddress(true);
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("no free port", e);
        }
    }

    /** host:port of the first advertised listener that is not the controller's. */
    static String clientAddress(Map<String, String> props) {
        String listeners = props.getOrDefault("advertised.listeners", props.get("listeners"));
        String controller = props.getOrDefault("controller.listener.names", "CONTROLLER");
        for (String l : listeners.split(",")) {
            int sep = l.indexOf("://");
            if (sep > 0 && !controller.contains(l.substring(0, sep).trim())) {
                return l.substring(sep + 3).trim();
            }
        }
        throw new IllegalArgumentException("no client listener in listeners '" + listeners + "'");
    }

    public String bootstrapServers() {
        return bootstrapServers;
    }

    /**
     * On a secure broker: creates the ACLs of a deployment (its topic prefix, the registry's topic)
     * and writes each component's client settings file with this broker's address. Idempotent.
     */
    public void secureDeployment(ConnectionConfig deployment, String registryTopic) {
        if (settings.security() == null) {
            return;
        }
        try (Admin admin = Admin.create(adminProperties())) {
            BrokerAcls.apply(admin, BrokerAcls.forDeployment(deployment, registryTopic));
        }
        settings.security().writeClientFiles(bootstrapServers());
    }

    /** Client settings of an operator (the admin super user when secure). */
    public Properties adminProperties() {
        Properties p = new Properties();
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
        if (settings.security() != null) {
            p.putAll(settings.security().clientProperties(BrokerSecurity.Principal.ADMIN));
        }
        return p;
    }

    /** The broker's SASL/SCRAM users and TLS material, or null when it is plaintext. */
    public BrokerSecurity security() {
        return settings.security();
    }

    public Path dataDir() {
        return settings.dataDir();
    }

    /** Blocks until the broker is shut down (by {@link #close()} or a shutdown hook). */
    public void awaitShutdown() {
        server.awaitShutdown();
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        server.shutdown();
        server.awaitShutdown();
        log.info("Kafka broker at {} stopped", bootstrapServers());
    }
}
