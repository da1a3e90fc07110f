package io.seedstream.cli;

import java.io.PrintStream;

/**
 * A progress bar on standard error. On a terminal it redraws one line; otherwise (a pipe, CI)
 * it prints a line at every tenth of the work so logs stay short.
 */
public final class ProgressBar implements AutoCloseable {

    private static final int WIDTH = 30;

    private final String label;
    private final PrintStream out;
    private final boolean terminal;
    private final long startNanos = System.nanoTime();
    private long lastDrawNanos;
    private int lastDecile = -1;
    private long done;
    private long total;

    public ProgressBar(String label, PrintStream out) {
        this.label = label;
        this.out = out;
        this.terminal = System.console() != null;
    }

    public static ProgressBar onStderr(String label) {
        return new ProgressBar(label, System.err);
    }

    public synchronized void update(long done, long total) {
        this.done = done;
        this.total = total;
        long now = System.nanoTime();
        if (terminal) {
            if (now - lastDrawNanos > 100_000_000L || done >= total) {
                lastDrawNanos = now;
                out.print("\r" + render());
                out.flush();
            }
        } else {
            int decile = total <= 0 ? 10 : (int) (10 * done / total);
            if (decile != lastDecile) {
                lastDecile = decile;
                out.println(render());
            }
        }
    }

    private String render() {
        double frac = total <= 0 ? 1.0 : Math.min(1.0, (double) done / total);
        int filled = (int) Math.round(frac * WIDTH);
        double secs = (System.nanoTime() - startNanos) / 1e9;
        return String.format("%s [%s%s] %3.0f%% %d/%d %.1fs", label, "#".repeat(filled),
                "-".repeat(WIDTH - filled), frac * 100, done, total, secs);
    }

    @Override
    public synchronized void close() {
        if (terminal) {
            out.println();
        }
    }
}
