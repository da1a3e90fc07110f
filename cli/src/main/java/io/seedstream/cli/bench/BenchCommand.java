package io.seedstream.cli.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.seedstream.cli.CommandGroup;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;
import picocli.CommandLine.Command;

@Command(name = "bench", mixinStandardHelpOptions = true, description = "Benchmarks that write JSON results.",
        subcommands = {StartupBenchCommand.class, GradeBenchCommand.class, StreamsBenchCommand.class,
            ModelBenchCommand.class, TrainBenchCommand.class, GenerateBenchCommand.class, ToolsBenchCommand.class,
            MemoryBenchmark.class,
            MemoryBenchmark.Worker.class})
public final class BenchCommand extends CommandGroup {

    /** Removes a benchmark's scratch directory. */
    public static void deleteTree(Path dir) throws java.io.IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    /** Every benchmark writes its figures the same way: pretty JSON, parent directories created. */
    static void writeResults(Path out, com.fasterxml.jackson.databind.JsonNode results) throws java.io.IOException {
        Path parent = out.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        Files.writeString(out, new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(results));
    }

}
