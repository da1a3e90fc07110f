package io.seedstream.cli.offline;

import io.seedstream.cli.CommandGroup;
import io.seedstream.cli.ConnectionOptions;
import io.seedstream.cli.PromptFiles;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "prompts", mixinStandardHelpOptions = true, description = "Manage the prompts topic.",
        subcommands = PromptsCommand.Load.class)
public final class PromptsCommand extends CommandGroup {

    @Command(name = "load", mixinStandardHelpOptions = true,
            description = {"Load a JSONL file into the prompts topic, keyed by a stable id.",
                "Accepts training lines (problem, answer) and evaluation lines (problem, answers[]). "
                        + "Malformed lines are reported with their line number (and dead-lettered); "
                        + "exits non-zero only if nothing could be loaded."})
    public static final class Load implements Callable<Integer> {

        @Parameters(index = "0", paramLabel = "FILE.jsonl", description = "The prompts file.")
        Path file;

        @Option(names = "--dataset", paramLabel = "NAME",
                description = "Dataset name stored with each prompt (default: the file name without extension).")
        String dataset;

        @Mixin
        ConnectionOptions connection;

        @Override
        public Integer call() throws Exception {
            return PromptFiles.load(connection.connection(), file, dataset);
        }
    }
}
