package io.seedstream.streams.topology;

import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/** A whole answer of the dashboard's HTTP server: status, type and body at once. */
final class HttpReplies {

    static final String JSON = "application/json";

    private HttpReplies() {}

    static void send(HttpExchange ex, int status, String contentType, byte[] body) throws IOException {
        ex.getResponseHeaders().set("Content-Type", contentType);
        ex.sendResponseHeaders(status, body.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(body);
        }
    }

    static void sendJson(HttpExchange ex, int status, String json) throws IOException {
        send(ex, status, JSON, json.getBytes(StandardCharsets.UTF_8));
    }
}
