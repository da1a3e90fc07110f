package io.seedstream.streams.grading;

/**
 * A time bound checked cooperatively by the parser and the evaluator, so that a pathological
 * answer ends its own decision instead of blocking a stream thread. Every loop and recursion of
 * the grader calls {@link #check()}.
 */
final class Deadline {

    /** Thrown when a decision ran out of time. */
    static final class Exceeded extends RuntimeException {
        Exceeded(long budgetMs) {
            super("grading took longer than " + budgetMs + " ms", null, false, false);
        }
    }

    private final long endNanos;
    private final long budgetMs;
    private int calls;

    Deadline(long budgetMs) {
        this.budgetMs = budgetMs;
        this.endNanos = System.nanoTime() + budgetMs * 1_000_000L;
    }

    void check() {
        // nanoTime is cheap but not free: look at the clock every 64 calls.
        if ((++calls & 63) == 0 && System.nanoTime() > endNanos) {
            throw new Exceeded(budgetMs);
        }
    }
}
