package io.seedstream.cli.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.seedstream.cli.ProgressBar;
import io.seedstream.cli.Seedstream;
import io.seedstream.model.Median;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "startup", mixinStandardHelpOptions = true,
        description = "Cold start of seedstream up (broker, registry, topics, scoring topology): each run is a new JVM "
                + "on an empty data directory (seedstream up --once).")
final class StartupBenchCommand implements Callable<Integer> {

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
                    BenchCommand.deleteTree(dir);
                }
                bar.update(i + 1, runs);
            }
        }
        ObjectNode result = JSON.createObjectNode();
        result.put("benchmark", "startup");
        result.put("what", "seedstream up --once: embedded KRaft broker + schema registry + topic creation + scoring topology running, fresh data dir, new JVM");
        result.put("runs", runs);
        result.put("cores", Runtime.getRuntime().availableProcessors());
        result.put("median_stack_start_ms", Median.of(stack));
        result.put("median_jvm_start_to_ready_ms", Median.of(jvm));
        result.set("per_run", perRun);
        BenchCommand.writeResults(out, result);
        System.out.printf("seedstream bench startup: median %.0f ms (stack) / %.0f ms (from JVM start) over %d runs -> %s%n",
                Median.of(stack), Median.of(jvm), runs, out);
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
