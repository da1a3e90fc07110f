package io.seedstream.schemas;

import io.seedstream.schemas.avro.DeadLetter;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;

/** How every stage writes down a record it cannot process: where it was, which stage, why. */
public final class DeadLetters {

    /** Raw values up to this size are copied into the dead letter; a larger one stays at its offset in the log. */
    public static final int MAX_COPIED_VALUE = 512 * 1024;

    private DeadLetters() {}

    /**
     * @param partition -1 and {@code offset} -1 when the record has no position (a line of a file)
     * @param cause the exception behind {@code error}, or null
     */
    public static DeadLetter of(String topic, int partition, long offset, String key, byte[] value, String stage,
            String error, Throwable cause, Instant now) {
        boolean copy = value != null && value.length < MAX_COPIED_VALUE;
        return DeadLetter.newBuilder().setSourceTopic(topic).setPartition(partition).setOffset(offset)
                .setStage(stage).setError(error).setErrorClass(cause == null ? null : cause.getClass().getName())
                .setRawKey(key == null ? null : ByteBuffer.wrap(key.getBytes(StandardCharsets.UTF_8)))
                .setRawValue(copy ? ByteBuffer.wrap(value) : null).setFailedAt(now).build();
    }
}
