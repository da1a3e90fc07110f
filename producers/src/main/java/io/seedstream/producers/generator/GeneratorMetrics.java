package io.seedstream.producers.generator;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.seedstream.schemas.avro.MetricsSnapshot;
import io.seedstream.schemas.avro.MetricsSource;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.DoubleAdder;

/**
 * What a generator measures: counters and gauges in the process's meter registry (tagged with the
 * generator's id, so several generators can share one) and, every interval, a snapshot of rates
 * for the metrics topic.
 */
public final class GeneratorMetrics {

    private final String source;
    private final MeterRegistry registry;
    private final Tags tags;
    private final Counter tokens;
    private final Counter groups;
    private final Counter evalAnswers;
    private final Counter batches;
    private final Counter deadLetters;
    private final Counter reloadFailures;
    private final Counter truncatedPrompts;
    private final Counter toolCalls;
    private final Counter toolFailures;
    private final Counter toolAnswers;
    private final Counter answers;
    private final Timer toolLatency;
    private final Timer reloads;
    private final Timer announceToUse;
    private final DoubleAdder samplingSeconds = new DoubleAdder();
    private final AtomicLong loadedVersion = new AtomicLong(-1);
    private final AtomicLong announcedVersion = new AtomicLong(-1);
    private final AtomicLong waiting = new AtomicLong();
    private volatile double lastBatchFill;
    private volatile double lastReloadSeconds;
    private final List<Double> announceToUseSeconds = new ArrayList<>();
    private double fillSum;
    private long fillCount;
    private Interval interval;

    /** Counter values at the start of the current snapshot interval. */
    private record Interval(Instant start, double tokens, double groups, double evalAnswers, double sampling,
            double fillSum, long fillCount) {}

    public GeneratorMetrics(String generatorId, Instant now, MeterRegistry registry) {
        this.source = "generator-" + generatorId;
        this.registry = registry;
        this.tags = Tags.of("generator", generatorId);
        tokens = Counter.builder("seedstream.generator.tokens").description("Answer tokens sampled").tags(tags).register(registry);
        groups = Counter.builder("seedstream.generator.groups").description("Answer groups published").tags(tags).register(registry);
        evalAnswers = Counter.builder("seedstream.generator.eval.answers").description("Greedy evaluation answers")
                .tags(tags).register(registry);
        batches = Counter.builder("seedstream.generator.batches").description("Sampler batches").tags(tags).register(registry);
        deadLetters = Counter.builder("seedstream.generator.dead.letters").description("Requests dead-lettered")
                .tags(tags).register(registry);
        reloadFailures = Counter.builder("seedstream.generator.reload.failures")
                .description("Announced checkpoints refused (missing, unreadable, wrong sha256)").tags(tags).register(registry);
        truncatedPrompts = Counter.builder("seedstream.generator.truncated.prompts")
                .description("Prompts cut to fit the context (their end kept)").tags(tags).register(registry);
        toolCalls = Counter.builder("seedstream.generator.tool.calls").description("Tool calls made mid-answer")
                .tags(tags).register(registry);
        toolFailures = Counter.builder("seedstream.generator.tool.failures")
                .description("Tool calls answered with an error text (malformed, over a limit, refused, timed out)")
                .tags(tags).register(registry);
        toolAnswers = Counter.builder("seedstream.generator.tool.answers").description("Answers with a tool call")
                .tags(tags).register(registry);
        answers = Counter.builder("seedstream.generator.answers").description("Answers sampled (rollouts)")
                .tags(tags).register(registry);
        toolLatency = Timer.builder("seedstream.generator.tool.latency").description("One tool call")
                .tags(tags).register(registry);
        reloads = Timer.builder("seedstream.generator.reload").description("Loading a new policy version")
                .tags(tags).register(registry);
        announceToUse = Timer.builder("seedstream.generator.announce.to.use")
                .description("From a version's announcement to its first sampler batch").tags(tags).register(registry);
        Gauge.builder("seedstream.generator.loaded.version", loadedVersion, AtomicLong::get).tags(tags).register(registry);
        Gauge.builder("seedstream.generator.version.lag", this, GeneratorMetrics::versionLag)
                .description("Announced minus loaded policy version").tags(tags).register(registry);
        Gauge.builder("seedstream.generator.requests.waiting", waiting, AtomicLong::get)
                .description("Requests fetched and not yet answered").tags(tags).register(registry);
        Gauge.builder("seedstream.generator.batch.fill", this, m -> m.lastBatchFill)
                .description("Sequences of the last batch over the batch capacity").tags(tags).register(registry);
        interval = new Interval(now, 0, 0, 0, 0, 0, 0);
    }

    public MeterRegistry registry() {
        return registry;
    }

    /** The tags of this generator's meters (also on its Kafka clients' metrics). */
    Tags tags() {
        return tags;
    }

