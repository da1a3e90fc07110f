package io.seedstream.cli;

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
            PromptsCommand.class,
            GradeCommand.class,
            ScoreCommand.class,
            StreamsCommand.class,
            BenchCommand.class,
            CommandLine.HelpCommand.class
        })
public final class Seedstream implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new Seedstream()).execute(args));
    }
}
