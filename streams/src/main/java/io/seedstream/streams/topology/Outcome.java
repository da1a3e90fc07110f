package io.seedstream.streams.topology;

import io.seedstream.schemas.DeadLetters;
import io.seedstream.schemas.avro.DeadLetter;
import io.seedstream.schemas.avro.ScoredGroup;
import java.time.Instant;

/** What processing one record produced: a scored group, or a dead letter with the reason. */
record Outcome(ScoredGroup scored, DeadLetter dead) {

    static Outcome scored(ScoredGroup g) {
        return new Outcome(g, null);
    }

    static Outcome dead(String topic, int partition, long offset, String stage, String error, Throwable cause,
            String key, byte[] value, Instant now) {
        return new Outcome(null, DeadLetters.of(topic, partition, offset, key, value, stage, error, cause, now));
    }

    boolean isDead() {
        return dead != null;
    }
}
