package io.seedstream.cli;

import io.seedstream.schemas.ConnectionConfig;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import picocli.CommandLine;

/** Runs the seedstream command in this JVM and captures what it prints on standard output. */
public record CliRun(int exitCode, String out) {

    /** Runs a command that must succeed; returns its standard output. */
    public static String ok(String... args) {
        CliRun r = of(args);
        org.assertj.core.api.Assertions.assertThat(r.exitCode()).as("exit code of %s", String.join(" ", args)).isZero();
        return r.out();
    }

    /** The flags that point a command at a test cluster's connection (broker, registry, topic prefix). */
    public static List<String> connectionFlags(ConnectionConfig c) {
        return List.of("--bootstrap-servers", c.bootstrapServers(), "--registry-url", c.registryUrl(),
                "--topic-prefix", c.topicPrefix());
    }

    public static CliRun of(String... args) {
        PrintStream saved = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
        try {
            int rc = new CommandLine(new Seedstream()).execute(args);
            return new CliRun(rc, buf.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(saved);
        }
    }
}
