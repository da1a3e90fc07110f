package io.seedstream.cli.offline;

import ai.djl.ndarray.NDManager;
import io.seedstream.cli.local.UpCommandTest;
import io.seedstream.model.Checkpoints;
import io.seedstream.model.ModelConfig;
import io.seedstream.model.Policy;
import io.seedstream.producers.task.ArithmeticTask;
import io.seedstream.producers.task.TaskPolicy;
import io.seedstream.streams.evaluation.EvalSummary;
import io.seedstream.streams.grading.Grader;
import java.nio.file.Files;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The warm-started task policy shipped in models/task-policy (what {@code up} trains by default):
 * it loads, it is the task policy, its weights are the ones its warm-start.json names, its
 * held-out greedy pass@1 is inside the range docs/learning.md documents, and its greedy answers
 * follow the direct mode (the behaviour RL is meant to move away from).
 */
class ShippedPolicyTest {

    /** docs/learning.md: `task sft --seed 2` with its defaults, the 500 held-out problems up evaluates on. */
    static final long SEED = 2;
    static final double DOCUMENTED_MIN = 0.05;
    static final double DOCUMENTED_MAX = 0.15;

    @Test
    void theShippedWarmStartLoadsAndScoresInsideItsDocumentedRange() throws Exception {
        assertThat(ModelConfig.read(UpCommandTest.SHIPPED.resolve(Checkpoints.CONFIG))).isEqualTo(TaskPolicy.CONFIG);
        String report = Files.readString(UpCommandTest.SHIPPED.resolve("warm-start.json"));
        assertThat(report).contains(Checkpoints.sha256(UpCommandTest.SHIPPED.resolve(Checkpoints.WEIGHTS)))
                .contains("\"seed\" : " + SEED);

        List<OfflineEvaluation.Item> heldOut = TaskCommand.items(ArithmeticTask.heldOut(500, 0, Set.of()));
        EvalSummary all;
        try (NDManager m = NDManager.newBaseManager(); Policy p = Policy.load(UpCommandTest.SHIPPED, m)) {
            OfflineEvaluation eval = new OfflineEvaluation(p, new Grader(), 96, 64);
            all = EvalSummary.of(EvalSummary.ALL, eval.outcomes(heldOut, eval.greedy(heldOut, m, done -> { }),
                    java.util.List.of()), 0);
        }
        assertThat(all.passAt1().mean()).as("held-out greedy pass@1 of the shipped policy")
                .isBetween(DOCUMENTED_MIN, DOCUMENTED_MAX);
        assertThat(all.modeShares().getOrDefault("answer", 0.0)).as("greedy answers in the direct mode").isGreaterThan(0.5);
    }
}
