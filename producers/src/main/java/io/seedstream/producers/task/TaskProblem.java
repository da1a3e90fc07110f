package io.seedstream.producers.task;

import io.seedstream.schemas.avro.Prompt;
import java.util.List;
import java.util.Map;

/**
 * One problem of the built-in task.
 *
 * @param id stable id: "task-L{level}-{seed}-{index}"
 * @param problem the word problem
 * @param answer the canonical reference answer (plain: "12", "15/4")
 * @param solution a worked solution ending in \boxed{...}, the supervised target
 * @param level difficulty 1..4
 */
public record TaskProblem(String id, String problem, String answer, String solution, int level) {

    /** This problem as a prompt of {@code dataset}, its answer the one reference. */
    public Prompt toPrompt(String promptId, String dataset) {
        return Prompt.newBuilder().setId(promptId).setDataset(dataset).setProblem(problem).setAnswers(List.of(answer))
                .setMetadata(Map.of("level", String.valueOf(level))).build();
    }
}
