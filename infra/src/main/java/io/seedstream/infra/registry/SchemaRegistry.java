package io.seedstream.infra.registry;

import io.seedstream.schemas.registry.SchemaVersion;
import io.seedstream.schemas.registry.Compatibility;
import io.seedstream.schemas.registry.RegistryException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.SchemaCompatibility.Incompatibility;
import org.apache.avro.SchemaCompatibility.SchemaPairCompatibility;
import org.apache.avro.SchemaParseException;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.InvalidProducerEpochException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The schema registry's rules, over the state kept in the {@code _schemas} log: registration
 * with compatibility checks, global ids shared across subjects, versions per subject, and
 * compatibility configuration. Every call first reads the log to its end, so two registry
 * processes on one cluster answer alike. Errors are {@link RegistryException}s carrying
 * Confluent's error codes.
 */
public final class SchemaRegistry implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(SchemaRegistry.class);
    private static final int WRITE_ATTEMPTS = 8;

    private final SchemaLog schemaLog;
    private final SchemaStore store = new SchemaStore();
    private final Compatibility defaultCompatibility;
    private final Duration timeout;

    public SchemaRegistry(Properties kafkaProps, String topic, Compatibility defaultCompatibility,
            Duration timeout) {
        this.timeout = timeout;
        this.schemaLog = new SchemaLog(kafkaProps, topic, timeout);
        this.defaultCompatibility = defaultCompatibility;
        schemaLog.open();
        sync();
    }

    private void sync() {
        try {
            schemaLog.catchUp(store::apply);
        } catch (RuntimeException e) {
            throw new RegistryException(500, RegistryException.TIMEOUT,
                    "cannot read the registry log " + schemaLog.topic() + ": " + e.getMessage());
        }
    }

    /** Registers a schema under a subject, or returns its id when it is already there. */
    public synchronized int register(String subject, String schemaText) {
        Schema schema = parse(schemaText);
        for (int attempt = 1; ; attempt++) {
            sync();
            Optional<SchemaVersion> existing = store.find(subject, schema);
            if (existing.isPresent()) {
                return existing.get().id();
            }
            List<String> problems = incompatibilities(subject, schema, store.versions(subject));
            if (!problems.isEmpty()) {
                throw new RegistryException(409, RegistryException.INCOMPATIBLE_SCHEMA,
                        "Schema being registered is incompatible with an earlier schema for subject \""
                                + subject + "\" (" + compatibility(subject) + "), details: " + problems);
            }
            int id = store.idOf(schema).orElse(store.maxId() + 1);
            List<SchemaVersion> versions = store.versions(subject);
            int version = versions.isEmpty() ? 1 : versions.get(versions.size() - 1).version() + 1;
            SchemaVersion entry = new SchemaVersion(subject, version, id, schema);
            if (tryWrite(schemaLog.record(SchemaStore.schemaKey(subject, version),
                    SchemaStore.schemaValue(entry)), attempt)) {
                // commitTransaction returns before the commit marker is written: read until our
                // own record is visible, or the next registration would hand out the same id
                awaitVisible(() -> store.find(subject, schema).isPresent());
                log.info("registered {} version {} as id {}", subject, version, id);
                return id;
            }
        }
    }

    private boolean tryWrite(ProducerRecord<String, String> record, int attempt) {
        try {
            schemaLog.write(List.of(record));
            return true;
        } catch (ProducerFencedException | InvalidProducerEpochException e) {
            if (attempt >= WRITE_ATTEMPTS) {
                throw new RegistryException(500, RegistryException.BACKEND_ERROR,
                        "registry write kept being fenced by another registry process");
            }
            log.debug("registry write fenced by another process, re-reading the log (attempt {})", attempt);
            return false;
        } catch (Exception e) {
            throw new RegistryException(500, RegistryException.BACKEND_ERROR,
                    "cannot write to the registry log " + schemaLog.topic() + ": " + e);
        }
    }

    private void awaitVisible(java.util.function.BooleanSupplier visible) {
        long end = System.nanoTime() + timeout.toNanos();
        sync();
        while (!visible.getAsBoolean()) {
            if (System.nanoTime() > end) {
                throw new RegistryException(500, RegistryException.TIMEOUT,
                        "registry write not visible in " + schemaLog.topic() + " after " + timeout);
            }
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new RegistryException(500, RegistryException.TIMEOUT, "interrupted");
            }
            sync();
        }
    }

    /** The entry of a schema registered under a subject (40401 / 40403 otherwise). */
    public synchronized SchemaVersion lookup(String subject, String schemaText) {
        Schema schema = parse(schemaText);
        sync();
        if (store.versions(subject).isEmpty()) {
            throw subjectNotFound(subject);
        }
        return store.find(subject, schema).orElseThrow(() -> new RegistryException(404,
                RegistryException.SCHEMA_NOT_FOUND, "Schema not found under subject " + subject));
    }

    public synchronized Schema schemaById(int id) {
        Optional<Schema> cached = store.schemaById(id);
        if (cached.isPresent()) {
            return cached.get();
        }
        sync(); // maybe registered by another registry process since
        return store.schemaById(id).orElseThrow(() -> new RegistryException(404,
                RegistryException.SCHEMA_NOT_FOUND, "Schema " + id + " not found"));
    }

    public synchronized List<String> subjects() {
        sync();
        return store.subjects();
    }

    public synchronized List<Integer> versions(String subject) {
        sync();
        List<SchemaVersion> versions = store.versions(subject);
        if (versions.isEmpty()) {
            throw subjectNotFound(subject);
        }
        return versions.stream().map(SchemaVersion::version).toList();
    }

    /** A version of a subject: a number, or {@code latest} (also {@code -1}). */
    public synchronized SchemaVersion version(String subject, String versionSpec) {
        sync();
        List<SchemaVersion> versions = store.versions(subject);
        if (versions.isEmpty()) {
            throw subjectNotFound(subject);
        }
        if (versionSpec.equals("latest") || versionSpec.equals("-1")) {
            return versions.get(versions.size() - 1);
        }
        int v;
        try {
            v = Integer.parseInt(versionSpec);
        } catch (NumberFormatException e) {
            v = 0;
        }
        if (v < 1) {
            throw new RegistryException(422, RegistryException.INVALID_VERSION,
                    "The specified version '" + versionSpec
                            + "' is not a valid version id. Allowed values are between [1, 2^31-1] and the string \"latest\"");
        }
        int wanted = v;
        return versions.stream().filter(e -> e.version() == wanted).findFirst()
                .orElseThrow(() -> new RegistryException(404, RegistryException.VERSION_NOT_FOUND,
                        "Version " + wanted + " not found for subject " + subject));
    }

    /**
     * Why a schema could not be registered against the given version of a subject (empty when
     * it could). Checks the subject's configured compatibility, as registration would.
     */
    public synchronized List<String> testCompatibility(String subject, String versionSpec,
            String schemaText) {
        Schema schema = parse(schemaText);
        sync();
        if (store.versions(subject).isEmpty()) {
            return List.of();
        }
        Compatibility level = compatibility(subject);
        List<SchemaVersion> against = level.transitive() && versionSpec.equals("latest")
                ? store.versions(subject) : List.of(version(subject, versionSpec));
        return check(level, schema, against);
    }

    /** The compatibility that applies to a subject: its own, else the global, else the default. */
    public synchronized Compatibility compatibility(String subject) {
        return (subject == null ? Optional.<Compatibility>empty() : store.subjectCompatibility(subject))
                .or(store::globalCompatibility).orElse(defaultCompatibility);
    }

    public synchronized Optional<Compatibility> subjectCompatibility(String subject) {
        sync();
        return store.subjectCompatibility(subject);
    }

    public synchronized Compatibility globalCompatibility() {
        sync();
        return store.globalCompatibility().orElse(defaultCompatibility);
    }

    /** Sets the compatibility of a subject, or the global one when subject is null. */
    public synchronized void setCompatibility(String subject, Compatibility level) {
        for (int attempt = 1; ; attempt++) {
            sync();
            if (tryWrite(schemaLog.record(SchemaStore.configKey(subject),
                    SchemaStore.configValue(level)), attempt)) {
                awaitVisible(() -> (subject == null ? store.globalCompatibility() : store.subjectCompatibility(subject))
                        .filter(level::equals).isPresent());
                return;
            }
        }
    }

    private List<String> incompatibilities(String subject, Schema schema, List<SchemaVersion> versions) {
        if (versions.isEmpty()) {
            return List.of();
        }
        Compatibility level = compatibility(subject);
        List<SchemaVersion> against = level.transitive() ? versions : List.of(versions.get(versions.size() - 1));
        return check(level, schema, against);
    }

    private static List<String> check(Compatibility level, Schema candidate, List<SchemaVersion> against) {
        List<String> problems = new ArrayList<>();
        for (SchemaVersion e : against) {
            if (level.checksBackward()) {
                // BACKWARD: consumers on the new schema read data written with the old one.
                describe(SchemaCompatibility.checkReaderWriterCompatibility(candidate, e.schema()),
                        "new schema cannot read data written with version " + e.version(), problems);
            }
            if (level.checksForward()) {
                describe(SchemaCompatibility.checkReaderWriterCompatibility(e.schema(), candidate),
                        "version " + e.version() + " cannot read data written with the new schema",
                        problems);
            }
        }
        return problems;
    }

    private static void describe(SchemaPairCompatibility result, String direction, List<String> out) {
        for (Incompatibility i : result.getResult().getIncompatibilities()) {
            String detail = switch (i.getType()) {
                case READER_FIELD_MISSING_DEFAULT_VALUE -> "field '" + i.getMessage()
                        + "' has no default value and is missing in the writer's schema";
                default -> i.getMessage();
            };
            out.add("{errorType:'" + i.getType() + "', location:'" + i.getLocation()
                    + "', description:'" + direction + ": " + detail + "'}");
        }
    }

    private static Schema parse(String schemaText) {
        if (schemaText == null || schemaText.isBlank()) {
            throw new RegistryException(422, RegistryException.INVALID_SCHEMA, "Empty schema");
        }
        try {
            return new Schema.Parser().parse(schemaText);
        } catch (SchemaParseException | NullPointerException e) {
            throw new RegistryException(422, RegistryException.INVALID_SCHEMA,
                    "Invalid schema: " + e.getMessage());
        }
    }

    private static RegistryException subjectNotFound(String subject) {
        return new RegistryException(404, RegistryException.SUBJECT_NOT_FOUND,
                "Subject '" + subject + "' not found.");
    }

    @Override
    public synchronized void close() {
        schemaLog.close();
    }
}
