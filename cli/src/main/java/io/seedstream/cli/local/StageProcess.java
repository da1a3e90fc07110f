package io.seedstream.cli.local;

import io.seedstream.cli.Seedstream;
import io.seedstream.schemas.StageEvents;
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
    private Process process;
    private int incarnation;

    /** A command run once ({@link #runToEnd}) or a stage started and stopped ({@link #start}, {@link #awaitReady}). */
    public StageProcess(String name, List<String> jvmOptions, List<String> args, Path logDir) {
        this.name = name;
        this.jvmOptions = List.copyOf(jvmOptions);
        this.args = List.copyOf(args);
        this.logDir = logDir;
    }

    /** Waits until the current incarnation says it is ready (its {@code ready} event). */
    public void awaitReady(Duration limit) throws IOException, InterruptedException {
        awaitEvent(StageEvents.READY, limit);
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

    /** The current incarnation's stage events ({@link StageEvents}). */
    public Path events() {
        return logDir.resolve(name + "-" + incarnation + ".events.jsonl");
    }

    public StageProcess start() throws IOException {
        incarnation++;
        Files.createDirectories(logDir);
        Files.deleteIfExists(events());
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(jvmOptions);
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), Seedstream.class.getName()));
        command.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log().toFile());
        pb.environment().put(StageEvents.ENV, events().toString());
        process = pb.start();
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

    /**
     * Waits for the current incarnation's first event named {@code event} and returns it; fails when
     * the process ends first or after {@code limit}.
     */
    public StageEvents.Event awaitEvent(String event, Duration limit) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + limit.toNanos();
        while (true) {
            for (StageEvents.Event e : StageEvents.read(events())) {
                if (e.event().equals(event)) {
                    return e;
                }
            }
            if (!process.isAlive()) {
                throw new IllegalStateException(name + " ended (exit " + process.exitValue() + ") before its '" + event
                        + "' event; the end of its log:\n" + tail(20));
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(name + " sent no '" + event + "' event within " + limit.toSeconds()
                        + " s; the end of its log:\n" + tail(20));
            }
            Thread.sleep(200);
        }
    }

    /** The current incarnation's log so far (undecodable bytes replaced, never an error). */
    public String logText() throws IOException {
        return Files.exists(log()) ? new String(Files.readAllBytes(log()), StandardCharsets.UTF_8) : "";
    }

    public String tail(int lines) throws IOException {
        List<String> all = logText().lines().toList();
        return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    }
}
