package io.seedstream.infra.registry;

import static org.assertj.core.api.Assertions.assertThat;

import io.seedstream.infra.harness.RealKafkaExtension;
import io.seedstream.infra.harness.TestCluster;
import io.seedstream.schemas.Topic;
import io.seedstream.schemas.Topics;
import io.seedstream.schemas.registry.RestSchemaRegistryClient;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.avro.Schema;
import org.apache.avro.specific.SpecificData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Users have data directories: every topic's value schema must read what the released version
 * wrote (BACKWARD), checked by the registry's own compatibility check. The released schemas are
 * kept under {@code src/test/resources/released-schemas} (CONTRIBUTING.md, "Changing a schema"); after a
 * compatible change, run this test once with {@code -Dseedstream.release.schemas} to record the
 * new version as the released one.
 */
@ExtendWith(RealKafkaExtension.class)
class SchemaEvolutionTest {

    private static final String RELEASED = "released-schemas/";

    private static Schema current(Topic<String, ?> topic) {
        return SpecificData.get().getSchema(topic.valueType());
    }

    private static Schema released(Topic<String, ?> topic) throws IOException {
        try (InputStream in = SchemaEvolutionTest.class.getClassLoader()
                .getResourceAsStream(RELEASED + topic.suffix() + ".avsc")) {
            assertThat(in).as("released schema of %s (a topic's schema is never dropped without a migration)",
                    topic.suffix()).isNotNull();
            return new Schema.Parser().parse(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        }
    }

    @Test
    void everyTopicsSchemaReadsWhatItsReleasedVersionWrote(TestCluster cluster) throws IOException {
        if (System.getProperty("seedstream.release.schemas") != null) {
            Path dir = Path.of("src/test/resources", RELEASED);
            Files.createDirectories(dir);
            for (Topic<String, ?> t : Topics.RECORD_TOPICS) {
                Files.writeString(dir.resolve(t.suffix() + ".avsc"), current(t).toString(true) + "\n");
            }
        }
        String prefix = cluster.newPrefix();
        try (RegistryServer server = RegistryServer.start(cluster.connection().kafkaProperties(),
                RegistrySettings.defaults().withPort(0).withTopic("_schemas-" + prefix))) {
            RestSchemaRegistryClient client = new RestSchemaRegistryClient(server.url(), Duration.ofSeconds(10));
            List<String> problems = new ArrayList<>();
            for (Topic<String, ?> t : Topics.RECORD_TOPICS) {
                String subject = t.name(prefix) + "-value";
                client.register(subject, released(t));
                List<String> found = client.incompatibilities(subject, current(t));
                if (!found.isEmpty()) {
                    problems.add(t.suffix() + ": " + found);
                }
            }
            assertThat(problems).as("schemas that cannot read data their released version wrote").isEmpty();
        }
    }

    @Test
    void theCheckRefusesAFieldAddedWithoutADefaultToAReleasedSchema(TestCluster cluster) throws IOException {
        // the same check on a real schema: a training batch gains a field that old batches cannot fill
        Schema released = released(Topics.TRAINING_BATCHES);
        String json = current(Topics.TRAINING_BATCHES).toString();
        Schema changed = new Schema.Parser().parse(json.replaceFirst("\"fields\":\\[",
                "\"fields\":[{\"name\":\"learning_rate_hint\",\"type\":\"double\"},"));
        String prefix = cluster.newPrefix();
        try (RegistryServer server = RegistryServer.start(cluster.connection().kafkaProperties(),
                RegistrySettings.defaults().withPort(0).withTopic("_schemas-" + prefix))) {
            RestSchemaRegistryClient client = new RestSchemaRegistryClient(server.url(), Duration.ofSeconds(10));
            String subject = Topics.TRAINING_BATCHES.name(prefix) + "-value";
            client.register(subject, released);
            assertThat(client.incompatibilities(subject, changed)).isNotEmpty()
                    .anyMatch(m -> m.contains("learning_rate_hint"));
        }
    }
}
