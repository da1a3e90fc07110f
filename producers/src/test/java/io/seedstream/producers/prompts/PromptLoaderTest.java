package io.seedstream.producers.prompts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.seedstream.infra.harness.RealKafkaExtension;
import io.seedstream.infra.harness.TestCluster;
import io.seedstream.schemas.ConnectionConfig;
import io.seedstream.schemas.Topics;
import io.seedstream.schemas.avro.DeadLetter;
import io.seedstream.schemas.avro.Prompt;
import io.seedstream.schemas.serde.AvroSerdes;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.serialization.Serde;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(RealKafkaExtension.class)
class PromptLoaderTest {

    private static final Path AMC = Path.of("../datasets/eval/amc.jsonl");
    private static final Path MALFORMED = Path.of("src/test/resources/malformed-prompts.jsonl");

    private static PromptLoader.Summary load(ConnectionConfig c, Path file, String dataset) throws Exception {
        AvroSerdes serdes = AvroSerdes.connect(c);
        try (KafkaProducer<String, Prompt> prompts = new KafkaProducer<>(c.kafkaProperties(),
                serdes.key().serializer(), serdes.value(Topics.PROMPTS).serializer());
                KafkaProducer<String, DeadLetter> dead = new KafkaProducer<>(c.kafkaProperties(),
                        serdes.key().serializer(), serdes.value(Topics.DEAD_LETTERS).serializer())) {
            return new PromptLoader(prompts, c.topic(Topics.PROMPTS), dead, c.topic(Topics.DEAD_LETTERS),
                    Clock.systemUTC()).load(file, dataset, (done, total) -> { });
        }
    }

    private static <V extends org.apache.avro.specific.SpecificRecord> Map<String, V> readAll(
            ConnectionConfig c, String topic, Serde<V> serde, int expected) {
        Properties p = c.kafkaProperties();
        p.put(ConsumerConfig.GROUP_ID_CONFIG, "read-" + UUID.randomUUID());
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        Map<String, V> out = new HashMap<>();
        try (KafkaConsumer<String, V> consumer = new KafkaConsumer<>(p,
                new org.apache.kafka.common.serialization.StringDeserializer(), serde.deserializer())) {
            consumer.subscribe(List.of(topic));
            long deadline = System.currentTimeMillis() + 30_000;
            while (out.size() < expected && System.currentTimeMillis() < deadline) {
                consumer.poll(Duration.ofMillis(200)).forEach(r -> out.put(r.key(), r.value()));
            }
            consumer.poll(Duration.ofMillis(300)).forEach(r -> out.put(r.key(), r.value()));
        }
        return out;
    }

    @Test
    void loadsEveryPromptOfAnEvaluationFile(TestCluster cluster) throws Exception {
        ConnectionConfig c = cluster.isolatedConnection("prompts-amc");
        PromptLoader.Summary summary = load(c, AMC, PromptLoader.datasetOf(AMC));
        assertThat(summary.loaded()).isEqualTo(83);
        assertThat(summary.failed()).isZero();

        Map<String, Prompt> prompts = readAll(c, c.topic(Topics.PROMPTS),
                AvroSerdes.connect(c).value(Topics.PROMPTS), 83);
        assertThat(prompts).hasSize(83).containsKey("amc-0000");
        assertThat(prompts.get("amc-0000").getAnswers()).containsExactly("142");
        assertThat(prompts.get("amc-0000").getDataset()).isEqualTo("amc");
    }

    @Test
    void malformedLinesAreReportedWithLineNumbersAndTheRestLoads(TestCluster cluster) throws Exception {
        ConnectionConfig c = cluster.isolatedConnection("prompts-bad");
        PromptLoader.Summary summary = load(c, MALFORMED, "mixed");
        assertThat(summary.loaded()).isEqualTo(5);
        assertThat(summary.skipped()).isEqualTo(1); // the blank line
        assertThat(summary.errors()).extracting(PromptLoader.LineError::line).containsExactly(4L, 7L);
        assertThat(summary.errors().get(0).reason()).contains("not valid JSON");
        assertThat(summary.errors().get(1).reason()).contains("problem");

        AvroSerdes serdes = AvroSerdes.connect(c);
        Map<String, Prompt> prompts = readAll(c, c.topic(Topics.PROMPTS), serdes.value(Topics.PROMPTS), 5);
        String hashed = PromptLine.stableId("mixed", "No id here: what is 10/4?");
        assertThat(prompts.keySet()).containsExactlyInAnyOrder("m-1", "m-2", "m-3", hashed, "m-7");
        assertThat(prompts.get("m-3").getMetadata()).containsEntry("level", "2");
        assertThat(prompts.get("m-7").getAnswers()).containsExactly("9");

        Map<String, DeadLetter> dead = readAll(c, c.topic(Topics.DEAD_LETTERS),
                serdes.value(Topics.DEAD_LETTERS), 2);
        assertThat(dead.values()).extracting(DeadLetter::getOffset).containsExactlyInAnyOrder(4L, 7L);
        assertThat(dead.values()).allMatch(d -> d.getStage().equals("prompts-load"));
    }

    @Test
    void idsAreStableAcrossLoads() throws Exception {
        String a = PromptLine.parse("{\"problem\": \"p\", \"answer\": \"1\"}", "ds").getId();
        String b = PromptLine.parse("{\"problem\": \"p\", \"answer\": \"2\"}", "ds").getId();
        assertThat(a).isEqualTo(b).startsWith("ds-");
        assertThatThrownBy(() -> PromptLine.parse("{\"problem\": \"p\", \"answers\": []}", "ds"))
                .hasMessageContaining("no reference answer");
    }
}
