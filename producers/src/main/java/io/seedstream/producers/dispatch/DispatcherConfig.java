package io.seedstream.producers.dispatch;

import io.seedstream.schemas.SharedKeys;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigDef.Type;

/**
 * Every setting of the dispatcher. The staleness bound and the groups per batch are read from
 * the keys the trainer and the topology read ({@value #STALENESS}, {@value #BATCH_GROUPS}), so one
 * properties file gives all three the same values.
 *
 * @param trainDatasets datasets whose prompts are released for training (empty: every dataset
 *     that is not an evaluation benchmark)
 * @param evalFiles evaluation sets (JSONL, benchmark = file name); empty means the built-in task's
 *     held-out set of {@code heldOutSize} problems
 * @param evalEvery release an evaluation round every this many policy versions (0: never)
 * @param evalSamples answers sampled per problem besides the greedy one, for mean@k, pass@k and
 *     majority-of-k (0: greedy only)
 * @param evalSamplesEvery the samples come with every this many-th round (the first included)
 * @param evalTemperature temperature of those samples
 * @param checkpointDir where this machine sees the checkpoint store (to check that an announced checkpoint
 *     is there), or null: the announced path itself, checked when its store is on this machine
 * @param selection which prompts are released (uniform, learnable, uncertainty) and its knobs
 * @param filterZeroAdvantage whether the topology drops zero-advantage groups: the dispatcher then
 *     releases one more group for each dropped one (the topology's key, {@value #FILTER_ZERO})
 */
