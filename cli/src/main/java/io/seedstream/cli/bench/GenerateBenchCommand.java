package io.seedstream.cli.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.seedstream.cli.ProgressBar;
import io.seedstream.model.Median;
import io.seedstream.model.ModelBenchmark;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "generate", mixinStandardHelpOptions = true,
        description = "Rollout generation (G = 8 over the built-in task's prompts, the task policy and the ~10M config "
                + "of bench model, random weights) through a generator on the embedded broker (consumer group, one "
                + "transaction per batch, read_committed) against the bare sampler on the same batches in the same "
                + "process; and the time from a version's announcement to its first use by the busy generator.")
final class GenerateBenchCommand implements Callable<Integer> {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Option(names = "--runs", defaultValue = "3", description = "Runs, each on a fresh broker (default: ${DEFAULT-VALUE}); medians are reported.")
    int runs;

    @Option(names = "--requests", defaultValue = "32", description = "Measured requests per config and run (default: ${DEFAULT-VALUE}).")
    int requests;

    @Option(names = "--passes", defaultValue = "3", description = "Kafka-then-bare passes per config and run, interleaved (default: ${DEFAULT-VALUE}).")
    int passes;

    @Option(names = "--max-new-tokens", defaultValue = "128", description = "Answer budget (default: ${DEFAULT-VALUE}, the dispatcher's).")
    int maxNewTokens;

    @Option(names = "--max-batch-sequences", defaultValue = "64", description = "Generator batch (default: ${DEFAULT-VALUE}, the generator's).")
    int batchSequences;

    @Option(names = "--announcements", defaultValue = "10", description = "Versions announced per config and run (default: ${DEFAULT-VALUE}).")
    int announcements;

    @Option(names = "--configs", split = ",", defaultValue = "task,10m", description = "Configs: task, 10m (default: ${DEFAULT-VALUE}).")
    List<String> configs;

    @Option(names = "--out", paramLabel = "FILE.json", defaultValue = "bench-results/generate.json",
            description = "Where to write the results (default: ${DEFAULT-VALUE}).")
    Path out;

    @Override
    public Integer call() throws Exception {
        if (runs < 1 || requests < 1 || passes < 1 || batchSequences < GenerateBenchmark.GROUP_SIZE) {
            System.err.println("seedstream bench generate: --runs, --requests and --passes must be >= 1 and "
                    + "--max-batch-sequences >= " + GenerateBenchmark.GROUP_SIZE);
            return 2;
        }
        Map<String, io.seedstream.model.ModelConfig> known = Map.of("task", io.seedstream.producers.task.TaskPolicy.CONFIG, "10m", ModelBenchmark.TEN_M);
        for (String name : configs) {
            if (!known.containsKey(name)) {
                System.err.println("seedstream bench generate: unknown config " + name + " (task, 10m)");
                return 2;
            }
        }
        Map<String, List<GenerateBenchmark.Run>> byConfig = new java.util.LinkedHashMap<>();
        try (ProgressBar bar = ProgressBar.onStderr("generate runs")) {
            int total = runs * configs.size();
            int done = 0;
            bar.update(0, total);
            for (int i = 0; i < runs; i++) {
                // a fresh broker per run: no run inherits another's logs, producers or state
                try (var stack = StreamsBenchmark.startStack()) {
                    GenerateBenchmark bench = new GenerateBenchmark(stack, batchSequences);
                    for (String name : configs) {
                        byConfig.computeIfAbsent(name, k -> new ArrayList<>()).add(
                                bench.run(name, known.get(name), requests, passes, maxNewTokens, announcements, i));
                        bar.update(++done, total);
                    }
                }
            }
        }
        ObjectNode root = JSON.createObjectNode();
        root.put("benchmark", "generate");
        root.put("runs", runs);
        root.put("cores", Runtime.getRuntime().availableProcessors());
        root.put("what", "groups/s and tokens/s through a RolloutGenerator on the embedded broker (from sending the "
                + "requests to reading the last group read_committed) vs the bare sampler on the same batches; "
                + "announcement to first use with the generator busy");
        StringBuilder line = new StringBuilder("seedstream bench generate:");
        for (var e : byConfig.entrySet()) {
            List<GenerateBenchmark.Run> rs = e.getValue();
            ObjectNode o = root.putObject(e.getKey());
            // the medians of the runs' medians over their passes
            double kafka = Median.of(rs.stream().map(GenerateBenchmark.Run::kafkaGroupsPerSecond).toList());
            double bare = Median.of(rs.stream().map(GenerateBenchmark.Run::bareGroupsPerSecond).toList());
            double ratio = Median.of(rs.stream().map(GenerateBenchmark.Run::ratio).toList());
            List<Double> announce = rs.stream().flatMap(r -> r.announceToUseSeconds().stream()).toList();
            o.put("median_kafka_groups_per_second", kafka);
            o.put("median_bare_groups_per_second", bare);
            o.put("median_kafka_tokens_per_second", Median.of(rs.stream().map(GenerateBenchmark.Run::kafkaTokensPerSecond).toList()));
            o.put("median_bare_tokens_per_second", Median.of(rs.stream().map(GenerateBenchmark.Run::bareTokensPerSecond).toList()));
            o.put("median_ratio", ratio);
            o.put("all_same_tokens", rs.stream().allMatch(GenerateBenchmark.Run::sameTokens));
            o.put("median_announce_to_use_seconds", announce.isEmpty() ? Double.NaN : Median.of(announce));
            o.set("per_run", JSON.valueToTree(rs));
            line.append(String.format(java.util.Locale.ROOT, " %s %.2f groups/s via Kafka vs %.2f bare (ratio %.2f), "
                    + "announce-to-use %.2f s;", e.getKey(), kafka, bare, ratio, o.get("median_announce_to_use_seconds").asDouble()));
        }
        BenchCommand.writeResults(out, root);
        System.out.println(line + " medians of " + runs + " -> " + out);
        return 0;
    }
}
