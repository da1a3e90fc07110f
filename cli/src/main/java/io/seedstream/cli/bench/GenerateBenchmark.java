package io.seedstream.cli.bench;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import io.seedstream.infra.LocalStack;
import io.seedstream.infra.topics.TopicSetup;
import io.seedstream.model.Checkpoints;
import io.seedstream.model.Median;
import io.seedstream.model.ModelConfig;
import io.seedstream.model.Policy;
import io.seedstream.model.SamplingOptions;
import io.seedstream.model.Weights;
import io.seedstream.producers.generator.GeneratorConfig;
import io.seedstream.producers.generator.RolloutGenerator;
import io.seedstream.producers.task.ArithmeticTask;
import io.seedstream.producers.task.TaskPolicy;
import io.seedstream.producers.task.TaskProblem;
import io.seedstream.schemas.ConnectionConfig;
import io.seedstream.schemas.TokenArrays;
import io.seedstream.schemas.Topics;
import io.seedstream.schemas.avro.AnswerGroup;
import io.seedstream.schemas.avro.PolicyVersion;
import io.seedstream.schemas.avro.RolloutRequest;
import io.seedstream.schemas.avro.SamplingParams;
import io.seedstream.schemas.serde.AvroSerdes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * A rollout generator on the embedded broker against the bare sampler on the same batches in the
 * same process: what Kafka (consumer group, one transaction per batch, read_committed delivery)
 * costs generation. The bare pass rebuilds each of the generator's batches from the groups it
 * published (their prompt tokens, seeds and batch start), so both passes sample the same tokens;
 * the token counts are compared to prove it. Then, with the generator busy, new versions are
 * announced at a random point of a batch and the time to their first use is measured.
 */
final class GenerateBenchmark {

    /**
     * One measured pass: the requests through the generator, then its batches through the bare
     * sampler. batchSeconds is the time the generator spent inside its batches, the rest of
     * kafkaSeconds is between them (polling, committing, delivery).
     */
    record Pass(int batches, double meanBatchSequences, long tokens, boolean sameTokens, double kafkaSeconds,
            double batchSeconds, double bareSeconds, double ratio) {
        /** ratio: Kafka's throughput over the bare sampler's, for groups and tokens alike. */
        Pass(int batches, double meanBatchSequences, long tokens, boolean sameTokens, double kafkaSeconds,
                double batchSeconds, double bareSeconds) {
            this(batches, meanBatchSequences, tokens, sameTokens, kafkaSeconds, batchSeconds, bareSeconds,
                    bareSeconds / kafkaSeconds);
        }
    }

    /** One configuration's figures in one run: passes interleaved so that drift hits both sides. */
    record Run(String config, long parameters, int requests, int groupSize, int maxNewTokens, List<Pass> passes,
            double kafkaGroupsPerSecond, double bareGroupsPerSecond, double kafkaTokensPerSecond,
            double bareTokensPerSecond, double ratio, List<Double> announceToUseSeconds) {

        static Run of(String config, long parameters, int requests, int maxNewTokens, List<Pass> passes,
                List<Double> announce) {
            return new Run(config, parameters, requests, GROUP_SIZE, maxNewTokens, passes,
                    Median.of(passes.stream().map(p -> requests / p.kafkaSeconds()).toList()),
                    Median.of(passes.stream().map(p -> requests / p.bareSeconds()).toList()),
                    Median.of(passes.stream().map(p -> p.tokens() / p.kafkaSeconds()).toList()),
                    Median.of(passes.stream().map(p -> p.tokens() / p.bareSeconds()).toList()),
                    Median.of(passes.stream().map(Pass::ratio).toList()), announce);
        }

        boolean sameTokens() {
            return passes.stream().allMatch(Pass::sameTokens);
        }
    }

    static final int GROUP_SIZE = 8;
    private static final Duration TIMEOUT = Duration.ofMinutes(3);

    private final LocalStack stack;
    private final int batchSequences;

    GenerateBenchmark(LocalStack stack, int batchSequences) {
        this.stack = stack;
        this.batchSequences = batchSequences;
    }

