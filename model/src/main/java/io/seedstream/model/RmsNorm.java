package io.seedstream.model;

import ai.djl.ndarray.NDArray;

/** RMSNorm (Zhang and Sennrich, 2019): x / sqrt(mean(x^2) + eps) * weight, over the last axis. */
final class RmsNorm {

    private RmsNorm() {}

    static NDArray forward(NDArray x, NDArray weight, double eps) {
        // a product with the reciprocal root (..., 1), as Hugging Face computes it; a quotient's
        // backward would take two more passes over x
        NDArray inverseRms = x.square().mean(new int[] {-1}, true).add(eps).pow(-0.5); // (..., 1)
        return x.mul(inverseRms).mul(weight);
    }
}
