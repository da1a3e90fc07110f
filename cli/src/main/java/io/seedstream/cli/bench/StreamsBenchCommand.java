package io.seedstream.cli.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.seedstream.cli.ProgressBar;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "streams", mixinStandardHelpOptions = true,
        description = "Answer groups (G = 8, ~500-token answers built from the evaluation sets' references) per "
                + "second through the whole scoring topology with exactly-once, against the same bytes through a "
                + "plain produce-then-consume on the same embedded broker.")
final class StreamsBenchCommand implements Callable<Integer> {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Option(names = "--groups", defaultValue = "2000", description = "Groups per run (default: ${DEFAULT-VALUE}).")
    int groups;

    @Option(names = "--runs", defaultValue = "3", description = "Runs (default: ${DEFAULT-VALUE}); the median is reported.")
    int runs;

    @Option(names = "--threads", defaultValue = "2", description = "Stream threads (default: ${DEFAULT-VALUE}).")
    int threads;

    @Option(names = "--out", paramLabel = "FILE.json", defaultValue = "bench-results/streams.json",
            description = "Where to write the results (default: ${DEFAULT-VALUE}).")
    Path out;

    @Override
    public Integer call() throws Exception {
        Path eval = Path.of(System.getenv().getOrDefault("SEEDSTREAM_HOME", ".")).resolve("datasets/eval");
        var prompts = StreamsBenchmark.evalPrompts(eval);
        List<StreamsBenchmark.Run> results = new ArrayList<>();
        try (ProgressBar bar = ProgressBar.onStderr("streams runs")) {
            bar.update(0, runs);
            for (int i = 0; i < runs; i++) {
                // a fresh broker per run: no run inherits another's logs, producers or state
                try (var stack = StreamsBenchmark.startStack()) {
                    results.add(new StreamsBenchmark(stack, prompts).run(groups, threads));
                }
                bar.update(i + 1, runs);
            }
        }
        ObjectNode root = JSON.createObjectNode();
        root.put("benchmark", "streams");
        root.put("groups_per_run", groups);
        root.put("group_size", 8);
        root.put("stream_threads", threads);
        root.put("bytes_per_group", results.get(0).bytes());
        root.put("cores", Runtime.getRuntime().availableProcessors());
        StreamsBenchmark.summary(results).forEach((k, v) -> root.put(k, (Double) v));
        ArrayNode per = root.putArray("per_run");
        results.forEach(r -> per.addObject().put("plain_groups_per_second", r.plainGroupsPerSecond())
                .put("topology_groups_per_second", r.topologyGroupsPerSecond()));
        BenchCommand.writeResults(out, root);
        System.out.printf("seedstream bench streams: topology %.0f groups/s, plain %.0f groups/s (ratio %.2f, median of %d) -> %s%n",
                root.get("median_topology_groups_per_second").asDouble(), root.get("median_plain_groups_per_second").asDouble(),
                root.get("median_ratio").asDouble(), runs, out);
        return 0;
    }
}
