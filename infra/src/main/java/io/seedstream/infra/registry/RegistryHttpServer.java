package io.seedstream.infra.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.seedstream.schemas.registry.Compatibility;
import io.seedstream.schemas.registry.RegistryException;
import io.seedstream.schemas.registry.RestSchemaRegistryClient;
import io.seedstream.schemas.registry.SchemaVersion;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The subset of the Confluent Schema Registry REST API that serializers and operators use,
 * served over {@link SchemaRegistry}. Replies and errors have Confluent's shape
 * ({@code {"error_code": 40401, "message": "..."}}).
 */
public final class RegistryHttpServer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(RegistryHttpServer.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int MAX_BODY_BYTES = 16 * 1024 * 1024;

    private final SchemaRegistry registry;
    private final HttpServer server;
    private final ExecutorService executor;
    private final byte[] writeAuthorization;

    /**
     * @param writeCredentials {@code user:password} that requests changing the registry must send
     *     as HTTP basic authentication, or null when writes are open
     */
    public RegistryHttpServer(SchemaRegistry registry, String host, int port, String writeCredentials) throws IOException {
        this.registry = registry;
        this.writeAuthorization = writeCredentials == null ? null
                : RestSchemaRegistryClient.basicAuthorization(writeCredentials).getBytes(StandardCharsets.UTF_8);
        this.server = HttpServer.create(new InetSocketAddress(host, port), 64);
        this.executor = Executors.newFixedThreadPool(4, r -> {
            Thread t = new Thread(r, "schema-registry-http");
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(executor);
        server.createContext("/", this::handle);
        server.start();
    }

    public int port() {
        return server.getAddress().getPort();
    }

    private record Reply(int status, String body) {}

    private void handle(HttpExchange exchange) throws IOException {
        Reply reply;
        List<String> path;
        try {
            path = segments(exchange.getRequestURI().getRawPath());
        } catch (IllegalArgumentException e) {
            send(exchange, error(422, 42203, "bad path: " + e.getMessage()));
            return;
        }
        if (writeAuthorization != null && changesState(exchange.getRequestMethod(), path)
                && !authorized(exchange.getRequestHeaders().getFirst("Authorization"))) {
            exchange.getResponseHeaders().set("WWW-Authenticate", "Basic realm=\"seedstream-registry\"");
            send(exchange, error(401, 40101, "Unauthorized: writing to the registry needs its write user's credentials"));
            return;
        }
        try {
            reply = route(exchange.getRequestMethod(), path,
                    query(exchange.getRequestURI().getRawQuery()), exchange);
        } catch (RegistryException e) {
            reply = error(e.httpStatus() > 0 ? e.httpStatus() : 500, e.errorCode(), e.getMessage());
        } catch (IllegalArgumentException e) {
            reply = error(422, 42203, e.getMessage());
        } catch (RuntimeException e) {
            log.error("registry request {} {} failed", exchange.getRequestMethod(),
                    exchange.getRequestURI(), e);
            reply = error(500, RegistryException.BACKEND_ERROR, "Internal error: " + e);
        }
        send(exchange, reply);
    }

    /** Registering a schema, setting a level, deleting: everything but reads and lookups (which POST a schema). */
    private static boolean changesState(String method, List<String> path) {
        return method.equals("PUT") || method.equals("DELETE")
                || (method.equals("POST") && path.size() == 3 && path.get(0).equals("subjects") && path.get(2).equals("versions"));
    }

    /** Compares in constant time, so the time a refusal takes says nothing about the password. */
    private boolean authorized(String header) {
        return header != null && java.security.MessageDigest.isEqual(writeAuthorization,
                header.getBytes(StandardCharsets.UTF_8));
    }

    private void send(HttpExchange exchange, Reply reply) throws IOException {
        byte[] body = reply.body().getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", RestSchemaRegistryClient.CONTENT_TYPE);
        exchange.sendResponseHeaders(reply.status(), body.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
        }
    }

    private Reply route(String method, List<String> path, Map<String, String> query,
            HttpExchange exchange) throws IOException {
        int n = path.size();
        String first = n > 0 ? path.get(0) : "";
        switch (first) {
            case "" -> {
                return ok(JSON.createObjectNode());
            }
            case "schemas" -> {
                if (n == 2 && path.get(1).equals("types") && method.equals("GET")) {
                    return ok(JSON.createArrayNode().add("AVRO"));
                }
                if ((n == 3 || n == 4) && path.get(1).equals("ids") && method.equals("GET")) {
                    int id = parseId(path.get(2));
                    String schema = registry.schemaById(id).toString();
                    if (n == 4 && path.get(3).equals("schema")) {
                        return new Reply(200, schema);
                    }
                    if (n == 3) {
                        return ok(JSON.createObjectNode().put("schema", schema));
                    }
                }
            }
            case "subjects" -> {
                if (n == 1 && method.equals("GET")) {
                    ArrayNode a = JSON.createArrayNode();
                    registry.subjects().forEach(a::add);
                    return ok(a);
                }
                String subject = n > 1 ? path.get(1) : null;
                if (n == 2 && method.equals("POST")) {
                    return ok(versionNode(registry.lookup(subject, schemaOf(exchange))));
                }
                if (n == 3 && path.get(2).equals("versions") && method.equals("GET")) {
                    ArrayNode a = JSON.createArrayNode();
                    registry.versions(subject).forEach(a::add);
                    return ok(a);
                }
                if (n == 3 && path.get(2).equals("versions") && method.equals("POST")) {
                    int id = registry.register(subject, schemaOf(exchange));
                    return ok(JSON.createObjectNode().put("id", id));
                }
                if (n == 4 && path.get(2).equals("versions") && method.equals("GET")) {
                    return ok(versionNode(registry.version(subject, path.get(3))));
                }
                if (n == 5 && path.get(2).equals("versions") && path.get(4).equals("schema")
                        && method.equals("GET")) {
                    return new Reply(200, registry.version(subject, path.get(3)).schema().toString());
                }
            }
            case "compatibility" -> {
                if (n == 5 && path.get(1).equals("subjects") && path.get(3).equals("versions")
                        && method.equals("POST")) {
                    List<String> problems = registry.testCompatibility(path.get(2), path.get(4),
                            schemaOf(exchange));
                    ObjectNode o = JSON.createObjectNode().put("is_compatible", problems.isEmpty());
                    if (Boolean.parseBoolean(query.getOrDefault("verbose", "false"))) {
                        ArrayNode messages = o.putArray("messages");
                        problems.forEach(messages::add);
                    }
                    return ok(o);
                }
            }
            case "config" -> {
                String subject = n == 2 ? path.get(1) : null;
                if (n <= 2 && method.equals("GET")) {
                    Compatibility level;
                    if (subject == null) {
                        level = registry.globalCompatibility();
                    } else {
                        boolean fallback = Boolean.parseBoolean(query.getOrDefault("defaultToGlobal", "false"));
                        level = registry.subjectCompatibility(subject).orElseGet(() -> {
                            if (fallback) {
                                return registry.globalCompatibility();
                            }
                            throw new RegistryException(404,
                                    RegistryException.SUBJECT_COMPATIBILITY_NOT_CONFIGURED,
                                    "Subject '" + subject + "' does not have subject-level compatibility configured");
                        });
                    }
                    return ok(JSON.createObjectNode().put("compatibilityLevel", level.name()));
                }
                if (n <= 2 && method.equals("PUT")) {
                    JsonNode body = body(exchange);
                    String requested = body.path("compatibility").asText(
                            body.path("compatibilityLevel").asText(null));
                    Compatibility level;
                    try {
                        level = Compatibility.parse(requested);
                    } catch (IllegalArgumentException e) {
                        throw new RegistryException(422, RegistryException.INVALID_COMPATIBILITY_LEVEL,
                                "Invalid compatibility level: " + e.getMessage());
                    }
                    registry.setCompatibility(subject, level);
                    return ok(JSON.createObjectNode().put("compatibility", level.name()));
                }
            }
            default -> { }
        }
        return error(404, 404, "HTTP 404 Not Found: " + method + " /" + String.join("/", path));
    }

    private static ObjectNode versionNode(SchemaVersion v) {
        return JSON.createObjectNode().put("subject", v.subject()).put("version", v.version())
                .put("id", v.id()).put("schema", v.schema().toString());
    }

    private static String schemaOf(HttpExchange exchange) throws IOException {
        JsonNode body = body(exchange);
        String type = body.path("schemaType").asText("AVRO");
        if (!type.equals("AVRO")) {
            throw new RegistryException(422, RegistryException.INVALID_SCHEMA,
                    "Schema type " + type + " is not supported by this registry (only AVRO)");
        }
        if (body.path("references").size() > 0) {
            throw new RegistryException(422, RegistryException.INVALID_SCHEMA,
                    "Schema references are not supported by this registry");
        }
        JsonNode schema = body.get("schema");
        if (schema == null || !schema.isTextual()) {
            throw new RegistryException(422, RegistryException.INVALID_SCHEMA,
                    "Request body must be a JSON object with a string field 'schema'");
        }
        return schema.asText();
    }

    private static JsonNode body(HttpExchange exchange) throws IOException {
        try (InputStream in = exchange.getRequestBody()) {
            byte[] bytes = in.readNBytes(MAX_BODY_BYTES + 1);
            if (bytes.length > MAX_BODY_BYTES) {
                throw new RegistryException(413, 413, "Request body larger than " + MAX_BODY_BYTES + " bytes");
            }
            try {
                JsonNode node = JSON.readTree(bytes);
                return node == null ? JSON.createObjectNode() : node;
            } catch (IOException e) {
                throw new RegistryException(422, RegistryException.INVALID_SCHEMA,
                        "Request body is not valid JSON: " + e.getMessage());
            }
        }
    }

    private static int parseId(String s) {
        try {
            return Integer.parseInt(s);
        } catch (NumberFormatException e) {
            throw new RegistryException(404, RegistryException.SCHEMA_NOT_FOUND, "Schema " + s + " not found");
        }
    }

    private static Reply ok(JsonNode node) {
        return new Reply(200, node.toString());
    }

    private static Reply error(int status, int code, String message) {
        return new Reply(status, JSON.createObjectNode().put("error_code", code)
                .put("message", message).toString());
    }

    private static List<String> segments(String rawPath) {
        List<String> out = new ArrayList<>();
        for (String s : rawPath.split("/")) {
            if (!s.isEmpty()) {
                out.add(URLDecoder.decode(s, StandardCharsets.UTF_8));
            }
        }
        return out;
    }

    private static Map<String, String> query(String raw) {
        Map<String, String> q = new HashMap<>();
        if (raw != null) {
            for (String pair : raw.split("&")) {
                int eq = pair.indexOf('=');
                if (eq > 0) {
                    q.put(URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8),
                            URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
                }
            }
        }
        return q;
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdown();
        try {
            executor.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