public record DispatcherConfig(
        String runId,
        int groupSize,
        double temperature,
        double topP,
        int topK,
        int maxNewTokens,
        int stalenessBound,
        int batchGroups,
        long seed,
        List<String> trainDatasets,
        List<Path> evalFiles,
        int heldOutSize,
        long heldOutSeed,
        int evalEvery,
        int evalSamples,
        int evalSamplesEvery,
        double evalTemperature,
        int releaseChunk,
        Duration pollInterval,
        Duration startWait,
        Path checkpointDir,
        Selection selection,
        boolean filterZeroAdvantage) {

    public static final String RUN_ID = "dispatch.run.id";
    public static final String GROUP_SIZE = "dispatch.group.size";
    public static final String TEMPERATURE = "dispatch.temperature";
    public static final String TOP_P = "dispatch.top.p";
    public static final String TOP_K = "dispatch.top.k";
    public static final String MAX_NEW_TOKENS = "dispatch.max.new.tokens";
    /** The trainer's key: one staleness bound for the trainer's check and the dispatcher's admission. */
    public static final String STALENESS = SharedKeys.STALENESS_BOUND;
    /** The topology's key: one batch size for the batches it closes and the dispatcher's admission. */
    public static final String BATCH_GROUPS = SharedKeys.BATCH_GROUPS;
    public static final String SEED = "dispatch.seed";
    public static final String TRAIN_DATASETS = "dispatch.train.datasets";
    public static final String EVAL_FILES = "dispatch.eval.files";
    public static final String CHECKPOINT_DIR = "dispatch.checkpoint.dir";
    /** The benchmark name of the built-in task's held-out set in eval results. */
    public static final String HELD_OUT_BENCHMARK = "task-heldout";
    public static final String HELD_OUT_SIZE = "dispatch.eval.heldout.size";
    public static final String HELD_OUT_SEED = "dispatch.eval.heldout.seed";
    public static final String EVAL_EVERY = "dispatch.eval.every";
    public static final String EVAL_SAMPLES = "dispatch.eval.samples";
    public static final String EVAL_SAMPLES_EVERY = "dispatch.eval.samples.every";
    public static final String EVAL_TEMPERATURE = "dispatch.eval.temperature";
    public static final String RELEASE_CHUNK = "dispatch.release.chunk";
    public static final String POLL_MS = "dispatch.poll.ms";
    public static final String START_WAIT_MS = "dispatch.start.wait.ms";
    public static final String SELECTION = "dispatch.selection";
    public static final String BAND_LOW = "dispatch.selection.band.low";
    public static final String BAND_HIGH = "dispatch.selection.band.high";
    public static final String EXPLORE_SOLVED = "dispatch.selection.explore.solved";
    public static final String EXPLORE_UNSOLVED = "dispatch.selection.explore.unsolved";
    public static final String FILTERED_STREAK = "dispatch.filtered.streak.limit";
    /** The topology's key: the dispatcher replaces the groups its filter drops. */
    public static final String FILTER_ZERO = SharedKeys.FILTER_ZERO_ADVANTAGE;

    public static final ConfigDef DEFINITION = new ConfigDef()
            .define(RUN_ID, Type.STRING, "seedstream", Importance.HIGH,
                    "Training run: whose policy versions are followed, and the key of the dispatcher's position.")
            .define(GROUP_SIZE, Type.INT, 8, Range.between(2, 4096), Importance.HIGH, "G, answers per prompt.")
            .define(TEMPERATURE, Type.DOUBLE, 1.0, Range.between(1e-6, 100), Importance.HIGH, "Sampling temperature.")
            .define(TOP_P, Type.DOUBLE, 1.0, Range.between(1e-6, 1), Importance.MEDIUM, "Nucleus mass (1: off).")
            .define(TOP_K, Type.INT, 0, Range.atLeast(0), Importance.LOW, "Top-k (0: off).")
            .define(MAX_NEW_TOKENS, Type.INT, 128, Range.atLeast(1), Importance.HIGH,
                    "Token budget per answer, also of the greedy evaluation answers.")
            .define(SharedKeys.key(STALENESS))
            .define(SharedKeys.key(BATCH_GROUPS))
            .define(SEED, Type.LONG, 0L, Importance.MEDIUM, "Seed of each epoch's shuffle of the training prompts.")
            .define(TRAIN_DATASETS, Type.LIST, "", Importance.MEDIUM,
                    "Datasets whose prompts are released for training (empty: all but the evaluation benchmarks).")
            .define(EVAL_FILES, Type.LIST, "", Importance.MEDIUM,
                    "Evaluation sets, JSONL files (benchmark = file name); empty: the built-in task's held-out set.")
            .define(HELD_OUT_SIZE, Type.INT, 500, Range.atLeast(1), Importance.LOW,
                    "Problems of the built-in held-out set.")
            .define(HELD_OUT_SEED, Type.LONG, 0L, Importance.LOW,
                    "Training seed the built-in held-out set is kept apart from (the task problems' seed).")
            .define(EVAL_EVERY, Type.INT, 10, Range.atLeast(0), Importance.MEDIUM,
                    "An evaluation round every this many policy versions, from the first one (0: never).")
            .define(EVAL_SAMPLES, Type.INT, 0, Range.between(0, 64), Importance.MEDIUM,
                    "k: answers sampled per evaluation problem besides the greedy one, for mean@k, pass@k and "
                            + "majority-of-k (0: greedy only). Each costs as much as a greedy answer.")
            .define(EVAL_SAMPLES_EVERY, Type.INT, 1, Range.atLeast(1), Importance.LOW,
                    "The samples come with every this many-th evaluation round, the first included.")
            .define(EVAL_TEMPERATURE, Type.DOUBLE, 1.0, Range.atLeast(0.01), Importance.LOW,
                    "Temperature of the evaluation samples.")
            .define(RELEASE_CHUNK, Type.INT, 256, Range.atLeast(1), Importance.LOW,
                    "Most requests released in one transaction.")
            .define(POLL_MS, Type.LONG, 500L, Range.atLeast(1), Importance.LOW,
                    "How often the dispatcher looks for a new policy version when it may not release.")
            .define(START_WAIT_MS, Type.LONG, 60_000L, Range.atLeast(0), Importance.LOW,
                    "How long to wait at start for training prompts to appear.")
            .define(CHECKPOINT_DIR, Type.STRING, "", Importance.LOW,
                    "Where this machine sees the checkpoint store: an announcement whose checkpoint is not there is "
                            + "refused (dead-lettered) before anything is admitted for it. Empty: the announced path, "
                            + "checked when its store is on this machine.")
            .define(SELECTION, Type.STRING, "uniform", ConfigDef.ValidString.in("uniform", "learnable", "uncertainty"),
                    Importance.MEDIUM, "Which prompts are released: uniform (each epoch's seeded shuffle), learnable "
                            + "(prompts the topology has not scored yet first, then those whose recent pass rate is in "
                            + "the band, weighted by p(1 - p); the others at the exploration rates) or uncertainty "
                            + "(unscored first, then weighted by recent semantic entropy). Read from prompt-states.")
            .define(BAND_LOW, Type.DOUBLE, 0.1, Range.between(0, 1), Importance.LOW,
                    "learnable: the lowest recent pass rate inside the band.")
            .define(BAND_HIGH, Type.DOUBLE, 0.9, Range.between(0, 1), Importance.LOW,
                    "learnable: the highest recent pass rate inside the band.")
            .define(EXPLORE_SOLVED, Type.DOUBLE, 0.05, Range.between(0, 1), Importance.LOW,
                    "learnable: share of releases drawn among prompts above the band (mostly solved).")
            .define(EXPLORE_UNSOLVED, Type.DOUBLE, 0.05, Range.between(0, 1), Importance.LOW,
                    "learnable: share of releases drawn among prompts below the band (mostly unsolved).")
            .define(FILTERED_STREAK, Type.INT, 4, Range.atLeast(1), Importance.LOW,
                    "With the zero-advantage filter on, a prompt whose newest this many groups were all dropped is "
                            + "retired: logged, counted, and no longer released.")
            .define(SharedKeys.key(FILTER_ZERO));

    public static DispatcherConfig from(Map<?, ?> props) {
        AbstractConfig c = new AbstractConfig(DEFINITION, props, false);
        return new DispatcherConfig(c.getString(RUN_ID), c.getInt(GROUP_SIZE), c.getDouble(TEMPERATURE),
                c.getDouble(TOP_P), c.getInt(TOP_K), c.getInt(MAX_NEW_TOKENS), c.getInt(STALENESS),
                c.getInt(BATCH_GROUPS), c.getLong(SEED), List.copyOf(c.getList(TRAIN_DATASETS)),
                c.getList(EVAL_FILES).stream().map(Path::of).toList(), c.getInt(HELD_OUT_SIZE),
                c.getLong(HELD_OUT_SEED), c.getInt(EVAL_EVERY), c.getInt(EVAL_SAMPLES),
                c.getInt(EVAL_SAMPLES_EVERY), c.getDouble(EVAL_TEMPERATURE), c.getInt(RELEASE_CHUNK),
                Duration.ofMillis(c.getLong(POLL_MS)), Duration.ofMillis(c.getLong(START_WAIT_MS)),
                c.getString(CHECKPOINT_DIR).isBlank() ? null : Path.of(c.getString(CHECKPOINT_DIR)),
                new Selection(Selection.parse(c.getString(SELECTION)), c.getDouble(BAND_LOW), c.getDouble(BAND_HIGH),
                        c.getDouble(EXPLORE_SOLVED), c.getDouble(EXPLORE_UNSOLVED), c.getInt(FILTERED_STREAK)),
                c.getBoolean(FILTER_ZERO));
    }

    /** Whether the evaluation round of a version also draws {@link #evalSamples} samples per problem. */
    public boolean samplesAt(long version) {
        return evalSamples > 0 && evalEvery > 0 && (version / evalEvery) % evalSamplesEvery == 0;
    }
}
