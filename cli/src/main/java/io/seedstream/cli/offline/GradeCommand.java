package io.seedstream.cli.offline;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.seedstream.streams.grading.Grade;
import io.seedstream.streams.grading.Grader;
import io.seedstream.streams.grading.GraderOptions;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.LongAdder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "grade", mixinStandardHelpOptions = true,
        description = {"Grade answers: JSON lines on standard input, each with \"gold\" and \"pred\" (other fields "
                + "are kept); one JSON line per input line on standard output, in order, adding \"equal\", "
                + "\"gold_answer\" and \"pred_answer\" (the extracted answers, or null), and \"error\" when the line "
                + "could not be read.", "Exits 0 even when some lines are bad; a summary goes to standard error."})
public final class GradeCommand implements Callable<Integer> {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int CHUNK = 512;

    @Option(names = "--timeout-ms", defaultValue = "2000",
            description = "Bound on each decision; a decision that runs out is not equal (default: ${DEFAULT-VALUE}).")
    long timeoutMs;

    @Option(names = "--tolerance", defaultValue = "1e-6",
            description = "Relative tolerance for numbers (default: ${DEFAULT-VALUE}).")
    double tolerance;

    @Override
    public Integer call() throws Exception {
        if (timeoutMs < 1) {
            System.err.println("seedstream grade: --timeout-ms was " + timeoutMs + ", must be >= 1");
            return 2;
        }
        Grader grader = new Grader(GraderOptions.DEFAULT.withTimeout(Duration.ofMillis(timeoutMs))
                .withRelativeTolerance(tolerance));
        LongAdder lines = new LongAdder();
        LongAdder equal = new LongAdder();
        LongAdder bad = new LongAdder();
        long t0 = System.nanoTime();
        try (BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
                BufferedWriter out = new BufferedWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8))) {
            List<String> chunk = new ArrayList<>(CHUNK);
            for (String line; (line = in.readLine()) != null; ) {
                chunk.add(line);
                if (chunk.size() == CHUNK) {
                    write(out, gradeChunk(grader, chunk, equal, bad));
                    lines.add(chunk.size());
                    chunk.clear();
                }
            }
            write(out, gradeChunk(grader, chunk, equal, bad));
            lines.add(chunk.size());
        }
        System.err.printf("seedstream grade: %d lines, %d equal, %d unreadable, %d timeouts in %.1f s%n",
                lines.sum(), equal.sum(), bad.sum(), grader.timeouts(), (System.nanoTime() - t0) / 1e9);
        return 0;
    }

    /** Grades a chunk on every core, keeping the input order. */
    private static List<String> gradeChunk(Grader grader, List<String> chunk, LongAdder equal, LongAdder bad) {
        return chunk.parallelStream().map(line -> gradeLine(grader, line, equal, bad)).toList();
    }

    static String gradeLine(Grader grader, String line, LongAdder equal, LongAdder bad) {
        ObjectNode out;
        try {
            JsonNode node = JSON.readTree(line);
            if (node == null || !node.isObject()) {
                throw new IllegalArgumentException("not a JSON object");
            }
            out = (ObjectNode) node;
            JsonNode gold = out.get("gold");
            JsonNode pred = out.get("pred");
            if (gold == null || gold.isNull() || gold.isContainerNode()) {
                throw new IllegalArgumentException("missing string field \"gold\"");
            }
            if (pred == null || pred.isNull() || pred.isContainerNode()) {
                throw new IllegalArgumentException("missing string field \"pred\"");
            }
            Grade g = grader.grade(gold.asText(), pred.asText());
            out.put("equal", g.equal());
            out.put("gold_answer", g.goldAnswer());
            out.put("pred_answer", g.predAnswer());
            if (g.equal()) {
                equal.increment();
            }
        } catch (Exception e) {
            bad.increment();
            out = JSON.createObjectNode();
            out.put("equal", false);
            out.putNull("gold_answer");
            out.putNull("pred_answer");
            String reason = e.getMessage() == null ? e.toString() : e.getMessage();
            out.put("error", reason.length() > 300 ? reason.substring(0, 300) : reason);
        }
        return out.toString();
    }

    private static void write(BufferedWriter out, List<String> lines) throws java.io.IOException {
        for (String l : lines) {
            out.write(l);
            out.write('\n');
        }
        out.flush();
    }
}
