package io.seedstream.cli.log;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.seedstream.cli.CliRun;
import io.seedstream.infra.harness.RealKafkaExtension;
import io.seedstream.infra.harness.TestCluster;
import io.seedstream.schemas.ConnectionConfig;
import io.seedstream.schemas.TokenArrays;
import io.seedstream.schemas.Topic;
import io.seedstream.schemas.Topics;
import io.seedstream.schemas.serde.AvroSerdes;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code seedstream tail} on the real broker and registry: a record of every declared topic, decoded. */
@ExtendWith(RealKafkaExtension.class)
class TailCommandTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void decodesARecordOfEveryTopicAndReportsAnUndecodableOne(TestCluster cluster) throws Exception {
        ConnectionConfig c = cluster.isolatedConnection("tail");
        AvroSerdes serdes = cluster.serdes();
        for (Topic<String, ?> topic : Topics.RECORD_TOPICS) {
            produce(c, serdes, topic);
        }
        try (KafkaProducer<String, byte[]> raw = new KafkaProducer<>(c.kafkaProperties(), new StringSerializer(),
                new ByteArraySerializer())) {
            raw.send(new ProducerRecord<>(c.topic(Topics.METRICS), "junk", "not avro".getBytes())).get();
        }
        for (Topic<String, ?> topic : Topics.RECORD_TOPICS) {
            List<JsonNode> lines = tail(c, topic.name(""), "--from-beginning");
            assertThat(lines).as("records of %s", topic.name("")).isNotEmpty();
            JsonNode first = lines.get(0);
            assertThat(first.get("key").asText()).isEqualTo("key-" + topic.name(""));
            assertThat(first.get("schema").asText()).isEqualTo(schemaOf(topic).getFullName());
            // every field of the record, as written
            JsonNode value = first.get("value");
            for (Schema.Field f : schemaOf(topic).getFields()) {
                assertThat(value.has(f.name())).as("%s.%s", topic.name(""), f.name()).isTrue();
            }
        }
        // packed token arrays come out as numbers
        JsonNode group = tail(c, "rollouts", "--from-beginning").get(0).get("value");
        assertThat(group.get("prompt_token_ids").toString()).isEqualTo("[7,8,9]");
        assertThat(group.get("answers").get(0).get("token_logprobs").toString()).isEqualTo("[-0.5,-1.25,-2.0]");

        // the undecodable record is printed with its reason, and the one before it still is
        List<JsonNode> metrics = tail(c, c.topic(Topics.METRICS), "--from-beginning");
        assertThat(metrics).hasSize(2);
        assertThat(metrics.get(0).has("value")).isTrue();
        assertThat(metrics.get(1).get("key").asText()).isEqualTo("junk");
        assertThat(metrics.get(1).get("error").asText()).contains("magic byte");

        // positions, key filter, bound
        assertThat(tail(c, "metrics", "--from-offset", "0:1")).hasSize(1);
        assertThat(tail(c, "metrics", "--from-beginning", "--key", "junk")).hasSize(1);
        assertThat(tail(c, "metrics", "--from-beginning", "--max", "1")).hasSize(1);
        assertThat(tail(c, "metrics", "--from-time", "2000-01-01T00:00:00Z")).hasSize(2);
        assertThat(tail(c, "metrics")).hasSize(2); // the last 10 of each partition
        assertThat(CliRun.of(withConnection(c, "tail", "metrics", "--from-offset", "0:x")).exitCode()).isEqualTo(2);
        assertThat(CliRun.of(withConnection(c, "tail", "no-such-topic")).exitCode()).isEqualTo(1);
    }

    private static Schema schemaOf(Topic<String, ?> topic) {
        return SpecificData.get().getSchema(topic.valueType());
    }

    @SuppressWarnings("unchecked")
    private static <V extends SpecificRecord> void produce(ConnectionConfig c, AvroSerdes serdes, Topic<String, ?> t)
            throws Exception {
        Topic<String, V> topic = (Topic<String, V>) t;
        V value = (V) SpecificData.get().deepCopy(schemaOf(topic), filled(schemaOf(topic), ""));
        try (KafkaProducer<String, V> p = new KafkaProducer<>(c.kafkaProperties(), new StringSerializer(),
                serdes.value(topic).serializer())) {
            p.send(new ProducerRecord<>(c.topic(topic), "key-" + topic.name(""), value)).get();
        }
    }

    /** A value of any schema with every field set (the first branch of a union that is not null). */
    private static Object filled(Schema s, String field) {
        switch (s.getType()) {
            case RECORD: {
                GenericData.Record r = new GenericData.Record(s);
                s.getFields().forEach(f -> r.put(f.pos(), filled(f.schema(), f.name())));
                return r;
            }
            case ARRAY:
                return new GenericData.Array<>(s, List.of(filled(s.getElementType(), field)));
            case MAP:
                return Map.of("m", filled(s.getValueType(), field));
            case UNION:
                return filled(s.getTypes().stream().filter(b -> b.getType() != Schema.Type.NULL).findFirst()
                        .orElseThrow(), field);
            case ENUM:
                return new GenericData.EnumSymbol(s, s.getEnumSymbols().get(0));
            case STRING:
                return "s-" + field;
            case BYTES:
                return TokenArrays.INT_FIELDS.contains(field) ? TokenArrays.ofInts(new int[] {7, 8, 9})
                        : TokenArrays.FLOAT_FIELDS.contains(field) ? TokenArrays.ofFloats(new float[] {-0.5f, -1.25f, -2f})
                        : ByteBuffer.wrap(new byte[] {1, 2});
            case INT:
                return 3;
            case LONG: // timestamp-millis is an Instant in the generated classes
                return s.getLogicalType() == null ? (Object) 42L : Instant.ofEpochMilli(1_700_000_000_000L);
            case FLOAT:
                return 0.5f;
            case DOUBLE:
                return 0.25;
            case BOOLEAN:
                return true;
            default:
                return null;
        }
    }

    private static List<JsonNode> tail(ConnectionConfig c, String topic, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("tail", topic));
        cmd.addAll(List.of(args));
        String out = CliRun.ok(withConnection(c, cmd.toArray(String[]::new)));
        List<JsonNode> lines = new ArrayList<>();
        for (String line : out.split("\n")) {
            if (!line.isBlank()) {
                lines.add(JSON.readTree(line));
            }
        }
        return lines;
    }

    private static String[] withConnection(ConnectionConfig c, String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(CliRun.connectionFlags(c));
        return all.toArray(String[]::new);
    }
}
