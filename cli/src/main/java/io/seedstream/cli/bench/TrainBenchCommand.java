package io.seedstream.cli.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.seedstream.cli.ProgressBar;
import io.seedstream.model.ModelBenchmark;
import io.seedstream.trainer.TrainBenchmark;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "train", mixinStandardHelpOptions = true,
        description = "A full trainer update (log-probs, loss, backward, clipping, AdamW) on the built-in task's tiny "
                + "policy and a 10M-parameter config: step time, tokens/s and FLOPs utilisation vs a matrix product.")
final class TrainBenchCommand implements Callable<Integer> {

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
        BenchCommand.writeResults(out, root);
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
