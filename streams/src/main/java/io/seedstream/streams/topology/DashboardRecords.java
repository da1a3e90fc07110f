package io.seedstream.streams.topology;

import io.seedstream.streams.evaluation.Bootstrap;
import io.seedstream.streams.evaluation.EvalSummary;
import io.seedstream.streams.evaluation.ProblemOutcome;

/** The values of the dashboard's state stores (JSON in their changelogs). */
public final class DashboardRecords {

    /**
     * What is known of one prompt's uncertainty. {@code clusters} are the meanings of its latest
     * group, most probable first; {@code history} its last {@link #HISTORY} visits. Both are null
     * in state written before they existed.
     */
    public record PromptStats(String promptId, String dataset, double latestEntropy, int latestClusters,
            long visits, long answers, long correct, long lastPolicyVersion, long updatedAt, String problem,
            java.util.List<Cluster> clusters, java.util.List<Visit> history, long zeroAdvantageVisits,
            long droppedVisits) {

        public static final int HISTORY = 32;

        public double passRate() {
            return answers == 0 ? 0 : (double) correct / answers;
        }
    }

    /** One meaning among a group's answers: an answer that stands for it, its probability, its answers and whether it is right. */
    public record Cluster(String representative, double probability, int answers, boolean correct) {}

    /**
     * One group of a prompt: the version that sampled it, its semantic entropy, how many answers were
     * right, and whether all its answers got the same reward (false in visits stored before it was kept).
     */
    public record Visit(long policyVersion, double entropy, int answers, int correct, boolean zeroAdvantage) {}

    /** One scored group reduced to what the per-version aggregate needs. */
    /** @param toolAnswers answers with a tool call; toolCalls, toolFailures, toolLatencyMs over the group's calls */
    public record GroupSummary(long policyVersion, int answers, int correct, double entropy, double normalizedEntropy,
            double scale, boolean zeroAdvantage, int toolAnswers, int toolCalls, int toolFailures, long toolLatencyMs) {}

    /**
     * Aggregate over every group sampled by one policy version, with two histograms of its groups: by
     * SE / ln G and by pass rate (right answers / answers; bin 0 holds exactly 0, the last exactly 1,
     * the bins between split (0, 1) evenly). Stored before the pass-rate histogram was kept, it is null.
     */
    public record VersionStats(long policyVersion, long groups, long answers, long correct, double sumEntropy,
            double sumScale, long zeroAdvantageGroups, long[] entropyHistogram, long[] passRateHistogram,
            long toolAnswers, long toolCalls, long toolFailures, long toolLatencyMs) {

        public static final int BINS = 10;
        /** 0, eight even bins of (0, 1), and 1. */
        public static final int PASS_BINS = 10;

        public static VersionStats empty() {
            return new VersionStats(-1, 0, 0, 0, 0, 0, 0, new long[BINS], new long[PASS_BINS], 0, 0, 0, 0);
        }

        VersionStats add(GroupSummary g) {
            long[] hist = entropyHistogram.clone();
            int bin = (int) Math.min(BINS - 1, Math.max(0, Math.floor(g.normalizedEntropy() * BINS)));
            hist[bin]++;
            long[] pass = passRateHistogram == null ? new long[PASS_BINS] : passRateHistogram.clone();
            pass[passBin(g.answers() == 0 ? 0 : (double) g.correct() / g.answers())]++;
            return new VersionStats(g.policyVersion(), groups + 1, answers + g.answers(), correct + g.correct(),
                    sumEntropy + g.entropy(), sumScale + g.scale(), zeroAdvantageGroups + (g.zeroAdvantage() ? 1 : 0),
                    hist, pass,
                    toolAnswers + g.toolAnswers(), toolCalls + g.toolCalls(), toolFailures + g.toolFailures(),
                    toolLatencyMs + g.toolLatencyMs());
        }

        static int passBin(double rate) {
            if (rate <= 0) {
                return 0;
            }
            if (rate >= 1) {
                return PASS_BINS - 1;
            }
            return 1 + (int) Math.min(PASS_BINS - 3, Math.floor(rate * (PASS_BINS - 2)));
        }

        public double meanEntropy() {
            return groups == 0 ? 0 : sumEntropy / groups;
        }

        public double accuracy() {
            return answers == 0 ? 0 : (double) correct / answers;
        }

        public double zeroAdvantageFraction() {
            return groups == 0 ? 0 : (double) zeroAdvantageGroups / groups;
        }

        public double meanScale() {
            return groups == 0 ? 0 : sumScale / groups;
        }
    }

