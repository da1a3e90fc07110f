package io.seedstream.streams.scoring;

/**
 * The scale s = f(x), x = alpha * SE / SE_max with SE_max = ln G, applied to every advantage of a
 * group (DESIGN.md section 1, step 6). A non-finite scale falls back to 1; with G < 2 it is 1.
 */
public final class EntropyModulation {

    private EntropyModulation() {}

    public static double scale(double entropy, int groupSize, ScoringConfig.Modulation f, double alpha) {
        if (groupSize < 2 || f == ScoringConfig.Modulation.NONE) {
            return 1.0;
        }
        double seMax = Math.log(groupSize);
        double x = alpha * entropy / seMax;
        double s = switch (f) {
            case INVERSE -> 1.0 / (1.0 + x);
            case LINEAR -> Math.max(0.0, 1.0 - x);
            case EXP -> Math.exp(-x);
            case FOCAL -> Math.pow(Math.max(0.0, 1.0 - entropy / seMax), alpha);
            case NONE -> 1.0;
        };
        return Double.isFinite(s) ? s : 1.0;
    }
}
