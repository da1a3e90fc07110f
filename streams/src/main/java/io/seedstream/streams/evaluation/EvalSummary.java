package io.seedstream.streams.evaluation;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Predicate;

/**
 * One evaluation round summarised over a set of problems (all of them, or one level): greedy
 * pass@1 with its bootstrap 95% interval, step-verified pass@1, the greedy answers' modes, and
 * over k samples at temperature T mean@k (the mean share of right samples), the unbiased pass@k,
 * majority-of-k and the samples' modes.
 *
 * @param group "all" or "L1".."L4"
 * @param k samples per problem (0: the round drew none; the sampled measures are then NaN)
 */
public record EvalSummary(String group, int problems, Bootstrap.Interval passAt1, double stepVerifiedPassAt1,
        int k, double meanAtK, double passAtK, double majorityAtK, Map<String, Double> modeShares,
        Map<String, Double> sampleModeShares) {

    public static final String ALL = "all";

    /** The summary of every problem, then one per level present, in level order. */
    public static List<EvalSummary> byLevel(List<ProblemOutcome> outcomes, long seed) {
        List<EvalSummary> out = new ArrayList<>();
        out.add(of(ALL, outcomes, seed));
        outcomes.stream().map(ProblemOutcome::level).filter(l -> l > 0).distinct().sorted()
                .forEach(l -> out.add(of("L" + l, outcomes.stream().filter(o -> o.level() == l).toList(), seed)));
        return out;
    }

    public static EvalSummary of(String group, List<ProblemOutcome> outcomes, long seed) {
        int n = outcomes.size();
        if (n == 0) {
            throw new IllegalArgumentException("no problems to summarise");
        }
        List<ProblemOutcome> sorted = outcomes.stream().sorted(Comparator.comparing(ProblemOutcome::id)).toList();
        double[] right = sorted.stream().mapToDouble(o -> o.correct() ? 1 : 0).toArray();
        Bootstrap.Interval pass1 = Bootstrap.mean(right, seed);
        double verified = share(sorted, ProblemOutcome::stepVerified);
        Map<String, Double> modes = new TreeMap<>();
        sorted.stream().collect(java.util.stream.Collectors.groupingBy(ProblemOutcome::mode, java.util.stream.Collectors.counting()))
                .forEach((mode, count) -> modes.put(mode, count / (double) n));
        int k = sorted.stream().mapToInt(ProblemOutcome::samples).min().orElse(0);
        double meanAtK = Double.NaN;
        double passAtK = Double.NaN;
        double majority = Double.NaN;
        if (k > 0) {
            meanAtK = sorted.stream().mapToDouble(o -> (double) o.samplesCorrect() / o.samples()).average().orElse(0);
            passAtK = sorted.stream().mapToDouble(o -> PassAtK.estimate(o.samples(), o.samplesCorrect(), k))
                    .average().orElse(0);
            majority = share(sorted, ProblemOutcome::majorityCorrect);
        }
        Map<String, Double> sampleModes = new TreeMap<>();
        long sampled = sorted.stream().mapToLong(ProblemOutcome::samples).sum();
        sorted.forEach(o -> o.sampleModes().forEach((mode, count) -> sampleModes.merge(mode, (double) count, Double::sum)));
        sampleModes.replaceAll((mode, count) -> count / sampled);
        return new EvalSummary(group, n, pass1, verified, k, meanAtK, passAtK, majority, modes, sampleModes);
    }

    private static double share(List<ProblemOutcome> os, Predicate<ProblemOutcome> p) {
        return os.stream().filter(p).count() / (double) os.size();
    }

    /**
     * The paired change of greedy pass@1 from {@code before} to {@code after} on the problems both
     * rounds graded, with its bootstrap 95% interval; null when they share none.
     */
    public static Bootstrap.Interval pairedChange(List<ProblemOutcome> before, List<ProblemOutcome> after, long seed) {
        Map<String, ProblemOutcome> then = new TreeMap<>();
        before.forEach(o -> then.put(o.id(), o));
        List<double[]> pairs = new ArrayList<>();
        after.stream().sorted(Comparator.comparing(ProblemOutcome::id)).forEach(o -> {
            ProblemOutcome b = then.get(o.id());
            if (b != null) {
                pairs.add(new double[] {b.correct() ? 1 : 0, o.correct() ? 1 : 0});
            }
        });
        if (pairs.isEmpty()) {
            return null;
        }
        return Bootstrap.pairedDifference(pairs.stream().mapToDouble(p -> p[0]).toArray(),
                pairs.stream().mapToDouble(p -> p[1]).toArray(), seed);
    }
}