    /**
     * @param requests measured rollout requests (G = 8 each) over the task's prompts, per pass
     * @param passes Kafka-then-bare passes over the same requests (same seeds: the same tokens)
     * @param announcements versions announced while the generator is busy
     */
    Run run(String name, ModelConfig config, int requests, int passes, int maxNewTokens, int announcements, long seed)
            throws Exception {
        String tag = "bench-" + UUID.randomUUID().toString().substring(0, 8);
        ConnectionConfig c = stack.connection().withTopicPrefix(tag + ".");
        try (Admin admin = Admin.create(c.kafkaProperties())) {
            new TopicSetup(admin, Duration.ofSeconds(30)).ensureAll(c);
        }
        AvroSerdes serdes = AvroSerdes.connect(c);
        Path work = Files.createTempDirectory("seedstream-bench-generate");
        try (KafkaProducer<String, Object> producer = producer(c, serdes);
                KafkaConsumer<String, AnswerGroup> groups = groupConsumer(c, serdes)) {
            List<TaskProblem> problems = ArithmeticTask.generate(requests, seed, 0);
            for (TaskProblem p : problems) {
                producer.send(new ProducerRecord<>(c.topic(Topics.PROMPTS), p.id(), p.toPrompt(p.id(), "task")));
            }
            producer.flush();
            Path modelDir = work.resolve("v0");
            try (NDManager m = NDManager.newBaseManager(); Weights w = Weights.random(config, seed, m)) {
                Checkpoints.save(modelDir, config, w, TaskPolicy.tokenizerJson());
            }
            groups.subscribe(List.of(c.topic(Topics.ROLLOUTS)));
            RolloutGenerator generator = new RolloutGenerator(c, GeneratorConfig.from(Map.of(
                    GeneratorConfig.ID, tag, GeneratorConfig.GROUP_ID, tag, GeneratorConfig.RUN_ID, tag,
                    GeneratorConfig.MODEL_DIR, modelDir.toString(),
                    GeneratorConfig.MAX_BATCH_SEQUENCES, batchSequences)), serdes, Device.cpu(), Clock.systemUTC());
            ExecutorService thread = Executors.newSingleThreadExecutor(r -> new Thread(r, "bench-generator"));
            Future<RolloutGenerator.Summary> running = thread.submit(generator::run);
            GroupReader reader = new GroupReader(groups, running);
            try {
                // warm-up: the consumer group joins, the JIT and the engine see a full batch
                int warm = batchSequences / GROUP_SIZE;
                sendRequests(producer, c, problems.subList(0, warm), "warm-", maxNewTokens, seed);
                reader.await(warm, r -> r.startsWith("warm-"));

                List<Pass> measured = new ArrayList<>();
                try (NDManager m = NDManager.newBaseManager(); Policy policy = Policy.load(modelDir, m)) {
                    for (int pass = 0; pass < passes; pass++) {
                        String prefix = "pass" + pass + "-";
                        long t0 = System.nanoTime();
                        sendRequests(producer, c, problems, prefix, maxNewTokens, seed);
                        List<AnswerGroup> answered = reader.await(requests, r -> r.startsWith(prefix));
                        double kafkaSeconds = (System.nanoTime() - t0) / 1e9;
                        List<List<AnswerGroup>> batches = batchesOf(answered);
                        long[] bare = bare(policy, m, batches, maxNewTokens, pass == 0);
                        long tokens = tokens(answered);
                        measured.add(new Pass(batches.size(), (double) requests * GROUP_SIZE / batches.size(), tokens,
                                bare[0] == tokens, kafkaSeconds, batchSeconds(batches), bare[1] / 1e9));
                    }
                }
                double batchSeconds = measured.stream().mapToDouble(p -> p.batchSeconds() / p.batches()).average()
                        .orElseThrow();
                List<Double> announce = announceWhileBusy(producer, reader, c, generator, work, config,
                        problems, maxNewTokens, announcements, batchSeconds, seed);
                generator.stop();
                running.get(1, TimeUnit.MINUTES);
                return Run.of(name, config.parameterCount(), requests, maxNewTokens, measured, announce);
            } finally {
                generator.stop();
                thread.shutdownNow();
                thread.awaitTermination(1, TimeUnit.MINUTES);
            }
        } finally {
            BenchCommand.deleteTree(work);
        }
    }

