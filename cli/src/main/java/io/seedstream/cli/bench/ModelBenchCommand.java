package io.seedstream.cli.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.seedstream.cli.ProgressBar;
import io.seedstream.model.ModelBenchmark;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "model", mixinStandardHelpOptions = true,
        description = "Policy throughput on this machine (~10M-parameter and tiny configs): generated tokens/s at "
                + "batch 1 and 64 with the KV cache, a decode step with and without the cache at 256 tokens of "
                + "context, training-step tokens/s and model FLOPs utilisation against a large matrix product, "
                + "and resident memory over repeated generate-and-train iterations.")
final class ModelBenchCommand implements Callable<Integer> {

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
        BenchCommand.writeResults(out, root);
        System.out.printf("seedstream bench model: matmul %.0f GFLOP/s, 10M train MFU %.2f, cache speed-up %.0fx, "
                        + "batch-64 generation %.0f tokens/s -> %s%n", root.get("matmul_2048_gflops").asDouble(),
                root.get("config_10m").get("mfu_vs_matmul").asDouble(),
                root.get("config_10m").get("kv_cache_speedup").asDouble(),
                root.get("config_10m").get("generate_tokens_per_second_batch64_cached").asDouble(), out);
        return 0;
    }
}
