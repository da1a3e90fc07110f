package io.seedstream.model;

import ai.djl.ndarray.NDArray;

/** RMSNorm (Zhang and Sennrich, 2019): x / sqrt(mean(x^2) + eps) * weight, over the last axis. */
final class RmsNorm {

    private RmsNorm() {}

    static NDArray forward(NDArray x, NDArray weight, double eps) {
        // x * x and a sum then a division of the (..., 1) sums are what pow(2) and mean compute,
        // with cheaper backwards (no pow of x, no full-size division); the product with the
        // reciprocal root is how Hugging Face applies it, and a quotient's backward would take
        // two more passes over x
        ai.djl.ndarray.NDManager m = x.getManager();
        NDArray meanSquare = x.mul(x).sum(new int[] {-1}, true).div(Scalar.of(m, x.getShape().tail())); // (..., 1)
        NDArray inverseRms = meanSquare.add(Scalar.of(m, eps)).pow(Scalar.of(m, -0.5));
        return x.mul(inverseRms).mul(weight);
    }
}
