package io.seedstream.cli.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.seedstream.infra.LocalStack;
import io.seedstream.infra.broker.BrokerSettings;
import io.seedstream.infra.registry.RegistrySettings;
import io.seedstream.infra.topics.TopicSetup;
import io.seedstream.model.Median;
import io.seedstream.schemas.ConnectionConfig;
import io.seedstream.schemas.TokenArrays;
import io.seedstream.schemas.Topics;
import io.seedstream.schemas.avro.Answer;
import io.seedstream.schemas.avro.AnswerGroup;
import io.seedstream.schemas.avro.FinishReason;
import io.seedstream.schemas.avro.Prompt;
import io.seedstream.schemas.avro.ScoredGroup;
import io.seedstream.schemas.avro.TrainingBatch;
import io.seedstream.schemas.serde.AvroSerdes;
import io.seedstream.streams.scoring.ScoringConfig;
import io.seedstream.streams.topology.ScoringService;
import io.seedstream.streams.topology.TopologySettings;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.UUID;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Groups per second through the whole scoring topology (exactly-once) against the same bytes
 * through a plain produce-then-consume on the same embedded broker: the limit on this machine.
 */
final class StreamsBenchmark {

    record Run(double plainGroupsPerSecond, double topologyGroupsPerSecond, long bytes) {}

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String FILLER = "Let us reason step by step about the quantities in the problem and check each "
            + "intermediate result carefully before writing the final answer ";

    private final LocalStack stack;
    private final List<Prompt> prompts;

    StreamsBenchmark(LocalStack stack, List<Prompt> prompts) {
        this.stack = stack;
        this.prompts = prompts;
    }

    static LocalStack startStack() throws Exception {
        return LocalStack.start(BrokerSettings.ephemeralPorts(Files.createTempDirectory("seedstream-bench-streams")),
                RegistrySettings.defaults().withPort(0), ConnectionConfig.defaults());
    }

