package io.seedstream.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.seedstream.infra.harness.RealKafkaExtension;
import io.seedstream.infra.harness.SampleRecords;
import io.seedstream.infra.harness.TestCluster;
import io.seedstream.schemas.ConnectionConfig;
import io.seedstream.schemas.Topic;
import io.seedstream.schemas.Topics;
import io.seedstream.schemas.registry.SchemaRegistryClient;
import io.seedstream.schemas.registry.SchemaVersion;
import io.seedstream.schemas.serde.AvroSerdes;
import io.seedstream.schemas.serde.WireFormat;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.errors.SerializationException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

@ExtendWith(RealKafkaExtension.class)
class CommandsTest {

    private static CliRun run(String... args) {
        return CliRun.of(args);
    }

    private static String[] withConnection(ConnectionConfig c, String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of("--bootstrap-servers", c.bootstrapServers(), "--registry-url", c.registryUrl(),
                "--topic-prefix", c.topicPrefix()));
        return all.toArray(String[]::new);
    }

    @Test
    void everySubcommandHasHelp() {
        List<String[]> paths = new ArrayList<>();
        collect(new CommandLine(new Seedstream()), new ArrayList<>(), paths);
        assertThat(paths).hasSizeGreaterThanOrEqualTo(8);
        for (String[] path : paths) {
            List<String> args = new ArrayList<>(List.of(path));
            args.add("--help");
            CliRun r = run(args.toArray(String[]::new));
            assertThat(r.exitCode()).as(String.join(" ", path)).isZero();
            assertThat(r.out()).as(String.join(" ", path)).contains("Usage: seedstream");
        }
    }

    private static void collect(CommandLine cmd, List<String> prefix, List<String[]> out) {
        out.add(prefix.toArray(String[]::new));
        cmd.getSubcommands().forEach((name, sub) -> {
            if (!name.equals("help")) {
                List<String> p = new ArrayList<>(prefix);
                p.add(name);
                collect(sub, p, out);
            }
        });
    }

    @Test
    void topicsCreateIsIdempotent(TestCluster cluster) {
        ConnectionConfig c = cluster.connection().withTopicPrefix(cluster.newPrefix());
        CliRun first = run(withConnection(c, "topics", "create"));
        CliRun second = run(withConnection(c, "topics", "create"));
        assertThat(first.exitCode()).isZero();
        assertThat(first.out()).contains("11 topics ready").contains("11 created, 0 existed")
                .contains("11 value schemas registered");
        assertThat(second.exitCode()).isZero();
        assertThat(second.out()).contains("0 created, 11 existed");
    }

    /** Every value schema is registered against the real registry; a second run registers nothing new. */
    @Test
    void schemasRegisterRegistersEverySchemaOnceAndASecondRunIsANoOp(TestCluster cluster) {
        ConnectionConfig c = cluster.connection().withTopicPrefix(cluster.newPrefix());
        SchemaRegistryClient registry = AvroSerdes.connect(c).registry();
        List<String> subjects = Topics.RECORD_TOPICS.stream().map(t -> WireFormat.subject(c.topic(t), false)).toList();
        assertThat(registry.subjects()).doesNotContainAnyElementsOf(subjects);

        CliRun first = run(withConnection(c, "schemas", "register"));
        assertThat(first.exitCode()).isZero();
        assertThat(first.out()).contains("11 value schemas").contains("11 registered, 0 already there");
        Map<String, SchemaVersion> after = new HashMap<>();
        for (Topic<String, ?> t : Topics.RECORD_TOPICS) {
            SchemaVersion v = registry.latest(WireFormat.subject(c.topic(t), false));
            assertThat(v.schema()).isEqualTo(SpecificData.get().getSchema(t.valueType()));
            after.put(v.subject(), v);
        }

        CliRun second = run(withConnection(c, "schemas", "register"));
        assertThat(second.exitCode()).isZero();
        assertThat(second.out()).contains("0 registered, 11 already there");
        for (String subject : subjects) {
            assertThat(registry.latest(subject)).as(subject).isEqualTo(after.get(subject));
        }
    }

    /** Stages that may not register schemas (auto.register.schemas=false) find what topics create registered. */
    @Test
    void topicsCreateRegistersTheSchemasThatStagesWithoutRegisterRightsLookUp(TestCluster cluster) {
        ConnectionConfig c = cluster.connection().withTopicPrefix(cluster.newPrefix());
        AvroSerdes lookUpOnly = new AvroSerdes(AvroSerdes.connect(c).registry(), false);
        SpecificRecord prompt = SampleRecords.prompt();
        assertThatThrownBy(() -> serialize(lookUpOnly, c, prompt)).isInstanceOf(SerializationException.class)
                .hasMessageContaining("auto.register.schemas=false");
        assertThat(run(withConnection(c, "topics", "create")).exitCode()).isZero();
        for (SpecificRecord r : SampleRecords.all()) {
            assertThat(serialize(lookUpOnly, c, r)).as(r.getSchema().getName()).isNotEmpty();
        }
    }

    @SuppressWarnings("unchecked")
    private static byte[] serialize(AvroSerdes serdes, ConnectionConfig c, SpecificRecord r) {
        Topic<String, SpecificRecord> t = SampleRecords.topicOf(r);
        return serdes.forClass((Class<SpecificRecord>) r.getClass(), false).serializer().serialize(c.topic(t), r);
    }

    @Test
    void promptsLoadReportsCountsAndExitsNonZeroOnlyWhenNothingLoaded(TestCluster cluster, @TempDir Path dir)
            throws Exception {
        ConnectionConfig c = cluster.isolatedConnection("cli-prompts");
        CliRun ok = run(withConnection(c, "prompts", "load", "../datasets/eval/aime24.jsonl"));
        assertThat(ok.exitCode()).isZero();
        assertThat(ok.out()).contains("loaded 30, skipped 0, failed 0").contains("dataset aime24");

        Path bad = dir.resolve("bad.jsonl");
        Files.writeString(bad, "{\"answer\": \"1\"}\nnot json\n");
        CliRun none = run(withConnection(c, "prompts", "load", bad.toString(), "--dataset", "junk"));
        assertThat(none.exitCode()).isEqualTo(1);
        assertThat(none.out()).contains("loaded 0, skipped 0, failed 2");

        CliRun missing = run(withConnection(c, "prompts", "load", dir.resolve("nope.jsonl").toString()));
        assertThat(missing.exitCode()).isEqualTo(2);
    }
}
