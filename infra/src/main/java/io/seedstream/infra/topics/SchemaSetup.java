package io.seedstream.infra.topics;

import io.seedstream.schemas.ConnectionConfig;
import io.seedstream.schemas.Topic;
import io.seedstream.schemas.Topics;
import io.seedstream.schemas.registry.RegistryException;
import io.seedstream.schemas.registry.SchemaRegistryClient;
import io.seedstream.schemas.serde.WireFormat;
import java.util.ArrayList;
import java.util.List;
import org.apache.avro.Schema;
import org.apache.avro.specific.SpecificData;

/**
 * Registers each record topic's value schema under its TopicNameStrategy subject, as the
 * serializers look it up, so that stages can run with {@code auto.register.schemas=false}.
 * A schema already registered is left alone: running it twice changes nothing.
 */
public final class SchemaSetup {

    public enum Outcome { REGISTERED, EXISTS }

    /** The result for one subject. */
    public record Result(String subject, Outcome outcome, int id) {}

    private final SchemaRegistryClient registry;

    public SchemaSetup(SchemaRegistryClient registry) {
        this.registry = registry;
    }

    public List<Result> ensureAll(ConnectionConfig connection) {
        List<Result> results = new ArrayList<>();
        for (Topic<String, ?> t : Topics.RECORD_TOPICS) {
            String subject = WireFormat.subject(connection.topic(t), false);
            Schema schema = SpecificData.get().getSchema(t.valueType());
            Integer existing = registeredId(subject, schema);
            results.add(existing != null
                    ? new Result(subject, Outcome.EXISTS, existing)
                    : new Result(subject, Outcome.REGISTERED, registry.register(subject, schema)));
        }
        return results;
    }

    private Integer registeredId(String subject, Schema schema) {
        try {
            return registry.idOf(subject, schema);
        } catch (RegistryException e) {
            if (e.errorCode() == RegistryException.SUBJECT_NOT_FOUND
                    || e.errorCode() == RegistryException.SCHEMA_NOT_FOUND) {
                return null;
            }
            throw e;
        }
    }
}
