package io.seedstream.streams.topology;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.seedstream.schemas.avro.MetricsSource;
import io.seedstream.streams.evaluation.Bootstrap;
import io.seedstream.streams.evaluation.EvalSummary;
import io.seedstream.streams.topology.DashboardRecords.EvalTally;
import io.seedstream.streams.topology.DashboardRecords.MetricsPoint;
import io.seedstream.streams.topology.DashboardRecords.PromptStats;
import io.seedstream.streams.topology.DashboardRecords.VersionStats;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyQueryMetadata;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.StreamsMetadata;
import org.apache.kafka.streams.state.HostInfo;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;

/**
 * The HTTP JSON API over the topology's state (interactive queries). A key lives on one instance:
 * a query for it is routed to the owner; a listing asks every instance for its local part
 * ({@code ?local=true}) and merges.
 *
 * <pre>
 * GET /api/health                 state of this instance
 * GET /api/metrics                this instance's counters
 * GET /api/prompts/{id}           one prompt's uncertainty
 * GET /api/prompts?top=N          the N prompts with the highest latest semantic entropy
 * GET /api/versions               per policy version: mean SE, accuracy, zero-advantage fraction, SE and pass-rate
 *                                 histograms, mean scale
 * GET /api/eval                   per benchmark and version: greedy accuracy
 * GET /api/trainer?last=N         the trainer's last N steps (loss, clip fraction, KL, gradient norm, staleness, wait)
 * GET /api/pipeline               the newest metrics snapshot of every source, dead letters by stage and reason,
 *                                 this instance's topology counters and the consumer groups' lag
 * GET /api/dead-letters           dead letters by stage and reason
 * GET /api/consumer-lag           every consumer group on this deployment's topics: records not consumed yet
 * GET /api/events                 server-sent events: a "tick" with the newest version every 2 s (the page refetches)
 * GET /                           the dashboard page (assets in the jar)
 * </pre>
 *
 * <p>Over 400 lines because it is the one place that maps every endpoint above to its store
 * query (local or forwarded to the instance that owns the key); the page is a static asset.
 */
final class DashboardApi implements AutoCloseable {

    private static final Duration PEER_TIMEOUT = Duration.ofSeconds(5);

    private final HttpServer server;
    private final ExecutorService executor;
    private final ScoringMetrics metrics;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(PEER_TIMEOUT).build();
    private final String host;
    private volatile KafkaStreams streams;
    private final DashboardEvents events;
    private final ConsumerLag lag;

