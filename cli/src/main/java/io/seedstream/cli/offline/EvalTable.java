package io.seedstream.cli.offline;

import io.seedstream.streams.evaluation.EvalSummary;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/** Evaluation summaries as a fixed-width table, one row per level (eval, experiment report). */
final class EvalTable {

    private EvalTable() {}

    static String render(String benchmark, List<EvalSummary> summaries) {
        StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "%-14s %-5s %5s  %-22s %9s %8s %8s %8s  %s%n",
                "benchmark", "level", "n", "pass@1 [95% CI]", "verified", "mean@k", "pass@k", "maj@k",
                "greedy modes | sampled modes"));
        for (EvalSummary s : summaries) {
            b.append(String.format(Locale.ROOT, "%-14s %-5s %5d  %5.1f%% [%5.1f, %5.1f]  %8.1f%% %8s %8s %8s  %s%n",
                    benchmark, s.group(), s.problems(), 100 * s.passAt1().mean(), 100 * s.passAt1().low(),
                    100 * s.passAt1().high(), 100 * s.stepVerifiedPassAt1(), percent(s.meanAtK()),
                    percent(s.passAtK()), percent(s.majorityAtK()), modes(s.modeShares())
                            + (s.sampleModeShares().isEmpty() ? "" : " | " + modes(s.sampleModeShares()))));
        }
        return b.toString();
    }

    static String percent(double x) {
        return Double.isNaN(x) ? "-" : String.format(Locale.ROOT, "%.1f%%", 100 * x);
    }

    /** The shares, largest first; labels under half a percent (mostly garbled ones at temperature 1) as "other". */
    static String modes(Map<String, Double> shares) {
        double other = shares.values().stream().filter(v -> v < 0.005).mapToDouble(Double::doubleValue).sum();
        String shown = shares.entrySet().stream().filter(e -> e.getValue() >= 0.005)
                .sorted(Map.Entry.<String, Double>comparingByValue().reversed())
                .map(e -> String.format(Locale.ROOT, "%s %.0f%%", e.getKey(), 100 * e.getValue()))
                .collect(Collectors.joining(", "));
        return other > 0 ? shown + String.format(Locale.ROOT, ", other %.1f%%", 100 * other) : shown;
    }
}
