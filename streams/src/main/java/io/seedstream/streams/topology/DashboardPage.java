package io.seedstream.streams.topology;

import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Properties;

/**
 * The dashboard page: static assets from the jar, uPlot from its webjar. A thin page over the
 * JSON API; no build toolchain, nothing fetched from a CDN.
 */
final class DashboardPage {

    private static final String ASSETS = "io/seedstream/streams/dashboard/";
    private static final String UPLOT = "META-INF/resources/webjars/uplot/" + uplotVersion() + "/dist/";
    private static final Map<String, String> TYPES = Map.of("html", "text/html; charset=utf-8",
            "js", "text/javascript; charset=utf-8", "css", "text/css; charset=utf-8");

    private DashboardPage() {}

    static void serve(HttpExchange ex) throws IOException {
        String path = ex.getRequestURI().getPath();
        String resource;
        if (path.equals("/") || path.equals("/index.html")) {
            resource = ASSETS + "index.html";
        } else if (path.startsWith("/assets/") && !path.contains("..")) {
            resource = ASSETS + path.substring("/assets/".length());
        } else if (path.startsWith("/uplot/") && !path.contains("..")) {
            resource = UPLOT + path.substring("/uplot/".length());
        } else {
            resource = null;
        }
        try (InputStream in = resource == null ? null
                : DashboardPage.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                HttpReplies.send(ex, 404, "text/plain; charset=utf-8",
                        ("not found: " + path).getBytes(StandardCharsets.UTF_8));
                return;
            }
            String ext = resource.substring(resource.lastIndexOf('.') + 1);
            HttpReplies.send(ex, 200, TYPES.getOrDefault(ext, "application/octet-stream"), in.readAllBytes());
        }
    }

    /** The uPlot version the build put on the classpath (filtered from the pom). */
    private static String uplotVersion() {
        try (InputStream in = DashboardPage.class.getClassLoader().getResourceAsStream(ASSETS + "versions.properties")) {
            if (in == null) {
                throw new IllegalStateException("the dashboard's versions.properties is not on the classpath");
            }
            Properties p = new Properties();
            p.load(in);
            return p.getProperty("uplot.version");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