    /** @param lag the consumer groups' lag, which this API serves and closes */
    /**
     * @param bind the address to listen on
     * @param host the address other instances know this one by (Kafka Streams' application.server)
     */
    DashboardApi(String bind, String host, int port, ScoringMetrics metrics, ConsumerLag lag) throws IOException {
        this.host = host;
        this.metrics = metrics;
        this.lag = lag;
        this.events = new DashboardEvents(metrics);
        this.server = HttpServer.create(new InetSocketAddress(bind, port), 64);
        // cached: each open event stream holds a thread (at most DashboardEvents.MAX_CLIENTS)
        this.executor = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "dashboard-api");
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(executor);
        server.createContext("/api", this::handle).getFilters().add(HttpReplies.READ_ONLY);
        server.createContext("/api/events", events::stream).getFilters().add(HttpReplies.READ_ONLY);
        server.createContext("/", DashboardPage::serve).getFilters().add(HttpReplies.READ_ONLY);
        server.start();
    }

    void attach(KafkaStreams streams) {
        this.streams = streams;
    }

    int port() {
        return server.getAddress().getPort();
    }

    String url() {
        return "http://" + host + ":" + port();
    }

    private void handle(HttpExchange ex) throws IOException {
        int status = 200;
        String body;
        try {
            body = route(ex.getRequestURI().getPath(), query(ex.getRequestURI().getRawQuery())).toString();
        } catch (NotFound e) {
            status = 404;
            body = JsonSerde.JSON.createObjectNode().put("error", e.getMessage()).toString();
        } catch (RuntimeException e) {
            status = 503; // e.g. stores not queryable during a rebalance: the client retries
            body = JsonSerde.JSON.createObjectNode().put("error", String.valueOf(e.getMessage())).toString();
        }
        HttpReplies.sendJson(ex, status, body);
    }

    private static final class NotFound extends RuntimeException {
        NotFound(String m) {
            super(m);
        }
    }

    private JsonNode route(String path, Map<String, String> q) {
        KafkaStreams s = streams;
        if (s == null) {
            throw new IllegalStateException("starting");
        }
        boolean local = Boolean.parseBoolean(q.getOrDefault("local", "false"));
        if (path.equals("/api/health")) {
            return JsonSerde.JSON.createObjectNode().put("state", s.state().name());
        }
        if (path.equals("/api/metrics")) {
            return JsonSerde.JSON.valueToTree(metrics.snapshot());
        }
        if (path.startsWith("/api/prompts/")) {
            String id = URLDecoder.decode(path.substring("/api/prompts/".length()), StandardCharsets.UTF_8);
            KeyQueryMetadata meta = s.queryMetadataForKey(ScoringTopology.PROMPT_UNCERTAINTY_STORE, id,
                    Serdes.String().serializer());
            if (meta == null || meta.activeHost() == null || meta.equals(KeyQueryMetadata.NOT_AVAILABLE)) {
                throw new IllegalStateException("prompt store not available yet");
            }
            if (!local && !isSelf(meta.activeHost())) {
                return fetch(meta.activeHost(), "/api/prompts/" + URLEncoder.encode(id, StandardCharsets.UTF_8), "local=true");
            }
            PromptStats p = store(s, ScoringTopology.PROMPT_UNCERTAINTY_STORE, PromptStats.class).get(id);
            if (p == null) {
                throw new NotFound("no scored group for prompt '" + id + "' yet");
            }
            return prompt(p);
        }
        if (path.equals("/api/prompts")) {
            int top = Integer.parseInt(q.getOrDefault("top", "50"));
            List<JsonNode> all = new ArrayList<>();
            if (local) {
                try (KeyValueIterator<String, PromptStats> it =
                        store(s, ScoringTopology.PROMPT_UNCERTAINTY_STORE, PromptStats.class).all()) {
                    it.forEachRemaining(kv -> all.add(prompt(kv.value)));
                }
            } else {
                fanOut(s, ScoringTopology.PROMPT_UNCERTAINTY_STORE, "/api/prompts", "local=true&top=" + top)
                        .forEach(n -> n.forEach(all::add));
            }
            all.sort(Comparator.comparingDouble((JsonNode n) -> -n.get("latest_entropy").asDouble()));
            ArrayNode out = JsonSerde.JSON.createArrayNode();
            all.stream().limit(top).forEach(out::add);
            return out;
        }
        if (path.equals("/api/versions")) {
            return listing(s, local, ScoringTopology.VERSION_STATS_STORE, "/api/versions", VersionStats.class,
                    v -> version((VersionStats) v), n -> n.get("policy_version").asLong());
        }
        if (path.equals("/api/eval")) {
            if (local) {
                return evalRounds(store(s, ScoringTopology.EVAL_ACCURACY_STORE, EvalTally.class));
            }
            return listing(s, false, ScoringTopology.EVAL_ACCURACY_STORE, "/api/eval", EvalTally.class,
                    e -> eval((EvalTally) e, null), n -> n.get("policy_version").asLong());
        }
        if (path.equals("/api/trainer")) {
            int last = Integer.parseInt(q.getOrDefault("last", "2000"));
            return lastOf(local ? trainerPoints(s, last) : fanOutAll(s, ScoringTopology.METRICS_HISTORY_STORE,
                    "/api/trainer", "local=true&last=" + last), n -> n.get("step").asLong(), last);
        }
        if (path.equals("/api/pipeline")) {
            ObjectNode out = JsonSerde.JSON.createObjectNode();
            ArrayNode sources = local ? newestPoints(s)
                    : fanOutAll(s, ScoringTopology.NEWEST_METRICS_STORE, "/api/pipeline/sources", "local=true");
            // by source, the newest if two instances hold one (its partition moved between them)
            Map<String, JsonNode> bySource = new TreeMap<>();
            sources.forEach(n -> bySource.merge(n.get("source").asText(), n,
                    (a, b) -> a.get("created_at").asLong() >= b.get("created_at").asLong() ? a : b));
            out.putArray("sources").addAll(bySource.values());
            out.set("dead_letters", deadLetters(s, local));
            out.set("topology", JsonSerde.JSON.valueToTree(metrics.snapshot()));
            out.set("consumer_lag", consumerLag());
            return out;
        }
        if (path.equals("/api/consumer-lag")) {
            return consumerLag();
        }
        if (path.equals("/api/pipeline/sources")) { // one instance's part of /api/pipeline
            return newestPoints(s);
        }
        if (path.equals("/api/dead-letters")) {
            return deadLetters(s, local);
        }
        throw new NotFound("no route " + path);
    }

    private JsonNode consumerLag() {
        ConsumerLag.Snapshot now = lag.current();
        ObjectNode o = JsonSerde.JSON.createObjectNode().put("measured_at", now.at());
        o.put("error", now.error());
        o.set("groups", JsonSerde.JSON.valueToTree(now.groups()));
        return o;
    }

    /** This instance's newest metrics snapshot of every source. */
    private ArrayNode newestPoints(KafkaStreams s) {
        ArrayNode out = JsonSerde.JSON.createArrayNode();
        try (KeyValueIterator<String, MetricsPoint> it =
                store(s, ScoringTopology.NEWEST_METRICS_STORE, MetricsPoint.class).all()) {
            it.forEachRemaining(kv -> out.add(point(kv.value)));
        }
        return out;
    }

    /** This instance's last {@code last} steps of every trainer: a reverse range of its history, not a scan. */
    private ArrayNode trainerPoints(KafkaStreams s, int last) {
        ReadOnlyKeyValueStore<String, MetricsPoint> history =
                store(s, ScoringTopology.METRICS_HISTORY_STORE, MetricsPoint.class);
        List<String> trainers = new ArrayList<>();
        try (KeyValueIterator<String, MetricsPoint> it =
                store(s, ScoringTopology.NEWEST_METRICS_STORE, MetricsPoint.class).all()) {
            it.forEachRemaining(kv -> {
                if (kv.value.kind().equals(MetricsSource.TRAINER.name())) {
                    trainers.add(kv.key);
                }
            });
        }
        ArrayNode out = JsonSerde.JSON.createArrayNode();
        for (String trainer : trainers) {
            String[] range = KeepMetricsProcessor.keyRange(trainer);
            try (KeyValueIterator<String, MetricsPoint> it = history.reverseRange(range[0], range[1])) {
                for (int n = 0; n < last && it.hasNext(); n++) {
                    out.add(point(it.next().value));
                }
            }
        }
        return out;
    }

    private ArrayNode fanOutAll(KafkaStreams s, String store, String path, String query) {
        ArrayNode out = JsonSerde.JSON.createArrayNode();
        fanOut(s, store, path, query).forEach(n -> n.forEach(out::add));
        return out;
    }

    private static ArrayNode lastOf(ArrayNode all, SortKey key, int last) {
        List<JsonNode> sorted = new ArrayList<>();
        all.forEach(sorted::add);
        sorted.sort(Comparator.comparingLong(key::of));
        ArrayNode out = JsonSerde.JSON.createArrayNode();
        sorted.subList(Math.max(0, sorted.size() - last), sorted.size()).forEach(out::add);
        return out;
    }

    /** Dead letters counted by stage and reason, most frequent first. */
    private ArrayNode deadLetters(KafkaStreams s, boolean local) {
        List<JsonNode> all = new ArrayList<>();
        if (local) {
            try (KeyValueIterator<String, Long> it = store(s, ScoringTopology.DEAD_LETTER_COUNTS_STORE, Long.class).all()) {
                it.forEachRemaining(kv -> {
                    int tab = kv.key.indexOf('\t');
                    all.add(JsonSerde.JSON.createObjectNode().put("stage", tab < 0 ? "" : kv.key.substring(0, tab))
                            .put("reason", kv.key.substring(tab + 1)).put("count", kv.value));
                });
            }
        } else {
            fanOut(s, ScoringTopology.DEAD_LETTER_COUNTS_STORE, "/api/dead-letters", "local=true")
                    .forEach(n -> n.forEach(all::add));
        }
        all.sort(Comparator.comparingLong((JsonNode n) -> -n.get("count").asLong()));
        ArrayNode out = JsonSerde.JSON.createArrayNode();
        all.forEach(out::add);
        return out;
    }

    private interface ToJson {
        JsonNode apply(Object v);
    }

    private interface SortKey {
        long of(JsonNode n);
    }

    private <V> JsonNode listing(KafkaStreams s, boolean local, String store, String path, Class<V> type, ToJson json,
            SortKey key) {
        List<JsonNode> all = new ArrayList<>();
        if (local) {
            try (KeyValueIterator<String, V> it = store(s, store, type).all()) {
                it.forEachRemaining(kv -> all.add(json.apply(kv.value)));
            }
        } else {
            fanOut(s, store, path, "local=true").forEach(n -> n.forEach(all::add));
        }
        all.sort(Comparator.comparingLong(key::of));
        ArrayNode out = JsonSerde.JSON.createArrayNode();
        all.forEach(out::add);
        return out;
    }

    private List<JsonNode> fanOut(KafkaStreams s, String store, String path, String query) {
        List<JsonNode> parts = new ArrayList<>();
        for (StreamsMetadata m : s.streamsMetadataForStore(store)) {
            parts.add(isSelf(m.hostInfo()) ? route(path, query(query)) : fetch(m.hostInfo(), path, query));
        }
        return parts;
    }

    private boolean isSelf(HostInfo h) {
        return h.port() == port() && h.host().equals(host);
    }

    private JsonNode fetch(HostInfo h, String path, String query) {
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(
                    URI.create("http://" + h.host() + ":" + h.port() + path + "?" + query)).timeout(PEER_TIMEOUT).GET()
                    .build(), HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() == 404) {
                throw new NotFound(JsonSerde.JSON.readTree(r.body()).path("error").asText());
            }
            if (r.statusCode() != 200) {
                throw new IllegalStateException("instance " + h + " answered " + r.statusCode() + ": " + r.body());
            }
            return JsonSerde.JSON.readTree(r.body());
        } catch (IOException e) {
            throw new IllegalStateException("instance " + h + " unreachable: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    @SuppressWarnings("unused")
    private static <V> ReadOnlyKeyValueStore<String, V> store(KafkaStreams s, String name, Class<V> type) {
        return s.store(StoreQueryParameters.fromNameAndType(name, QueryableStoreTypes.<String, V>keyValueStore()));
    }

    static ObjectNode prompt(PromptStats p) {
        ObjectNode o = JsonSerde.JSON.createObjectNode().put("prompt_id", p.promptId()).put("dataset", p.dataset())
                .put("latest_entropy", p.latestEntropy()).put("clusters", p.latestClusters())
                .put("pass_rate", p.passRate()).put("visits", p.visits()).put("answers", p.answers())
                .put("last_policy_version", p.lastPolicyVersion()).put("updated_at", p.updatedAt());
        o.put("problem", p.problem());
        ArrayNode clusters = o.putArray("meanings");
        if (p.clusters() != null) {
            p.clusters().forEach(c -> clusters.addObject().put("answer", c.representative())
                    .put("probability", c.probability()).put("answers", c.answers()).put("correct", c.correct()));
        }
        ArrayNode history = o.putArray("history");
        if (p.history() != null) {
            p.history().forEach(v -> history.addObject().put("policy_version", v.policyVersion())
                    .put("entropy", v.entropy()).put("answers", v.answers()).put("correct", v.correct()));
        }
        return o;
    }

    static ObjectNode version(VersionStats v) {
        ObjectNode o = JsonSerde.JSON.createObjectNode().put("policy_version", v.policyVersion())
                .put("groups", v.groups()).put("answers", v.answers()).put("mean_entropy", v.meanEntropy())
                .put("accuracy", v.accuracy()).put("zero_advantage_fraction", v.zeroAdvantageFraction())
                .put("mean_scale", v.meanScale())
                .put("tool_answer_share", v.answers() == 0 ? 0.0 : (double) v.toolAnswers() / v.answers())
                .put("tool_calls_per_answer", v.answers() == 0 ? 0.0 : (double) v.toolCalls() / v.answers())
                .put("tool_failure_rate", v.toolCalls() == 0 ? 0.0 : (double) v.toolFailures() / v.toolCalls())
                .put("tool_latency_ms_mean", v.toolCalls() == 0 ? 0.0 : (double) v.toolLatencyMs() / v.toolCalls());
        ArrayNode h = o.putArray("entropy_histogram");
        for (long c : v.entropyHistogram()) {
            h.add(c);
        }
        ArrayNode pass = o.putArray("pass_rate_histogram");
        for (long c : v.passRateHistogram() == null ? new long[VersionStats.PASS_BINS] : v.passRateHistogram()) {
            pass.add(c);
        }
        return o;
    }

    static ObjectNode point(MetricsPoint p) {
        ObjectNode o = JsonSerde.JSON.createObjectNode().put("source", p.source()).put("kind", p.kind())
                .put("step", p.step()).put("policy_version", p.policyVersion()).put("created_at", p.createdAt());
        o.set("values", JsonSerde.JSON.valueToTree(p.values()));
        o.set("histograms", JsonSerde.JSON.valueToTree(p.histograms()));
        return o;
    }

    /**
     * Every round this instance holds, by version, each with its change since the benchmark's
     * earliest round here (an instance holds every round of a benchmark unless the topology is
     * scaled out, when a round's change is left out if its first round lives elsewhere).
     */
    private ArrayNode evalRounds(ReadOnlyKeyValueStore<String, EvalTally> store) {
        List<EvalTally> all = new ArrayList<>();
        try (KeyValueIterator<String, EvalTally> it = store.all()) {
            it.forEachRemaining(kv -> all.add(kv.value));
        }
        all.sort(Comparator.comparingLong(EvalTally::policyVersion));
        Map<String, EvalTally> first = new HashMap<>();
        ArrayNode out = JsonSerde.JSON.createArrayNode();
        if (evalJson.size() > 10_000) {
            evalJson.clear();
        }
        for (EvalTally e : all) {
            EvalTally f = first.computeIfAbsent(e.benchmark(), b -> e);
            // the bootstraps cost milliseconds a round and the page asks every 2 s: a round is computed once
            // for each state of it and of its first round
            String key = e.revision() + "|" + f.revision();
            out.add(evalJson.computeIfAbsent(key, k -> eval(e, f)).deepCopy());
        }
        return out;
    }

    /** Rounds as the dashboard shows them, by round, its size and its first round's. */
    private final Map<String, ObjectNode> evalJson = new java.util.concurrent.ConcurrentHashMap<>();

    /**
     * A round as the dashboard shows it: accuracy, its bootstrap 95% interval, step-verified
     * accuracy, the greedy answers' modes, per level, the paired change since {@code first}, and
     * when the round drew k samples per problem, mean@k, pass@k, majority-of-k and the samples' modes.
     */
    static ObjectNode eval(EvalTally e, EvalTally first) {
        ObjectNode o = JsonSerde.JSON.createObjectNode().put("benchmark", e.benchmark()).put("policy_version", e.policyVersion())
                .put("answered", e.answered()).put("correct", e.correct()).put("accuracy", e.accuracy());
        List<EvalSummary> summaries = e.summaries();
        if (summaries.isEmpty()) {
            return o;
        }
        EvalSummary all = summaries.get(0);
        o.put("accuracy_low", all.passAt1().low()).put("accuracy_high", all.passAt1().high())
                .put("step_verified", all.stepVerifiedPassAt1());
        o.set("modes", JsonSerde.JSON.valueToTree(all.modeShares()));
        if (all.k() > 0) {
            // only once every problem's samples are in: a partial mean@k would not be the round's
            o.put("k", all.k()).put("mean_at_k", all.meanAtK()).put("pass_at_k", all.passAtK())
                    .put("majority_at_k", all.majorityAtK());
            o.set("sample_modes", JsonSerde.JSON.valueToTree(all.sampleModeShares()));
        }
        ArrayNode levels = o.putArray("levels");
        for (EvalSummary l : summaries.subList(1, summaries.size())) {
            levels.addObject().put("level", l.group()).put("problems", l.problems()).put("accuracy", l.passAt1().mean())
                    .put("accuracy_low", l.passAt1().low()).put("accuracy_high", l.passAt1().high())
                    .put("step_verified", l.stepVerifiedPassAt1());
        }
        if (first != null && first.policyVersion() < e.policyVersion()) {
            Bootstrap.Interval d = e.changeSince(first);
            if (d != null) {
                o.putObject("change").put("since_version", first.policyVersion()).put("mean", d.mean())
                        .put("low", d.low()).put("high", d.high());
            }
        }
        return o;
    }

    private static Map<String, String> query(String raw) {
        Map<String, String> q = new HashMap<>();
        if (raw != null) {
            for (String pair : raw.split("&")) {
                int eq = pair.indexOf('=');
                if (eq > 0) {
                    q.put(pair.substring(0, eq), URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
                }
            }
        }
        return q;
    }

    @Override
    public void close() {
        events.close();
        lag.close();
        server.stop(0);
        executor.shutdownNow();
    }
}
