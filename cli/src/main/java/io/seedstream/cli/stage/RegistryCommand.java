package io.seedstream.cli.stage;

import io.seedstream.cli.ConnectionOptions;
import io.seedstream.infra.registry.RegistryServer;
import io.seedstream.infra.registry.RegistrySettings;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "registry", mixinStandardHelpOptions = true,
        description = {"Run the schema registry (Confluent REST API subset) on the Kafka cluster.",
            "Schemas live in the compacted _schemas topic: ids survive restarts and every registry "
                    + "process of a cluster agrees."})
public final class RegistryCommand extends StageCommand {

    @Mixin
    ConnectionOptions connection;

    @Option(names = "--host", description = "Address to listen on (default: ${sys:seedstream.default.registry.host}).")
    String host;

    @Option(names = "--port", description = "HTTP port (default: ${sys:seedstream.default.registry.port}).")
    Integer port;

    @Option(names = "--compatibility",
            description = "Default compatibility level: NONE, BACKWARD (default), BACKWARD_TRANSITIVE, "
                    + "FORWARD, FORWARD_TRANSITIVE, FULL, FULL_TRANSITIVE.")
    String compatibility;

    @Option(names = "--write-user", description = "Require HTTP basic authentication as this user for every request "
            + "that changes the registry (reads stay open).")
    String writeUser;

    @Option(names = "--write-password-file", paramLabel = "FILE",
            description = "File whose first line is the write user's password (not a flag: flags show in ps).")
    java.nio.file.Path writePasswordFile;

    @Override
    String stage() {
        return "registry";
    }

    @Override
    Duration stopGrace() {
        return Duration.ofSeconds(30);
    }

    @Override
    Running start() throws Exception {
        Properties props = connection.properties();
        if (writeUser != null) {
            if (writePasswordFile == null) {
                throw new NotStarted(2, "--write-user needs --write-password-file");
            }
            props.put(RegistrySettings.WRITE_USER, writeUser);
            props.put(RegistrySettings.WRITE_PASSWORD,
                    java.nio.file.Files.readAllLines(writePasswordFile).stream().findFirst().orElse("").strip());
        }
        if (host != null) {
            props.put(RegistrySettings.HOST, host);
        }
        if (port != null) {
            props.put(RegistrySettings.PORT, String.valueOf(port));
        }
        if (compatibility != null) {
            props.put(RegistrySettings.COMPATIBILITY, compatibility.toUpperCase());
        }
        RegistrySettings settings = RegistrySettings.from(props);
        RegistryServer server = RegistryServer.start(connection.connection().kafkaProperties(), settings);
        return serving(String.format("serving %s (schemas in topic %s, default %s, writes %s)", server.url(),
                settings.topic(), settings.defaultCompatibility(),
                settings.writeUser().isEmpty() ? "open" : "need user " + settings.writeUser()),
                Map.of("url", server.url()), server);
    }
}
