package io.seedstream.producers.generator;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.kafka.KafkaClientMetrics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.seedstream.model.Completion;
import io.seedstream.model.Policy;
import io.seedstream.model.SamplingOptions;
import io.seedstream.producers.follow.PolicyVersions;
import io.seedstream.producers.follow.PromptTable;
import io.seedstream.producers.generator.PendingRequests.Pending;
import io.seedstream.producers.tools.ToolBox;
import io.seedstream.producers.tools.ToolCalling;
import io.seedstream.schemas.ClientIds;
import io.seedstream.schemas.ConnectionConfig;
import io.seedstream.schemas.DeadLetters;
import io.seedstream.schemas.TokenArrays;
import io.seedstream.schemas.Topics;
import io.seedstream.schemas.avro.Answer;
import io.seedstream.schemas.avro.AnswerGroup;
import io.seedstream.schemas.avro.DeadLetter;
import io.seedstream.schemas.avro.EvalRequest;
import io.seedstream.schemas.avro.EvalResult;
import io.seedstream.schemas.avro.FinishReason;
import io.seedstream.schemas.avro.GenerationTimings;
import io.seedstream.schemas.avro.MetricsSnapshot;
import io.seedstream.schemas.avro.RolloutRequest;
import io.seedstream.schemas.avro.SamplingParams;
import io.seedstream.schemas.avro.ToolCall;
import io.seedstream.schemas.serde.AvroSerdes;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.OutOfOrderSequenceException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.errors.UnsupportedVersionException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A rollout generator: consumes rollout and evaluation requests as a member of the generators'
 * consumer group, samples them in batches with the current policy, and publishes one answer group
 * per rollout request (each as soon as its G answers are finished) and one greedy answer per
 * evaluation request.
 *
 * <p>Exactly once: each batch is one Kafka transaction holding its groups, its dead letters and
 * the offsets of the requests it consumed. A generator that dies mid-batch leaves a transaction
 * that is aborted (by the transaction timeout, or at once by a successor with the same id);
 * whoever takes its partitions answers those requests again.
 *
 * <p>Weights: follows policy-versions and loads a newer version between batches (sha256
 * checked); a request whose minimum policy version is not loaded yet waits for it.
 *
 * <p>Over 400 lines because one batch's consume, sample, publish and commit are one Kafka
 * transaction and share its state; batching ({@code BatchPlanner}), weights
 * ({@code PolicyHolder}), request checks and prompt encoding live in their own classes.
 */
public final class RolloutGenerator {

    private static final Logger log = LoggerFactory.getLogger(RolloutGenerator.class);

    /** Raised when another producer with this generator's transactional id took over: this one must stop. */
    public static final class FencedException extends RuntimeException {
        FencedException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** How a run ended. */
    public record Summary(long batches, long groups, long evalAnswers, long deadLetters, long loadedVersion) {}

    private final ConnectionConfig connection;
    private final GeneratorConfig config;
    /** Resolved from the first policy sampled with: the format is the run's, not a version's. */
    private volatile PromptFormat promptFormat;
    private final AvroSerdes serdes;
    private final Device device;
    private final Clock clock;
    private final GeneratorMetrics metrics;
    private volatile boolean stopping;
    private volatile KafkaConsumer<String, byte[]> liveConsumer;

    /** A generator whose meters nobody scrapes (tests, benchmarks): they are still counted. */
    public RolloutGenerator(ConnectionConfig connection, GeneratorConfig config, AvroSerdes serdes, Device device,
            Clock clock) {
        this(connection, config, serdes, device, clock, new SimpleMeterRegistry());
    }

    /** @param meters the process's registry (scraped on /metrics); this generator's meters are tagged with its id */
    public RolloutGenerator(ConnectionConfig connection, GeneratorConfig config, AvroSerdes serdes, Device device,
            Clock clock, MeterRegistry meters) {
        this.connection = connection;
        this.config = config;
        this.serdes = serdes;
        this.device = device;
        this.clock = clock;
        this.metrics = new GeneratorMetrics(config.id(), clock.instant(), meters);
    }

    /**
     * The sampler seed of answer {@code k} of a request with seed {@code requestSeed} (the seed its
     * group carries): answering the request again, or replaying it, samples the same answers.
     */
    public static long rowSeed(long requestSeed, int k) {
        return requestSeed * 1_000_003L + k;
    }

