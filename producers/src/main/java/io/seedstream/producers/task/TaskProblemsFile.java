package io.seedstream.producers.task;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Built-in task problems as the JSON lines {@code prompts load} takes: {@code id}, {@code problem},
 * {@code answer}, {@code level}, and {@code "options": true} on a problem that offers options.
 */
public final class TaskProblemsFile {

    private static final ObjectMapper JSON = new ObjectMapper();

    private TaskProblemsFile() {}

    /** Writes the problems with their own answers. */
    public static void write(Path out, List<TaskProblem> problems) throws IOException {
        write(out, problems, problems.stream().map(TaskProblem::answer).toList());
    }

    /** Writes the problems with the given answers, one per problem (another problem's, for the shuffled control). */
    public static void write(Path out, List<TaskProblem> problems, List<String> answers) throws IOException {
        if (answers.size() != problems.size()) {
            throw new IllegalArgumentException(answers.size() + " answers for " + problems.size() + " problems");
        }
        Path parent = out.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        try (BufferedWriter w = Files.newBufferedWriter(out, StandardCharsets.UTF_8)) {
            for (int i = 0; i < problems.size(); i++) {
                TaskProblem p = problems.get(i);
                ObjectNode line = JSON.createObjectNode();
                line.put("id", p.id());
                line.put("problem", p.problem());
                line.put("answer", answers.get(i));
                line.put("level", p.level());
                if (ArithmeticTask.offersOptions(p.problem())) {
                    line.put("options", true);
                }
                w.write(JSON.writeValueAsString(line));
                w.newLine();
            }
        }
    }
}