    /**
     * Each round sends two batches of requests to the idle generator, announces a new version a
     * random fraction of a batch later (while the first batch samples), and records when the
     * generator first sampled with it: the rest of that batch plus the reload.
     */
    private List<Double> announceWhileBusy(KafkaProducer<String, Object> producer,
            GroupReader reader, ConnectionConfig c, RolloutGenerator generator, Path work, ModelConfig config,
            List<TaskProblem> problems, int maxNewTokens, int announcements, double batchSeconds, long seed)
            throws Exception {
        SplittableRandom r = new SplittableRandom(seed);
        int perBatch = batchSequences / GROUP_SIZE;
        for (int v = 1; v <= announcements; v++) {
            Path dir = work.resolve("v" + v);
            String sha;
            try (NDManager m = NDManager.newBaseManager(); Weights w = Weights.random(config, seed + v, m)) {
                sha = Checkpoints.save(dir, config, w, TaskPolicy.tokenizerJson());
            }
            String prefix = "round" + v + "-";
            List<TaskProblem> round = new ArrayList<>();
            for (int i = 0; i < 2 * perBatch; i++) {
                round.add(problems.get(r.nextInt(problems.size())));
            }
            sendRequests(producer, c, round, prefix, maxNewTokens, seed + v);
            Thread.sleep((long) (r.nextDouble(0.1, 0.9) * batchSeconds * 1000));
            PolicyVersion announced = PolicyVersion.newBuilder().setRunId(generator.config().runId()).setVersion(v)
                    .setCheckpointUri(dir.toAbsolutePath().toUri().toString()).setSha256(sha).setTrainerStep(v)
                    .setConsumedOffsets(List.of()).setCreatedAt(Instant.now()).build();
            producer.send(new ProducerRecord<>(c.topic(Topics.POLICY_VERSIONS), announced.getRunId(), announced)).get();
            reader.await(2 * perBatch, id -> id.startsWith(prefix));
            // announced after the last batch of the round began: the next batch there is uses it
            for (int extra = 0; generator.metrics().announceToUseSeconds().size() < v; extra++) {
                if (extra == 10) {
                    throw new IllegalStateException("version " + v + " was announced but never used");
                }
                String more = prefix + "extra" + extra + "-";
                sendRequests(producer, c, round.subList(0, perBatch), more, maxNewTokens, seed + v);
                reader.await(perBatch, id -> id.startsWith(more));
            }
        }
        return generator.metrics().announceToUseSeconds();
    }

    private static void sendRequests(KafkaProducer<String, Object> producer, ConnectionConfig c,
            List<TaskProblem> prompts, String prefix, int maxNewTokens, long seed) {
        for (int i = 0; i < prompts.size(); i++) {
            String promptId = prompts.get(i).id();
            RolloutRequest req = RolloutRequest.newBuilder().setRequestId(prefix + i).setPromptId(promptId)
                    .setGroupSize(GROUP_SIZE)
                    .setSampling(SamplingParams.newBuilder().setTemperature(1.0).setTopP(1.0).setTopK(0)
                            .setMaxNewTokens(maxNewTokens).setSeed(seed * 7919 + i).build())
                    .setMinPolicyVersion(0).setCreatedAt(Instant.now()).build();
            producer.send(new ProducerRecord<>(c.topic(Topics.ROLLOUT_REQUESTS), promptId, req));
        }
        producer.flush();
    }

    /** Every committed group read so far, for the phases to pick theirs from by request id. */
    private static final class GroupReader {
        private final KafkaConsumer<String, AnswerGroup> consumer;
        private final Future<?> generator;
        private final List<AnswerGroup> read = new ArrayList<>();

        GroupReader(KafkaConsumer<String, AnswerGroup> consumer, Future<?> generator) {
            this.consumer = consumer;
            this.generator = generator;
        }

