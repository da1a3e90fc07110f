package io.seedstream.cli.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.seedstream.cli.ProgressBar;
import io.seedstream.cli.local.StageProcess;
import io.seedstream.model.Checkpoints;
import io.seedstream.model.Median;
import io.seedstream.model.MemoryPlan;
import io.seedstream.model.ModelConfig;
import io.seedstream.model.SafeTensors;
import io.seedstream.trainer.FootprintWorkload;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * A trainer and a generator at real size, each alone in a JVM of its own, against what
 * {@link MemoryPlan} (and so {@code seedstream plan}) predicts for them, and against PyTorch eager
 * doing the same work on the same weights in the same run. By default on a randomly initialised
 * Qwen2-0.5B-shaped model written in bf16.
 */
@Command(name = "memory", mixinStandardHelpOptions = true,
        description = "Peak resident memory of a trainer and a generator at real size (each in its own JVM) against "
                + "`seedstream plan`'s estimate and the 16-bytes-a-parameter minimum, training and sampling tokens/s, "
                + "checkpoint write time, and the same work in PyTorch eager (python3 with torch) as ratios; "
                + "median of --repeats. Default model: a random Qwen2-0.5B-shaped one in bf16.")
final class MemoryBenchmark implements Callable<Integer> {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** Qwen2-0.5B's published shape: 24 layers, width 896, 14 heads over 2 KV heads, tied embeddings. */
    static final ModelConfig QWEN2_0_5B = new ModelConfig("qwen2", 151_936, 896, 4864, 24, 14, 2, 64, 1e-6,
            1_000_000, true, true, 32_768, 151_643, 151_645);

    /** SmolLM-360M's published shape: a Llama with 15 heads over 5 KV heads and a 49k vocabulary. */
    static final ModelConfig SMOLLM_360M = new ModelConfig("llama", 49_152, 960, 2560, 32, 15, 5, 64, 1e-5, 10_000,
            false, true, 2048, 0, 0);

    @Option(names = "--model-dir", description = "Model to measure (default: a random one of --random-shape).")
    Path modelDir;

    @Option(names = "--random-shape", defaultValue = "qwen2-0.5b",
            description = "Shape of the random model when no --model-dir: qwen2-0.5b or smollm-360m (default: "
                    + "${DEFAULT-VALUE}).")
    String randomShape;

    @Option(names = "--answers", defaultValue = "8", description = "Answers per training step and sequences sampled "
            + "together (default: ${DEFAULT-VALUE}).")
    int answers;

    @Option(names = "--prompt-tokens", defaultValue = "64", description = "Prompt length (default: ${DEFAULT-VALUE}).")
    int promptTokens;

    @Option(names = "--completion-tokens", defaultValue = "128",
            description = "Answer length (default: ${DEFAULT-VALUE}).")
    int completionTokens;

    @Option(names = "--micro-batch-tokens", defaultValue = "8192",
            description = "The trainer's padded tokens per pass (default: ${DEFAULT-VALUE}).")
    long microBatchTokens;

    @Option(names = "--repeats", defaultValue = "3", description = "Steps and sampling runs measured; medians "
            + "reported (default: ${DEFAULT-VALUE}).")
    int repeats;

    @Option(names = "--python", defaultValue = "/usr/bin/python3",
            description = "Python with torch for the PyTorch side; 'none' skips it (default: ${DEFAULT-VALUE}).")
    String python;

    @Option(names = "--scratch", defaultValue = "data/bench-memory",
            description = "Scratch directory, removed afterwards (default: ${DEFAULT-VALUE}).")
    Path scratch;

    @Option(names = "--out", paramLabel = "FILE.json", defaultValue = "bench-results/memory.json",
            description = "Where to write the results (default: ${DEFAULT-VALUE}).")
    Path out;

    @Override
    public Integer call() throws Exception {
        Files.createDirectories(scratch);
        try {
            return run();
        } finally {
            BenchCommand.deleteTree(scratch);
        }
    }

