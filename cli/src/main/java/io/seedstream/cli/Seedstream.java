package io.seedstream.cli;

import io.seedstream.cli.bench.BenchCommand;
import io.seedstream.cli.chaos.ChaosCommand;
import io.seedstream.cli.experiment.ExperimentCommand;
import io.seedstream.cli.local.UpCommand;
import io.seedstream.cli.log.ReplayCommand;
import io.seedstream.cli.log.TailCommand;
import io.seedstream.cli.offline.EvalCommand;
import io.seedstream.cli.offline.GradeCommand;
import io.seedstream.cli.offline.ModelCommand;
import io.seedstream.cli.offline.PlanCommand;
import io.seedstream.cli.offline.PromptsCommand;
import io.seedstream.cli.offline.ScoreCommand;
import io.seedstream.cli.offline.TaskCommand;
import io.seedstream.cli.stage.BrokerCommand;
import io.seedstream.cli.stage.DispatchCommand;
import io.seedstream.cli.stage.GenerateCommand;
import io.seedstream.cli.stage.RegistryCommand;
import io.seedstream.cli.stage.StreamsCommand;
import io.seedstream.cli.stage.SchemasCommand;
import io.seedstream.cli.stage.TopicsCommand;
import io.seedstream.cli.stage.TrainCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code seedstream} command. */
@Command(
        name = "seedstream",
        mixinStandardHelpOptions = true,
        version = "seedstream 0.1.0",
        description = "SEED-GRPO (semantic-entropy-weighted GRPO) as a streaming system on Apache Kafka.",
        subcommands = {
            UpCommand.class,
            BrokerCommand.class,
            RegistryCommand.class,
            TopicsCommand.class,
            SchemasCommand.class,
            TailCommand.class,
            ReplayCommand.class,
            PromptsCommand.class,
            GradeCommand.class,
            ScoreCommand.class,
            StreamsCommand.class,
            TaskCommand.class,
            EvalCommand.class,
            DispatchCommand.class,
            GenerateCommand.class,
            TrainCommand.class,
            ModelCommand.class,
            PlanCommand.class,
            ConfigCommand.class,
            BenchCommand.class,
            ExperimentCommand.class,
            ChaosCommand.class,
            CommandLine.HelpCommand.class
        })
public final class Seedstream extends CommandGroup {

    static {
        // option texts quote the declared defaults instead of copies of them
        ConfigKeys.publishDefaults();
    }

    public static void main(String[] args) {
        CommandLine cli = new CommandLine(new Seedstream());
        // a failure is a one-line message and a non-zero exit, not a stack trace
        cli.setExecutionExceptionHandler((e, cmd, parsed) -> {
            cmd.getErr().println(cmd.getCommandName() + ": " + (e.getMessage() == null ? e.toString() : e.getMessage()));
            if (System.getenv("SEEDSTREAM_DEBUG") != null) {
                e.printStackTrace(cmd.getErr());
            }
            return 1;
        });
        System.exit(cli.execute(args));
    }
}
