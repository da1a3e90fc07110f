package io.seedstream.model;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Activation;
import ai.djl.nn.core.Linear;

/** The SwiGLU feed-forward network: down(silu(gate(x)) * up(x)). */
final class Mlp {

    private final String prefix;

    Mlp(int layer) {
        this.prefix = "model.layers." + layer + ".mlp.";
    }

    /** x: (B, T, C) -> (B, T, C). */
    NDArray forward(Weights w, NDArray x) {
        NDArray gate = Linear.linear(x, w.get(prefix + "gate_proj.weight")).singletonOrThrow(); // (B, T, I)
        NDArray up = Linear.linear(x, w.get(prefix + "up_proj.weight")).singletonOrThrow(); // (B, T, I)
        NDArray hidden = gate.mul(Activation.sigmoid(gate)).mul(up);
        return Linear.linear(hidden, w.get(prefix + "down_proj.weight")).singletonOrThrow(); // (B, T, C)
    }
}