    public GeneratorMetrics metrics() {
        return metrics;
    }

    public GeneratorConfig config() {
        return config;
    }

    /** Asks a running {@link #run} to finish its current batch and return. */
    public void stop() {
        stopping = true;
        KafkaConsumer<String, byte[]> c = liveConsumer;
        if (c != null) {
            c.wakeup();
        }
    }

    public Summary run() throws IOException, InterruptedException {
        String clientId = ClientIds.GENERATOR_PREFIX + config.id();
        try (NDManager manager = NDManager.newBaseManager(device);
                PolicyVersions versions = PolicyVersions.follow(connection, serdes, config.runId(), clientId + "-versions");
                PromptTable prompts = PromptTable.follow(connection, serdes, clientId + "-prompts")) {
            if (!versions.awaitLoaded(config.startWait())) {
                log.warn("policy-versions not read within {} ms; starting from what is known", config.startWait().toMillis());
            }
            try (PolicyHolder policies = new PolicyHolder(new CheckpointLoader(config.checkpointDir()), manager, metrics,
                            versions);
                    KafkaProducer<String, Object> producer = producer(clientId);
                    KafkaConsumer<String, byte[]> consumer = consumer(clientId + "-requests");
                    ToolBox tools = config.tools().any() ? config.tools().box() : null) {
                if (tools != null) {
                    log.info("generator {}: the policy may call {} ({} format, at most {} calls per answer, {} ms each)",
                            config.id(), tools.names(), config.tools().format().name().toLowerCase(java.util.Locale.ROOT),
                            config.tools().maxCalls(), config.tools().timeout().toMillis());
                }
                if (!policies.start(config.modelDir(), config.firstVersionWait(), () -> stopping)) {
                    return new Summary(0, 0, 0, 0, -1); // stopped before the trainer's first announcement
                }
                producer.initTransactions(); // fences a predecessor with this id and aborts its open transaction
                KafkaClientMetrics producerMetrics = new KafkaClientMetrics(producer, metrics.tags());
                KafkaClientMetrics consumerMetrics = new KafkaClientMetrics(consumer, metrics.tags());
                producerMetrics.bindTo(metrics.registry());
                consumerMetrics.bindTo(metrics.registry());
                liveConsumer = consumer;
                try {
                    return new Loop(policies, prompts, producer, consumer, manager, tools).run();
                } finally {
                    liveConsumer = null;
                    producerMetrics.close();
                    consumerMetrics.close();
                }
            }
        }
    }