    /** A sampler batch whose transaction committed. */
    void batch(int sequences, int capacity, long answerTokens, int groupCount, int evalCount, double seconds) {
        batches.increment();
        tokens.increment(answerTokens);
        groups.increment(groupCount);
        evalAnswers.increment(evalCount);
        samplingSeconds.add(seconds);
        lastBatchFill = sequences / (double) capacity;
        synchronized (this) {
            fillSum += lastBatchFill;
            fillCount++;
        }
    }

    /** A batch's transaction committed with this many dead letters. */
    void committed(int deadLetterCount) {
        deadLetters.increment(deadLetterCount);
    }

    /** A rollout answer and the tool calls made while sampling it. */
    void answered(java.util.List<io.seedstream.model.Completion.ToolUse> calls) {
        answers.increment();
        if (!calls.isEmpty()) {
            toolAnswers.increment();
        }
        for (io.seedstream.model.Completion.ToolUse u : calls) {
            toolCalls.increment();
            if (!u.result().status().equals("ok")) {
                toolFailures.increment();
            }
            toolLatency.record(Duration.ofMillis(u.result().latencyMs()));
        }
    }

    void truncatedPrompt() {
        truncatedPrompts.increment();
    }

    void reloaded(long version, double seconds) {
        loadedVersion.set(version);
        lastReloadSeconds = seconds;
        reloads.record(Duration.ofNanos((long) (seconds * 1e9)));
    }

    void reloadFailed() {
        reloadFailures.increment();
    }

    void firstUse(double secondsSinceAnnouncement) {
        announceToUse.record(Duration.ofNanos((long) (secondsSinceAnnouncement * 1e9)));
        synchronized (announceToUseSeconds) {
            announceToUseSeconds.add(secondsSinceAnnouncement);
        }
    }

    void versions(long loaded, long announced) {
        loadedVersion.set(loaded);
        announcedVersion.set(announced);
    }

    void waiting(long requests) {
        waiting.set(requests);
    }

    private double versionLag() {
        long a = announcedVersion.get();
        return a < 0 ? 0 : Math.max(0, a - loadedVersion.get());
    }

    public long batches() {
        return (long) batches.count();
    }

    public long evalAnswers() {
        return (long) evalAnswers.count();
    }

    public long groups() {
        return (long) groups.count();
    }

    public long tokens() {
        return (long) tokens.count();
    }

    public long deadLetters() {
        return (long) deadLetters.count();
    }

    public long reloadFailures() {
        return (long) reloadFailures.count();
    }

    /** Seconds spent sampling since the start (the busy time behind each snapshot's busy_fraction). */
    public double samplingSeconds() {
        return samplingSeconds.sum();
    }

    public long loadedVersion() {
        return loadedVersion.get();
    }

    /** Seconds from each loaded version's announcement to its first use, in order. */
    public List<Double> announceToUseSeconds() {
        synchronized (announceToUseSeconds) {
            return List.copyOf(announceToUseSeconds);
        }
    }

    /** The snapshot of the interval that ends now, and a new interval begins. */
    synchronized MetricsSnapshot snapshot(Instant now) {
        double secs = Math.max(1e-9, Duration.between(interval.start(), now).toNanos() / 1e9);
        double t = tokens.count();
        double g = groups.count();
        double e = evalAnswers.count();
        double busy = samplingSeconds.sum();
        Map<String, Double> v = new LinkedHashMap<>();
        v.put("tokens_per_second", (t - interval.tokens()) / secs);
        v.put("groups_per_second", (g - interval.groups()) / secs);
        v.put("eval_answers_per_second", (e - interval.evalAnswers()) / secs);
        v.put("busy_fraction", Math.min(1.0, (busy - interval.sampling()) / secs));
        long fills = fillCount - interval.fillCount();
        v.put("batch_fill", fills == 0 ? 0.0 : (fillSum - interval.fillSum()) / fills);
        v.put("version_lag", versionLag());
        v.put("reload_seconds", lastReloadSeconds);
        v.put("requests_waiting", (double) waiting.get());
        v.put("groups_total", g);
        v.put("tokens_total", t);
        v.put("dead_letters_total", deadLetters.count());
        v.put("reload_failures_total", reloadFailures.count());
        v.put("truncated_prompts_total", truncatedPrompts.count());
        v.put("answers_total", answers.count());
        v.put("tool_calls_total", toolCalls.count());
        v.put("tool_failures_total", toolFailures.count());
        v.put("tool_answers_total", toolAnswers.count());
        v.put("tool_latency_ms_mean", toolLatency.count() == 0 ? 0.0
                : toolLatency.totalTime(java.util.concurrent.TimeUnit.MILLISECONDS) / toolLatency.count());
        interval = new Interval(now, t, g, e, busy, fillSum, fillCount);
        return MetricsSnapshot.newBuilder().setSource(source).setKind(MetricsSource.GENERATOR).setStep((long) g)
                .setPolicyVersion(loadedVersion.get()).setValues(v).setHistograms(Map.of()).setCreatedAt(now).build();
    }

    boolean due(Instant now, Duration every) {
        return !now.isBefore(interval.start().plus(every));
    }
}
