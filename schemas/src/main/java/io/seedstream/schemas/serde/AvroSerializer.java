package io.seedstream.schemas.serde;

import io.seedstream.schemas.registry.SchemaRegistryClient;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import org.apache.avro.Schema;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Writes Avro records in the Confluent wire format. With auto-registration on, the record's
 * schema is registered under the topic's subject on first use; otherwise it must already be
 * registered there. Either way the id is cached, so steady-state serialization makes no HTTP call.
 */
public final class AvroSerializer<T extends SpecificRecord> implements Serializer<T> {

    private final SchemaRegistryClient registry;
    private final Schema schema;
    private final SpecificDatumWriter<T> writer;
    private final boolean autoRegister;
    private final boolean isKey;
    private volatile int lastSize = 256;

    public AvroSerializer(SchemaRegistryClient registry, Schema schema, boolean autoRegister,
            boolean isKey) {
        this.registry = registry;
        this.schema = schema;
        this.writer = new SpecificDatumWriter<>(schema);
        this.autoRegister = autoRegister;
        this.isKey = isKey;
    }

    @Override
    public byte[] serialize(String topic, T record) {
        if (record == null) {
            return null; // tombstone
        }
        String subject = WireFormat.subject(topic, isKey);
        int id;
        try {
            id = autoRegister ? registry.register(subject, schema) : registry.idOf(subject, schema);
        } catch (RuntimeException e) {
            throw new SerializationException("cannot get a schema id for subject " + subject
                    + " (auto.register.schemas=" + autoRegister + "): " + e.getMessage(), e);
        }
        // sized from the last record of this serializer: answer groups are tens of KB, and
        // growing a small buffer copies them over and over
        ByteArrayOutputStream out = new ByteArrayOutputStream(Math.max(256, lastSize + lastSize / 4));
        out.write(WireFormat.MAGIC_BYTE);
        out.writeBytes(ByteBuffer.allocate(4).putInt(id).array());
        try {
            BinaryEncoder encoder = EncoderFactory.get().directBinaryEncoder(out, null);
            writer.write(record, encoder);
            encoder.flush();
        } catch (IOException | RuntimeException e) {
            throw new SerializationException("cannot encode " + schema.getFullName()
                    + " for topic " + topic + ": " + e.getMessage(), e);
        }
        byte[] bytes = out.toByteArray();
        lastSize = bytes.length;
        return bytes;
    }
}
