package io.seedstream.cli;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDManager;
import io.seedstream.model.Checkpoints;
import io.seedstream.model.ModelConfig;
import io.seedstream.model.Policy;
import io.seedstream.producers.task.ArithmeticTask;
import io.seedstream.producers.task.TaskPolicy;
import io.seedstream.producers.task.TaskProblem;
import io.seedstream.streams.grading.Grader;
import java.nio.file.Files;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The warm-started task policy shipped in models/task-policy (what {@code up} trains by default):
 * it loads, it is the task policy, its weights are the ones its warm-start.json names, and its
 * held-out greedy pass@1 is inside the range the README documents.
 */
class ShippedPolicyTest {

    /** README, "The built-in task": `task sft --seed 2` with its defaults, 200 held-out problems. */
    static final long SEED = 2;
    static final double DOCUMENTED_MIN = 0.45;
    static final double DOCUMENTED_MAX = 0.60;

    @Test
    void theShippedWarmStartLoadsAndScoresInsideItsDocumentedRange() throws Exception {
        assertThat(ModelConfig.read(UpCommandTest.SHIPPED.resolve(Checkpoints.CONFIG))).isEqualTo(TaskPolicy.CONFIG);
        String report = Files.readString(UpCommandTest.SHIPPED.resolve("warm-start.json"));
        assertThat(report).contains(Checkpoints.sha256(UpCommandTest.SHIPPED.resolve(Checkpoints.WEIGHTS)))
                .contains("\"seed\" : " + SEED);

        Set<String> seen = new HashSet<>();
        ArithmeticTask.generate(50_000, SEED, 0).forEach(p -> seen.add(p.problem()));
        List<TaskProblem> heldOut = ArithmeticTask.heldOut(200, SEED, seen);
        double passAt1;
        try (NDManager m = NDManager.newBaseManager(); Policy p = Policy.load(UpCommandTest.SHIPPED, m)) {
            passAt1 = new OfflineEvaluation(p, new Grader(), 96, 64).greedy(TaskCommand.items(heldOut), m, done -> { })
                    .stream().filter(OfflineEvaluation.Result::correct).count() / (double) heldOut.size();
        }
        assertThat(passAt1).as("held-out greedy pass@1 of the shipped policy").isBetween(DOCUMENTED_MIN, DOCUMENTED_MAX);
    }
}
