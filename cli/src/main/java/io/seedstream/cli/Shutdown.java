package io.seedstream.cli;

import java.util.concurrent.CountDownLatch;

/** Blocks a long-running command until the process is asked to stop (Ctrl-C, SIGTERM). */
public final class Shutdown {

    private final CountDownLatch stopped = new CountDownLatch(1);
    private final CountDownLatch cleaned = new CountDownLatch(1);

    /** Runs {@code cleanup} on shutdown, after which {@link #await()} returns. */
    public Shutdown(Runnable cleanup) {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            stopped.countDown();
            try {
                cleanup.run();
            } finally {
                cleaned.countDown();
            }
        }, "seedstream-shutdown"));
    }

    public void await() throws InterruptedException {
        stopped.await();
        cleaned.await();
    }
}
