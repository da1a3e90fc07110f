package io.seedstream.schemas.serde;

import io.seedstream.schemas.registry.SchemaRegistryClient;
import java.io.IOException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.Schema;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;

/**
 * Reads Confluent-wire-format Avro into the generated class, resolving the writer's schema
 * (fetched once per id) against the reader's: records written with an older compatible schema
 * still decode. A record that is not in the wire format raises a {@link SerializationException}
 * naming the reason, which the consumers turn into a dead letter.
 */
public final class AvroDeserializer<T extends SpecificRecord> implements Deserializer<T> {

    private final SchemaRegistryClient registry;
    private final Schema readerSchema;
    private final Map<Integer, SpecificDatumReader<T>> readers = new ConcurrentHashMap<>();

    public AvroDeserializer(SchemaRegistryClient registry, Schema readerSchema) {
        this.registry = registry;
        this.readerSchema = readerSchema;
    }

    @Override
    public T deserialize(String topic, byte[] data) {
        if (data == null) {
            return null;
        }
        int id = WireFormat.schemaId(topic, data);
        SpecificDatumReader<T> reader;
        try {
            reader = readers.computeIfAbsent(id,
                    i -> new SpecificDatumReader<>(registry.schemaById(i), readerSchema));
        } catch (RuntimeException e) {
            throw new SerializationException("cannot resolve writer schema id " + id + " on "
                    + topic + ": " + e.getMessage(), e);
        }
        try {
            BinaryDecoder decoder = DecoderFactory.get().binaryDecoder(data,
                    WireFormat.HEADER_SIZE, data.length - WireFormat.HEADER_SIZE, null);
            return reader.read(null, decoder);
        } catch (IOException | RuntimeException e) {
            throw new SerializationException("cannot decode " + readerSchema.getFullName()
                    + " (schema id " + id + ") on " + topic + ": " + e, e);
        }
    }
}
