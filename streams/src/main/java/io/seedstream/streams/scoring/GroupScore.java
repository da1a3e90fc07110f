package io.seedstream.streams.scoring;

import io.seedstream.schemas.avro.AnswerGroup;
import io.seedstream.schemas.avro.ScoredGroup;
import java.util.ArrayList;
import java.util.Arrays;
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

    /** The scored group as it travels in training batches. */
    public ScoredGroup toRecord(AnswerGroup group, int sourcePartition, long sourceOffset) {
        return ScoredGroup.newBuilder().setRollout(group).setExtractedAnswers(new ArrayList<>(extracted))
                .setRewards(boxed(rewards)).setClusterIds(Arrays.stream(clusterIds).boxed().toList())
                .setClusterProbs(boxed(clusterProbs)).setSemanticEntropy(semanticEntropy).setScale(scale)
                .setAdvantages(boxed(advantages)).setScaledAdvantages(boxed(scaledAdvantages))
                .setSourcePartition(sourcePartition).setSourceOffset(sourceOffset).build();
    }

    private static List<Double> boxed(double[] xs) {
        return Arrays.stream(xs).boxed().toList();
    }
}
