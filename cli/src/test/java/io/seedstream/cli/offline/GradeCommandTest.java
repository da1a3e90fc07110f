package io.seedstream.cli.offline;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.seedstream.cli.Seedstream;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import static org.assertj.core.api.Assertions.assertThat;

class GradeCommandTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private static List<JsonNode> grade(String input, String... args) throws Exception {
        InputStream savedIn = System.in;
        PrintStream savedOut = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        try {
            System.setIn(new ByteArrayInputStream(input.getBytes(StandardCharsets.UTF_8)));
            System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
            List<String> all = new ArrayList<>(List.of("grade"));
            all.addAll(List.of(args));
            int rc = new CommandLine(new Seedstream()).execute(all.toArray(String[]::new));
            assertThat(rc).isZero();
        } finally {
            System.setIn(savedIn);
            System.setOut(savedOut);
        }
        List<JsonNode> out = new ArrayList<>();
        for (String line : buf.toString(StandardCharsets.UTF_8).split("\n")) {
            if (!line.isEmpty()) {
                out.add(JSON.readTree(line));
            }
        }
        return out;
    }

    @Test
    void writesOneLinePerInputLineInOrderKeepingOtherFields() throws Exception {
        String input = """
                {"id": 1, "gold": "\\\\frac{3}{4}", "pred": "so the answer is \\\\boxed{0.75}"}
                not json at all
                {"id": 3, "gold": "5"}
                {"id": 4, "gold": "x + y = 1", "pred": "$y = 1 - x$"}

                {"id": 6, "gold": "2", "pred": "I give up"}
                """;
        List<JsonNode> out = grade(input, "--timeout-ms", "1000");
        assertThat(out).hasSize(6);
        assertThat(out.get(0).get("id").asInt()).isEqualTo(1);
        assertThat(out.get(0).get("equal").asBoolean()).isTrue();
        assertThat(out.get(0).get("gold_answer").asText()).isEqualTo("\\frac{3}{4}");
        assertThat(out.get(0).get("pred_answer").asText()).isEqualTo("0.75");
        assertThat(out.get(1).has("error")).isTrue();
        assertThat(out.get(1).get("equal").asBoolean()).isFalse();
        assertThat(out.get(2).get("error").asText()).contains("pred");
        assertThat(out.get(3).get("equal").asBoolean()).isTrue();
        assertThat(out.get(4).has("error")).isTrue(); // the empty line still gets its line
        assertThat(out.get(5).get("equal").asBoolean()).isFalse();
        assertThat(out.get(5).get("pred_answer").isNull()).isTrue();
        assertThat(out.get(5).has("error")).isFalse();
    }
}
