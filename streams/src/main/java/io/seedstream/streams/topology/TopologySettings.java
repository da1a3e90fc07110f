package io.seedstream.streams.topology;

import io.seedstream.schemas.ClientIds;
import io.seedstream.schemas.SharedKeys;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigDef.Type;

/**
 * How the scoring topology runs: batching bounds, how long a group may wait for its prompt, the
 * grader's time bound, threads, and where the dashboard API listens.
 */
public record TopologySettings(
        String applicationId,
        int batchGroups,
        long batchMaxTokens,
        Duration batchLinger,
        Duration batchOrderWindow,
        Duration promptWait,
        Duration graderTimeout,
        int streamThreads,
        String dashboardHost,
        String dashboardAdvertisedHost,
        int dashboardPort,
        Path stateDir) {

    public static final String APPLICATION_ID = "streams.application.id";
    public static final String BATCH_GROUPS = SharedKeys.BATCH_GROUPS;
    public static final String BATCH_MAX_TOKENS = "batch.max.tokens";
    public static final String BATCH_LINGER_MS = "batch.linger.ms";
    public static final String BATCH_ORDER_WINDOW_MS = "batch.order.window.ms";
    public static final String PROMPT_WAIT_MS = "prompt.wait.ms";
    public static final String GRADER_TIMEOUT_MS = "grader.timeout.ms";
    public static final String STREAM_THREADS = "streams.num.threads";
    public static final String DASHBOARD_HOST = "dashboard.host";
    public static final String DASHBOARD_ADVERTISED_HOST = "dashboard.advertised.host";
    public static final String DASHBOARD_PORT = "dashboard.port";
    public static final String STATE_DIR = "streams.state.dir";

    public static final ConfigDef DEFINITION = new ConfigDef()
            .define(APPLICATION_ID, Type.STRING, ClientIds.SCORING_APPLICATION, new ConfigDef.NonEmptyString(),
                    Importance.MEDIUM, "Kafka Streams application id (consumer group, internal topic prefix).")
            .define(SharedKeys.key(BATCH_GROUPS))
            .define(BATCH_MAX_TOKENS, Type.LONG, 262_144L, Range.atLeast(1), Importance.HIGH,
                    "A training batch closes before its completion tokens would exceed this budget.")
            .define(BATCH_LINGER_MS, Type.LONG, 2_000L, Range.atLeast(1), Importance.MEDIUM,
                    "A batch that is not full closes after this long with no group joining it (time the "
                            + "topology was down does not count).")
            .define(BATCH_ORDER_WINDOW_MS, Type.LONG, 250L, Range.atLeast(0), Importance.LOW,
                    "A full batch closes once no group has joined for this long (at most 8 times as long in all), "
                            + "taking the groups sampled by the oldest policy versions first, so that among groups "
                            + "arriving within it an older one is not overtaken and made stale by newer ones. A restarted "
                            + "task's full batches wait until its catch-up first pauses this long (at most 30 s). 0: a "
                            + "batch closes at its last group, in arrival order.")
            .define(PROMPT_WAIT_MS, Type.LONG, 60_000L, Range.atLeast(0), Importance.MEDIUM,
                    "How long a group whose prompt is unknown waits for it before it is dead-lettered.")
            .define(GRADER_TIMEOUT_MS, Type.LONG, 2_000L, Range.atLeast(1), Importance.MEDIUM,
                    "Bound on one grading decision; a timeout grades as not equal and is counted.")
            .define(STREAM_THREADS, Type.INT, 1, Range.atLeast(1), Importance.MEDIUM,
                    "Stream threads of this instance (grading scales with threads and partitions).")
            .define(DASHBOARD_HOST, Type.STRING, "127.0.0.1", Importance.LOW,
                    "Address the dashboard API listens on (0.0.0.0: every interface).")
            .define(DASHBOARD_ADVERTISED_HOST, Type.STRING, "", Importance.LOW,
                    "Address other topology instances use to reach this one's dashboard API (Kafka Streams' "
                            + "application.server). Empty: dashboard.host, or this machine's host name when "
                            + "dashboard.host is a wildcard (0.0.0.0, ::).")
            .define(DASHBOARD_PORT, Type.INT, 8090, Range.between(0, 65535), Importance.LOW,
                    "Port of the dashboard API (0: any free port).")
            .define(STATE_DIR, Type.STRING, System.getProperty("java.io.tmpdir") + "/seedstream-streams",
                    Importance.LOW, "Where Kafka Streams keeps local state.");

    public static TopologySettings from(Map<?, ?> props) {
        AbstractConfig c = new AbstractConfig(DEFINITION, props, false);
        return new TopologySettings(c.getString(APPLICATION_ID), c.getInt(BATCH_GROUPS), c.getLong(BATCH_MAX_TOKENS),
                Duration.ofMillis(c.getLong(BATCH_LINGER_MS)), Duration.ofMillis(c.getLong(BATCH_ORDER_WINDOW_MS)),
                Duration.ofMillis(c.getLong(PROMPT_WAIT_MS)),
                Duration.ofMillis(c.getLong(GRADER_TIMEOUT_MS)), c.getInt(STREAM_THREADS),
                c.getString(DASHBOARD_HOST), advertised(c.getString(DASHBOARD_HOST), c.getString(DASHBOARD_ADVERTISED_HOST)),
                c.getInt(DASHBOARD_PORT), Path.of(c.getString(STATE_DIR)));
    }

    /**
     * The address to advertise: the configured one, else the bind address unless it is a wildcard,
     * which names no machine (each instance would take every other one's address for its own).
     */
    static String advertised(String bind, String configured) {
        if (!configured.isBlank()) {
            return configured.trim();
        }
        if (!bind.equals("0.0.0.0") && !bind.equals("::") && !bind.equals("[::]")) {
            return bind;
        }
        try {
            return java.net.InetAddress.getLocalHost().getCanonicalHostName();
        } catch (java.net.UnknownHostException e) {
            throw new IllegalArgumentException(DASHBOARD_HOST + " is " + bind + " and this machine's host name does not "
                    + "resolve: set " + DASHBOARD_ADVERTISED_HOST + " to the address other instances reach it at", e);
        }
    }

    /** Where the dashboard API listens and the address it gives other instances. */
    public TopologySettings withDashboardHosts(String bind, String advertisedHost) {
        return new TopologySettings(applicationId, batchGroups, batchMaxTokens, batchLinger, batchOrderWindow,
                promptWait, graderTimeout, streamThreads, bind, advertised(bind, advertisedHost), dashboardPort,
                stateDir);
    }

    public static TopologySettings defaults() {
        return from(Map.of());
    }

    public TopologySettings withBatching(int groups, long maxTokens, Duration linger) {
        return new TopologySettings(applicationId, groups, maxTokens, linger, batchOrderWindow, promptWait,
                graderTimeout, streamThreads, dashboardHost, dashboardAdvertisedHost, dashboardPort, stateDir);
    }

    /** How long a full batch waits for older groups (zero: it closes at its last group). */
    public TopologySettings withOrderWindow(Duration window) {
        return new TopologySettings(applicationId, batchGroups, batchMaxTokens, batchLinger, window, promptWait,
                graderTimeout, streamThreads, dashboardHost, dashboardAdvertisedHost, dashboardPort, stateDir);
    }

    public TopologySettings withPromptWait(Duration wait) {
        return new TopologySettings(applicationId, batchGroups, batchMaxTokens, batchLinger, batchOrderWindow, wait,
                graderTimeout, streamThreads, dashboardHost, dashboardAdvertisedHost, dashboardPort, stateDir);
    }

    public TopologySettings withInstance(String appId, int port, Path dir, int threads) {
        return new TopologySettings(appId, batchGroups, batchMaxTokens, batchLinger, batchOrderWindow, promptWait,
                graderTimeout, threads, dashboardHost, dashboardAdvertisedHost, port, dir);
    }
}
