package io.seedstream.cli;

import java.nio.file.Path;
import java.util.Properties;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code seedstream config}: check a deployment's properties file, print the reference of every key. */
@Command(name = "config", mixinStandardHelpOptions = true, description = "The --config file: check one, list every key.",
        subcommands = {ConfigCommand.Check.class, ConfigCommand.Reference.class})
public final class ConfigCommand extends CommandGroup {

    @Command(name = "check", mixinStandardHelpOptions = true,
            description = "Reads a --config file as every command would: an unknown key is named with the nearest known one.")
    static final class Check implements Callable<Integer> {

        @Parameters(index = "0", paramLabel = "FILE", description = "The properties file.")
        Path file;

        @Override
        public Integer call() {
            Properties p;
            try {
                p = ConfigKeys.load(file);
            } catch (IllegalArgumentException | java.io.UncheckedIOException e) {
                System.err.println("seedstream config check: " + e.getMessage());
                return 1;
            }
            long defaults = p.stringPropertyNames().stream()
                    .filter(k -> p.getProperty(k).trim().equals(ConfigKeys.defaults().get(k))).count();
            System.out.printf("seedstream config check: %s holds %d known keys (%d of them at their default)%n", file,
                    p.size(), defaults);
            return 0;
        }
    }

    @Command(name = "reference", mixinStandardHelpOptions = true,
            description = "Prints every key with its type, default, readers and meaning, in Markdown (docs/configuration.md).")
    static final class Reference implements Callable<Integer> {

        @Override
        public Integer call() {
            System.out.print(ConfigKeys.reference());
            return 0;
        }
    }
}
