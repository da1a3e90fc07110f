package io.seedstream.schemas.serde;

import io.seedstream.schemas.registry.SchemaRegistryClient;
import java.io.IOException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.io.DecoderFactory;
import org.apache.kafka.common.errors.SerializationException;

/**
 * Reads any record in the Confluent wire format with its writer's own schema, fetched from the
 * registry once per id: what a tool that reads every topic (and topics seedstream does not
 * declare) needs, where {@link AvroDeserializer} needs the generated class of one topic.
 */
public final class GenericAvroDecoder {

    /** A decoded record and the schema it was written with. */
    public record Decoded(Schema schema, int schemaId, Object value) {}

    private final SchemaRegistryClient registry;
    private final Map<Integer, GenericDatumReader<Object>> readers = new ConcurrentHashMap<>();

    public GenericAvroDecoder(SchemaRegistryClient registry) {
        this.registry = registry;
    }

    /** @throws SerializationException naming the reason when the record cannot be decoded */
    public Decoded decode(String topic, byte[] data) {
        int id = WireFormat.schemaId(topic, data);
        GenericDatumReader<Object> reader;
        try {
            reader = readers.computeIfAbsent(id, i -> new GenericDatumReader<>(registry.schemaById(i)));
        } catch (RuntimeException e) {
            throw new SerializationException("cannot resolve writer schema id " + id + " on " + topic + ": "
                    + e.getMessage(), e);
        }
        try {
            Object value = reader.read(null, DecoderFactory.get().binaryDecoder(data, WireFormat.HEADER_SIZE,
                    data.length - WireFormat.HEADER_SIZE, null));
            return new Decoded(reader.getSchema(), id, value);
        } catch (IOException | RuntimeException e) {
            throw new SerializationException("cannot decode schema id " + id + " on " + topic + ": " + e, e);
        }
    }
}