    private int run() throws Exception {
        Path model = modelDir;
        if (model == null) {
            ModelConfig shape = switch (randomShape) {
                case "qwen2-0.5b" -> QWEN2_0_5B;
                case "smollm-360m" -> SMOLLM_360M;
                default -> throw new IllegalArgumentException("--random-shape was '" + randomShape
                        + "', must be qwen2-0.5b or smollm-360m");
            };
            model = scratch.resolve(randomShape + "-random");
            System.err.println("seedstream bench memory: writing a random " + randomShape + "-shaped model (bf16)...");
            FootprintWorkload.writeRandom(shape, model, SafeTensors.DType.BF16);
        }
        ModelConfig c = ModelConfig.read(model.resolve(Checkpoints.CONFIG));
        MemoryPlan plan = MemoryPlan.of(c, new MemoryPlan.Shapes(answers, promptTokens, completionTokens,
                microBatchTokens, false, answers, SafeTensors.DType.F32));

        ObjectNode root = JSON.createObjectNode();
        root.put("benchmark", "memory");
        root.put("cores", Runtime.getRuntime().availableProcessors());
        root.put("model", modelDir == null ? "random " + randomShape + "-shaped (bf16 on disk)" : model.toString());
        root.put("parameters", plan.parameters());
        root.putObject("shapes").put("answers", answers).put("prompt_tokens", promptTokens)
                .put("completion_tokens", completionTokens).put("micro_batch_tokens", microBatchTokens)
                .put("repeats", repeats);

        List<String> shape = List.of("--model-dir", model.toString(), "--answers", String.valueOf(answers),
                "--prompt-tokens", String.valueOf(promptTokens), "--completion-tokens", String.valueOf(completionTokens),
                "--micro-batch-tokens", String.valueOf(microBatchTokens), "--repeats", String.valueOf(repeats));
        boolean torch = !python.equals("none");
        int total = torch ? 5 : 3;
        try (ProgressBar bar = ProgressBar.onStderr("memory bench")) {
            bar.update(0, total);
            JsonNode trainer = worker("trainer", shape, "--save-dir", scratch.resolve("save-java").toString());
            bar.update(1, total);
            JsonNode generator = worker("generator", shape);
            bar.update(2, total);
            // the same trainer on the built-in task's tiny policy: the Java heap must not grow with the model
            Path tiny = scratch.resolve("tiny");
            FootprintWorkload.writeRandom(io.seedstream.producers.task.TaskPolicy.CONFIG, tiny, SafeTensors.DType.F32);
            List<String> tinyShape = new ArrayList<>(shape);
            tinyShape.set(1, tiny.toString());
            JsonNode tinyTrainer = worker("trainer", tinyShape, "--save-dir", scratch.resolve("save-tiny").toString());
            bar.update(3, total);

            ObjectNode t = root.putObject("trainer");
            t.put("peak_rss_bytes", trainer.get("peak_rss_kb").asLong() * 1024);
            t.put("plan_bytes", plan.trainerBytes());
            t.put("measured_over_plan", trainer.get("peak_rss_kb").asLong() * 1024.0 / plan.trainerBytes());
            t.put("state_minimum_bytes", plan.trainerStateBytes());
            t.put("measured_over_state_minimum", trainer.get("peak_rss_kb").asLong() * 1024.0 / plan.trainerStateBytes());
            long analytic = plan.trainerBytes() - plan.trainer().get("engine_and_jvm");
            t.put("analytic_minimum_bytes", analytic);
            t.put("measured_over_analytic_minimum", trainer.get("peak_rss_kb").asLong() * 1024.0 / analytic);
            t.put("java_heap_used_bytes", trainer.get("java_heap_used_bytes").asLong());
            t.put("java_heap_used_bytes_tiny_model", tinyTrainer.get("java_heap_used_bytes").asLong());
            t.put("tokens_per_second", trainer.get("tokens_per_second").asDouble());
            t.put("step_seconds_median", Median.of(doubles(trainer.get("step_seconds"))));
            t.put("weights_write_seconds", trainer.get("weights_write_seconds").asDouble());
            t.put("moments_write_seconds", trainer.get("moments_write_seconds").asDouble());
            t.set("raw", trainer);
            ObjectNode g = root.putObject("generator");
            g.put("peak_rss_bytes", generator.get("peak_rss_kb").asLong() * 1024);
            g.put("plan_bytes", plan.generatorBytes());
            g.put("measured_over_plan", generator.get("peak_rss_kb").asLong() * 1024.0 / plan.generatorBytes());
            g.put("tokens_per_second", generator.get("tokens_per_second").asDouble());
            g.set("raw", generator);
            root.set("plan", JSON.valueToTree(plan));

            if (torch) {
                try {
                    comparePyTorch(root, model.toString(), trainer, generator, bar, total);
                } catch (IllegalStateException e) {
                    root.put("pytorch_eager_error", e.getMessage());
                    System.err.println("seedstream bench memory: no PyTorch comparison: " + e.getMessage());
                }
            }
        }
        BenchCommand.writeResults(out, root);
        JsonNode t = root.get("trainer");
        System.out.printf(Locale.ROOT, "seedstream bench memory: trainer peak %.2f GB (plan %.2f GB, x%.2f; x%.2f the "
                        + "analytic minimum), generator peak %.2f GB (plan x%.2f), %.0f train / %.0f sample tokens/s -> %s%n",
                t.get("peak_rss_bytes").asDouble() / 1e9, t.get("plan_bytes").asDouble() / 1e9,
                t.get("measured_over_plan").asDouble(), t.get("measured_over_analytic_minimum").asDouble(),
                root.get("generator").get("peak_rss_bytes").asDouble() / 1e9,
                root.get("generator").get("measured_over_plan").asDouble(), t.get("tokens_per_second").asDouble(),
                root.get("generator").get("tokens_per_second").asDouble(), out);
        return 0;
    }

