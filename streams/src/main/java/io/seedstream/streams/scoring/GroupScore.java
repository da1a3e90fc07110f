package io.seedstream.streams.scoring;

import java.util.List;

/**
 * What scoring says about one group; arrays are indexed like the group's answers, except
 * {@code clusterProbs}, which is indexed by cluster id.
 */
public record GroupScore(
        List<String> extracted,
        double[] rewards,
        int[] clusterIds,
        double[] clusterProbs,
        double semanticEntropy,
        double scale,
        double[] advantages,
        double[] scaledAdvantages,
        int gradingTimeouts) {

    public int clusterCount() {
        return clusterProbs.length;
    }

    /** Whether every advantage is zero (all answers equally rewarded): no learning signal. */
    public boolean zeroAdvantage() {
        for (double a : advantages) {
            if (a != 0) {
                return false;
            }
        }
        return true;
    }

    public double meanReward() {
        double s = 0;
        for (double r : rewards) {
            s += r;
        }
        return rewards.length == 0 ? 0 : s / rewards.length;
    }
}
