package io.seedstream.schemas;

import java.nio.charset.StandardCharsets;

/**
 * Seeds that records carry. They stay below 2^53 because JavaScript's Avro readers (avsc, the
 * kafkajs ecosystem) refuse larger longs by default: a third-party consumer must be able to decode
 * every record without a custom long type.
 */
public final class RecordSeeds {

    /** The largest seed a record carries: 2^53 - 1, JavaScript's Number.MAX_SAFE_INTEGER. */
    public static final long MAX = (1L << 53) - 1;

    private RecordSeeds() {}

    /** A non-zero seed derived from {@code text}: the same text always gives the same seed. */
    public static long of(long salt, String text) {
        long h = salt;
        for (byte b : text.getBytes(StandardCharsets.UTF_8)) {
            h = 31 * h + b;
        }
        long seed = h & MAX;
        return seed == 0 ? 1 : seed;
    }
}
