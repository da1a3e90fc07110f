package io.seedstream.cli;

import io.seedstream.producers.dispatch.DispatcherConfig;
import io.seedstream.producers.task.ArithmeticTask;
import io.seedstream.producers.task.TaskProblemsFile;
import io.seedstream.streams.topology.TopologySettings;
import io.seedstream.trainer.TrainerConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * The built-in task as {@code up}, {@code chaos} and {@code experiment} run it: the shipped
 * warm-started policy, the settings chosen for a policy of its size, and the problems file.
 */
public final class BuiltInTask {

    /** The warm-started task policy in the repository. */
    public static final String SHIPPED_POLICY = "models/task-policy";

    /**
     * Settings for the 0.8M-parameter task policy, whose defaults suit billion-parameter models:
     * chosen for a model of its size (docs/method.md, "What `up` runs").
     */
    public static final Map<String, String> TASK_POLICY_SETTINGS = Map.of(
            TrainerConfig.LR, "1e-4",
            // without an anchor, updates on one batch's prompts undo what earlier ones taught: held-out
            // accuracy drifted down at 1e-4 and stayed within 62-68% with this penalty (docs/learning.md)
            TrainerConfig.KL_COEF, "0.1",
            // the dispatcher admits exactly B groups per version, so a batch is short only when groups
            // were dropped; the topology's 2 s default would cut batches while a version is being sampled
            TopologySettings.BATCH_LINGER_MS, "30000",
            // a held-out round is 500 greedy answers; 20 versions between rounds sample 2,560 (B = 16, G = 8)
            DispatcherConfig.EVAL_EVERY, "20");

    /**
     * The task policy's answer budget with the calculator: replies count against it, and a three-call
     * `Calc:` answer is about 128 tokens, so at the usual 128 the trained policy's right answers to
     * level-4 problems were cut off (held-out 79.8% at 128 tokens, 99.8% at 192, same weights; docs/tools.md).
     */
    public static final String CALC_MAX_NEW_TOKENS = "192";

    /** TASK_POLICY_SETTINGS as --help shows them (a test keeps the two equal). */
    public static final String TASK_POLICY_HELP = "trainer.learning.rate=1e-4 (--lr), trainer.kl.coef=0.1 (--kl-coef), "
            + "batch.linger.ms=30000, dispatch.eval.every=20 (--eval-every)";

    private BuiltInTask() {}

    /** Where the shipped task policy is: under SEEDSTREAM_HOME (set by ./seedstream), else the working directory. */
    public static Path shippedPolicy() {
        return Path.of(System.getenv().getOrDefault("SEEDSTREAM_HOME", ".")).resolve(SHIPPED_POLICY).toAbsolutePath();
    }

    /** Where the built-in task problems a run loads are kept under its data directory. */
    public static Path problemsFile(Path dataDir, int n, double optionsShare) {
        return dataDir.resolve("task").resolve("problems-" + n + (optionsShare > 0 ? "-options-" + optionsShare : "")
                + ".jsonl").toAbsolutePath();
    }

    /**
     * Writes n training problems (seed 0, the level mix), a share of them offering options, unless the
     * file is there already (a resumed run loads the same problems).
     */
    public static void exportProblems(Path file, int n, double optionsShare) throws IOException {
        if (Files.exists(file)) {
            return;
        }
        if (n < 1 || optionsShare < 0 || optionsShare > 1) {
            throw new IllegalArgumentException("task problems: n must be >= 1 and the options share in [0, 1], were "
                    + n + " and " + optionsShare);
        }
        TaskProblemsFile.write(file, ArithmeticTask.withOptions(ArithmeticTask.generate(n, 0, 0), optionsShare, 0));
        System.out.printf("seedstream: %d task problems (seed 0, level mix%s) -> %s%n", n,
                optionsShare > 0 ? ", options share " + optionsShare : "", file);
    }
}
