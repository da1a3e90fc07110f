package io.seedstream.cli.stage;

import io.seedstream.cli.ConnectionOptions;
import io.seedstream.cli.StatusLine;
import io.seedstream.cli.UpdateOptions;
import io.seedstream.producers.dispatch.Dispatcher;
import io.seedstream.producers.dispatch.DispatcherConfig;
import io.seedstream.schemas.serde.AvroSerdes;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "dispatch", mixinStandardHelpOptions = true,
        description = {"Run the dispatcher: release rollout requests from the prompts table, epoch by epoch in a seeded "
                + "shuffle, at most (eta + v + 1) x B groups in all while v is the newest policy version (AReaL's "
                + "admission rule), and evaluation requests every --eval-every versions.",
            "Its position is kept in Kafka (dispatch-positions), written in the transaction of the requests it "
                    + "released, so a restart releases nothing twice. Every option is also a dispatch.* key of the "
                    + "--config file; eta and B are the trainer's and the topology's keys."})
public final class DispatchCommand extends StageCommand {

    @Mixin
    ConnectionOptions connection;

    @Option(names = "--group-size", description = "G, answers per prompt (default: ${sys:seedstream.default.dispatch.group.size}).")
    Integer groupSize;

    @Option(names = "--temperature", description = "Sampling temperature (default: ${sys:seedstream.default.dispatch.temperature}).")
    Double temperature;

    @Option(names = "--top-p", description = "Nucleus mass (default: ${sys:seedstream.default.dispatch.top.p}).")
    Double topP;

    @Option(names = "--max-new-tokens", description = "Token budget per answer (default: ${sys:seedstream.default.dispatch.max.new.tokens}).")
    Integer maxNewTokens;

    @Option(names = "--staleness", description = "eta, the trainer's staleness bound (default: ${sys:seedstream.default.trainer.staleness.bound}).")
    Integer staleness;

    @Option(names = "--batch-groups", description = "B, groups per training batch (default: ${sys:seedstream.default.batch.groups}).")
    Integer batchGroups;

    @Option(names = "--seed", description = "Seed of the epochs' shuffles (default: ${sys:seedstream.default.dispatch.seed}).")
    Long seed;

    @Option(names = "--datasets", split = ",", description = "Datasets to train on (default: all but the benchmarks).")
    List<String> datasets;

    @Option(names = "--eval-every", description = "Evaluate every K policy versions, 0 never (default: ${sys:seedstream.default.dispatch.eval.every}).")
    Integer evalEvery;

    @Option(names = "--eval-file", description = "Evaluation set, JSONL (repeatable; default: the built-in task's "
            + "held-out set; e.g. datasets/eval/math500.jsonl).")
    List<Path> evalFiles;

    @Option(names = "--selection", description = "Which prompts to release: uniform, learnable or uncertainty "
            + "(default: ${sys:seedstream.default.dispatch.selection}; docs/method.md).")
    String selection;

    @Option(names = "--run-id", description = "Training run (default: ${sys:seedstream.default.dispatch.run.id}).")
    String runId;

    @Override
    String stage() {
        return "dispatch";
    }

    @Override
    Duration stopGrace() {
        return Duration.ofSeconds(30); // the release transaction in progress
    }

    @Override
    Running start() throws Exception {
        Properties p = connection.properties();
        UpdateOptions.put(p, DispatcherConfig.GROUP_SIZE, groupSize);
        UpdateOptions.put(p, DispatcherConfig.TEMPERATURE, temperature);
        UpdateOptions.put(p, DispatcherConfig.TOP_P, topP);
        UpdateOptions.put(p, DispatcherConfig.MAX_NEW_TOKENS, maxNewTokens);
        UpdateOptions.put(p, DispatcherConfig.STALENESS, staleness);
        UpdateOptions.put(p, DispatcherConfig.BATCH_GROUPS, batchGroups);
        UpdateOptions.put(p, DispatcherConfig.SEED, seed);
        UpdateOptions.put(p, DispatcherConfig.EVAL_EVERY, evalEvery);
        UpdateOptions.put(p, DispatcherConfig.RUN_ID, runId);
        UpdateOptions.put(p, DispatcherConfig.SELECTION, selection);
        if (datasets != null) {
            p.put(DispatcherConfig.TRAIN_DATASETS, String.join(",", datasets));
        }
        if (evalFiles != null) {
            p.put(DispatcherConfig.EVAL_FILES, evalFiles.stream().map(Path::toString).collect(Collectors.joining(",")));
        }
        DispatcherConfig config = DispatcherConfig.from(p);
        Dispatcher dispatcher = new Dispatcher(connection.connection(), config, AvroSerdes.connect(connection.connection()),
                Clock.systemUTC());
        return new Running() {
            @Override
            public String readyText() {
                return String.format(Locale.ROOT, "run %s, G = %d, eta = %d, B = %d", config.runId(), config.groupSize(),
                        config.stalenessBound(), config.batchGroups());
            }

            @Override
            public Map<String, ?> readyFields() {
                return Map.of("run_id", config.runId());
            }

            @Override
            public int await() throws Exception {
                Dispatcher.Status s;
                try (StatusLine status = StatusLine.onStderr(10_000)) {
                    s = dispatcher.run(st -> status.show(String.format(Locale.ROOT,
                            "version %d  released %d of %d admitted  epoch %d at %d  evaluation rounds %d",
                            st.newestVersion(), st.released(), st.capacity(), st.epoch(), st.index(), st.evalRounds())));
                }
                System.out.printf("seedstream dispatch: %d groups released in all, epoch %d at %d, %d evaluation "
                        + "rounds, newest version %d%n", s.released(), s.epoch(), s.index(), s.evalRounds(),
                        s.newestVersion());
                return 0;
            }

            @Override
            public void stop() {
                dispatcher.stop();
            }
        };
    }
}