    /** The same work in PyTorch eager, fp32 and bf16 (mixed precision for training), and the ratios at fp32. */
    private void comparePyTorch(ObjectNode root, String model, JsonNode trainer, JsonNode generator, ProgressBar bar,
            int total) throws IOException, InterruptedException {
        List<String> args = List.of("--model-dir", model, "--answers", String.valueOf(answers),
                "--prompt-tokens", String.valueOf(promptTokens), "--completion-tokens",
                String.valueOf(completionTokens), "--micro-batch-tokens", String.valueOf(microBatchTokens),
                "--steps", String.valueOf(repeats), "--runs", String.valueOf(repeats));
        ObjectNode py = root.putObject("pytorch_eager");
        for (String dtype : List.of("fp32", "bf16")) {
            JsonNode tt = python("train", args, dtype);
            JsonNode ts = python("sample", args, dtype);
            py.set("trainer_" + dtype, tt);
            py.set("generator_" + dtype, ts);
            bar.update(dtype.equals("fp32") ? 4 : 5, total);
        }
        ObjectNode r = root.putObject("seedstream_over_pytorch_fp32");
        r.put("training_tokens_per_second", trainer.get("tokens_per_second").asDouble()
                / py.get("trainer_fp32").get("tokens_per_second").asDouble());
        r.put("sampling_tokens_per_second", generator.get("tokens_per_second").asDouble()
                / py.get("generator_fp32").get("tokens_per_second").asDouble());
        r.put("trainer_peak_rss", trainer.get("peak_rss_kb").asDouble()
                / py.get("trainer_fp32").get("peak_rss_kb").asDouble());
        r.put("generator_peak_rss", generator.get("peak_rss_kb").asDouble()
                / py.get("generator_fp32").get("peak_rss_kb").asDouble());
        r.put("checkpoint_write_seconds", (trainer.get("weights_write_seconds").asDouble()
                + trainer.get("moments_write_seconds").asDouble())
                / (py.get("trainer_fp32").get("weights_write_seconds").asDouble()
                + py.get("trainer_fp32").get("moments_write_seconds").asDouble()));
    }

