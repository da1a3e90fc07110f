package io.seedstream.streams.evaluation;

/**
 * Majority-of-k: the answer most of the k samples agree on (by meaning, as the topology clusters
 * them) is the one submitted. Ties go to the cluster that reached the top count first in sample
 * order, so the vote is deterministic; a sample with no answer is a cluster of its own and never wins
 * unless every sample has none.
 */
public final class MajorityVote {

    private MajorityVote() {}

    /**
     * @param clusters the cluster of each sample
     * @param correct whether each sample is right (the same within a cluster)
     * @return whether the majority answer is right
     */
    public static boolean correct(int[] clusters, boolean[] correct) {
        if (clusters.length != correct.length || clusters.length == 0) {
            throw new IllegalArgumentException("one cluster and one grade per sample, at least one sample");
        }
        int max = 0;
        for (int c : clusters) {
            max = Math.max(max, c);
        }
        int[] counts = new int[max + 1];
        int best = -1;
        int bestCount = 0;
        for (int c : clusters) {
            if (++counts[c] > bestCount) {
                bestCount = counts[c];
                best = c;
            }
        }
        for (int i = 0; i < clusters.length; i++) {
            if (clusters[i] == best) {
                return correct[i];
            }
        }
        return false;
    }
}
