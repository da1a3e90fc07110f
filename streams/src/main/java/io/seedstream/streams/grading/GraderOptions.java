package io.seedstream.streams.grading;

import java.time.Duration;
import java.util.Objects;

/**
 * How the grader decides equivalence.
 *
 * @param relativeTolerance numbers a and b are equal when |a - b| <= tol * max(|a|, |b|)
 *     (default 1e-6)
 * @param decimals when >= 0, a comparison involving a decimal literal rounds both sides to this
 *     many decimal places instead (Math-Verify's {@code precision}); -1 (default) uses the tolerance
 * @param timeout bound on one decision; a decision that runs out is "not equal" (default 2 s)
 * @param setRelationComparison whether {@code x \in [a,b]} equals {@code a <= x <= b} (default true)
 * @param strictVariables whether variable names matter ({@code f(x)} vs {@code f(y)}; default true)
 * @param orderedLists whether bare comma lists compare in order (the MATH benchmark's own
 *     checker does; default false: {@code 1, 2} equals {@code 2, 1})
 */
public record GraderOptions(
        double relativeTolerance,
        int decimals,
        Duration timeout,
        boolean setRelationComparison,
        boolean strictVariables,
        boolean orderedLists) {

    public static final GraderOptions DEFAULT =
            new GraderOptions(1e-6, -1, Duration.ofSeconds(2), true, true, false);

    public GraderOptions {
        if (!(relativeTolerance >= 0 && relativeTolerance < 1)) {
            throw new IllegalArgumentException(
                    "relative tolerance was " + relativeTolerance + ", must be in [0, 1)");
        }
        if (decimals < -1 || decimals > 30) {
            throw new IllegalArgumentException("decimals was " + decimals + ", must be in [-1, 30]");
        }
        Objects.requireNonNull(timeout, "timeout");
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("timeout was " + timeout + ", must be positive");
        }
    }

    public GraderOptions withTimeout(Duration t) {
        return new GraderOptions(relativeTolerance, decimals, t, setRelationComparison, strictVariables, orderedLists);
    }

    public GraderOptions withRelativeTolerance(double tol) {
        return new GraderOptions(tol, decimals, timeout, setRelationComparison, strictVariables, orderedLists);
    }

    public GraderOptions withDecimals(int d) {
        return new GraderOptions(relativeTolerance, d, timeout, setRelationComparison, strictVariables, orderedLists);
    }

    public GraderOptions withSetRelationComparison(boolean on) {
        return new GraderOptions(relativeTolerance, decimals, timeout, on, strictVariables, orderedLists);
    }

    public GraderOptions withStrictVariables(boolean on) {
        return new GraderOptions(relativeTolerance, decimals, timeout, setRelationComparison, on, orderedLists);
    }

    public GraderOptions withOrderedLists(boolean on) {
        return new GraderOptions(relativeTolerance, decimals, timeout, setRelationComparison, strictVariables, on);
    }
}
