package io.seedstream.cli;

import io.seedstream.schemas.ConnectionConfig;
import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The properties templates in docs/examples pass {@code config check} and give the connection
 * they describe. (SecureUpTest also connects with the SASL/SCRAM one to a real secure broker.)
 */
class ClusterTemplatesTest {

    static final Path EXAMPLES = Path.of("..", "docs", "examples");

    @Test
    void theApiKeyTemplateConfiguresSaslPlainARegistryWithBasicAuthAndAManagedServicesLimits() throws IOException {
        Path file = EXAMPLES.resolve("api-key-cluster.properties");
        assertThat(CliRun.of("config", "check", file.toString()).exitCode()).isZero();
        ConnectionConfig c = ConnectionConfig.from(load(file));
        assertThat(c.kafkaProperties()).containsEntry("security.protocol", "SASL_SSL").containsEntry("sasl.mechanism", "PLAIN")
                .containsKey("sasl.jaas.config");
        assertThat(c.registryUserInfo()).isEqualTo("<registry API key>:<registry API secret>");
        assertThat(c.autoRegisterSchemas()).isFalse();
        assertThat(c.maxMessageBytes()).isEqualTo(8 * 1024 * 1024);
    }

    @Test
    void theScramTemplateConfiguresSaslScramOverTls() throws IOException {
        Path file = EXAMPLES.resolve("sasl-scram.properties");
        assertThat(CliRun.of("config", "check", file.toString()).exitCode()).isZero();
        ConnectionConfig c = ConnectionConfig.from(load(file));
        assertThat(c.kafkaProperties()).containsEntry("security.protocol", "SASL_SSL")
                .containsEntry("sasl.mechanism", "SCRAM-SHA-512").containsEntry("ssl.truststore.type", "PKCS12");
        assertThat(c.registryUserInfo()).isNull();
    }

    static Properties load(Path file) throws IOException {
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(file)) {
            p.load(r);
        }
        return p;
    }
}