    /** The generator's transactional producer: one transaction per sampler batch. */
    public static Properties producerProperties(ConnectionConfig connection, GeneratorConfig config, String clientId) {
        Properties p = connection.producerProperties(clientId);
        p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, ClientIds.GENERATOR_PREFIX + config.id());
        p.put(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, (int) config.transactionTimeout().toMillis());
        p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "zstd");
        p.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        p.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, connection.maxMessageBytes());
        return p;
    }

    private KafkaProducer<String, Object> producer(String clientId) {
        Properties p = producerProperties(connection, config, clientId);
        return new KafkaProducer<>(p, new StringSerializer(),
                serdes.anyValue(Topics.ROLLOUTS, Topics.EVAL_RESULTS, Topics.DEAD_LETTERS, Topics.METRICS));
    }

    private KafkaConsumer<String, byte[]> consumer(String clientId) {
        Properties p = connection.kafkaProperties();
        p.put(ConsumerConfig.CLIENT_ID_CONFIG, clientId);
        p.put(ConsumerConfig.GROUP_ID_CONFIG, config.groupId());
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, (int) config.sessionTimeout().toMillis());
        p.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, (int) Math.max(500, config.sessionTimeout().toMillis() / 4));
        p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, Math.max(16, config.maxBatchSequences()));
        return new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer());
    }

    /** The state of one run: fetched requests, the planner, the clients. */
    /** A call as the log records it: the replies' tokens are the tool's, not the model's. */
    static ToolCall toolCall(Completion.ToolUse u) {
        return ToolCall.newBuilder().setTool(u.result().tool()).setArguments(u.result().arguments())
                .setReply(u.result().reply()).setStatus(u.result().status()).setLatencyMs(u.result().latencyMs())
                .setReplyStart(u.replyStart()).setReplyEnd(u.replyEnd()).build();
    }

    private final class Loop implements ConsumerRebalanceListener {
        private final PolicyHolder policies;
        private final PromptTable prompts;
        private final KafkaProducer<String, Object> producer;
        private final KafkaConsumer<String, byte[]> consumer;
        private final NDManager manager;
        /** The tools the policy may call, or null. */
        private final ToolBox tools;
        private final String rolloutTopic = connection.topic(Topics.ROLLOUT_REQUESTS);
        private final String evalTopic = connection.topic(Topics.EVAL_REQUESTS);
        private final Deserializer<RolloutRequest> rollouts = serdes.value(Topics.ROLLOUT_REQUESTS).deserializer();
        private final Deserializer<EvalRequest> evals = serdes.value(Topics.EVAL_REQUESTS).deserializer();
        private final PendingRequests pending = new PendingRequests();
        private final BatchPlanner planner;
        private final int contextLength;

        Loop(PolicyHolder policies, PromptTable prompts, KafkaProducer<String, Object> producer,
                KafkaConsumer<String, byte[]> consumer, NDManager manager, ToolBox tools) {
            this.tools = tools;
            this.policies = policies;
            this.prompts = prompts;
            this.producer = producer;
            this.consumer = consumer;
            this.manager = manager;
            this.planner = new BatchPlanner(rolloutTopic, evalTopic, prompts, config);
            this.contextLength = policies.current().model().config().maxPositionEmbeddings();
        }

        Summary run() {
            consumer.subscribe(List.of(rolloutTopic, evalTopic), this);
            try {
                while (!stopping) {
                    poll(pending.size() > 0 ? Duration.ofMillis(20) : Duration.ofMillis(200));
                    policies.reload();
                    deadLetterRefusals();
                    BatchPlan plan = planner.next(pending, policies.version(), System.nanoTime());
                    if (!plan.items.isEmpty() && plan.sequences < config.maxBatchSequences()) {
                        long waitedMs = (System.nanoTime() - plan.oldestFetchNanos) / 1_000_000;
                        long left = config.batchWait().toMillis() - waitedMs;
                        if (left > 0) { // a batch that is not full waits a little for stragglers
                            poll(Duration.ofMillis(left));
                            plan = planner.next(pending, policies.version(), System.nanoTime());
                        }
                    }
                    metrics.waiting(pending.size());
                    if (!plan.isEmpty()) {
                        execute(plan);
                    } else if (metrics.due(clock.instant(), config.metricsInterval())) {
                        sendMetricsAlone();
                    }
                }
            } catch (WakeupException e) {
                if (!stopping) {
                    throw e;
                }
            }
            return new Summary(metrics.batches(), metrics.groups(), metrics.evalAnswers(), metrics.deadLetters(),
                    policies.version());
        }

        private void poll(Duration timeout) {
            for (ConsumerRecord<String, byte[]> r : consumer.poll(timeout)) {
                pending.add(decode(r));
            }
            // a generator holds at most a few batches of requests; the rest stays in Kafka
            List<TopicPartition> pause = new ArrayList<>();
            List<TopicPartition> resume = new ArrayList<>();
            for (TopicPartition tp : consumer.assignment()) {
                (pending.size(tp) >= 4L * config.maxBatchSequences() ? pause : resume).add(tp);
            }
            consumer.pause(pause);
            consumer.resume(resume);
        }

        private Pending decode(ConsumerRecord<String, byte[]> r) {
            long now = System.nanoTime();
            try {
                if (r.topic().equals(rolloutTopic)) {
                    RolloutRequest req = rollouts.deserialize(r.topic(), r.value());
                    if (req == null) {
                        return new Pending(r, null, "empty rollout request", now);
                    }
                    return new Pending(r, req, RequestCheck.problem(req, config.maxBatchSequences(), contextLength), now);
                }
                EvalRequest req = evals.deserialize(r.topic(), r.value());
                if (req == null) {
                    return new Pending(r, null, "empty evaluation request", now);
                }
                return new Pending(r, req, RequestCheck.problem(req, contextLength), now);
            } catch (RuntimeException e) {
                return new Pending(r, null, "cannot decode the request: " + e.getMessage(), now);
            }
        }

        /** One batch, one transaction: sample, publish, dead-letter, commit the consumed offsets. */
        private void execute(BatchPlan plan) {
            Policy policy = null;
            if (!plan.items.isEmpty()) {
                try {
                    policy = plan.kind == BatchPlan.Kind.EVAL
                            ? policies.forVersion(plan.items.get(0).pending().requiredVersion()) : policies.current();
                } catch (CheckpointLoader.RefusedException e) {
                    plan = plan.allDead("eval-weights", e.getMessage());
                }
            }
            Instant startedAt = clock.instant();
            Sampled sampled = null;
            producer.beginTransaction();
            try {
                for (BatchPlan.Dead d : plan.dead) {
                    sendDeadLetter(d.pending(), d.stage(), d.reason());
                }
                if (!plan.items.isEmpty()) {
                    sampled = sample(plan, policy, startedAt);
                }
                if (metrics.due(clock.instant(), config.metricsInterval())) {
                    sendMetrics();
                }
                producer.sendOffsetsToTransaction(plan.nextOffsets, consumer.groupMetadata());
                producer.commitTransaction();
            } catch (ProducerFencedException | OutOfOrderSequenceException | AuthorizationException
                    | UnsupportedVersionException e) {
                throw new FencedException("generator " + config.id() + " can no longer write: " + e.getMessage(), e);
            } catch (KafkaException e) {
                log.warn("batch of {} requests not committed ({}); fetching them again", plan.items.size(), e.toString());
                abortAndRewind(plan);
                return;
            } catch (RuntimeException e) {
                // sampling itself failed: answering again would fail again, so the requests become dead letters
                log.error("sampling a batch of {} requests failed: {}", plan.items.size(), e.toString());
                producer.abortTransaction();
                execute(plan.allDead("sample", "sampling failed: " + e));
                return;
            }
            consumed(plan);
            planner.ran(plan);
            metrics.committed(plan.dead.size());
            if (sampled != null) {
                boolean rollout = plan.kind == BatchPlan.Kind.ROLLOUT;
                metrics.batch(sampled.sequences(), config.maxBatchSequences(), sampled.tokens(),
                        rollout ? plan.items.size() : 0, rollout ? 0 : plan.items.size(), sampled.seconds());
            }
        }

        private PromptFormat promptFormat(Policy policy) {
        PromptFormat f = promptFormat;
        if (f == null) {
            try {
                f = PromptFormat.resolve(policy.dir(), config.promptTemplate(), config.promptSystem(),
                        config.promptInstruction());
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException("cannot read the chat template of " + policy.dir(), e);
            }
            log.info("generator {}: prompts use {}", config.id(), f.describe());
            promptFormat = f;
        }
        return f;
    }

    /** What a sampler batch did, counted once its transaction commits. */
        private record Sampled(int sequences, long tokens, double seconds) {}

        private Sampled sample(BatchPlan plan, Policy policy, Instant startedAt) {
            if (plan.kind == BatchPlan.Kind.ROLLOUT) {
                policies.used(startedAt);
            }
            int maxNewTokens = plan.items.get(0).pending().maxNewTokens(); // one batch key: one budget
            PromptEncoder encoder = new PromptEncoder(policy, promptFormat(policy));
            List<int[]> rows = new ArrayList<>();
            List<Long> rowSeeds = new ArrayList<>();
            List<int[]> promptIds = new ArrayList<>();
            for (BatchPlan.Item item : plan.items) {
                PromptEncoder.Encoded enc = encoder.encode(item.prompt().getProblem(), maxNewTokens);
                if (enc.truncated()) {
                    metrics.truncatedPrompt();
                }
                promptIds.add(enc.ids());
                for (int k = 0; k < item.pending().rows(); k++) {
                    rows.add(enc.ids());
                    rowSeeds.add(rowSeed(item.pending().seed(), k));
                }
            }
            Set<Integer> stop = Set.of(policy.model().config().eosTokenId());
            SamplingOptions options = plan.kind == BatchPlan.Kind.EVAL ? evalOptions(plan.items.get(0).pending(),
                    maxNewTokens, stop) : optionsOf((RolloutRequest) plan.items.get(0).pending().request(), maxNewTokens, stop);
            GroupAssembler assembler = new GroupAssembler(plan, promptIds, policies.version(), startedAt, rows.size());
            long t0 = System.nanoTime();
            List<Completion> done;
            try (NDManager m = manager.newSubManager()) {
                done = policy.sampler().generate(rows, options, rowSeeds.stream().mapToLong(Long::longValue).toArray(),
                        m, true, assembler::finished, tools == null ? null
                                : ToolCalling.of(config.tools(), tools, policy));
            }
            return new Sampled(rows.size(), done.stream().mapToLong(c -> c.tokenIds().length).sum(),
                    (System.nanoTime() - t0) / 1e9);
        }

        /** Greedy, or the samples' temperature (one batch key: one kind of evaluation answer). */
        private SamplingOptions evalOptions(Pending p, int maxNewTokens, Set<Integer> stop) {
            EvalRequest e = (EvalRequest) p.request();
            return p.sampledEval() ? SamplingOptions.sample(e.getTemperature(), 1.0, 0, maxNewTokens, stop, 0)
                    : SamplingOptions.greedy(maxNewTokens, stop);
        }

        private SamplingOptions optionsOf(RolloutRequest r, int maxNewTokens, Set<Integer> stop) {
            SamplingParams s = r.getSampling();
            return SamplingOptions.sample(s.getTemperature(), s.getTopP(), s.getTopK(), maxNewTokens, stop, 0);
        }

        /** Collects finished rows and publishes each request's output as soon as all its rows are done. */
        private final class GroupAssembler {
            private final BatchPlan plan;
            private final List<int[]> promptIds;
            private final long version;
            private final Instant startedAt;
            private final int batchSequences;
            private final int[] firstRow;
            private final int[] remaining;
            private final int[] owner;
            private final Completion[] rows;

            GroupAssembler(BatchPlan plan, List<int[]> promptIds, long version, Instant startedAt, int batchSequences) {
                this.plan = plan;
                this.promptIds = promptIds;
                this.version = version;
                this.startedAt = startedAt;
                this.batchSequences = batchSequences;
                this.firstRow = new int[plan.items.size()];
                this.remaining = new int[plan.items.size()];
                this.owner = new int[batchSequences];
                this.rows = new Completion[batchSequences];
                int row = 0;
                for (int i = 0; i < plan.items.size(); i++) {
                    int g = plan.items.get(i).pending().rows();
                    firstRow[i] = row;
                    remaining[i] = g;
                    for (int k = 0; k < g; k++) {
                        owner[row++] = i;
                    }
                }
            }

            void finished(int row, Completion c) {
                rows[row] = c;
                int i = owner[row];
                if (--remaining[i] == 0) {
                    publish(i);
                }
            }

            private void publish(int i) {
                BatchPlan.Item item = plan.items.get(i);
                Instant now = clock.instant();
                if (item.pending().request() instanceof RolloutRequest r) {
                    List<Answer> answers = new ArrayList<>(r.getGroupSize());
                    for (int k = 0; k < r.getGroupSize(); k++) {
                        Completion c = rows[firstRow[i] + k];
                        metrics.answered(c.toolCalls());
                        answers.add(Answer.newBuilder().setText(c.text()).setTokenIds(TokenArrays.ofInts(c.tokenIds()))
                                .setTokenLogprobs(TokenArrays.ofFloats(c.logprobs()))
                                .setFinishReason(c.finishedByStop() ? FinishReason.STOP : FinishReason.LENGTH)
                                .setToolCalls(c.toolCalls().stream().map(RolloutGenerator::toolCall).toList()).build());
                    }
                    SamplingParams s = r.getSampling();
                    SamplingParams used = SamplingParams.newBuilder(s).setSeed(item.pending().seed()).build();
                    AnswerGroup group = AnswerGroup.newBuilder().setRequestId(r.getRequestId())
                            .setPromptId(r.getPromptId()).setPolicyVersion(version).setGeneratorId(config.id())
                            .setGroupSize(r.getGroupSize()).setPromptTokenIds(TokenArrays.ofInts(promptIds.get(i)))
                            .setAnswers(answers).setCreatedAt(now).setSampling(used)
                            .setTimings(new GenerationTimings(r.getCreatedAt(), startedAt, now, batchSequences))
                            .build();
                    producer.send(new ProducerRecord<>(connection.topic(Topics.ROLLOUTS), r.getPromptId(), group));
                } else {
                    EvalRequest e = (EvalRequest) item.pending().request();
                    Completion c = rows[firstRow[i]];
                    List<String> sampled = new ArrayList<>();
                    if (item.pending().sampledEval()) {
                        for (int k = 0; k < e.getSamples(); k++) {
                            sampled.add(rows[firstRow[i] + k].text());
                        }
                    }
                    EvalResult result = EvalResult.newBuilder().setRequestId(e.getRequestId())
                            .setPromptId(e.getPromptId()).setBenchmark(e.getBenchmark())
                            .setPolicyVersion(e.getPolicyVersion()).setGeneratorId(config.id())
                            .setText(item.pending().sampledEval() ? "" : c.text())
                            .setFinishReason(c.finishedByStop() ? FinishReason.STOP : FinishReason.LENGTH)
                            .setSampledTexts(sampled).setCreatedAt(now).build();
                    producer.send(new ProducerRecord<>(connection.topic(Topics.EVAL_RESULTS), e.getPromptId(), result));
                }
            }
        }

        private void sendDeadLetter(Pending p, String stage, String reason) {
            ConsumerRecord<String, byte[]> r = p.record();
            DeadLetter d = DeadLetters.of(r.topic(), r.partition(), r.offset(), r.key(), r.value(), "generator-" + stage,
                    reason, null, clock.instant());
            producer.send(new ProducerRecord<>(connection.topic(Topics.DEAD_LETTERS), r.key(), d));
            log.warn("dead letter from {}-{}@{}: {}", r.topic(), r.partition(), r.offset(), reason);
        }

        /** An announced checkpoint this generator refused (missing, unreadable, wrong sha256) is a dead letter. */
        private void deadLetterRefusals() {
            List<PolicyHolder.Refusal> refusals = policies.takeRefusals();
            if (refusals.isEmpty()) {
                return;
            }
            inOwnTransaction("dead letters of refused versions", () -> {
                for (PolicyHolder.Refusal f : refusals) {
                    PolicyVersions.Announcement a = f.announcement();
                    DeadLetter d = DeadLetters.of(connection.topic(Topics.POLICY_VERSIONS), a.partition(), a.offset(),
                            a.version().getRunId(), null, "generator-load-checkpoint", "generator " + config.id()
                                    + " refused version " + a.number() + " (" + a.version().getCheckpointUri() + "): "
                                    + f.reason(), null, clock.instant());
                    producer.send(new ProducerRecord<>(connection.topic(Topics.DEAD_LETTERS), a.version().getRunId(), d));
                }
            });
        }

        private void sendMetrics() {
            MetricsSnapshot s = metrics.snapshot(clock.instant());
            producer.send(new ProducerRecord<>(connection.topic(Topics.METRICS), s.getSource(), s));
        }

        private void sendMetricsAlone() {
            inOwnTransaction("metrics snapshot", this::sendMetrics);
        }

        /** Records that belong to no batch, in a transaction of their own; not written (and said) if it fails. */
        private void inOwnTransaction(String what, Runnable sends) {
            try {
                producer.beginTransaction();
                sends.run();
                producer.commitTransaction();
            } catch (ProducerFencedException | OutOfOrderSequenceException | AuthorizationException
                    | UnsupportedVersionException e) {
                throw new FencedException("generator " + config.id() + " can no longer write: " + e.getMessage(), e);
            } catch (KafkaException e) {
                log.warn("{} not written: {}", what, e.toString());
                producer.abortTransaction();
            }
        }

        /** The batch's requests are answered: forget them. */
        private void consumed(BatchPlan plan) {
            for (Map.Entry<TopicPartition, Deque<Pending>> e : pending.byPartition().entrySet()) {
                var next = plan.nextOffsets.get(e.getKey());
                if (next != null) {
                    e.getValue().removeIf(p -> p.record().offset() < next.offset());
                }
            }
        }

        /** Nothing of the batch was committed: fetch its requests again from their first offsets. */
        private void abortAndRewind(BatchPlan plan) {
            try {
                producer.abortTransaction();
            } catch (KafkaException e) {
                throw new FencedException("generator " + config.id() + " cannot abort its transaction: " + e, e);
            }
            Set<TopicPartition> assigned = consumer.assignment();
            List<TopicPartition> rewound = new ArrayList<>();
            plan.firstOffsets.forEach((tp, offset) -> {
                if (assigned.contains(tp)) {
                    consumer.seek(tp, offset);
                    rewound.add(tp);
                }
            });
            pending.drop(rewound);
        }

        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
            pending.drop(partitions); // not answered in a committed transaction: the next owner answers them
        }

        @Override
        public void onPartitionsLost(Collection<TopicPartition> partitions) {
            pending.drop(partitions);
        }

        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
            log.info("generator {} now serves {}", config.id(), partitions);
        }
    }
}
