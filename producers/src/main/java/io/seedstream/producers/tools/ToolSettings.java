package io.seedstream.producers.tools;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Which tools a generator's policy may call and how: the names enabled (the allow-list), the call
 * format, calls per answer, the time bound of a call, and the URLs of HTTP tools.
 *
 * @param enabled tool names: {@code calculator}, or names given URLs in {@code http}; empty: no tools
 * @param http name to URL of each HTTP tool
 */
public record ToolSettings(List<String> enabled, CallFormat format, int maxCalls, Duration timeout,
        Map<String, URI> http, int maxReplyBytes) {

    public static final ToolSettings NONE = new ToolSettings(List.of(), CallFormat.CALC, 4, Duration.ofSeconds(2),
            Map.of(), 4096);

    public ToolSettings {
        enabled = List.copyOf(enabled);
        http = Map.copyOf(http);
        if (maxCalls < 1) {
            throw new IllegalArgumentException("calls per answer " + maxCalls + ", must be >= 1");
        }
        for (String name : enabled) {
            if (!name.equals(Calculator.NAME) && !http.containsKey(name)) {
                throw new IllegalArgumentException("tool '" + name + "' is neither " + Calculator.NAME
                        + " nor given a URL (name=url in the HTTP tools setting)");
            }
        }
    }

    /** These settings with another allow-list. */
    public ToolSettings withEnabled(List<String> names) {
        return new ToolSettings(names, format, maxCalls, timeout, http, maxReplyBytes);
    }

    public boolean any() {
        return !enabled.isEmpty();
    }

    /** The format by name: calc or hermes. */
    public static CallFormat format(String name) {
        try {
            return CallFormat.valueOf(name.strip().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("tool call format '" + name + "': calc or hermes");
        }
    }

    /** HTTP tools from {@code name=url} entries. */
    public static Map<String, URI> http(List<String> entries) {
        Map<String, URI> out = new LinkedHashMap<>();
        for (String e : entries) {
            int eq = e.indexOf('=');
            if (eq <= 0 || eq == e.length() - 1) {
                throw new IllegalArgumentException("HTTP tool '" + e + "' is not name=url");
            }
            String name = e.substring(0, eq).strip();
            if (out.put(name, URI.create(e.substring(eq + 1).strip())) != null) {
                throw new IllegalArgumentException("HTTP tool name '" + name + "' is given twice");
            }
        }
        return out;
    }

    /**
     * The enabled tools, each call bounded by the timeout. A name given a URL is that HTTP tool, even
     * {@code calculator}: a server (a computer algebra system, say) may answer the {@code calc} format's calls.
     */
    public ToolBox box() {
        List<Tool> tools = new ArrayList<>();
        for (String name : enabled) {
            tools.add(http.containsKey(name) ? new HttpTool(name, http.get(name), maxReplyBytes) : new Calculator());
        }
        return new ToolBox(tools, timeout);
    }
}
