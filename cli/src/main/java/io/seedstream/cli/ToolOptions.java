package io.seedstream.cli;

import io.seedstream.producers.generator.GeneratorConfig;
import io.seedstream.producers.tools.ToolSettings;
import java.util.List;
import java.util.Properties;
import picocli.CommandLine.Option;

/** Which tools a command that samples outside a generator lets the policy call: the generator.tools.* keys as flags. */
public final class ToolOptions {

    @Option(names = "--tools", paramLabel = "NAME", split = ",", description = "Tools the policy may call "
            + "mid-answer: calculator, or names given URLs with --tool-http (default: none; docs/tools.md).")
    List<String> tools;

    @Option(names = "--tool-format", paramLabel = "calc|hermes", description = "How calls are written: calc "
            + "(<calc>...</calc>) or hermes (<tool_call>{json}</tool_call>) (default: "
            + "${sys:seedstream.default.generator.tools.format}).")
    String format;

    @Option(names = "--max-tool-calls", paramLabel = "N", description = "Calls per answer (default: "
            + "${sys:seedstream.default.generator.tools.max.calls}).")
    Integer maxCalls;

    @Option(names = "--tool-http", paramLabel = "NAME=URL", split = ",", description = "HTTP tools: each call is a "
            + "JSON POST to URL; only these URLs are called.")
    List<String> http;

    /** The flags given, as the generators' keys. */
    public void putInto(Properties p) {
        UpdateOptions.put(p, GeneratorConfig.TOOLS, tools == null ? null : String.join(",", tools));
        UpdateOptions.put(p, GeneratorConfig.TOOLS_FORMAT, format);
        UpdateOptions.put(p, GeneratorConfig.TOOLS_MAX_CALLS, maxCalls);
        UpdateOptions.put(p, GeneratorConfig.TOOLS_HTTP, http == null ? null : String.join(",", http));
    }

    /** The settings the flags give, as a generator would read them; IllegalArgumentException names what is wrong. */
    public ToolSettings settings() {
        Properties p = new Properties();
        putInto(p);
        try {
            return GeneratorConfig.tools(p);
        } catch (org.apache.kafka.common.config.ConfigException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
    }
}
