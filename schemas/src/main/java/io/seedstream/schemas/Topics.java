package io.seedstream.schemas;

import io.seedstream.schemas.avro.AnswerGroup;
import io.seedstream.schemas.avro.DeadLetter;
import io.seedstream.schemas.avro.DispatchPosition;
import io.seedstream.schemas.avro.EvalRequest;
import io.seedstream.schemas.avro.EvalResult;
import io.seedstream.schemas.avro.MetricsSnapshot;
import io.seedstream.schemas.avro.PolicyVersion;
import io.seedstream.schemas.avro.Prompt;
import io.seedstream.schemas.avro.PromptState;
import io.seedstream.schemas.avro.RolloutRequest;
import io.seedstream.schemas.avro.TrainingBatch;
import java.util.List;
import java.util.Map;

/** Every topic of DESIGN.md section 3, with the configuration it is created with. */
public final class Topics {

    /**
     * Large enough for a batch of long answers with their token ids and log-probs: the default of
     * {@code topic.max.message.bytes} ({@link ConnectionConfig#maxMessageBytes()}).
     */
    public static final int LARGE_MESSAGE_BYTES = 64 * 1024 * 1024;

    /** The topic-level setting that {@link #withMaxMessageBytes} replaces. */
    public static final String MAX_MESSAGE_BYTES_CONFIG = "max.message.bytes";

    private static final Map<String, String> COMPACTED = Map.of("cleanup.policy", "compact");
    /**
     * How long the replayable log stays: 7 days, and at most 96 GiB per topic, whichever comes
     * first (docs/replay.md): a run of a few days of a large model on one disk.
     */
    public static final String RETENTION_MS = String.valueOf(7L * 24 * 3600 * 1000);
    private static final long RETENTION_BYTES_PER_TOPIC = 96L << 30;

    private static final Map<String, String> LARGE_ZSTD = Map.of("compression.type", "zstd",
            MAX_MESSAGE_BYTES_CONFIG, String.valueOf(LARGE_MESSAGE_BYTES), "retention.ms", RETENTION_MS,
            "retention.bytes", String.valueOf(RETENTION_BYTES_PER_TOPIC / 6)); // per partition, of 6
    /** Stored as produced: a topic-level codec different from the producer's makes the broker recompress. */
    private static final Map<String, String> LARGE = Map.of("compression.type", "producer",
            MAX_MESSAGE_BYTES_CONFIG, String.valueOf(LARGE_MESSAGE_BYTES), "retention.ms", RETENTION_MS,
            "retention.bytes", String.valueOf(RETENTION_BYTES_PER_TOPIC)); // one partition

    public static final Topic<String, Prompt> PROMPTS =
            new Topic<>("prompts", true, String.class, Prompt.class, 6, COMPACTED);
    public static final Topic<String, RolloutRequest> ROLLOUT_REQUESTS =
            new Topic<>("rollout-requests", true, String.class, RolloutRequest.class, 6, Map.of());
    public static final Topic<String, AnswerGroup> ROLLOUTS =
            new Topic<>("rollouts", true, String.class, AnswerGroup.class, 6, LARGE_ZSTD);
    /** Each training prompt's state as the topology last scored it; the dispatcher's selection reads it. */
    public static final Topic<String, PromptState> PROMPT_STATES =
            new Topic<>("prompt-states", true, String.class, PromptState.class, 6, COMPACTED);
    public static final Topic<String, TrainingBatch> TRAINING_BATCHES =
            new Topic<>("training-batches", true, String.class, TrainingBatch.class, 1, LARGE);
    public static final Topic<String, PolicyVersion> POLICY_VERSIONS =
            new Topic<>("policy-versions", true, String.class, PolicyVersion.class, 1, COMPACTED);
    public static final Topic<String, EvalRequest> EVAL_REQUESTS =
            new Topic<>("eval-requests", true, String.class, EvalRequest.class, 6, Map.of());
    public static final Topic<String, EvalResult> EVAL_RESULTS =
            new Topic<>("eval-results", true, String.class, EvalResult.class, 6, Map.of());
    public static final Topic<String, MetricsSnapshot> METRICS =
            new Topic<>("metrics", true, String.class, MetricsSnapshot.class, 1, Map.of());
    /** The dispatcher's position per run, written in the transaction of the requests it released. */
    public static final Topic<String, DispatchPosition> DISPATCH_POSITIONS =
            new Topic<>("dispatch-positions", true, String.class, DispatchPosition.class, 1, COMPACTED);
    public static final Topic<String, DeadLetter> DEAD_LETTERS =
            new Topic<>("dead-letters", true, String.class, DeadLetter.class, 1, Map.of());

    /**
     * The schema registry's own log, shared by every registry process of a cluster. Not
     * prefixed (as Confluent's {@code _schemas}); keys and values are JSON.
     */
    public static final Topic<String, String> SCHEMAS =
            new Topic<>("_schemas", false, String.class, String.class, 1, COMPACTED);

    /** The topics that carry Avro records, in data-flow order. */
    public static final List<Topic<String, ?>> RECORD_TOPICS =
            List.of(PROMPTS, ROLLOUT_REQUESTS, ROLLOUTS, PROMPT_STATES, TRAINING_BATCHES, POLICY_VERSIONS,
                    EVAL_REQUESTS, EVAL_RESULTS, METRICS, DISPATCH_POSITIONS, DEAD_LETTERS);

    private Topics() {}

    /** A topic's creation settings with the deployment's record size cap in place of the declared one. */
    public static Map<String, String> withMaxMessageBytes(Topic<?, ?> topic, int maxMessageBytes) {
        if (!topic.configs().containsKey(MAX_MESSAGE_BYTES_CONFIG)) {
            return topic.configs();
        }
        Map<String, String> out = new java.util.HashMap<>(topic.configs());
        out.put(MAX_MESSAGE_BYTES_CONFIG, String.valueOf(maxMessageBytes));
        return Map.copyOf(out);
    }
}
