package io.seedstream.cli.chaos;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Stream;

/** The run's clock and its progress lines on standard error ({@code seedstream chaos: [  42 s] ...}). */
final class ChaosLog {

    private final long t0 = System.nanoTime();

    /** Seconds since the run started. */
    double seconds() {
        return (System.nanoTime() - t0) / 1e9;
    }

    void say(String format, Object... args) {
        System.err.printf(Locale.ROOT, "seedstream chaos: [%4.0f s] " + format + "%n",
                Stream.concat(Stream.of(seconds()), Arrays.stream(args)).toArray());
    }
}
