package io.seedstream.cli.stage;

import io.seedstream.infra.broker.BrokerSecurity;
import io.seedstream.infra.broker.BrokerSettings;
import io.seedstream.infra.broker.EmbeddedKafka;
import io.seedstream.infra.registry.RegistrySettings;
import io.seedstream.schemas.ConnectionConfig;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "broker", mixinStandardHelpOptions = true,
        description = "Run a single-node Kafka broker (KRaft, broker+controller) as its own process.")
public final class BrokerCommand extends StageCommand {

    @Option(names = "--config", paramLabel = "server.properties",
            description = "Broker properties applied over the single-node defaults (log.dirs, listeners, ...).")
    Path config;

    @Option(names = "--data-dir", paramLabel = "DIR", defaultValue = "data/kafka",
            description = "Log directory, kept across restarts (default: ${DEFAULT-VALUE}; log.dirs in --config wins).")
    Path dataDir;

    @Option(names = "--host", defaultValue = BrokerSettings.DEFAULT_HOST,
            description = "Address to bind and advertise (default: ${DEFAULT-VALUE}).")
    String host;

    @Option(names = "--port", defaultValue = "9092", description = "Client port, 0 for any free port (default: ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--controller-port", defaultValue = "9093",
            description = "KRaft controller port, 0 for any free port (default: ${DEFAULT-VALUE}).")
    int controllerPort;

    @Option(names = "--secure", description = "SASL/SCRAM-SHA-512 over TLS with ACLs: CA, keys and one user per "
            + "component made once in --security-dir, with each component's client settings (<component>.properties).")
    boolean secure;

    @Option(names = "--security-dir", paramLabel = "DIR", description = "Where --secure keeps its CA, keys, passwords "
            + "and client settings (default: 'security' beside --data-dir).")
    Path securityDir;

    @Option(names = "--topic-prefix", defaultValue = ConnectionConfig.DEFAULT_TOPIC_PREFIX,
            description = "With --secure: the deployment whose topics the ACLs cover (default: ${DEFAULT-VALUE}).")
    String topicPrefix;

    @Override
    String stage() {
        return "broker";
    }

    @Override
    Duration stopGrace() {
        return Duration.ofSeconds(60); // a controlled shutdown: leadership moves, logs are flushed
    }

    @Override
    Running start() throws Exception {
        Map<String, String> overrides = new HashMap<>();
        if (config != null) {
            Properties p = new Properties();
            try (Reader r = Files.newBufferedReader(config, StandardCharsets.UTF_8)) {
                p.load(r);
            } catch (IOException e) {
                throw new NotStarted(2, "cannot read " + config + ": " + e.getMessage());
            }
            p.stringPropertyNames().forEach(k -> overrides.put(k, p.getProperty(k)));
        }
        Path dir = overrides.containsKey("log.dirs") ? Path.of(overrides.get("log.dirs").split(",")[0]) : dataDir;
        long t0 = System.nanoTime();
        BrokerSettings settings = new BrokerSettings(dir, host, port, controllerPort, overrides);
        if (secure) {
            Path security = securityDir != null ? securityDir : dir.toAbsolutePath().resolveSibling("security");
            settings = settings.withSecurity(BrokerSecurity.prepare(security, host));
        }
        EmbeddedKafka kafka = EmbeddedKafka.start(settings);
        String how = "";
        if (secure) {
            kafka.secureDeployment(ConnectionConfig.defaults().withTopicPrefix(topicPrefix),
                    RegistrySettings.defaults().topic());
            how = ", SASL_SSL with ACLs for " + topicPrefix + "*; client settings in " + kafka.security().dir();
        }
        return serving(String.format(Locale.ROOT, "ready at %s in %.1f s, data in %s%s", kafka.bootstrapServers(),
                (System.nanoTime() - t0) / 1e9, dir.toAbsolutePath(), how),
                Map.of("bootstrap_servers", kafka.bootstrapServers()), kafka);
    }
}
