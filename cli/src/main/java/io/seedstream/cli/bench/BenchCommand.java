package io.seedstream.cli.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.seedstream.cli.CommandGroup;
import io.seedstream.cli.ProgressBar;
import io.seedstream.cli.Seedstream;
import io.seedstream.model.ModelBenchmark;
import io.seedstream.trainer.TrainBenchmark;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "bench", mixinStandardHelpOptions = true, description = "Benchmarks that write JSON results.",
        subcommands = {BenchCommand.Startup.class, BenchCommand.Grade.class, BenchCommand.Streams.class,
            BenchCommand.Model.class, BenchCommand.Train.class, BenchCommand.Generate.class, MemoryBenchmark.class,
            MemoryBenchmark.Worker.class})
public final class BenchCommand extends CommandGroup {


    /** The median of some measurements (the mean of the middle two for an even count). */
    static double median(List<Double> xs) {
        List<Double> s = new ArrayList<>(xs);
        s.sort(Double::compare);
        int n = s.size();
        return n % 2 == 1 ? s.get(n / 2) : (s.get(n / 2 - 1) + s.get(n / 2)) / 2;
    }

    /** Removes a benchmark's scratch directory. */
    public static void deleteTree(Path dir) throws java.io.IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    /** Every benchmark writes its figures the same way: pretty JSON, parent directories created. */
    static void writeResults(Path out, com.fasterxml.jackson.databind.JsonNode results) throws java.io.IOException {
        Path parent = out.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        Files.writeString(out, new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(results));
    }

