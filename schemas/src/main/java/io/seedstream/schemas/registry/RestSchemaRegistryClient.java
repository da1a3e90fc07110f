package io.seedstream.schemas.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.Schema;

/**
 * A client of the Confluent Schema Registry REST API. Registrations, id lookups and schemas by
 * id are cached, so that after the first record of each type a serializer or deserializer makes
 * no HTTP call. Safe for use by many threads.
 */
public final class RestSchemaRegistryClient implements SchemaRegistryClient {

    public static final String CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";

    private static final ObjectMapper JSON = new ObjectMapper();

    private final String baseUrl;
    private final Duration timeout;
    /** The Authorization header's value, or null without credentials. */
    private final String authorization;
    private final HttpClient http;
    private final Map<String, Map<Schema, Integer>> idsBySubject = new ConcurrentHashMap<>();
    private final Map<Integer, Schema> schemasById = new ConcurrentHashMap<>();

    /**
     * @param baseUrl the registry's URL; credentials in it ({@code http://user:password@host:8081},
     *     as Confluent's {@code basic.auth.credentials.source=URL}) go with every request as HTTP
     *     basic authentication and are left out of every message
     */
    public RestSchemaRegistryClient(String baseUrl, Duration timeout) {
        this(baseUrl, timeout, null);
    }

    /**
     * @param userInfo {@code user:password} given apart from the URL (Confluent's
     *     {@code basic.auth.credentials.source=USER_INFO}); null to take the URL's, if any
     */
    public RestSchemaRegistryClient(String baseUrl, Duration timeout, String userInfo) {
        URI uri = URI.create(baseUrl);
        String inUrl = uri.getRawUserInfo();
        String plain = inUrl == null ? baseUrl : baseUrl.replace(inUrl + "@", "");
        this.baseUrl = plain.endsWith("/") ? plain.substring(0, plain.length() - 1) : plain;
        this.authorization = userInfo != null ? basicAuthorization(userInfo) : inUrl == null ? null
                : basicAuthorization(java.net.URLDecoder.decode(inUrl, StandardCharsets.UTF_8));
        this.timeout = timeout;
        this.http = HttpClient.newBuilder().connectTimeout(timeout).build();
    }

    /** The Authorization header's value of HTTP basic authentication for {@code user:password}. */
    public static String basicAuthorization(String userColonPassword) {
        return "Basic " + java.util.Base64.getEncoder().encodeToString(userColonPassword.getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public int register(String subject, Schema schema) {
        return cachedId(subject, schema, () -> {
            JsonNode reply = send("POST", "/subjects/" + encode(subject) + "/versions",
                    schemaBody(schema));
            return reply.get("id").asInt();
        });
    }

    @Override
    public int idOf(String subject, Schema schema) {
        return cachedId(subject, schema, () -> {
            JsonNode reply = send("POST", "/subjects/" + encode(subject), schemaBody(schema));
            return reply.get("id").asInt();
        });
    }

    @Override
    public Schema schemaById(int id) {
        Schema cached = schemasById.get(id);
        if (cached != null) {
            return cached;
        }
        JsonNode reply = send("GET", "/schemas/ids/" + id, null);
        Schema schema = new Schema.Parser().parse(reply.get("schema").asText());
        schemasById.putIfAbsent(id, schema);
        return schema;
    }

    @Override
    public SchemaVersion latest(String subject) {
        JsonNode reply = send("GET", "/subjects/" + encode(subject) + "/versions/latest", null);
        Schema schema = new Schema.Parser().parse(reply.get("schema").asText());
        int id = reply.get("id").asInt();
        schemasById.putIfAbsent(id, schema);
        return new SchemaVersion(reply.get("subject").asText(), reply.get("version").asInt(), id,
                schema);
    }

    @Override
    public List<String> subjects() {
        JsonNode reply = send("GET", "/subjects", null);
        List<String> out = new ArrayList<>();
        reply.forEach(n -> out.add(n.asText()));
        return out;
    }

    @Override
    public List<String> incompatibilities(String subject, Schema schema) {
        JsonNode reply;
        try {
            reply = send("POST", "/compatibility/subjects/" + encode(subject)
                    + "/versions/latest?verbose=true", schemaBody(schema));
        } catch (RegistryException e) {
            if (e.errorCode() == RegistryException.SUBJECT_NOT_FOUND
                    || e.errorCode() == RegistryException.VERSION_NOT_FOUND) {
                return List.of(); // nothing registered yet: anything is compatible
            }
            throw e;
        }
        List<String> messages = new ArrayList<>();
        if (!reply.path("is_compatible").asBoolean(false)) {
            reply.path("messages").forEach(m -> messages.add(m.asText()));
            if (messages.isEmpty()) {
                messages.add("incompatible");
            }
        }
        return messages;
    }

    /** Sets the global (subject null) or a subject's compatibility level. */
    public void setCompatibility(String subject, Compatibility level) {
        ObjectNode body = JSON.createObjectNode().put("compatibility", level.name());
        send("PUT", subject == null ? "/config" : "/config/" + encode(subject), body.toString());
    }

    private interface IdCall {
        int call();
    }

    private int cachedId(String subject, Schema schema, IdCall call) {
        Map<Schema, Integer> ids = idsBySubject.computeIfAbsent(subject, s -> new ConcurrentHashMap<>());
        Integer id = ids.get(schema);
        if (id != null) {
            return id;
        }
        int fresh = call.call();
        ids.putIfAbsent(schema, fresh);
        schemasById.putIfAbsent(fresh, schema);
        return fresh;
    }

    private static String schemaBody(Schema schema) {
        return JSON.createObjectNode().put("schema", schema.toString()).toString();
    }

    private static String encode(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }

    private JsonNode send(String method, String path, String body) {
        HttpRequest.Builder req = HttpRequest.newBuilder(URI.create(baseUrl + path))
                .timeout(timeout)
                .header("Accept", CONTENT_TYPE + ", application/json");
        if (authorization != null) {
            req.header("Authorization", authorization);
        }
        if (body != null) {
            req.header("Content-Type", CONTENT_TYPE)
                    .method(method, HttpRequest.BodyPublishers.ofString(body));
        } else {
            req.method(method, HttpRequest.BodyPublishers.noBody());
        }
        HttpResponse<String> response;
        try {
            response = http.send(req.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new RegistryException("schema registry at " + baseUrl + " unreachable ("
                    + method + " " + path + "): " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RegistryException("interrupted calling schema registry " + path, e);
        }
        JsonNode reply;
        try {
            reply = JSON.readTree(response.body().isEmpty() ? "{}" : response.body());
        } catch (IOException e) {
            throw new RegistryException(response.statusCode(), RegistryException.BACKEND_ERROR,
                    "schema registry answered " + response.statusCode() + " with non-JSON body: "
                            + response.body());
        }
        if (response.statusCode() / 100 != 2) {
            throw new RegistryException(response.statusCode(),
                    reply.path("error_code").asInt(response.statusCode()),
                    reply.path("message").asText("HTTP " + response.statusCode()) + " ("
                            + method + " " + path + ")");
        }
        return reply;
    }
}
