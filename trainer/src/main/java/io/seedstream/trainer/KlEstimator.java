package io.seedstream.trainer;

import ai.djl.ndarray.NDArray;
import java.util.Locale;

/** Per-token estimators of KL(pi_theta || pi_ref) from log-probs of sampled tokens (Schulman's k1, k3). */
public enum KlEstimator {
    /** log pi_theta - log pi_ref: unbiased, can be negative. */
    K1,
    /** exp(d) - d - 1 with d = log pi_ref - log pi_theta: unbiased, never negative. */
    K3;

    /** @param logp (B, L) current log-probs @param refLogp (B, L) the frozen reference's @return (B, L) */
    public NDArray estimate(NDArray logp, NDArray refLogp) {
        if (this == K1) {
            return logp.sub(refLogp);
        }
        NDArray d = refLogp.sub(logp);
        return d.exp().sub(d).sub(1);
    }

    public static KlEstimator parse(String s) {
        try {
            return valueOf(s.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown KL estimator '" + s + "' (k1, k3)");
        }
    }
}
