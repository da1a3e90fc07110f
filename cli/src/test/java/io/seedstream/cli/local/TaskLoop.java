package io.seedstream.cli.local;

import io.seedstream.cli.BuiltInTask;
import io.seedstream.cli.CliRun;
import io.seedstream.producers.dispatch.DispatcherConfig;
import io.seedstream.producers.generator.GeneratorConfig;
import io.seedstream.schemas.ConnectionConfig;
import io.seedstream.streams.topology.TopologySettings;
import io.seedstream.trainer.TrainerConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;

/** A small loop on the shipped task policy for tests that run every stage in this JVM (LocalLoop). */
final class TaskLoop {

    private TaskLoop() {}

    /** Exports {@code n} task problems and loads them as the deployment's training prompts. */
    static void loadProblems(ConnectionConfig c, Path tmp, int n) {
        Path problems = tmp.resolve("problems.jsonl");
        CliRun.ok("task", "export", "--n", String.valueOf(n), "--seed", "0", "--out", problems.toString());
        List<String> load = new ArrayList<>(List.of("prompts", "load", problems.toString(), "--dataset", "task"));
        load.addAll(CliRun.connectionFlags(c));
        CliRun.ok(load.toArray(String[]::new));
    }

    /**
     * The stage keys: up's settings for the task policy, B = 4, G = 4, no evaluation, and this
     * deployment's names and directories under {@code tmp}.
     */
    static Properties keys(ConnectionConfig c, Path tmp) {
        Properties keys = new Properties();
        keys.putAll(BuiltInTask.TASK_POLICY_SETTINGS);
        keys.put(TopologySettings.BATCH_GROUPS, "4");
        keys.put(DispatcherConfig.GROUP_SIZE, "4");
        keys.put(DispatcherConfig.EVAL_EVERY, "0");
        keys.put(TopologySettings.APPLICATION_ID, c.topicPrefix() + "scoring");
        keys.put(TopologySettings.STATE_DIR, tmp.resolve("streams").toString());
        keys.put(TopologySettings.DASHBOARD_PORT, "0");
        keys.put(GeneratorConfig.GROUP_ID, c.topicPrefix() + "generators");
        keys.put(TrainerConfig.MODEL_DIR, UpCommandTest.SHIPPED.toString());
        keys.put(GeneratorConfig.MODEL_DIR, UpCommandTest.SHIPPED.toString());
        keys.put(TrainerConfig.CHECKPOINT_DIR, tmp.resolve("checkpoints").toString());
        keys.put(GeneratorConfig.CHECKPOINT_DIR, tmp.resolve("checkpoints").toString());
        return keys;
    }
}