        /** Reads until {@code n} groups with a wanted request id arrived; fails if the generator died. */
        List<AnswerGroup> await(int n, Predicate<String> wanted) throws Exception {
            long deadline = System.nanoTime() + TIMEOUT.toNanos();
            while (true) {
                List<AnswerGroup> out = read.stream().filter(g -> wanted.test(g.getRequestId())).toList();
                if (out.size() >= n) {
                    return out;
                }
                if (generator.isDone()) {
                    generator.get(); // rethrows what stopped it
                    throw new IllegalStateException("the generator stopped before answering every request");
                }
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("only " + out.size() + " of " + n + " groups within " + TIMEOUT);
                }
                consumer.poll(Duration.ofMillis(5)).forEach(r -> read.add(r.value()));
            }
        }
    }

    /** The generator's sampler batches, rebuilt from when each group's batch started. */
    static List<List<AnswerGroup>> batchesOf(List<AnswerGroup> groups) {
        Map<Instant, List<AnswerGroup>> byStart = new LinkedHashMap<>();
        groups.stream().sorted(Comparator.comparing(g -> g.getTimings().getStartedAt()))
                .forEach(g -> byStart.computeIfAbsent(g.getTimings().getStartedAt(), k -> new ArrayList<>()).add(g));
        return new ArrayList<>(byStart.values());
    }

    /** Seconds the generator spent inside its batches (first start to last group finished, per batch). */
    private static double batchSeconds(List<List<AnswerGroup>> batches) {
        double s = 0;
        for (List<AnswerGroup> b : batches) {
            Instant start = b.get(0).getTimings().getStartedAt();
            Instant end = b.stream().map(g -> g.getTimings().getFinishedAt()).max(Comparator.naturalOrder()).orElseThrow();
            s += Duration.between(start, end).toNanos() / 1e9;
        }
        return s;
    }

    private static long tokens(List<AnswerGroup> groups) {
        return groups.stream().flatMap(g -> g.getAnswers().stream()).mapToLong(a -> TokenArrays.count(a.getTokenIds()))
                .sum();
    }

    /** The same batches through the bare sampler: {tokens, nanoseconds}. */
    private static long[] bare(Policy policy, NDManager m, List<List<AnswerGroup>> batches, int maxNewTokens,
            boolean warmUp) {
        SamplingOptions options = SamplingOptions.sample(1.0, 1.0, 0, maxNewTokens,
                Set.of(policy.model().config().eosTokenId()), 0);
        if (warmUp) {
            runBatch(policy, m, batches.get(0), options);
        }
        long tokens = 0;
        long nanos = 0;
        for (List<AnswerGroup> batch : batches) {
            long t0 = System.nanoTime();
            tokens += runBatch(policy, m, batch, options);
            nanos += System.nanoTime() - t0;
        }
        return new long[] {tokens, nanos};
    }

    /** One of the generator's batches again: the same prompt tokens and per-answer seeds; returns its tokens. */
    private static long runBatch(Policy policy, NDManager m, List<AnswerGroup> batch, SamplingOptions options) {
        List<int[]> rows = new ArrayList<>();
        List<Long> seeds = new ArrayList<>();
        for (AnswerGroup g : batch) {
            int[] prompt = TokenArrays.ints(g.getPromptTokenIds());
            for (int k = 0; k < g.getGroupSize(); k++) {
                rows.add(prompt);
                seeds.add(RolloutGenerator.rowSeed(g.getSampling().getSeed(), k));
            }
        }
        try (NDManager sub = m.newSubManager()) {
            return policy.sampler().generate(rows, options, seeds.stream().mapToLong(Long::longValue).toArray(), sub,
                    true, (row, c) -> {}).stream().mapToLong(c -> c.tokenIds().length).sum();
        }
    }

    private static KafkaProducer<String, Object> producer(ConnectionConfig c, AvroSerdes serdes) {
        Properties p = c.producerProperties("seedstream-bench-generate");
        p.put(ProducerConfig.LINGER_MS_CONFIG, 1);
        return new KafkaProducer<>(p, new StringSerializer(),
                serdes.anyValue(Topics.PROMPTS, Topics.ROLLOUT_REQUESTS, Topics.POLICY_VERSIONS));
    }

    private static KafkaConsumer<String, AnswerGroup> groupConsumer(ConnectionConfig c, AvroSerdes serdes) {
        Properties p = c.kafkaProperties();
        p.put(ConsumerConfig.GROUP_ID_CONFIG, "bench-reader-" + UUID.randomUUID());
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        return new KafkaConsumer<>(p, new StringDeserializer(), serdes.value(Topics.ROLLOUTS).deserializer());
    }
}