    /** Prompts with their references from the evaluation sets (id, problem, answers[]). */
    static List<Prompt> evalPrompts(Path dir) throws Exception {
        List<Prompt> out = new ArrayList<>();
        try (var files = Files.list(dir)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".jsonl")).sorted().toList()) {
                for (String line : Files.readAllLines(f)) {
                    if (line.isBlank()) {
                        continue;
                    }
                    JsonNode n = JSON.readTree(line);
                    List<String> answers = new ArrayList<>();
                    n.get("answers").forEach(a -> answers.add(a.asText()));
                    out.add(Prompt.newBuilder().setId(n.get("id").asText()).setDataset(f.getFileName().toString())
                            .setProblem(n.get("problem").asText()).setAnswers(answers).setMetadata(Map.of()).build());
                }
            }
        }
        return out;
    }

    /** G = 8 answers of about 500 tokens each: right (as written or rewritten) or wrong. */
    static AnswerGroup group(int i, Prompt p, SplittableRandom r) {
        List<Answer> answers = new ArrayList<>();
        String gold = p.getAnswers().get(0);
        for (int a = 0; a < 8; a++) {
            String final0 = switch (r.nextInt(4)) {
                case 0 -> gold;
                case 1 -> "$" + gold + "$";
                case 2 -> gold.replace("\\frac", "\\dfrac");
                default -> String.valueOf(r.nextInt(1000));
            };
            StringBuilder text = new StringBuilder();
            while (text.length() < 2400) {
                text.append(FILLER);
            }
            text.append("So the final answer is \\boxed{").append(final0).append("}.");
            int[] ids = new int[500];
            float[] lps = new float[500];
            for (int t = 0; t < 500; t++) {
                ids[t] = r.nextInt(50_000);
                lps[t] = (float) -r.nextDouble(0.01, 3.0);
            }
            answers.add(Answer.newBuilder().setText(text.toString()).setTokenIds(TokenArrays.ofInts(ids))
                    .setTokenLogprobs(TokenArrays.ofFloats(lps))
                    .setFinishReason(FinishReason.STOP).build());
        }
        return AnswerGroup.newBuilder().setRequestId("bench-" + i).setPromptId(p.getId()).setPolicyVersion(0)
                .setGeneratorId("bench").setGroupSize(8).setPromptTokenIds(TokenArrays.ofInts(new int[] {1, 2, 3})).setAnswers(answers)
                .setCreatedAt(Instant.now()).build();
    }

    Run run(int groups, int threads) throws Exception {
        ConnectionConfig c = stack.connection().withTopicPrefix("bench-" + UUID.randomUUID().toString().substring(0, 8) + ".");
        try (Admin admin = Admin.create(c.kafkaProperties())) {
            new TopicSetup(admin, Duration.ofSeconds(30)).ensureAll(c);
            admin.createTopics(List.of(new NewTopic(c.topicPrefix() + "plain", Topics.ROLLOUTS.partitions(), (short) -1)
                    .configs(Topics.ROLLOUTS.configs()))).all().get();
        }
        AvroSerdes serdes = AvroSerdes.connect(c);
        try (KafkaProducer<String, Prompt> p = new KafkaProducer<>(c.producerProperties("seedstream-bench-prompts"),
                new StringSerializer(),
                serdes.value(Topics.PROMPTS).serializer())) {
            List<java.util.concurrent.Future<?>> sent = new ArrayList<>();
            for (Prompt prompt : prompts) {
                sent.add(p.send(new ProducerRecord<>(c.topic(Topics.PROMPTS), prompt.getId(), prompt)));
            }
            for (var f : sent) {
                f.get(); // a lost prompt would leave its groups waiting: fail loudly instead
            }
        }
        SplittableRandom r = new SplittableRandom(42);
        List<String> keys = new ArrayList<>();
        List<byte[]> values = new ArrayList<>();
        var ser = serdes.value(Topics.ROLLOUTS).serializer();
        long bytes = 0;
        for (int i = 0; i < groups; i++) {
            Prompt p = prompts.get(r.nextInt(prompts.size()));
            byte[] v = ser.serialize(c.topic(Topics.ROLLOUTS), group(i, p, r));
            keys.add(p.getId());
            values.add(v);
            bytes += v.length;
        }
        double plain = plainPass(c, c.topicPrefix() + "plain", keys, values);
        TopologySettings settings = TopologySettings.defaults().withBatching(16, 1_000_000_000L, Duration.ofMillis(200))
                .withInstance("bench-scoring-" + UUID.randomUUID(), 0, Files.createTempDirectory("bench-state"), threads);
        double topo;
        try (ScoringService service = ScoringService.start(c, settings, ScoringConfig.DEFAULT)) {
            service.awaitRunning(Duration.ofMinutes(2));
            topo = topologyPass(c, serdes, keys, values);
        }
        return new Run(plain, topo, bytes / groups);
    }

    private static Properties producerProps(ConnectionConfig c) {
        Properties p = c.producerProperties("seedstream-bench-rollouts");
        p.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "zstd");
        p.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, c.maxMessageBytes());
        return p;
    }

    private static Properties consumerProps(ConnectionConfig c) {
        Properties p = c.kafkaProperties();
        p.put(ConsumerConfig.GROUP_ID_CONFIG, "bench-" + UUID.randomUUID());
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 64 * 1024 * 1024);
        return p;
    }

    /** Produce every group to a plain topic while a consumer reads them back: groups per second. */
    private static double plainPass(ConnectionConfig c, String topic, List<String> keys, List<byte[]> values)
            throws Exception {
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(consumerProps(c), new ByteArrayDeserializer(),
                new ByteArrayDeserializer());
                KafkaProducer<String, byte[]> producer = new KafkaProducer<>(producerProps(c), new StringSerializer(),
                        new ByteArraySerializer())) {
            consumer.subscribe(List.of(topic));
            consumer.poll(Duration.ofMillis(100));
            long t0 = System.nanoTime();
            Thread sender = new Thread(() -> {
                for (int i = 0; i < keys.size(); i++) {
                    producer.send(new ProducerRecord<>(topic, keys.get(i), values.get(i)));
                }
                producer.flush();
            });
            sender.start();
            long seen = 0;
            long deadline = System.nanoTime() + Duration.ofMinutes(5).toNanos();
            while (seen < keys.size() && System.nanoTime() < deadline) {
                seen += consumer.poll(Duration.ofMillis(200)).count();
            }
            double secs = (System.nanoTime() - t0) / 1e9;
            sender.join();
            if (seen < keys.size()) {
                throw new IllegalStateException("plain pass read " + seen + " of " + keys.size());
            }
            return keys.size() / secs;
        }
    }

    /** Produce every group to rollouts while reading training batches: groups scored per second. */
    private static double topologyPass(ConnectionConfig c, AvroSerdes serdes, List<String> keys, List<byte[]> values)
            throws Exception {
        String topic = c.topic(Topics.ROLLOUTS);
        Thread.sleep(1_000); // let the global store load the prompts before timing starts
        try (KafkaConsumer<String, TrainingBatch> consumer = new KafkaConsumer<>(consumerProps(c),
                new StringDeserializer(), serdes.value(Topics.TRAINING_BATCHES).deserializer());
                KafkaProducer<String, byte[]> producer = new KafkaProducer<>(producerProps(c), new StringSerializer(),
                        new ByteArraySerializer())) {
            consumer.subscribe(List.of(c.topic(Topics.TRAINING_BATCHES)));
            consumer.poll(Duration.ofMillis(100));
            long t0 = System.nanoTime();
            Thread sender = new Thread(() -> {
                for (int i = 0; i < keys.size(); i++) {
                    producer.send(new ProducerRecord<>(topic, keys.get(i), values.get(i)));
                }
                producer.flush();
            });
            sender.start();
            Set<String> seen = new HashSet<>();
            long deadline = System.nanoTime() + Duration.ofMinutes(10).toNanos();
            while (seen.size() < keys.size() && System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(200)).forEach(rec -> {
                    for (ScoredGroup g : rec.value().getGroups()) {
                        seen.add(g.getRollout().getRequestId());
                    }
                });
            }
            double secs = (System.nanoTime() - t0) / 1e9;
            sender.join();
            if (seen.size() < keys.size()) {
                throw new IllegalStateException("topology pass saw " + seen.size() + " of " + keys.size() + " groups");
            }
            return keys.size() / secs;
        }
    }

    static Map<String, Object> summary(List<Run> runs) {
        double plain = Median.of(runs.stream().map(Run::plainGroupsPerSecond).toList());
        double topo = Median.of(runs.stream().map(Run::topologyGroupsPerSecond).toList());
        Map<String, Object> m = new HashMap<>();
        m.put("median_plain_groups_per_second", plain);
        m.put("median_topology_groups_per_second", topo);
        m.put("median_ratio", topo / plain);
        return m;
    }
}
