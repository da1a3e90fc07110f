package io.seedstream.cli;

import java.io.PrintStream;

/**
 * One status line on standard error for a long-running command. On a terminal it is redrawn in
 * place (at most a few times a second); otherwise (a pipe, CI) a new line is printed at most
 * every {@code everyMillis}, so logs stay short.
 */
public final class StatusLine implements AutoCloseable {

    private final PrintStream out;
    private final boolean terminal;
    private final long everyNanos;
    private long lastNanos;
    private int lastWidth;

    StatusLine(PrintStream out, long everyMillis) {
        this.out = out;
        this.terminal = System.console() != null;
        this.everyNanos = everyMillis * 1_000_000L;
    }

    public static StatusLine onStderr(long everyMillis) {
        return new StatusLine(System.err, everyMillis);
    }

    public synchronized void show(String text) {
        long now = System.nanoTime();
        if (now - lastNanos < (terminal ? 200_000_000L : everyNanos)) {
            return;
        }
        lastNanos = now;
        if (terminal) {
            out.print("\r" + text + " ".repeat(Math.max(0, lastWidth - text.length())));
            lastWidth = text.length();
            out.flush();
        } else {
            out.println(text);
        }
    }

    @Override
    public synchronized void close() {
        if (terminal && lastWidth > 0) {
            out.println();
        }
        lastWidth = 0; // the line is finished: a later show() starts a new one
    }
}
