package io.seedstream.producers.generator;

import io.seedstream.producers.tools.ToolSettings;
import io.seedstream.schemas.ClientIds;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigDef.Type;

/**
 * Every setting of a rollout generator, as documented configuration keys.
 *
 * @param id this generator's id: on every group it writes, and in its transactional id, so a
 *     restarted generator with the same id fences its predecessor and aborts its open transaction
 * @param modelDir the policy to start from when no version has been announced yet
 * @param checkpointDir where this machine sees the checkpoint store, when announced URIs do not resolve here
 * @param maxBatchSequences sequences (G per request, 1 per evaluation prompt) sampled together
 * @param batchWait how long a batch that is not full waits for more requests
 * @param promptTemplate a raw prompt template, empty for the model's chat template or the task's format
 * @param promptSystem the chat template's system prompt, empty for none
 * @param promptInstruction text after the problem, empty for none
 * @param evalInterleave while rollout requests wait, one evaluation batch after this many rollout batches
 * @param tools the tools the policy may call mid-answer (none by default)
 */
public record GeneratorConfig(
        String id,
        Path modelDir,
        Path checkpointDir,
        String runId,
        String groupId,
        int maxBatchSequences,
        Duration batchWait,
        String promptTemplate,
        String promptSystem,
        String promptInstruction,
        Duration promptWait,
        int evalInterleave,
        Duration metricsInterval,
        int prometheusPort,
        Duration transactionTimeout,
        Duration sessionTimeout,
        Duration startWait,
        Duration firstVersionWait,
        ToolSettings tools) {

    public static final String ID = "generator.id";
    public static final String MODEL_DIR = "generator.model.dir";
    public static final String CHECKPOINT_DIR = "generator.checkpoint.dir";
    public static final String RUN_ID = "generator.run.id";
    public static final String GROUP_ID = "generator.group.id";
    public static final String MAX_BATCH_SEQUENCES = "generator.max.batch.sequences";
    public static final String BATCH_WAIT_MS = "generator.batch.wait.ms";
    public static final String PROMPT_TEMPLATE = "generator.prompt.template";
    public static final String PROMPT_SYSTEM = "generator.prompt.system";
    public static final String PROMPT_INSTRUCTION = "generator.prompt.instruction";
    public static final String PROMPT_WAIT_MS = "generator.prompt.wait.ms";
    public static final String EVAL_INTERLEAVE = "generator.eval.interleave";
    public static final String METRICS_INTERVAL_MS = "generator.metrics.interval.ms";
    public static final String PROMETHEUS_PORT = "generator.prometheus.port";
    public static final String TRANSACTION_TIMEOUT_MS = "generator.transaction.timeout.ms";
    public static final String SESSION_TIMEOUT_MS = "generator.session.timeout.ms";
    public static final String START_WAIT_MS = "generator.start.wait.ms";
    public static final String FIRST_VERSION_WAIT_MS = "generator.first.version.wait.ms";
    public static final String TOOLS = "generator.tools";
    public static final String TOOLS_FORMAT = "generator.tools.format";
    public static final String TOOLS_MAX_CALLS = "generator.tools.max.calls";
    public static final String TOOLS_TIMEOUT_MS = "generator.tools.timeout.ms";
    public static final String TOOLS_HTTP = "generator.tools.http";
    public static final String TOOLS_MAX_REPLY_BYTES = "generator.tools.max.reply.bytes";

    public static final ConfigDef DEFINITION = new ConfigDef()
            .define(ID, Type.STRING, "", Importance.HIGH,
                    "Generator id (default: host name and process id). Give a restarted generator the same id: it "
                            + "then fences its predecessor and aborts its open transaction at once.")
            .define(MODEL_DIR, Type.STRING, "", Importance.HIGH,
                    "Policy to start from (Hugging Face directory) when no version has been announced.")
            .define(CHECKPOINT_DIR, Type.STRING, "", Importance.MEDIUM,
                    "Local mount of the checkpoint store, used when an announced checkpoint URI does not resolve here.")
            .define(RUN_ID, Type.STRING, "seedstream", Importance.HIGH, "Training run whose policy versions to follow.")
            .define(GROUP_ID, Type.STRING, ClientIds.GENERATOR_GROUP, new ConfigDef.NonEmptyString(), Importance.MEDIUM,
                    "Consumer group of the generators: they share the requests' partitions.")
            .define(MAX_BATCH_SEQUENCES, Type.INT, 64, Range.between(2, 4096), Importance.HIGH,
                    "Sequences sampled together: G per rollout request, 1 per evaluation prompt.")
            .define(BATCH_WAIT_MS, Type.LONG, 100L, Range.atLeast(0), Importance.MEDIUM,
                    "How long a batch that is not full waits for more requests before it starts.")
            .define(PROMPT_TEMPLATE, Type.STRING, "", Importance.MEDIUM,
                    "How a problem is shown to a raw completion model; {problem} stands for its text. Empty: the "
                            + "model's chat template (tokenizer_config.json) when it ships one, else the built-in "
                            + "task's 'Q: {problem}\\nA:'.")
            .define(PROMPT_SYSTEM, Type.STRING, "", Importance.MEDIUM,
                    "System prompt of the chat template's conversation (empty: none).")
            .define(PROMPT_INSTRUCTION, Type.STRING, "", Importance.MEDIUM,
                    "Text put after the problem on a new line, e.g. 'Please reason step by step, and put your final "
                            + "answer within \\boxed{}.' (empty: none).")
            .define(PROMPT_WAIT_MS, Type.LONG, 60_000L, Range.atLeast(0), Importance.MEDIUM,
                    "How long a request for an unknown prompt waits for it before it is dead-lettered.")
            .define(EVAL_INTERLEAVE, Type.INT, 4, Range.atLeast(1), Importance.MEDIUM,
                    "While rollout requests wait, one evaluation batch runs after this many rollout batches; with no "
                            + "rollout request waiting, evaluation batches run back to back.")
            .define(METRICS_INTERVAL_MS, Type.LONG, 10_000L, Range.atLeast(100), Importance.LOW,
                    "Interval of the metrics snapshots written to the metrics topic.")
            .define(PROMETHEUS_PORT, Type.INT, -1, Range.atLeast(-1), Importance.LOW,
                    "Port of the Prometheus /metrics endpoint (-1: off, 0: any free port).")
            .define(TRANSACTION_TIMEOUT_MS, Type.LONG, 60_000L, Range.atLeast(1000), Importance.LOW,
                    "Kafka transaction timeout: how long a dead generator's open transaction can hold its partitions.")
            .define(SESSION_TIMEOUT_MS, Type.LONG, 10_000L, Range.atLeast(1000), Importance.LOW,
                    "Consumer session timeout: how soon the group notices a dead generator.")
            .define(START_WAIT_MS, Type.LONG, 30_000L, Range.atLeast(0), Importance.LOW,
                    "How long to wait at start for policy-versions and prompts to be read.")
            .define(FIRST_VERSION_WAIT_MS, Type.LONG, 600_000L, Range.atLeast(0), Importance.LOW,
                    "Without a model directory: how long to wait for the trainer's first announcement (a generator "
                            + "started before the trainer) before giving up.")
            .define(TOOLS, Type.LIST, "", Importance.MEDIUM,
                    "Tools the policy may call mid-answer, the allow-list: calculator (exact rationals), and names "
                            + "given URLs in generator.tools.http. Empty: no tool calls.")
            .define(TOOLS_FORMAT, Type.STRING, "calc", ConfigDef.ValidString.in("calc", "hermes"), Importance.MEDIUM,
                    "How calls are written: calc (`<calc>21-5</calc>`, answered `<result>16</result>`) or hermes "
                            + "(`<tool_call>{\"name\": ..., \"arguments\": ...}</tool_call>`, answered "
                            + "`<tool_response>...</tool_response>`, as Qwen2.5's chat template).")
            .define(TOOLS_MAX_CALLS, Type.INT, 4, Range.atLeast(1), Importance.LOW,
                    "Tool calls per answer at most; the token budget counts the replies too.")
            .define(TOOLS_TIMEOUT_MS, Type.LONG, 2_000L, Range.atLeast(1), Importance.LOW,
                    "Bound on one call; a slower tool's reply is an error text, and the batch goes on.")
            .define(TOOLS_HTTP, Type.LIST, "", Importance.LOW,
                    "HTTP tools as name=url: each call is a JSON POST {\"tool\", \"arguments\"} and the body the reply. "
                            + "Only URLs listed here are called.")
            .define(TOOLS_MAX_REPLY_BYTES, Type.INT, 4096, Range.atLeast(1), Importance.LOW,
                    "Longest reply an HTTP tool may send; a longer one is an error text.");

    public static GeneratorConfig from(Map<?, ?> props) {
        AbstractConfig c = new AbstractConfig(DEFINITION, props, false);
        String id = c.getString(ID).isBlank() ? defaultId() : c.getString(ID);
        return new GeneratorConfig(id, path(c.getString(MODEL_DIR)), path(c.getString(CHECKPOINT_DIR)),
                c.getString(RUN_ID), c.getString(GROUP_ID), c.getInt(MAX_BATCH_SEQUENCES),
                Duration.ofMillis(c.getLong(BATCH_WAIT_MS)), c.getString(PROMPT_TEMPLATE),
                c.getString(PROMPT_SYSTEM), c.getString(PROMPT_INSTRUCTION),
                Duration.ofMillis(c.getLong(PROMPT_WAIT_MS)), c.getInt(EVAL_INTERLEAVE),
                Duration.ofMillis(c.getLong(METRICS_INTERVAL_MS)), c.getInt(PROMETHEUS_PORT),
                Duration.ofMillis(c.getLong(TRANSACTION_TIMEOUT_MS)), Duration.ofMillis(c.getLong(SESSION_TIMEOUT_MS)),
                Duration.ofMillis(c.getLong(START_WAIT_MS)), Duration.ofMillis(c.getLong(FIRST_VERSION_WAIT_MS)),
                toolsOf(c));
    }

    /** The generator.tools.* keys alone, for commands that sample with tools outside a generator (eval, bench). */
    public static ToolSettings tools(Map<?, ?> props) {
        return toolsOf(new AbstractConfig(DEFINITION, props, false));
    }

    private static ToolSettings toolsOf(AbstractConfig c) {
        return new ToolSettings(c.getList(TOOLS).stream().map(String::strip).filter(s -> !s.isEmpty()).toList(),
                ToolSettings.format(c.getString(TOOLS_FORMAT)), c.getInt(TOOLS_MAX_CALLS),
                Duration.ofMillis(c.getLong(TOOLS_TIMEOUT_MS)), ToolSettings.http(c.getList(TOOLS_HTTP)),
                c.getInt(TOOLS_MAX_REPLY_BYTES));
    }

    private static Path path(String s) {
        return s.isBlank() ? null : Path.of(s);
    }

    private static String defaultId() {
        return ManagementFactory.getRuntimeMXBean().getName().replace('@', '-'); // pid@host
    }
}
