package io.seedstream.streams.scoring;

/**
 * Cluster probabilities and semantic entropy of a group (DESIGN.md section 1, steps 4 and 5).
 * With the likelihood estimator, l_i is the mean token log-prob of answer i and
 * log p_k = logsumexp_{i in k} l_i - logsumexp_i l_i; with count, p_k = |C_k| / G.
 */
public final class SemanticEntropy {

    /** Probabilities indexed by cluster id, and the entropy. */
    public record Result(double[] clusterProbs, double entropy) {}

    private SemanticEntropy() {}

    /**
     * @param clusterIds cluster of each answer, numbered 0..K-1
     * @param meanLogprobs l_i of each answer (ignored by the count estimator)
     */
    public static Result compute(int[] clusterIds, double[] meanLogprobs, ScoringConfig.Estimator estimator) {
        int g = clusterIds.length;
        int k = 0;
        for (int c : clusterIds) {
            k = Math.max(k, c + 1);
        }
        double[] logp = new double[k];
        if (estimator == ScoringConfig.Estimator.COUNT) {
            int[] sizes = new int[k];
            for (int c : clusterIds) {
                sizes[c]++;
            }
            for (int c = 0; c < k; c++) {
                logp[c] = Math.log((double) sizes[c] / g);
            }
        } else {
            double total = logSumExp(meanLogprobs, null, -1);
            for (int c = 0; c < k; c++) {
                logp[c] = logSumExp(meanLogprobs, clusterIds, c) - total;
            }
        }
        double[] p = new double[k];
        double entropy = 0;
        for (int c = 0; c < k; c++) {
            p[c] = Math.exp(logp[c]);
            entropy -= estimator == ScoringConfig.Estimator.KUHN ? logp[c] / k : p[c] * logp[c];
        }
        return new Result(p, entropy);
    }

    /** log sum exp of the values (of one cluster when ids is given), computed stably. */
    static double logSumExp(double[] values, int[] ids, int cluster) {
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < values.length; i++) {
            if (ids == null || ids[i] == cluster) {
                max = Math.max(max, values[i]);
            }
        }
        if (max == Double.NEGATIVE_INFINITY) {
            return max;
        }
        double sum = 0;
        for (int i = 0; i < values.length; i++) {
            if (ids == null || ids[i] == cluster) {
                sum += Math.exp(values[i] - max);
            }
        }
        return max + Math.log(sum);
    }
}
