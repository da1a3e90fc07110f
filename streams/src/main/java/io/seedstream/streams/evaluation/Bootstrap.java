package io.seedstream.streams.evaluation;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Percentile bootstrap intervals of a mean over problems. A paired difference (the same problems
 * at two versions) is the mean of the per-problem differences, resampled as pairs, so the
 * interval reflects the problems the two rounds share instead of two independent rounds' noise.
 */
public final class Bootstrap {

    /** A mean and its 95% interval. */
    public record Interval(double mean, double low, double high) {
        public boolean excludesZero() {
            return low > 0 || high < 0;
        }
    }

    public static final int RESAMPLES = 2000;

    private Bootstrap() {}

    /** The 95% percentile interval of the mean of {@code values} ({@value #RESAMPLES} seeded resamples). */
    public static Interval mean(double[] values, long seed) {
        return mean(values, RESAMPLES, 0.95, seed);
    }

    public static Interval mean(double[] values, int resamples, double level, long seed) {
        int n = values.length;
        if (n == 0) {
            throw new IllegalArgumentException("a bootstrap needs at least one value");
        }
        double mean = Arrays.stream(values).sum() / n;
        SplittableRandom r = new SplittableRandom(seed);
        double[] means = new double[resamples];
        for (int b = 0; b < resamples; b++) {
            double s = 0;
            for (int i = 0; i < n; i++) {
                s += values[r.nextInt(n)];
            }
            means[b] = s / n;
        }
        Arrays.sort(means);
        double tail = (1 - level) / 2;
        return new Interval(mean, means[(int) Math.floor(tail * (resamples - 1))],
                means[(int) Math.ceil((1 - tail) * (resamples - 1))]);
    }

    /** The mean of after - before over paired problems, with its interval. */
    public static Interval pairedDifference(double[] before, double[] after, long seed) {
        if (before.length != after.length) {
            throw new IllegalArgumentException("paired values need the same problems: " + before.length + " vs "
                    + after.length);
        }
        double[] d = new double[before.length];
        for (int i = 0; i < d.length; i++) {
            d[i] = after[i] - before[i];
        }
        return mean(d, seed);
    }
}
