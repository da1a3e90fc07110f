package io.seedstream.schemas.serde;

import io.seedstream.schemas.ConnectionConfig;
import io.seedstream.schemas.Topic;
import io.seedstream.schemas.registry.RestSchemaRegistryClient;
import io.seedstream.schemas.registry.SchemaRegistryClient;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;

/** The one place where serdes for seedstream's topics are made. */
public final class AvroSerdes {

    private final SchemaRegistryClient registry;
    private final boolean autoRegister;

    public AvroSerdes(SchemaRegistryClient registry, boolean autoRegister) {
        this.registry = registry;
        this.autoRegister = autoRegister;
    }

    /** Serdes talking to the registry named in the connection settings. */
    public static AvroSerdes connect(ConnectionConfig config) {
        return new AvroSerdes(new RestSchemaRegistryClient(config.registryUrl(),
                Duration.ofMillis(config.registryTimeoutMs()), config.registryUserInfo()), config.autoRegisterSchemas());
    }

    public SchemaRegistryClient registry() {
        return registry;
    }

    /** The value serde of a topic. */
    public <V extends SpecificRecord> Serde<V> value(Topic<String, V> topic) {
        return forClass(topic.valueType(), false);
    }

    /** Keys of every seedstream topic are strings (prompt id, batch id, run id, source). */
    public Serde<String> key() {
        return Serdes.String();
    }

    /**
     * One serializer for a producer that writes to several topics: each value is serialized by
     * the serde of the topic whose value type it has.
     */
    @SafeVarargs
    public final Serializer<Object> anyValue(Topic<String, ? extends SpecificRecord>... topics) {
        Map<Class<?>, Serializer<SpecificRecord>> byType = new HashMap<>();
        for (Topic<String, ? extends SpecificRecord> t : topics) {
            @SuppressWarnings("unchecked")
            Serializer<SpecificRecord> s = (Serializer<SpecificRecord>) value(t).serializer();
            byType.put(t.valueType(), s);
        }
        return (topic, value) -> {
            Serializer<SpecificRecord> s = byType.get(value.getClass());
            if (s == null) {
                throw new IllegalArgumentException("no topic among " + byType.keySet() + " carries "
                        + value.getClass().getName());
            }
            return s.serialize(topic, (SpecificRecord) value);
        };
    }

    /** A serde for any generated record class. */
    public <V extends SpecificRecord> Serde<V> forClass(Class<V> type, boolean isKey) {
        Schema schema = SpecificData.get().getSchema(type);
        return Serdes.serdeFrom(new AvroSerializer<>(registry, schema, autoRegister, isKey),
                new AvroDeserializer<>(registry, schema));
    }
}