    @Command(name = "grade", mixinStandardHelpOptions = true,
            description = "Grader throughput (pairs/s, one thread) and latency (p50, p99) on identical answers, "
                    + "the same number in other forms, symbolic expressions and a realistic mix (labelled cases).")
    static final class Grade implements Callable<Integer> {

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
            writeResults(out, root);
            var mixResult = results.get("realistic_mix");
            System.out.printf("seedstream bench grade: identical %.0f/s, other form %.0f/s, symbolic p99 %.2f ms, mix %.0f/s -> %s%n",
                    results.get("identical").pairsPerSecond(), results.get("same_number_other_form").pairsPerSecond(),
                    results.get("symbolic").p99Ms(), mixResult == null ? 0 : mixResult.pairsPerSecond(), out);
            return 0;
        }
    }

    @Command(name = "streams", mixinStandardHelpOptions = true,
            description = "Answer groups (G = 8, ~500-token answers built from the evaluation sets' references) per "
                    + "second through the whole scoring topology with exactly-once, against the same bytes through a "
                    + "plain produce-then-consume on the same embedded broker.")
    static final class Streams implements Callable<Integer> {

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
            writeResults(out, root);
            System.out.printf("seedstream bench streams: topology %.0f groups/s, plain %.0f groups/s (ratio %.2f, median of %d) -> %s%n",
                    root.get("median_topology_groups_per_second").asDouble(), root.get("median_plain_groups_per_second").asDouble(),
                    root.get("median_ratio").asDouble(), runs, out);
            return 0;
        }
    }

    @Command(name = "model", mixinStandardHelpOptions = true,
            description = "Policy throughput on this machine (~10M-parameter and tiny configs): generated tokens/s at "
                    + "batch 1 and 64 with the KV cache, a decode step with and without the cache at 256 tokens of "
                    + "context, training-step tokens/s and model FLOPs utilisation against a large matrix product, "
                    + "and resident memory over repeated generate-and-train iterations.")
    static final class Model implements Callable<Integer> {

        private static final ObjectMapper JSON = new ObjectMapper();

        @Option(names = "--soak-iterations", defaultValue = "1000",
                description = "Generate-and-train iterations of the memory soak (default: ${DEFAULT-VALUE}).")
        int soak;

        @Option(names = "--out", paramLabel = "FILE.json", defaultValue = "bench-results/model.json",
                description = "Where to write the results (default: ${DEFAULT-VALUE}).")
        Path out;

        @Override
        public Integer call() throws Exception {
            ObjectNode root = JSON.createObjectNode();
            root.put("benchmark", "model");
            root.put("cores", Runtime.getRuntime().availableProcessors());
            try (ai.djl.ndarray.NDManager m = ai.djl.ndarray.NDManager.newBaseManager();
                    ProgressBar bar = ProgressBar.onStderr("model bench")) {
                bar.update(0, 4);
                double peak = ModelBenchmark.matmulGflops(m, 2048);
                root.put("matmul_2048_gflops", peak);
                bar.update(1, 4);
                root.set("config_10m", JSON.valueToTree(ModelBenchmark.run(ModelBenchmark.TEN_M, m, peak, 16, 256)));
                bar.update(2, 4);
                root.set("config_tiny", JSON.valueToTree(ModelBenchmark.run(io.seedstream.producers.task.TaskPolicy.CONFIG, m, peak, 16, 256)));
                bar.update(3, 4);
                root.set("memory_soak_tiny", JSON.valueToTree(ModelBenchmark.soak(io.seedstream.producers.task.TaskPolicy.CONFIG, m, soak)));
                bar.update(4, 4);
            }
            writeResults(out, root);
            System.out.printf("seedstream bench model: matmul %.0f GFLOP/s, 10M train MFU %.2f, cache speed-up %.0fx, "
                            + "batch-64 generation %.0f tokens/s -> %s%n", root.get("matmul_2048_gflops").asDouble(),
                    root.get("config_10m").get("mfu_vs_matmul").asDouble(),
                    root.get("config_10m").get("kv_cache_speedup").asDouble(),
                    root.get("config_10m").get("generate_tokens_per_second_batch64_cached").asDouble(), out);
            return 0;
        }
    }

    @Command(name = "train", mixinStandardHelpOptions = true,
            description = "A full trainer update (log-probs, loss, backward, clipping, AdamW) on the built-in task's tiny "
                    + "policy and a 10M-parameter config: step time, tokens/s and FLOPs utilisation vs a matrix product.")
    static final class Train implements Callable<Integer> {

        private static final ObjectMapper JSON = new ObjectMapper();

        @Option(names = "--steps", defaultValue = "5", description = "Measured steps per config (default: ${DEFAULT-VALUE}).")
        int steps;

        @Option(names = "--out", paramLabel = "FILE.json", defaultValue = "bench-results/train.json",
                description = "Where to write the results (default: ${DEFAULT-VALUE}).")
        Path out;

        @Override
        public Integer call() throws Exception {
            ObjectNode root = JSON.createObjectNode();
            root.put("benchmark", "train");
            root.put("cores", Runtime.getRuntime().availableProcessors());
            try (ai.djl.ndarray.NDManager m = ai.djl.ndarray.NDManager.newBaseManager();
                    ProgressBar bar = ProgressBar.onStderr("train bench")) {
                bar.update(0, 3);
                double peak = ModelBenchmark.matmulGflops(m, 2048);
                root.put("matmul_2048_gflops", peak);
                bar.update(1, 3);
                // a G = 8 group of 2 prompts: 16 answers of 64 prompt + 192 completion tokens
                root.set("config_tiny", JSON.valueToTree(TrainBenchmark.run(io.seedstream.producers.task.TaskPolicy.CONFIG, m, peak, 16, 64, 192, steps)));
                bar.update(2, 3);
                root.set("config_10m", JSON.valueToTree(TrainBenchmark.run(ModelBenchmark.TEN_M, m, peak, 16, 64, 192, steps)));
                bar.update(3, 3);
            }
            writeResults(out, root);
            System.out.printf(java.util.Locale.ROOT, "seedstream bench train: tiny %.3f s/step (%.0f tok/s, MFU %.2f), "
                            + "10M %.3f s/step (%.0f tok/s, MFU %.2f) -> %s%n",
                    root.get("config_tiny").get("step_seconds_median").asDouble(),
                    root.get("config_tiny").get("tokens_per_second").asDouble(),
                    root.get("config_tiny").get("mfu_vs_matmul").asDouble(),
                    root.get("config_10m").get("step_seconds_median").asDouble(),
                    root.get("config_10m").get("tokens_per_second").asDouble(),
                    root.get("config_10m").get("mfu_vs_matmul").asDouble(), out);
            return 0;
        }
    }

    @Command(name = "generate", mixinStandardHelpOptions = true,
            description = "Rollout generation (G = 8 over the built-in task's prompts, the task policy and the ~10M config "
                    + "of bench model, random weights) through a generator on the embedded broker (consumer group, one "
                    + "transaction per batch, read_committed) against the bare sampler on the same batches in the same "
                    + "process; and the time from a version's announcement to its first use by the busy generator.")
    static final class Generate implements Callable<Integer> {

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
                double kafka = median(rs.stream().map(GenerateBenchmark.Run::kafkaGroupsPerSecond).toList());
                double bare = median(rs.stream().map(GenerateBenchmark.Run::bareGroupsPerSecond).toList());
                double ratio = median(rs.stream().map(GenerateBenchmark.Run::ratio).toList());
                List<Double> announce = rs.stream().flatMap(r -> r.announceToUseSeconds().stream()).toList();
                o.put("median_kafka_groups_per_second", kafka);
                o.put("median_bare_groups_per_second", bare);
                o.put("median_kafka_tokens_per_second", median(rs.stream().map(GenerateBenchmark.Run::kafkaTokensPerSecond).toList()));
                o.put("median_bare_tokens_per_second", median(rs.stream().map(GenerateBenchmark.Run::bareTokensPerSecond).toList()));
                o.put("median_ratio", ratio);
                o.put("all_same_tokens", rs.stream().allMatch(GenerateBenchmark.Run::sameTokens));
                o.put("median_announce_to_use_seconds", announce.isEmpty() ? Double.NaN : median(announce));
                o.set("per_run", JSON.valueToTree(rs));
                line.append(String.format(java.util.Locale.ROOT, " %s %.2f groups/s via Kafka vs %.2f bare (ratio %.2f), "
                        + "announce-to-use %.2f s;", e.getKey(), kafka, bare, ratio, o.get("median_announce_to_use_seconds").asDouble()));
            }
            writeResults(out, root);
            System.out.println(line + " medians of " + runs + " -> " + out);
            return 0;
        }
    }

    @Command(name = "startup", mixinStandardHelpOptions = true,
            description = "Cold start of seedstream up (broker, registry, topics, scoring topology): each run is a new JVM "
                    + "on an empty data directory (seedstream up --once).")
    static final class Startup implements Callable<Integer> {

        private static final ObjectMapper JSON = new ObjectMapper();

        @Option(names = "--runs", defaultValue = "5", description = "Number of runs (default: ${DEFAULT-VALUE}).")
        int runs;

        @Option(names = "--out", paramLabel = "FILE.json", defaultValue = "bench-results/startup.json",
                description = "Where to write the results (default: ${DEFAULT-VALUE}).")
        Path out;

        @Override
        public Integer call() throws Exception {
            if (runs < 1) {
                System.err.println("seedstream bench startup: --runs was " + runs + ", must be >= 1");
                return 2;
            }
            String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            String classpath = System.getProperty("java.class.path");
            List<Double> stack = new ArrayList<>();
            List<Double> jvm = new ArrayList<>();
            ArrayNode perRun = JSON.createArrayNode();
            try (ProgressBar bar = ProgressBar.onStderr("startup runs")) {
                bar.update(0, runs);
                for (int i = 0; i < runs; i++) {
                    Path dir = Files.createTempDirectory("seedstream-bench-startup");
                    try {
                        JsonNode r = runOnce(java, classpath, dir);
                        stack.add(r.get("stack_start_ms").asDouble());
                        jvm.add(r.get("jvm_start_to_ready_ms").asDouble());
                        perRun.add(r);
                    } finally {
                        deleteTree(dir);
                    }
                    bar.update(i + 1, runs);
                }
            }
            ObjectNode result = JSON.createObjectNode();
            result.put("benchmark", "startup");
            result.put("what", "seedstream up --once: embedded KRaft broker + schema registry + topic creation + scoring topology running, fresh data dir, new JVM");
            result.put("runs", runs);
            result.put("cores", Runtime.getRuntime().availableProcessors());
            result.put("median_stack_start_ms", median(stack));
            result.put("median_jvm_start_to_ready_ms", median(jvm));
            result.set("per_run", perRun);
            writeResults(out, result);
            System.out.printf("seedstream bench startup: median %.0f ms (stack) / %.0f ms (from JVM start) over %d runs -> %s%n",
                    median(stack), median(jvm), runs, out);
            return 0;
        }

        private static JsonNode runOnce(String java, String classpath, Path dir) throws Exception {
            Process p = new ProcessBuilder(java, "-cp", classpath, Seedstream.class.getName(), "up", "--once",
                    "--json", "--data-dir", dir.toString(), "--broker-port", "0", "--controller-port", "0",
                    "--registry-port", "0")
                    .redirectError(ProcessBuilder.Redirect.DISCARD).start();
            String last = null;
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) {
                    if (line.startsWith("{")) {
                        last = line;
                    }
                }
            }
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException("start-up run did not finish in 120 s");
            }
            if (p.exitValue() != 0 || last == null) {
                throw new IllegalStateException("start-up run failed with exit code " + p.exitValue());
            }
            return JSON.readTree(last);
        }

    }
}
