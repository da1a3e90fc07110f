package io.seedstream.producers.tools;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;

/**
 * A tool behind a URL the configuration lists: each call is a JSON POST {@code {"tool": name,
 * "arguments": "..."}} and the reply is the response body, as text. Bounded in time (the call's
 * timeout covers connecting and reading) and in size (a longer body is an error, read no further).
 */
public final class HttpTool implements Tool {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final String name;
    private final URI url;
    private final int maxReplyBytes;
    private final HttpClient client;

    public HttpTool(String name, URI url, int maxReplyBytes) {
        if (!"http".equals(url.getScheme()) && !"https".equals(url.getScheme())) {
            throw new IllegalArgumentException("tool " + name + ": " + url + " is not an http(s) URL");
        }
        if (maxReplyBytes < 1) {
            throw new IllegalArgumentException("tool " + name + ": reply limit " + maxReplyBytes + " bytes, must be >= 1");
        }
        this.name = name;
        this.url = url;
        this.maxReplyBytes = maxReplyBytes;
        this.client = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();
    }

    @Override
    public String name() {
        return name;
    }

    public URI url() {
        return url;
    }

    @Override
    public ToolReply call(String arguments, Duration timeout) {
        byte[] body;
        try {
            body = JSON.writeValueAsBytes(Map.of("tool", name, "arguments", arguments));
        } catch (IOException e) {
            return ToolReply.error("cannot write the call as JSON: " + e.getMessage());
        }
        HttpRequest request = HttpRequest.newBuilder(url).timeout(timeout).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build();
        long deadline = System.nanoTime() + timeout.toNanos();
        try {
            HttpResponse<InputStream> response = client.send(request, HttpResponse.BodyHandlers.ofInputStream());
            try (InputStream in = response.body()) {
                byte[] reply = in.readNBytes(maxReplyBytes + 1);
                if (System.nanoTime() > deadline) {
                    return new ToolReply("error: no reply within " + timeout.toMillis() + " ms", ToolReply.Status.TIMEOUT);
                }
                if (reply.length > maxReplyBytes) {
                    return ToolReply.error("reply longer than " + maxReplyBytes + " bytes");
                }
                String text = new String(reply, StandardCharsets.UTF_8).strip();
                if (response.statusCode() / 100 != 2) {
                    return ToolReply.error("HTTP " + response.statusCode() + (text.isEmpty() ? "" : ": " + text));
                }
                return ToolReply.ok(text);
            }
        } catch (HttpTimeoutException e) {
            return new ToolReply("error: no reply within " + timeout.toMillis() + " ms", ToolReply.Status.TIMEOUT);
        } catch (IOException e) {
            return ToolReply.error("cannot reach the tool: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new ToolReply("error: interrupted", ToolReply.Status.TIMEOUT);
        }
    }
}
