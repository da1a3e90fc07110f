package io.seedstream.schemas;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What a stage tells the processes that supervise it (a chaos run, a process manager, a readiness
 * probe): one JSON object per line, appended to the file named by the environment variable
 * {@value #ENV}. The log's prose is for people and may be reworded; these events are the contract.
 *
 * <p>Events: {@code ready} (the stage serves or consumes; {@code stage} names it) and
 * {@code resumed} (a trainer continued from a checkpoint: {@code checkpoint}, {@code version} and
 * the partition-to-offset map {@code offsets} it will read next).
 */
public final class StageEvents {

    /** The environment variable naming the events file; unset, no events are written. */
    public static final String ENV = "SEEDSTREAM_EVENTS";

    public static final String READY = "ready";
    public static final String RESUMED = "resumed";

    private static final ObjectMapper JSON = new ObjectMapper();

    private StageEvents() {}

    /** One event as read back. */
    public record Event(String stage, String event, JsonNode fields) {}

    /** Appends one event when {@value #ENV} names a file; a failure to write is reported, never thrown. */
    public static void emit(String stage, String event, Map<String, ?> fields) {
        String file = System.getenv(ENV);
        if (file == null || file.isBlank()) {
            return;
        }
        ObjectNode line = JSON.createObjectNode();
        line.put("time_ms", System.currentTimeMillis());
        line.put("stage", stage);
        line.put("event", event);
        fields.forEach((k, v) -> line.set(k, JSON.valueToTree(v)));
        synchronized (StageEvents.class) {
            try {
                Files.writeString(Path.of(file), line + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                        StandardOpenOption.APPEND, StandardOpenOption.WRITE);
            } catch (IOException e) {
                System.err.println("seedstream: cannot write the stage event to " + file + ": " + e.getMessage());
            }
        }
    }

    /** The events of a file in order; a missing file has none, a torn last line (the writer was killed) is skipped. */
    public static List<Event> read(Path file) throws IOException {
        List<Event> out = new ArrayList<>();
        if (!Files.exists(file)) {
            return out;
        }
        for (String line : new String(Files.readAllBytes(file), StandardCharsets.UTF_8).lines().toList()) {
            if (line.isBlank()) {
                continue;
            }
            JsonNode n;
            try {
                n = JSON.readTree(line);
            } catch (IOException e) {
                continue;
            }
            if (n.isObject() && n.hasNonNull("event")) {
                out.add(new Event(n.path("stage").asText(), n.get("event").asText(), n));
            }
        }
        return out;
    }
}