    /**
     * One evaluation round (a benchmark at a policy version): its counts (of greedy answers) and each
     * problem's outcome, from which the per-level summaries and the paired change from an earlier
     * round are computed; when the round drew samples, each problem's samples are kept apart until
     * they are put beside its greedy answer.
     */
    public record EvalTally(String benchmark, long policyVersion, long answered, long correct,
            java.util.SortedMap<String, ProblemOutcome> outcomes, java.util.SortedMap<String, ProblemOutcome> sampled) {

        public EvalTally {
            // tallies written before outcomes (or samples) were kept have none
            outcomes = outcomes == null ? new java.util.TreeMap<>() : outcomes;
            sampled = sampled == null ? new java.util.TreeMap<>() : sampled;
        }

        public static EvalTally empty() {
            return new EvalTally("", -1, 0, 0, new java.util.TreeMap<>(), new java.util.TreeMap<>());
        }

        EvalTally add(String bench, long version, boolean isCorrect, ProblemOutcome o) {
            java.util.TreeMap<String, ProblemOutcome> next = new java.util.TreeMap<>(outcomes);
            if (o != null) {
                next.put(o.id(), o);
            }
            return new EvalTally(bench, version, answered + 1, correct + (isCorrect ? 1 : 0), next, sampled);
        }

        EvalTally addSamples(String bench, long version, ProblemOutcome o) {
            java.util.TreeMap<String, ProblemOutcome> next = new java.util.TreeMap<>(sampled);
            next.put(o.id(), o);
            return new EvalTally(bench, version, answered, correct, outcomes, next);
        }

        /** Which round and how far it has filled: what is derived from it changes only with this. */
        public String revision() {
            return benchmark + "@" + policyVersion + "/" + answered + "+" + sampled.size();
        }

        /** Each greedy outcome with its problem's samples beside it, where they came. */
        public java.util.List<ProblemOutcome> combined() {
            java.util.List<ProblemOutcome> out = new java.util.ArrayList<>(outcomes.size());
            for (ProblemOutcome o : outcomes.values()) {
                ProblemOutcome s = sampled.get(o.id());
                out.add(s == null ? o : o.withSamplesOf(s));
            }
            return out;
        }

        public double accuracy() {
            return answered == 0 ? 0 : (double) correct / answered;
        }

        /** Overall and per level (greedy measures; the bootstrap seeded by the version, so it reads the same). */
        public java.util.List<EvalSummary> summaries() {
            return outcomes.isEmpty() ? java.util.List.of() : EvalSummary.byLevel(combined(), policyVersion);
        }

        /** The paired change of greedy pass@1 since {@code earlier}, on the problems both graded; null if none. */
        public Bootstrap.Interval changeSince(EvalTally earlier) {
            return EvalSummary.pairedChange(java.util.List.copyOf(earlier.outcomes().values()),
                    java.util.List.copyOf(outcomes.values()), policyVersion);
        }
    }

    /** A group waiting for its prompt to arrive in the prompts table. */
    public record PendingGroup(byte[] value, String key, int partition, long offset, long firstSeenMs, long timestamp) {}

    private DashboardRecords() {}

    /** One metrics snapshot as the dashboard keeps it. */
    public record MetricsPoint(String source, String kind, long step, long policyVersion, long createdAt,
            java.util.Map<String, Double> values, java.util.Map<String, java.util.List<Long>> histograms) {}
}
