package io.seedstream.producers.task;

import io.seedstream.schemas.avro.Prompt;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * One problem of the built-in task, with the ways a solution can be written.
 *
 * @param id stable id: "task-L{level}-{seed}-{index}"
 * @param problem the word problem
 * @param answer the canonical reference answer (plain: "12", "15/4")
 * @param level difficulty 1..4
 * @param steps the arithmetic that solves it, in order
 * @param boxed the form the final box writes the answer in (one of several equal ones: 3/4, \frac{3}{4}, 0.75)
 */
public record TaskProblem(String id, String problem, String answer, int level, List<Step> steps, String boxed) {

    public TaskProblem {
        steps = List.copyOf(steps);
    }

    /** The supervised target in a mode: {@code Steps: 7*8=56. 56-13=43. \boxed{43}}, and so on. */
    public String solution(SolutionMode mode) {
        String box = "\\boxed{" + boxed + "}";
        return switch (mode) {
            case STEPS -> mode.label() + " " + steps.stream().map(Step::written).collect(Collectors.joining(" ")) + " " + box;
            case CAREFUL -> mode.label() + " " + steps.stream().map(Step::carefully).collect(Collectors.joining(" ")) + " " + box;
            case CALC -> mode.label() + " " + steps.stream().map(Step::calculated).collect(Collectors.joining(" ")) + " " + box;
            case DIRECT -> mode.label() + " " + box;
        };
    }

    /** This problem as a prompt of {@code dataset}, its answer the one reference. */
    public Prompt toPrompt(String promptId, String dataset) {
        return Prompt.newBuilder().setId(promptId).setDataset(dataset).setProblem(problem).setAnswers(List.of(answer))
                .setMetadata(Map.of("level", String.valueOf(level))).build();
    }
}
