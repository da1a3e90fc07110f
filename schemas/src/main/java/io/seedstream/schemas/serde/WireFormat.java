package io.seedstream.schemas.serde;

/** The Confluent wire format: magic byte 0, a 4-byte big-endian schema id, the Avro binary. */
public final class WireFormat {
    public static final byte MAGIC_BYTE = 0;
    public static final int HEADER_SIZE = 5;

    /** Subject under the topic name strategy: {@code topic-value} or {@code topic-key}. */
    public static String subject(String topic, boolean isKey) {
        return topic + (isKey ? "-key" : "-value");
    }

    private WireFormat() {}
}
