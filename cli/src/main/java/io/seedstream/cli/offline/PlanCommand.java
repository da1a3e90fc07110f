package io.seedstream.cli.offline;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.seedstream.cli.ConfigKeys;
import io.seedstream.model.Checkpoints;
import io.seedstream.model.MemoryPlan;
import io.seedstream.model.ModelConfig;
import io.seedstream.model.SafeTensors;
import io.seedstream.producers.dispatch.DispatcherConfig;
import io.seedstream.producers.generator.GeneratorConfig;
import io.seedstream.trainer.TrainerConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Memory and disk of a run, known before it starts: from the model's config.json and the run's
 * settings alone (no weights are read), what one trainer and one generator will hold at their
 * peak, and what a light and a full checkpoint take on disk.
 */
@Command(name = "plan", mixinStandardHelpOptions = true,
        description = {"Expected peak memory of one trainer and one generator, and the disk per checkpoint, from the "
                + "model's config.json and the run's settings alone (--config, then the flags).",
            "Measured against real runs by `seedstream bench memory` (docs/real-models.md)."})
public final class PlanCommand implements Callable<Integer> {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Option(names = "--model-dir", required = true, description = "Hugging Face model directory (config.json is read).")
    Path modelDir;

    @Option(names = "--config", paramLabel = "FILE", description = "The run's properties file (the keys `up` takes).")
    Path config;

    @Option(names = "--group-size", description = "G, answers per prompt (default: dispatch.group.size).")
    Integer groupSize;

    @Option(names = "--batch-groups", description = "Groups per training step (default: batch.groups).")
    Integer batchGroups;

    @Option(names = "--max-new-tokens", description = "Answer budget (default: dispatch.max.new.tokens).")
    Integer maxNewTokens;

    @Option(names = "--prompt-tokens", defaultValue = "256",
            description = "Longest prompt in tokens, chat template included (default: ${DEFAULT-VALUE}).")
    int promptTokens;

    @Option(names = "--micro-batch-tokens", description = "Trainer tokens per pass (default: trainer.micro.batch.tokens).")
    Long microBatchTokens;

    @Option(names = "--generator-sequences",
            description = "Sequences a generator samples together (default: generator.max.batch.sequences).")
    Integer generatorSequences;

    @Option(names = "--checkpoint-dtype",
            description = "Dtype checkpoints are written in (default: the model's own, config.json's torch_dtype).")
    String checkpointDtype;

    @Option(names = "--json", description = "Print the plan as one JSON object instead of a table.")
    boolean json;

    @Override
    public Integer call() throws IOException {
        Path configJson = modelDir.resolve(Checkpoints.CONFIG);
        if (!Files.isRegularFile(configJson)) {
            System.err.println("seedstream plan: " + configJson + " does not exist");
            return 2;
        }
        ModelConfig c = ModelConfig.read(configJson);
        Properties p = config != null ? ConfigKeys.load(config) : new Properties();
        DispatcherConfig dispatch = DispatcherConfig.from(p);
        TrainerConfig trainer = TrainerConfig.from(p);
        GeneratorConfig generator = GeneratorConfig.from(p);
        int g = groupSize != null ? groupSize : dispatch.groupSize();
        int b = batchGroups != null ? batchGroups : dispatch.batchGroups();
        int n = maxNewTokens != null ? maxNewTokens : dispatch.maxNewTokens();
        var shapes = new MemoryPlan.Shapes(g * b, promptTokens, n,
                microBatchTokens != null ? microBatchTokens : trainer.update().microBatchTokens(),
                trainer.update().loss().klCoef() > 0,
                generatorSequences != null ? generatorSequences : generator.maxBatchSequences(),
                SafeTensors.DType.parse(checkpointDtype != null ? checkpointDtype : ownDtype(configJson)));
        MemoryPlan plan = MemoryPlan.of(c, shapes);
        if (json) {
            ObjectNode o = JSON.valueToTree(plan);
            o.put("trainer_bytes", plan.trainerBytes()).put("generator_bytes", plan.generatorBytes());
            o.set("shapes", JSON.valueToTree(shapes));
            System.out.println(o);
            return 0;
        }
        System.out.printf(Locale.ROOT, "%s, %.2fB parameters; a step of %d answers (%d groups of %d), %d prompt + %d "
                + "answer tokens%n", c.modelType(), plan.parameters() / 1e9, g * b, b, g, promptTokens, n);
        print("trainer (one process)", plan.trainer(), plan.trainerBytes());
        print("generator (each)", plan.generator(), plan.generatorBytes());
        System.out.printf(Locale.ROOT, "disk%n  %-22s %9s  (weights, every version)%n  %-22s %9s  (weights + AdamW "
                + "moments, + float32 master weights below fp32; every trainer.checkpoint.full.every versions)%n", "light checkpoint",
                gb(plan.lightCheckpointBytes()), "full checkpoint", gb(plan.fullCheckpointBytes()));
        System.out.printf(Locale.ROOT, "seedstream plan: trainer %s, generator %s, %s per version, %s per full "
                        + "checkpoint%n", gb(plan.trainerBytes()), gb(plan.generatorBytes()),
                gb(plan.lightCheckpointBytes()), gb(plan.fullCheckpointBytes()));
        return 0;
    }

    /** What the trainer writes checkpoints in: the dtype the model came in (float32 when config.json does not say). */
    private static String ownDtype(Path configJson) throws IOException {
        return JSON.readTree(configJson.toFile()).path("torch_dtype").asText("float32");
    }

    private static void print(String title, Map<String, Long> parts, long total) {
        System.out.println(title);
        parts.forEach((k, v) -> {
            if (v > 0) {
                System.out.printf(Locale.ROOT, "  %-22s %9s%n", k.replace('_', ' '), gb(v));
            }
        });
        System.out.printf(Locale.ROOT, "  %-22s %9s%n", "peak", gb(total));
    }

    private static String gb(long bytes) {
        return String.format(Locale.ROOT, "%.2f GB", bytes / 1e9);
    }
}
