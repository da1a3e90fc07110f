package io.seedstream.cli.offline;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.seedstream.cli.CliRun;
import io.seedstream.model.MemoryPlan;
import io.seedstream.model.ModelConfig;
import io.seedstream.model.SafeTensors;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code seedstream plan} reads only config.json and the run's settings. */
class PlanCommandTest {

    /** Qwen2.5-Math-1.5B's published shape; no weights are needed to plan. */
    static final ModelConfig QWEN25_MATH_1_5B = new ModelConfig("qwen2", 151_936, 1536, 8960, 28, 12, 2, 128, 1e-6,
            10_000, true, true, 4096, 151_643, 151_643);

    @Test
    void plansFromTheConfigFileAndFlagsWithoutWeights(@TempDir Path tmp) throws Exception {
        Files.writeString(tmp.resolve("config.json"), QWEN25_MATH_1_5B.toJson().toString());
        Path config = tmp.resolve("run.properties");
        Files.writeString(config, "dispatch.group.size=8\nbatch.groups=4\ntrainer.micro.batch.tokens=4096\n"
                + "trainer.kl.coef=0.001\ngenerator.max.batch.sequences=32\n");
        JsonNode plan = new ObjectMapper().readTree(CliRun.ok("plan", "--model-dir", tmp.toString(), "--config",
                config.toString(), "--max-new-tokens", "1024", "--prompt-tokens", "200", "--checkpoint-dtype", "bf16",
                "--json"));
        MemoryPlan expected = MemoryPlan.of(QWEN25_MATH_1_5B,
                new MemoryPlan.Shapes(32, 200, 1024, 4096, true, 32, SafeTensors.DType.BF16));
        assertThat(plan.get("trainer_bytes").asLong()).isEqualTo(expected.trainerBytes());
        assertThat(plan.get("generator_bytes").asLong()).isEqualTo(expected.generatorBytes());
        assertThat(plan.get("trainer").get("reference_weights").asLong()).as("the KL penalty keeps a reference")
                .isEqualTo(4 * QWEN25_MATH_1_5B.parameterCount());
        assertThat(plan.get("lightCheckpointBytes").asLong()).isEqualTo(2 * QWEN25_MATH_1_5B.parameterCount());

        // without --checkpoint-dtype, the model's own: config.json says float32 here
        String table = CliRun.ok("plan", "--model-dir", tmp.toString());
        assertThat(table).containsPattern("light checkpoint +" + String.format(java.util.Locale.ROOT, "%.2f GB",
                4 * QWEN25_MATH_1_5B.parameterCount() / 1e9));
        assertThat(table).contains("1.54B parameters").contains("adamw moments").contains("kv cache")
                .containsPattern("seedstream plan: trainer [0-9.]+ GB, generator [0-9.]+ GB, [0-9.]+ GB per version");
    }

    @Test
    void refusesAMissingConfigAndAnUnknownKey(@TempDir Path tmp) throws Exception {
        assertThat(CliRun.of("plan", "--model-dir", tmp.toString()).exitCode()).isNotZero();
        Files.writeString(tmp.resolve("config.json"), QWEN25_MATH_1_5B.toJson().toString());
        Path config = tmp.resolve("run.properties");
        Files.writeString(config, "trainer.micro.batch.token=4096\n");
        assertThat(CliRun.of("plan", "--model-dir", tmp.toString(), "--config", config.toString()).exitCode())
                .isNotZero();
    }
}
