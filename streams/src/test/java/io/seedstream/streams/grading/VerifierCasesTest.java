package io.seedstream.streams.grading;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Agreement with Math-Verify's own test cases and the MATH benchmark's equivalence cases,
 * honouring each case's configuration. Every disagreement is written, with the grader's reason,
 * to target/grader-dev-report.txt.
 */
class VerifierCasesTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    record Case(String gold, String pred, boolean expected, String source, JsonNode config) {}

    static List<Case> load(String resource) throws IOException {
        List<Case> out = new ArrayList<>();
        try (InputStream in = VerifierCasesTest.class.getResourceAsStream("/verifier-cases/" + resource);
                BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            for (String line; (line = r.readLine()) != null; ) {
                if (!line.isBlank()) {
                    JsonNode n = JSON.readTree(line);
                    out.add(new Case(n.get("gold").asText(), n.get("pred").asText(), n.get("expected").asBoolean(),
                            n.get("source").asText(), n.get("config")));
                }
            }
        }
        return out;
    }

    /** The grader options a case's configuration asks for. */
    static GraderOptions optionsFor(Case c) {
        GraderOptions o = GraderOptions.DEFAULT;
        JsonNode cfg = c.config();
        if (cfg.has("precision")) {
            o = o.withDecimals(cfg.get("precision").asInt());
        }
        if (cfg.has("allow_set_relation_comp")) {
            o = o.withSetRelationComparison(cfg.get("allow_set_relation_comp").asBoolean());
        }
        if (cfg.has("strict")) {
            o = o.withStrictVariables(cfg.get("strict").asBoolean());
        }
        if (c.source().startsWith("hendrycks")) {
            o = o.withOrderedLists(true); // the MATH checker compares lists as written
        }
        return o;
    }

    @Test
    void agreesWithMathVerifyAndMathOnAtLeast95PercentOfDevCases() throws IOException {
        List<Case> cases = new ArrayList<>(load("math_verify_dev.jsonl"));
        cases.addAll(load("hendrycks_dev.jsonl"));
        StringBuilder report = new StringBuilder();
        int agree = 0;
        for (Case c : cases) {
            Grade g = new Grader(optionsFor(c)).grade(c.gold(), c.pred());
            if (g.equal() == c.expected()) {
                agree++;
            } else {
                report.append(String.format("expected %s, got %s | %s%n  gold: %s%n  pred: %s%n  extracted: %s | %s%n  reason: %s%n%n",
                        c.expected(), g.equal(), c.source(), oneLine(c.gold()), oneLine(c.pred()),
                        g.goldAnswer(), g.predAnswer(), g.reason()));
            }
        }
        double rate = (double) agree / cases.size();
        report.insert(0, String.format("agreement %d/%d = %.1f%%%n%n", agree, cases.size(), 100 * rate));
        Path out = Path.of("target", "grader-dev-report.txt");
        Files.createDirectories(out.getParent());
        Files.writeString(out, report.toString());
        assertThat(rate).as("agreement with labelled cases; see %s", out.toAbsolutePath()).isGreaterThanOrEqualTo(0.95);
    }

    private static String oneLine(String s) {
        String t = s.replace("\n", "\\n");
        return t.length() > 300 ? t.substring(0, 300) + "..." : t;
    }
}
