package io.seedstream.schemas.serde;

import java.nio.ByteBuffer;
import org.apache.kafka.common.errors.SerializationException;

/** The Confluent wire format: magic byte 0, a 4-byte big-endian schema id, the Avro binary. */
public final class WireFormat {
    public static final byte MAGIC_BYTE = 0;
    public static final int HEADER_SIZE = 5;

    /** Subject under the topic name strategy: {@code topic-value} or {@code topic-key}. */
    public static String subject(String topic, boolean isKey) {
        return topic + (isKey ? "-key" : "-value");
    }

    /**
     * The writer's schema id of a record in the wire format.
     *
     * @throws SerializationException naming the reason when the bytes are not in the wire format
     */
    public static int schemaId(String topic, byte[] data) {
        if (data.length < HEADER_SIZE) {
            throw new SerializationException("record of " + data.length + " bytes on " + topic
                    + " is too short for the wire format (magic byte + 4-byte schema id)");
        }
        ByteBuffer buf = ByteBuffer.wrap(data);
        byte magic = buf.get();
        if (magic != MAGIC_BYTE) {
            throw new SerializationException("unknown magic byte " + magic + " on " + topic + ", expected " + MAGIC_BYTE);
        }
        return buf.getInt();
    }

    private WireFormat() {}
}