    private static List<Double> doubles(JsonNode array) {
        List<Double> xs = new ArrayList<>();
        array.forEach(x -> xs.add(x.asDouble()));
        return xs;
    }

    /** One workload in a JVM of its own; its last output line is the JSON result. */
    private JsonNode worker(String role, List<String> shape, String... extra) throws IOException, InterruptedException {
        List<String> args = new ArrayList<>(List.of("bench", "footprint-worker", "--role", role));
        args.addAll(shape);
        args.addAll(List.of(extra));
        StageProcess p = new StageProcess("footprint-" + role, List.of(), args, scratch.resolve("logs"));
        return result("the " + role + " workload", p.runToEnd(Duration.ofMinutes(60)), p.log(), "");
    }

    private JsonNode python(String role, List<String> shape, String dtype) throws IOException, InterruptedException {
        Path script = scratch.resolve("torch_eager.py");
        if (!Files.exists(script)) {
            try (InputStream in = MemoryBenchmark.class.getResourceAsStream("torch_eager.py")) {
                Files.copy(in, script);
            }
        }
        List<String> cmd = new ArrayList<>(List.of(python, script.toString(), "--role", role, "--dtype", dtype,
                "--save-dir", scratch.resolve("save-torch").toString()));
        cmd.addAll(shape);
        Path log = scratch.resolve("logs").resolve("torch-" + role + "-" + dtype + ".log");
        Files.createDirectories(log.getParent());
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        if (!p.waitFor(60, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new IllegalStateException("PyTorch " + role + " (" + dtype + ") took over 60 minutes");
        }
        return result("PyTorch " + role + " (" + dtype + ")", p.exitValue(), log,
                " (is torch installed for " + python + "? --python none skips it)");
    }

    /** A workload's result, the last line of its log; its exit code and the log's end when it failed. */
    private static JsonNode result(String what, int code, Path log, String hint) throws IOException {
        List<String> lines = Files.readAllLines(log);
        if (code != 0) {
            throw new IllegalStateException(what + " exited with " + code + hint + ": "
                    + String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size())));
        }
        return JSON.readTree(lines.get(lines.size() - 1));
    }

    /** The workload {@link MemoryBenchmark} runs in a child JVM. */
    @Command(name = "footprint-worker", hidden = true, mixinStandardHelpOptions = true,
            description = "One trainer or generator workload of `bench memory`, alone in its JVM; prints one JSON line.")
    static final class Worker implements Callable<Integer> {

        @Option(names = "--role", required = true, description = "trainer or generator.")
        String role;
        @Option(names = "--model-dir", required = true, description = "Hugging Face model directory.")
        Path modelDir;
        @Option(names = "--answers", required = true, description = "Answers per step, sequences sampled together.")
        int answers;
        @Option(names = "--prompt-tokens", required = true, description = "Prompt length.")
        int promptTokens;
        @Option(names = "--completion-tokens", required = true, description = "Answer length.")
        int completionTokens;
        @Option(names = "--micro-batch-tokens", required = true, description = "Trainer tokens per pass.")
        long microBatchTokens;
        @Option(names = "--repeats", required = true, description = "Steps or sampling runs.")
        int repeats;
        @Option(names = "--save-dir", description = "Where the trainer writes its checkpoint.")
        Path saveDir;

        @Override
        public Integer call() throws Exception {
            var shape = new FootprintWorkload.Shape(answers, promptTokens, completionTokens, microBatchTokens);
            ObjectNode r = switch (role) {
                case "trainer" -> FootprintWorkload.train(modelDir, shape, repeats, saveDir);
                case "generator" -> FootprintWorkload.sample(modelDir, shape, repeats);
                default -> throw new IllegalArgumentException("--role was '" + role + "', must be trainer or generator");
            };
            System.out.println(r);
            return 0;
        }
    }
}
