package io.seedstream.streams.scoring;

/** Base advantages of a group's rewards (DESIGN.md section 1, step 2). */
public final class Advantages {

    static final double GRPO_EPS = 1e-6;

    private Advantages() {}

    public static double[] compute(double[] rewards, ScoringConfig.Advantage kind) {
        int g = rewards.length;
        double[] a = new double[g];
        if (g == 0) {
            return a;
        }
        double sum = 0;
        for (double r : rewards) {
            sum += r;
        }
        double mean = sum / g;
        switch (kind) {
            case DR_GRPO -> {
                for (int i = 0; i < g; i++) {
                    a[i] = rewards[i] - mean;
                }
            }
            case GRPO -> {
                double ss = 0;
                for (double r : rewards) {
                    ss += (r - mean) * (r - mean);
                }
                // sample standard deviation (G - 1), as TRL and verl compute it
                double std = g > 1 ? Math.sqrt(ss / (g - 1)) : 0;
                for (int i = 0; i < g; i++) {
                    a[i] = (rewards[i] - mean) / (std + GRPO_EPS);
                }
            }
            case RLOO -> {
                for (int i = 0; i < g; i++) {
                    a[i] = g > 1 ? rewards[i] - (sum - rewards[i]) / (g - 1) : 0;
                }
            }
            default -> throw new IllegalArgumentException("advantage " + kind);
        }
        return a;
    }
}
