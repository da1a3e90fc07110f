package io.seedstream.cli.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "grade", mixinStandardHelpOptions = true,
        description = "Grader throughput (pairs/s, one thread) and latency (p50, p99) on identical answers, "
                + "the same number in other forms, symbolic expressions and a realistic mix (labelled cases).")
final class GradeBenchCommand implements Callable<Integer> {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Option(names = "--seconds", defaultValue = "5", description = "Measured time per workload (default: ${DEFAULT-VALUE}).")
    double seconds;

    @Option(names = "--cases", paramLabel = "FILE.jsonl",
            description = "Labelled pairs (gold, pred) for the realistic mix (default: the repository's "
                    + "streams/src/test/resources/verifier-cases/*.jsonl).")
    List<Path> cases;

    @Option(names = "--out", paramLabel = "FILE.json", defaultValue = "bench-results/grade.json",
            description = "Where to write the results (default: ${DEFAULT-VALUE}).")
    Path out;

    @Override
    public Integer call() throws Exception {
        List<Path> files = cases;
        if (files == null) {
            Path dir = Path.of(System.getenv().getOrDefault("SEEDSTREAM_HOME", "."))
                    .resolve("streams/src/test/resources/verifier-cases");
            files = List.of(dir.resolve("math_verify_dev.jsonl"), dir.resolve("hendrycks_dev.jsonl"));
        }
        List<io.seedstream.streams.grading.GraderBenchmark.Pair> mix = new ArrayList<>();
        for (Path f : files) {
            if (!Files.isReadable(f)) {
                System.err.println("seedstream bench grade: cannot read " + f + " (use --cases)");
                return 2;
            }
            for (String line : Files.readAllLines(f)) {
                if (!line.isBlank()) {
                    JsonNode n = JSON.readTree(line);
                    mix.add(new io.seedstream.streams.grading.GraderBenchmark.Pair(n.get("gold").asText(),
                            n.get("pred").asText()));
                }
            }
        }
        var bench = new io.seedstream.streams.grading.GraderBenchmark(
                io.seedstream.streams.grading.GraderOptions.DEFAULT);
        System.err.println("seedstream bench grade: 4 workloads x " + seconds + " s, one thread...");
        var results = bench.runAll(mix, seconds);
        ObjectNode root = JSON.createObjectNode();
        root.put("benchmark", "grade");
        root.put("threads", 1);
        root.put("cores", Runtime.getRuntime().availableProcessors());
        root.put("cache", false);
        ObjectNode w = root.putObject("workloads");
        for (var r : results.values()) {
            ObjectNode o = w.putObject(r.workload());
            o.put("decisions", r.decisions());
            o.put("pairs_per_second", Math.round(r.pairsPerSecond()));
            o.put("p50_ms", r.p50Ms());
            o.put("p99_ms", r.p99Ms());
            o.put("max_ms", r.maxMs());
            o.put("equal", r.equal());
            System.err.printf("  %-24s %10.0f pairs/s  p50 %.4f ms  p99 %.4f ms%n", r.workload(),
                    r.pairsPerSecond(), r.p50Ms(), r.p99Ms());
        }
        BenchCommand.writeResults(out, root);
        var mixResult = results.get("realistic_mix");
        System.out.printf("seedstream bench grade: identical %.0f/s, other form %.0f/s, symbolic p99 %.2f ms, mix %.0f/s -> %s%n",
                results.get("identical").pairsPerSecond(), results.get("same_number_other_form").pairsPerSecond(),
                results.get("symbolic").p99Ms(), mixResult == null ? 0 : mixResult.pairsPerSecond(), out);
        return 0;
    }
}
