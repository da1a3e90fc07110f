package io.seedstream.cli;

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
                "benchmark", "level", "n", "pass@1 [95% CI]", "verified", "mean@k", "pass@k", "maj@k", "greedy modes"));
        for (EvalSummary s : summaries) {
            b.append(String.format(Locale.ROOT, "%-14s %-5s %5d  %5.1f%% [%5.1f, %5.1f]  %8.1f%% %8s %8s %8s  %s%n",
                    benchmark, s.group(), s.problems(), 100 * s.passAt1().mean(), 100 * s.passAt1().low(),
                    100 * s.passAt1().high(), 100 * s.stepVerifiedPassAt1(), percent(s.meanAtK()),
                    percent(s.passAtK()), percent(s.majorityAtK()), modes(s.modeShares())));
        }
        return b.toString();
    }

    static String percent(double x) {
        return Double.isNaN(x) ? "-" : String.format(Locale.ROOT, "%.1f%%", 100 * x);
    }

    static String modes(Map<String, Double> shares) {
        return shares.entrySet().stream().sorted(Map.Entry.<String, Double>comparingByValue().reversed())
                .map(e -> String.format(Locale.ROOT, "%s %.0f%%", e.getKey(), 100 * e.getValue()))
                .collect(Collectors.joining(", "));
    }
}
