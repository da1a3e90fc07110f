package io.seedstream.streams.topology;

import com.sun.net.httpserver.Filter;
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

    /**
     * The dashboard only shows: anything but GET and HEAD is refused (405) before a handler runs,
     * so no request, from the page or from any other client, can change state through it.
     */
    static final Filter READ_ONLY = new Filter() {
        @Override
        public void doFilter(HttpExchange ex, Chain chain) throws IOException {
            String m = ex.getRequestMethod();
            if (m.equals("GET") || m.equals("HEAD")) {
                chain.doFilter(ex);
                return;
            }
            ex.getResponseHeaders().set("Allow", "GET, HEAD");
            sendJson(ex, 405, "{\"error\": \"the dashboard is read-only: " + m + " is not allowed\"}");
        }

        @Override
        public String description() {
            return "refuses every method but GET and HEAD";
        }
    };
}
