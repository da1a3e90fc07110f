package io.seedstream.cli.stage;

import io.seedstream.cli.GracefulStop;
import io.seedstream.schemas.StageEvents;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/**
 * What every stage process does around its own work: it starts, says it is ready (one line on
 * standard error and a {@code ready} stage event for supervisors), runs until its work ends or it
 * is asked to stop (Ctrl-C, SIGTERM), and is given a grace period to stop cleanly (a checkpoint, an
 * open transaction) before the JVM exits, ending with its one-line summary.
 */
abstract class StageCommand implements Callable<Integer> {

    /** A started stage. */
    interface Running {

        /** What the ready line says after the command's name. */
        String readyText();

        /** The fields of the {@code ready} event. */
        Map<String, ?> readyFields();

        /** Runs the work on this thread until it ends or {@link #stop} is called, prints the summary; the exit code. */
        int await() throws Exception;

        /** Asks the work to stop (from the shutdown hook). */
        void stop();
    }

    /** A stage that could not start: the reason and the exit code (2 for bad input, 1 otherwise). */
    static final class NotStarted extends Exception {
        final int exitCode;

        NotStarted(int exitCode, String reason) {
            super(reason);
            this.exitCode = exitCode;
        }
    }

    /** The command's name, in its messages and events. */
    abstract String stage();

    /** How long a stop may take before the JVM exits anyway. */
    abstract Duration stopGrace();

    abstract Running start() throws Exception;

    @Override
    public final Integer call() throws Exception {
        Running running;
        try {
            running = start();
        } catch (NotStarted e) {
            System.err.println("seedstream " + stage() + ": " + e.getMessage());
            return e.exitCode;
        }
        System.err.println("seedstream " + stage() + ": " + running.readyText() + " (Ctrl-C to stop)");
        StageEvents.emit(stage(), StageEvents.READY, running.readyFields());
        // the summary is printed while the stop hook still holds the JVM, or SIGTERM cuts it off
        try (GracefulStop stop = new GracefulStop(stage(), running::stop, stopGrace())) {
            return running.await();
        }
    }

    /** A stage that serves from threads of its own (broker, registry, topology): stopping closes what it holds, in order. */
    static Running serving(String readyText, Map<String, ?> fields, AutoCloseable... held) {
        CountDownLatch stopped = new CountDownLatch(1);
        return new Running() {
            @Override
            public String readyText() {
                return readyText;
            }

            @Override
            public Map<String, ?> readyFields() {
                return fields;
            }

            @Override
            public int await() throws InterruptedException {
                stopped.await();
                return 0;
            }

            @Override
            public void stop() {
                try {
                    for (AutoCloseable c : held) {
                        try {
                            c.close();
                        } catch (Exception e) {
                            System.err.println("seedstream: while stopping: " + e);
                        }
                    }
                } finally {
                    stopped.countDown();
                }
            }
        };
    }
}
