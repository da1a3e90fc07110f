package io.seedstream.cli.local;

import io.seedstream.cli.StatusLine;
import io.seedstream.producers.generator.RolloutGenerator;
import io.seedstream.streams.evaluation.EvalSummary;
import io.seedstream.streams.topology.DashboardRecords.EvalTally;
import io.seedstream.streams.topology.ScoringService;
import io.seedstream.trainer.StepMetrics;
import java.util.ArrayDeque;
import java.util.Comparator;
import java.util.Deque;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * {@code up}'s status line, redrawn every second: the policy version and the last step's reward,
 * semantic entropy, scale, staleness and trainer wait (from the trainer's step metrics), the
 * generators' groups/s over the last 10 s, and the newest evaluation accuracy (from the
 * topology's state).
 */
final class UpStatus implements AutoCloseable {

    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "seedstream-up-status");
        t.setDaemon(true);
        return t;
    });
    private volatile List<RolloutGenerator> generators = List.of();
    private final ScoringService scoring;
    private final StatusLine line;
    private final Deque<long[]> groupSamples = new ArrayDeque<>(); // {nanos, groups}
    private volatile StepMetrics lastStep;

    UpStatus(ScoringService scoring, StatusLine line) {
        this.scoring = scoring;
        this.line = line;
        timer.scheduleAtFixedRate(this::redraw, 1, 1, TimeUnit.SECONDS);
    }

    /** The generators whose counters to show. */
    void watch(List<RolloutGenerator> running) {
        this.generators = List.copyOf(running);
    }

    /** The trainer's metrics after a step. */
    void step(StepMetrics metrics) {
        lastStep = metrics;
    }

    String text() {
        StepMetrics m = lastStep;
        StringBuilder s = new StringBuilder();
        long version = generators.stream().mapToLong(g -> g.metrics().loadedVersion()).max().orElse(0);
        s.append(String.format(Locale.ROOT, "version %d", Math.max(version, m == null ? 0 : m.step())));
        if (m != null) {
            s.append(String.format(Locale.ROOT, "  reward %.3f  SE %.3f  scale %.3f  staleness %.2f  trainer wait %.0f%%",
                    m.meanReward(), m.meanSemanticEntropy(), m.meanScale(), m.meanStaleness(), 100 * m.waitFraction()));
        } else {
            s.append("  (waiting for the first training batch)");
        }
        s.append(String.format(Locale.ROOT, "  %.2f groups/s", groupsPerSecond()));
        s.append(wasted());
        s.append(evaluation());
        return s.toString();
    }

    /** The share of scored groups whose answers all got the same reward: sampled, but no learning signal. */
    private String wasted() {
        Map<String, Long> counts = scoring.metrics().snapshot();
        long scored = counts.getOrDefault("groups_scored", 0L);
        return scored == 0 ? "" : String.format(Locale.ROOT, "  wasted %.0f%%",
                100.0 * counts.getOrDefault("zero_advantage_groups", 0L) / scored);
    }

    private static final long EVAL_READ_INTERVAL_NANOS = 5_000_000_000L;
    private String evalKey = "";
    private String evalText = "";
    private long evalReadAt = System.nanoTime() - EVAL_READ_INTERVAL_NANOS;

    /**
     * The newest round: accuracy with its 95% interval, step-verified accuracy, mean@k and pass@k when
     * it drew samples, and the paired change since the first round once the newest is complete.
     * Recomputed only when a round grows.
     */
    private synchronized String evaluation() {
        // every round's per-problem outcomes are read from the store: once every few seconds, not at every redraw
        if (System.nanoTime() - evalReadAt < EVAL_READ_INTERVAL_NANOS) {
            return evalText;
        }
        evalReadAt = System.nanoTime();
        List<EvalTally> all = scoring.evaluations();
        EvalTally newest = all.stream().max(Comparator.comparingLong(EvalTally::policyVersion)).orElse(null);
        if (newest == null) {
            return "";
        }
        String key = newest.revision();
        if (key.equals(evalKey)) {
            return evalText;
        }
        StringBuilder s = new StringBuilder(String.format(Locale.ROOT, "  eval %s %.1f%%", newest.benchmark(),
                100 * newest.accuracy()));
        List<EvalSummary> summaries = newest.summaries();
        if (!summaries.isEmpty()) {
            EvalSummary a = summaries.get(0);
            s.append(String.format(Locale.ROOT, " [%.0f-%.0f] verified %.1f%%", 100 * a.passAt1().low(),
                    100 * a.passAt1().high(), 100 * a.stepVerifiedPassAt1()));
            if (a.k() > 0) {
                s.append(String.format(Locale.ROOT, " mean@%d %.1f%% pass@%d %.1f%%", a.k(), 100 * a.meanAtK(), a.k(),
                        100 * a.passAtK()));
            }
        }
        s.append(String.format(Locale.ROOT, " @v%d (%d)", newest.policyVersion(), newest.answered()));
        EvalTally first = all.stream().filter(e -> e.benchmark().equals(newest.benchmark()))
                .min(Comparator.comparingLong(EvalTally::policyVersion)).orElse(newest);
        if (first.policyVersion() < newest.policyVersion() && first.answered() == newest.answered()) {
            var d = newest.changeSince(first);
            if (d != null) {
                s.append(String.format(Locale.ROOT, " %+.1f [%+.1f, %+.1f] since v%d", 100 * d.mean(), 100 * d.low(),
                        100 * d.high(), first.policyVersion()));
            }
        }
        evalKey = key;
        evalText = s.toString();
        return evalText;
    }

    private void redraw() {
        try {
            line.show(text());
        } catch (RuntimeException e) {
            line.show("status unavailable: " + e.getMessage());
        }
    }

    private synchronized double groupsPerSecond() {
        long now = System.nanoTime();
        long groups = generators.stream().mapToLong(g -> g.metrics().groups()).sum();
        groupSamples.addLast(new long[] {now, groups});
        while (groupSamples.size() > 2 && now - groupSamples.peekFirst()[0] > TimeUnit.SECONDS.toNanos(10)) {
            groupSamples.removeFirst();
        }
        long[] first = groupSamples.peekFirst();
        double secs = (now - first[0]) / 1e9;
        return secs <= 0 ? 0 : (groups - first[1]) / secs;
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
