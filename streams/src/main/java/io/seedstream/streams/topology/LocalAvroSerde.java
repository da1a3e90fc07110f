package io.seedstream.streams.topology;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import org.apache.avro.Schema;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Plain Avro binary with the generated class's schema, for state that only this application
 * reads back (the open batch). Topics other processes read use the registry's wire format.
 */
final class LocalAvroSerde<T extends SpecificRecord> implements Serde<T> {

    private final Schema schema;

    LocalAvroSerde(Class<T> type) {
        this.schema = SpecificData.get().getSchema(type);
    }

    @Override
    public Serializer<T> serializer() {
        SpecificDatumWriter<T> writer = new SpecificDatumWriter<>(schema);
        int[] lastSize = {256}; // the next record is likely as large as the last: avoid regrowing
        return (topic, value) -> {
            if (value == null) {
                return null;
            }
            try {
                ByteArrayOutputStream out = new ByteArrayOutputStream(lastSize[0] + lastSize[0] / 4);
                BinaryEncoder enc = EncoderFactory.get().binaryEncoder(out, null);
                writer.write(value, enc);
                enc.flush();
                byte[] bytes = out.toByteArray();
                lastSize[0] = bytes.length;
                return bytes;
            } catch (IOException e) {
                throw new SerializationException("cannot encode " + schema.getName(), e);
            }
        };
    }

    @Override
    public Deserializer<T> deserializer() {
        SpecificDatumReader<T> reader = new SpecificDatumReader<>(schema);
        return (topic, bytes) -> {
            if (bytes == null) {
                return null;
            }
            try {
                return reader.read(null, DecoderFactory.get().binaryDecoder(bytes, null));
            } catch (IOException e) {
                throw new SerializationException("cannot decode " + schema.getName(), e);
            }
        };
    }
}
