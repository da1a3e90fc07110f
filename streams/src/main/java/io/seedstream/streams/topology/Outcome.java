package io.seedstream.streams.topology;

import io.seedstream.schemas.avro.DeadLetter;
import io.seedstream.schemas.avro.ScoredGroup;
import java.nio.ByteBuffer;
import java.time.Instant;

/** What processing one record produced: a scored group, or a dead letter with the reason. */
record Outcome(ScoredGroup scored, DeadLetter dead) {

    static Outcome scored(ScoredGroup g) {
        return new Outcome(g, null);
    }

    static Outcome dead(String topic, int partition, long offset, String stage, String error, Throwable cause,
            String key, byte[] value, Instant now) {
        DeadLetter d = DeadLetter.newBuilder().setSourceTopic(topic).setPartition(partition).setOffset(offset)
                .setStage(stage).setError(error).setErrorClass(cause == null ? null : cause.getClass().getName())
                .setRawKey(key == null ? null : ByteBuffer.wrap(key.getBytes(java.nio.charset.StandardCharsets.UTF_8)))
                .setRawValue(value == null ? null : ByteBuffer.wrap(value)).setFailedAt(now).build();
        return new Outcome(null, d);
    }

    boolean isDead() {
        return dead != null;
    }
}
