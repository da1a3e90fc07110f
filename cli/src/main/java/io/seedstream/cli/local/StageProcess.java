package io.seedstream.cli.local;

import io.seedstream.cli.Seedstream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One {@code seedstream} command in a JVM of its own, as an operator would run it: started,
 * killed with SIGKILL (no shutdown hook, no flush, no leave-group), stopped with SIGTERM, and
 * started again; each incarnation writes its standard output and error to its own log file.
 */
public final class StageProcess {

    private final String name;
    private final List<String> args;
    private final List<String> jvmOptions;
    private final Path logDir;
    private final String readyLine;
    private Process process;
    private int incarnation;

    /** A one-shot command ({@link #runToEnd}). */
    public StageProcess(String name, List<String> jvmOptions, List<String> args, Path logDir) {
        this(name, jvmOptions, args, logDir, null);
    }

    /** A long-running command, ready once its log holds {@code readyLine}. */
    public StageProcess(String name, List<String> jvmOptions, List<String> args, Path logDir, String readyLine) {
        this.name = name;
        this.jvmOptions = List.copyOf(jvmOptions);
        this.args = List.copyOf(args);
        this.logDir = logDir;
        this.readyLine = readyLine;
    }

    /** Waits until the current incarnation says it is ready. */
    public void awaitReady(Duration limit) throws IOException, InterruptedException {
        awaitLog(readyLine, limit);
    }

    public String name() {
        return name;
    }

    public int incarnation() {
        return incarnation;
    }

    public long pid() {
        return process == null ? -1 : process.pid();
    }

    /** The current incarnation's log. */
    public Path log() {
        return logDir.resolve(name + "-" + incarnation + ".log");
    }

    public StageProcess start() throws IOException {
        incarnation++;
        Files.createDirectories(logDir);
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(jvmOptions);
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), Seedstream.class.getName()));
        command.addAll(args);
        process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log().toFile()).start();
        return this;
    }

    public boolean alive() {
        return process != null && process.isAlive();
    }

    /** The exit code of an incarnation that ended, else null. */
    public Integer exitCode() {
        return process == null || process.isAlive() ? null : process.exitValue();
    }

    /** SIGKILL, then waits for the process to be gone. */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            throw new IllegalStateException(name + " (pid " + process.pid() + ") survived SIGKILL for 30 s");
        }
    }

    /** SIGTERM (the command's clean stop), SIGKILL after {@code grace}; the exit code. */
    public int stop(Duration grace) throws InterruptedException {
        if (process == null) {
            return 0;
        }
        process.destroy();
        if (!process.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS)) {
            process.destroyForcibly();
            process.waitFor(30, TimeUnit.SECONDS);
            return -1;
        }
        return process.exitValue();
    }

    /** Runs to its end (a one-shot command); the exit code, or an error when it takes longer than {@code limit}. */
    public int runToEnd(Duration limit) throws IOException, InterruptedException {
        start();
        if (!process.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS)) {
            process.destroyForcibly();
            throw new IllegalStateException(name + " did not finish within " + limit.toSeconds() + " s; see " + log());
        }
        return process.exitValue();
    }

    /** Waits until the current incarnation's log holds {@code text}; fails when it ends first or after {@code limit}. */
    public void awaitLog(String text, Duration limit) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + limit.toNanos();
        while (!logHas(text)) {
            if (!process.isAlive()) {
                throw new IllegalStateException(name + " ended (exit " + process.exitValue() + ") before it was ready; "
                        + "the end of its log:\n" + tail(20));
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(name + " not ready after " + limit.toSeconds() + " s; the end of its "
                        + "log:\n" + tail(20));
            }
            Thread.sleep(200);
        }
    }

    boolean logHas(String text) throws IOException {
        return logText().contains(text);
    }

    /** The current incarnation's log so far (undecodable bytes replaced, never an error). */
    public String logText() throws IOException {
        return Files.exists(log()) ? new String(Files.readAllBytes(log()), StandardCharsets.UTF_8) : "";
    }

    /** The first line of the current incarnation's log that contains {@code text}, or null. */
    public String logLine(String text) throws IOException {
        return logText().lines().filter(l -> l.contains(text)).findFirst().orElse(null);
    }

    public String tail(int lines) throws IOException {
        List<String> all = logText().lines().toList();
        return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    }
}
