package io.seedstream.streams.evaluation;

/**
 * The unbiased pass@k estimator of Chen et al. (2021, "Evaluating Large Language Models Trained
 * on Code"): with n samples of which c are right, pass@k = 1 - C(n-c, k) / C(n, k), computed as a
 * product so that no binomial coefficient is ever formed.
 */
public final class PassAtK {

    private PassAtK() {}

    public static double estimate(int n, int c, int k) {
        if (n < 1 || k < 1 || k > n || c < 0 || c > n) {
            throw new IllegalArgumentException("pass@k needs 1 <= k <= n and 0 <= c <= n, was n=" + n + " c=" + c + " k=" + k);
        }
        if (n - c < k) {
            return 1.0;
        }
        double allWrong = 1.0; // C(n-c, k) / C(n, k) = prod_{i=n-c+1}^{n} (1 - k / i)
        for (int i = n - c + 1; i <= n; i++) {
            allWrong *= 1.0 - (double) k / i;
        }
        return 1.0 - allWrong;
    }
}
