package io.seedstream.streams.grading;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** Every reference answer of the five evaluation sets equals itself however a model wraps it. */
class GoldSelfEquivalenceTest {

    private static final Path EVAL = Path.of("../datasets/eval");

    static List<String> goldAnswers() throws IOException {
        ObjectMapper json = new ObjectMapper();
        List<String> out = new ArrayList<>();
        try (Stream<Path> files = Files.list(EVAL)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".jsonl")).sorted().toList()) {
                for (String line : Files.readAllLines(f)) {
                    if (!line.isBlank()) {
                        for (JsonNode a : json.readTree(line).get("answers")) {
                            out.add(a.asText());
                        }
                    }
                }
            }
        }
        return out;
    }

    @Test
    void everyGoldAnswerEqualsItselfBoxedInDollarsAndInASentence() throws IOException {
        Grader grader = new Grader();
        List<String> golds = goldAnswers();
        assertThat(golds).hasSizeGreaterThan(1500);
        List<String> failures = new ArrayList<>();
        for (String gold : golds) {
            for (String wrapped : List.of("\\boxed{" + gold + "}", "$" + gold + "$",
                    "So the final answer is $" + gold + "$.", "We computed it above, hence the answer is $\\boxed{" + gold + "}$.")) {
                Grade g = grader.grade(gold, wrapped);
                if (!g.equal()) {
                    failures.add(gold + "  <->  " + wrapped + "  : " + g.reason() + " [" + g.goldAnswer() + " | " + g.predAnswer() + "]");
                }
            }
        }
        Files.createDirectories(Path.of("target"));
        Files.write(Path.of("target", "gold-self-equivalence-failures.txt"), failures);
        assertThat(failures).as("see target/gold-self-equivalence-failures.txt").isEmpty();
    }
}
