package io.seedstream.streams.grading;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Single-thread throughput and latency of the grader on four workloads: identical answers, the
 * same number written differently, symbolic expressions, and a realistic mix (labelled cases).
 * The cache is off and every generated pair is distinct, so each call is a real decision.
 */
public final class GraderBenchmark {

    /** A reference and a prediction. */
    public record Pair(String gold, String pred) {}

    /** Figures of one workload. */
    public record Result(String workload, long decisions, double pairsPerSecond, double p50Ms, double p99Ms,
            double maxMs, long equal) {}

    private final Grader grader;

    public GraderBenchmark(GraderOptions options) {
        this.grader = new Grader(options, 0);
    }

    public static List<Pair> identical(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        List<Pair> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            String a = switch (i % 3) {
                case 0 -> String.valueOf(r.nextInt(1_000_000));
                case 1 -> r.nextInt(1, 1000) + "/" + r.nextInt(1, 1000);
                default -> "\\frac{" + r.nextInt(1, 1000) + "}{" + r.nextInt(1, 1000) + "}";
            };
            out.add(new Pair(a, "\\boxed{" + a + "}"));
        }
        return out;
    }

    public static List<Pair> sameNumberOtherForm(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        List<Pair> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            int num = r.nextInt(1, 10_000);
            int den = new int[] {2, 4, 5, 8, 10, 16, 20, 25}[r.nextInt(8)];
            String decimal = new java.math.BigDecimal(num).divide(new java.math.BigDecimal(den)).toPlainString();
            String gold = switch (i % 3) {
                case 0 -> "\\frac{" + num + "}{" + den + "}";
                case 1 -> num + "/" + den;
                default -> "\\dfrac{" + (2 * num) + "}{" + (2 * den) + "}";
            };
            out.add(new Pair(gold, "The answer is $" + decimal + "$."));
        }
        return out;
    }

    public static List<Pair> symbolic(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        List<Pair> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            int k = r.nextInt(1, 50);
            int m = r.nextInt(1, 50);
            Pair p = switch (i % 4) {
                case 0 -> new Pair("(x+" + k + ")^2", "\\boxed{x^2+" + (2 * k) + "x+" + (k * k) + "}");
                case 1 -> new Pair("\\frac{x+" + k + "}{" + m + "}", "\\boxed{\\frac{x}{" + m + "}+\\frac{" + k + "}{" + m + "}}");
                case 2 -> new Pair("y = " + k + "x + " + m, "\\boxed{" + k + "x - y + " + m + " = 0}");
                default -> new Pair("\\sin^2(" + k + "t) + \\cos^2(" + k + "t)", "\\boxed{1}");
            };
            out.add(p);
        }
        return out;
    }

    /** Runs a workload for at least {@code minSeconds} after a warm-up of the same pairs. */
    public Result run(String name, List<Pair> pairs, double minSeconds) {
        // warm-up: let the JIT compile the hot paths before measuring
        long warm = System.nanoTime() + (long) (Math.min(2.0, minSeconds) * 1e9);
        for (int i = 0; System.nanoTime() < warm; i++) {
            Pair p = pairs.get(i % pairs.size());
            grader.grade(p.gold(), p.pred());
        }
        long[] latencies = new long[1 << 16];
        int count = 0;
        long equal = 0;
        long start = System.nanoTime();
        long deadline = start + (long) (minSeconds * 1e9);
        int i = 0;
        while (System.nanoTime() < deadline || i < pairs.size() && i < 100) {
            Pair p = pairs.get(i % pairs.size());
            long t0 = System.nanoTime();
            if (grader.grade(p.gold(), p.pred()).equal()) {
                equal++;
            }
            if (count == latencies.length) {
                latencies = Arrays.copyOf(latencies, count * 2);
            }
            latencies[count++] = System.nanoTime() - t0;
            i++;
        }
        double secs = (System.nanoTime() - start) / 1e9;
        long[] sorted = Arrays.copyOf(latencies, count);
        Arrays.sort(sorted);
        return new Result(name, sorted.length, sorted.length / secs, percentile(sorted, 0.50) / 1e6,
                percentile(sorted, 0.99) / 1e6, sorted[sorted.length - 1] / 1e6, equal);
    }

    private static double percentile(long[] sorted, double q) {
        return sorted[Math.min(sorted.length - 1, (int) Math.floor(q * sorted.length))];
    }

    /** Every workload; {@code mix} are the realistic pairs (e.g. the labelled dev cases). */
    public Map<String, Result> runAll(List<Pair> mix, double secondsEach) {
        Map<String, Result> out = new LinkedHashMap<>();
        for (Result r : Arrays.asList(
                run("identical", identical(200_000, 1), secondsEach),
                run("same_number_other_form", sameNumberOtherForm(200_000, 2), secondsEach),
                run("symbolic", symbolic(50_000, 3), secondsEach),
                mix.isEmpty() ? null : run("realistic_mix", mix, secondsEach))) {
            if (r != null) {
                out.put(r.workload(), r);
            }
        }
        return out;
    }
}
