package io.seedstream.infra.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.seedstream.schemas.registry.Compatibility;
import io.seedstream.schemas.registry.SchemaVersion;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.apache.avro.Schema;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The registry's state, rebuilt by applying the {@code _schemas} log in order: subjects and their
 * versions, schemas by global id, and compatibility settings. Records use Confluent's layout
 * (JSON keys with a {@code keytype}), so the log reads like the one Confluent's registry keeps.
 * Not thread-safe: {@link SchemaRegistry} serialises access.
 */
final class SchemaStore {

    private static final Logger log = LoggerFactory.getLogger(SchemaStore.class);
    static final ObjectMapper JSON = new ObjectMapper();

    private final Map<String, TreeMap<Integer, SchemaVersion>> subjects = new TreeMap<>();
    private final Map<Integer, Schema> schemasById = new HashMap<>();
    private final Map<String, Integer> idsBySchemaText = new HashMap<>();
    private final Map<String, Compatibility> subjectCompatibility = new HashMap<>();
    private Compatibility globalCompatibility;
    private int maxId;

    static String schemaKey(String subject, int version) {
        ObjectNode k = JSON.createObjectNode();
        k.put("keytype", "SCHEMA").put("subject", subject).put("version", version).put("magic", 1);
        return k.toString();
    }

    static String schemaValue(SchemaVersion e) {
        ObjectNode v = JSON.createObjectNode();
        v.put("subject", e.subject()).put("version", e.version()).put("id", e.id())
                .put("schema", e.schema().toString()).put("deleted", false);
        return v.toString();
    }

    static String configKey(String subject) {
        ObjectNode k = JSON.createObjectNode();
        k.put("keytype", "CONFIG");
        if (subject == null) {
            k.putNull("subject");
        } else {
            k.put("subject", subject);
        }
        k.put("magic", 0);
        return k.toString();
    }

    static String configValue(Compatibility level) {
        return JSON.createObjectNode().put("compatibilityLevel", level.name()).toString();
    }

    /** Applies one log record; an unreadable one is logged and skipped, never fatal. */
    void apply(String key, String value, long offset) {
        JsonNode k;
        try {
            k = JSON.readTree(key);
        } catch (IOException | RuntimeException e) {
            log.warn("skipping unreadable _schemas key at offset {}: {}", offset, e.toString());
            return;
        }
        String type = k.path("keytype").asText();
        try {
            switch (type) {
                case "SCHEMA" -> applySchema(k, value);
                case "CONFIG" -> applyConfig(k, value);
                default -> log.debug("ignoring _schemas record of keytype '{}' at {}", type, offset);
            }
        } catch (IOException | RuntimeException e) {
            log.warn("skipping unreadable _schemas record at offset {}: {}", offset, e.toString());
        }
    }

    private void applySchema(JsonNode k, String value) throws IOException {
        String subject = k.get("subject").asText();
        int version = k.get("version").asInt();
        if (value == null) {
            TreeMap<Integer, SchemaVersion> versions = subjects.get(subject);
            if (versions != null) {
                versions.remove(version);
                if (versions.isEmpty()) {
                    subjects.remove(subject);
                }
            }
            return;
        }
        JsonNode v = JSON.readTree(value);
        if (v.path("deleted").asBoolean(false)) {
            TreeMap<Integer, SchemaVersion> versions = subjects.get(subject);
            if (versions != null) {
                versions.remove(version);
            }
            return;
        }
        int id = v.get("id").asInt();
        Schema schema = new Schema.Parser().parse(v.get("schema").asText());
        String text = schema.toString();
        Integer known = idsBySchemaText.get(text);
        if (known != null && known != id) {
            // Writes are fenced to one registry at a time, so this only happens with a log
            // written by another tool; keep the first id, as Confluent does.
            log.warn("schema of {} v{} claims id {} but is already id {}", subject, version, id, known);
        }
        schemasById.putIfAbsent(id, schema);
        idsBySchemaText.putIfAbsent(text, id);
        maxId = Math.max(maxId, id);
        subjects.computeIfAbsent(subject, s -> new TreeMap<>())
                .put(version, new SchemaVersion(subject, version, id, schema));
    }

    private void applyConfig(JsonNode k, String value) throws IOException {
        JsonNode subjectNode = k.get("subject");
        String subject = subjectNode == null || subjectNode.isNull() ? null : subjectNode.asText();
        Compatibility level = value == null ? null
                : Compatibility.parse(JSON.readTree(value).get("compatibilityLevel").asText());
        if (subject == null) {
            globalCompatibility = level;
        } else if (level == null) {
            subjectCompatibility.remove(subject);
        } else {
            subjectCompatibility.put(subject, level);
        }
    }

    List<String> subjects() {
        return new ArrayList<>(subjects.keySet());
    }

    /** Versions of a subject, oldest first; empty when the subject is unknown. */
    List<SchemaVersion> versions(String subject) {
        TreeMap<Integer, SchemaVersion> versions = subjects.get(subject);
        return versions == null ? List.of() : new ArrayList<>(versions.values());
    }

    Optional<SchemaVersion> find(String subject, Schema schema) {
        String text = schema.toString();
        return versions(subject).stream().filter(e -> e.schema().toString().equals(text)).findFirst();
    }

    Optional<Schema> schemaById(int id) {
        return Optional.ofNullable(schemasById.get(id));
    }

    Optional<Integer> idOf(Schema schema) {
        return Optional.ofNullable(idsBySchemaText.get(schema.toString()));
    }

    int maxId() {
        return maxId;
    }

    Optional<Compatibility> globalCompatibility() {
        return Optional.ofNullable(globalCompatibility);
    }

    Optional<Compatibility> subjectCompatibility(String subject) {
        return Optional.ofNullable(subjectCompatibility.get(subject));
    }
}
