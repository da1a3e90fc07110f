package io.seedstream.producers.task;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TaskProblemsFileTest {

    @Test
    void writesOneLinePerProblemAndMarksThoseThatOfferOptions(@TempDir Path tmp) throws Exception {
        List<TaskProblem> problems = ArithmeticTask.withOptions(ArithmeticTask.generate(40, 0, 0), 0.5, 0);
        Path out = tmp.resolve("nested").resolve("problems.jsonl");

        TaskProblemsFile.write(out, problems);

        List<String> lines = Files.readAllLines(out);
        assertThat(lines).hasSize(40);
        ObjectMapper json = new ObjectMapper();
        int withOptions = 0;
        for (int i = 0; i < lines.size(); i++) {
            JsonNode n = json.readTree(lines.get(i));
            TaskProblem p = problems.get(i);
            assertThat(n.get("id").asText()).isEqualTo(p.id());
            assertThat(n.get("problem").asText()).isEqualTo(p.problem());
            assertThat(n.get("answer").asText()).isEqualTo(p.answer());
            assertThat(n.get("level").asInt()).isEqualTo(p.level());
            assertThat(n.path("options").asBoolean(false)).isEqualTo(ArithmeticTask.offersOptions(p.problem()));
            withOptions += n.path("options").asBoolean(false) ? 1 : 0;
        }
        assertThat(withOptions).isBetween(1, 39);
    }

    @Test
    void anotherProblemsAnswersMustBeOnePerProblem(@TempDir Path tmp) throws Exception {
        List<TaskProblem> problems = ArithmeticTask.generate(3, 1, 0);
        List<String> answers = new ArrayList<>(List.of("1", "2"));
        assertThatThrownBy(() -> TaskProblemsFile.write(tmp.resolve("x.jsonl"), problems, answers))
                .hasMessageContaining("2 answers for 3 problems");
        answers.add("3");
        TaskProblemsFile.write(tmp.resolve("x.jsonl"), problems, answers);
        assertThat(Files.readAllLines(tmp.resolve("x.jsonl")).get(2)).contains("\"answer\":\"3\"");
    }
}
