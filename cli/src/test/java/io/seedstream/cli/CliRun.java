package io.seedstream.cli;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import picocli.CommandLine;

/** Runs the seedstream command in this JVM and captures what it prints on standard output. */
record CliRun(int exitCode, String out) {

    /** Runs a command that must succeed; returns its standard output. */
    static String ok(String... args) {
        CliRun r = of(args);
        org.assertj.core.api.Assertions.assertThat(r.exitCode()).as("exit code of %s", String.join(" ", args)).isZero();
        return r.out();
    }

    static CliRun of(String... args) {
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
