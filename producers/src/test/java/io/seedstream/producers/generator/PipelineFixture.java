package io.seedstream.producers.generator;

import ai.djl.ndarray.NDManager;
import io.seedstream.model.Checkpoints;
import io.seedstream.model.Weights;
import io.seedstream.producers.task.TaskPolicy;
import io.seedstream.schemas.ConnectionConfig;
import io.seedstream.schemas.Topics;
import io.seedstream.schemas.avro.AnswerGroup;
import io.seedstream.schemas.avro.PolicyVersion;
import io.seedstream.schemas.avro.Prompt;
import io.seedstream.schemas.avro.RolloutRequest;
import io.seedstream.schemas.avro.SamplingParams;
import io.seedstream.schemas.serde.AvroSerdes;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/** Random task policies, prompts, requests and announcements for tests on the broker. */
final class PipelineFixture {

    private PipelineFixture() {}

    /** A task-policy-shaped model with random weights, saved as a Hugging Face directory; returns its sha256. */
    static String randomPolicy(Path dir, long seed) throws IOException {
        try (NDManager m = NDManager.newBaseManager(); Weights w = Weights.random(TaskPolicy.CONFIG, seed, m)) {
            return Checkpoints.save(dir, TaskPolicy.CONFIG, w, TaskPolicy.tokenizerJson());
        }
    }

    static void send(ConnectionConfig c, AvroSerdes serdes, List<ProducerRecord<String, Object>> records) throws Exception {
        try (KafkaProducer<String, Object> p = new KafkaProducer<>(c.kafkaProperties(), new StringSerializer(),
                serdes.anyValue(Topics.PROMPTS, Topics.ROLLOUT_REQUESTS, Topics.POLICY_VERSIONS, Topics.EVAL_REQUESTS))) {
            for (ProducerRecord<String, Object> r : records) {
                p.send(r).get();
            }
        }
    }

    static List<ProducerRecord<String, Object>> prompts(ConnectionConfig c, int n) {
        List<ProducerRecord<String, Object>> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Prompt p = Prompt.newBuilder().setId("p" + i).setDataset("task").setProblem("What is " + i + " + 1?")
                    .setAnswers(List.of(String.valueOf(i + 1))).build();
            out.add(new ProducerRecord<>(c.topic(Topics.PROMPTS), p.getId(), p));
        }
        return out;
    }

    static ProducerRecord<String, Object> request(ConnectionConfig c, String id, String promptId, int g,
            double temperature, int maxNewTokens, long minVersion) {
        RolloutRequest r = RolloutRequest.newBuilder().setRequestId(id).setPromptId(promptId).setGroupSize(g)
                .setSampling(SamplingParams.newBuilder().setTemperature(temperature).setTopP(1.0).setTopK(0)
                        .setMaxNewTokens(maxNewTokens).setSeed(null).build())
                .setMinPolicyVersion(minVersion).setCreatedAt(Instant.now()).build();
        return new ProducerRecord<>(c.topic(Topics.ROLLOUT_REQUESTS), promptId, r);
    }

    static ProducerRecord<String, Object> announce(ConnectionConfig c, String runId, long version, Path dir, String sha) {
        PolicyVersion v = PolicyVersion.newBuilder().setRunId(runId).setVersion(version)
                .setCheckpointUri(dir.toAbsolutePath().toUri().toString()).setSha256(sha).setTrainerStep(version)
                .setConsumedOffsets(List.of()).setCreatedAt(Instant.now()).build();
        return new ProducerRecord<>(c.topic(Topics.POLICY_VERSIONS), runId, v);
    }

    static GeneratorConfig generatorConfig(String id, String group, Path modelDir) {
        Map<String, Object> p = new HashMap<>();
        p.put(GeneratorConfig.ID, id);
        p.put(GeneratorConfig.GROUP_ID, group);
        p.put(GeneratorConfig.MODEL_DIR, modelDir.toString());
        p.put(GeneratorConfig.MAX_BATCH_SEQUENCES, 32);
        p.put(GeneratorConfig.SESSION_TIMEOUT_MS, 6000L);
        p.put(GeneratorConfig.METRICS_INTERVAL_MS, 1000L);
        p.put(GeneratorConfig.START_WAIT_MS, 5000L);
        return GeneratorConfig.from(p);
    }

    /** Every committed record of a topic until {@code quiet} passes with nothing new (bounded by {@code max}). */
    static <V extends SpecificRecord> List<ConsumerRecord<String, V>> readAll(ConnectionConfig c, AvroSerdes serdes,
            io.seedstream.schemas.Topic<String, V> topic, String isolation, int expected, Duration max, Duration quiet) {
        Properties p = c.kafkaProperties();
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, isolation);
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        var values = serdes.value(topic).deserializer();
        List<ConsumerRecord<String, V>> out = new ArrayList<>();
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(p, new StringDeserializer(),
                new ByteArrayDeserializer())) {
            String name = c.topic(topic);
            List<org.apache.kafka.common.TopicPartition> parts = consumer.partitionsFor(name).stream()
                    .map(i -> new org.apache.kafka.common.TopicPartition(name, i.partition())).toList();
            consumer.assign(parts);
            consumer.seekToBeginning(parts);
            long deadline = System.nanoTime() + max.toNanos();
            long lastNew = System.nanoTime();
            while (System.nanoTime() < deadline) {
                var records = consumer.poll(Duration.ofMillis(200));
                for (ConsumerRecord<String, byte[]> r : records) {
                    V v = values.deserialize(r.topic(), r.value());
                    out.add(new ConsumerRecord<>(r.topic(), r.partition(), r.offset(), r.key(), v));
                    lastNew = System.nanoTime();
                }
                if (out.size() >= expected && System.nanoTime() - lastNew > quiet.toNanos()) {
                    break;
                }
            }
        }
        return out;
    }

    static Map<String, Integer> countByRequest(List<ConsumerRecord<String, AnswerGroup>> groups) {
        Map<String, Integer> n = new HashMap<>();
        groups.forEach(r -> n.merge(r.value().getRequestId(), 1, Integer::sum));
        return n;
    }
}
