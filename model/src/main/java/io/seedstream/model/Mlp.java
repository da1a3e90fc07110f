package io.seedstream.model;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Activation;

/** The SwiGLU feed-forward network: down(silu(gate(x)) * up(x)). */
final class Mlp {

    private final String prefix;

    Mlp(int layer) {
        this.prefix = "model.layers." + layer + ".mlp.";
    }

    /** x: (B, T, C) -> (B, T, C). */
    NDArray forward(Weights w, NDArray x) {
        NDArray gate = x.matMul(w.transposed(prefix + "gate_proj.weight", x.getManager())); // (B, T, I)
        NDArray up = x.matMul(w.transposed(prefix + "up_proj.weight", x.getManager())); // (B, T, I)
        NDArray hidden = gate.mul(Activation.sigmoid(gate)).mul(up);
        return hidden.matMul(w.transposed(prefix + "down_proj.weight", x.getManager()));
    }
}
