package io.seedstream.cli;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * For a command whose work runs on the main thread until asked to stop: on Ctrl-C or SIGTERM it
 * asks the work to stop and holds the JVM up to a grace period so the work can finish cleanly (a
 * checkpoint, an open transaction). Close it when the work has returned.
 */
public final class GracefulStop implements AutoCloseable {

    private final CountDownLatch finished = new CountDownLatch(1);

    public GracefulStop(String command, Runnable stop, Duration grace) {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            stop.run();
            try {
                finished.await(grace.toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "seedstream-" + command + "-shutdown"));
    }

    @Override
    public void close() {
        finished.countDown();
    }
}
