package io.seedstream.schemas.registry;

import java.util.List;
import org.apache.avro.Schema;

/** The part of the Confluent Schema Registry API that seedstream uses. */
public interface SchemaRegistryClient {

    /** Registers a schema under a subject (or finds it registered) and returns its global id. */
    int register(String subject, Schema schema);

    /** The id of a schema already registered under a subject; 40401/40403 when it is not. */
    int idOf(String subject, Schema schema);

    /** The schema with a global id; 40403 when there is none. */
    Schema schemaById(int id);

    /** The latest version of a subject; 40401 when the subject is unknown. */
    SchemaVersion latest(String subject);

    /** Every subject. */
    List<String> subjects();

    /** Whether a schema could be registered under a subject, with the reasons when it could not. */
    List<String> incompatibilities(String subject, Schema schema);
}
