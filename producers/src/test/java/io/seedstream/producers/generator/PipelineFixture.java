package io.seedstream.producers.generator;

import ai.djl.ndarray.NDManager;
import io.seedstream.model.Checkpoints;
import io.seedstream.model.Weights;
import io.seedstream.producers.task.TaskPolicy;
import io.seedstream.schemas.ConnectionConfig;
import io.seedstream.schemas.Topics;
import io.seedstream.schemas.avro.AnswerGroup;
import io.seedstream.schemas.avro.PolicyVersion;
import io.seedstream.schemas.avro.RolloutRequest;
import io.seedstream.schemas.avro.SamplingParams;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;

/** Random task policies, prompts, requests and announcements for tests on the broker. */
final class PipelineFixture {

    private PipelineFixture() {}

    /** A task-policy-shaped model with random weights, saved as a Hugging Face directory; returns its sha256. */
    static String randomPolicy(Path dir, long seed) throws IOException {
        try (NDManager m = NDManager.newBaseManager(); Weights w = Weights.random(TaskPolicy.CONFIG, seed, m)) {
            return Checkpoints.save(dir, TaskPolicy.CONFIG, w, TaskPolicy.tokenizerJson());
        }
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
        return generatorConfig(id, group, modelDir, Map.of());
    }

    /** The tests' generator settings, with {@code overrides} on top. */
    static GeneratorConfig generatorConfig(String id, String group, Path modelDir, Map<String, Object> overrides) {
        Map<String, Object> p = new HashMap<>();
        p.put(GeneratorConfig.ID, id);
        p.put(GeneratorConfig.GROUP_ID, group);
        p.put(GeneratorConfig.MODEL_DIR, modelDir.toString());
        p.put(GeneratorConfig.MAX_BATCH_SEQUENCES, 32);
        p.put(GeneratorConfig.SESSION_TIMEOUT_MS, 6000L);
        p.put(GeneratorConfig.METRICS_INTERVAL_MS, 1000L);
        p.put(GeneratorConfig.START_WAIT_MS, 5000L);
        p.putAll(overrides);
        return GeneratorConfig.from(p);
    }

    static Map<String, Integer> countByRequest(List<ConsumerRecord<String, AnswerGroup>> groups) {
        Map<String, Integer> n = new HashMap<>();
        groups.forEach(r -> n.merge(r.value().getRequestId(), 1, Integer::sum));
        return n;
    }
}
