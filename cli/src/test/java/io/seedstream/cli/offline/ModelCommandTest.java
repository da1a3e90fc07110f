package io.seedstream.cli.offline;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.seedstream.cli.CliRun;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class ModelCommandTest {

    private static final Path DIR = Path.of("../model/src/test/resources/hf/qwen2-tiny");

    @Test
    void forwardPrintsOneRowOfLogitsPerPosition() throws Exception {
        JsonNode ref = new ObjectMapper().readTree(Files.readString(DIR.resolve("reference.json"))).get("cases").get(1);
        StringBuilder ids = new StringBuilder();
        ref.get("input_ids").forEach(i -> ids.append(i.asInt()).append(' '));
        JsonNode out = new ObjectMapper().readTree(CliRun.ok("model", "forward", "--model-dir", DIR.toString(),
                "--input-ids", ids.toString().trim()));
        assertThat(out.get("logits")).hasSize(ref.get("input_ids").size());
        for (int t = 0; t < ref.get("input_ids").size(); t++) {
            for (int j = 0; j < ref.get("logits").get(t).size(); j++) {
                assertThat(out.get("logits").get(t).get(j).asDouble())
                        .isCloseTo(ref.get("logits").get(t).get(j).asDouble(), org.assertj.core.api.Assertions.within(1e-4));
            }
        }
    }

    @Test
    void generateIsReproducibleForASeed() {
        String[] args = {"model", "generate", "--model-dir", DIR.toString(), "--prompt", "2+2=", "--max-new-tokens", "8",
            "--temperature", "1.0", "--top-p", "0.9", "--seed", "4"};
        assertThat(CliRun.ok(args)).isEqualTo(CliRun.ok(args)).isNotBlank();
    }
}
