package io.seedstream.model;

import ai.djl.ndarray.NDArray;

/** RMSNorm (Zhang and Sennrich, 2019): x / sqrt(mean(x^2) + eps) * weight, over the last axis. */
final class RmsNorm {

    private RmsNorm() {}

    static NDArray forward(NDArray x, NDArray weight, double eps) {
        NDArray ms = x.square().mean(new int[] {-1}, true); // (..., 1)
        return x.div(ms.add(eps).sqrt()).mul(weight);
    }
}
