package io.seedstream.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;

/**
 * Rotary position embeddings (Su et al., 2021) in the "rotate half" layout Hugging Face uses:
 * inv_freq_i = theta^(-2i/d), angles = position * inv_freq repeated twice, and
 * x' = x * cos + rotate_half(x) * sin with rotate_half(x) = [-x2, x1].
 */
final class Rotary {

    private final int headDim;
    private final double theta;

    Rotary(int headDim, double theta) {
        this.headDim = headDim;
        this.theta = theta;
    }

    /** cos and sin for position ids (B, T): each (B, 1, T, D), broadcasting over heads. */
    NDList cosSin(NDManager m, NDArray positions) {
        float[] inv = new float[headDim / 2];
        for (int i = 0; i < inv.length; i++) {
            inv[i] = (float) (1.0 / Math.pow(theta, (2.0 * i) / headDim));
        }
        long b = positions.getShape().get(0);
        long t = positions.getShape().get(1);
        NDArray pos = positions.toType(DataType.FLOAT32, false).reshape(b, t, 1); // (B, T, 1)
        NDArray freqs = pos.mul(m.create(inv).reshape(1, 1, inv.length)); // (B, T, D/2)
        NDArray emb = NDArrays.concat(new NDList(freqs, freqs), 2).reshape(b, 1, t, headDim); // (B, 1, T, D)
        return new NDList(emb.cos(), emb.sin());
    }

    /** x: (B, H, T, D); cos, sin: (B, 1, T, D). */
    NDArray apply(NDArray x, NDArray cos, NDArray sin) {
        int half = headDim / 2;
        NDArray x1 = x.get(new NDIndex("..., :" + half));
        NDArray x2 = x.get(new NDIndex("..., " + half + ":"));
        NDArray rotated = NDArrays.concat(new NDList(x2.neg(), x1), -1 + (int) x.getShape().dimension()); // (B,H,T,D)
        return x.mul(cos).add(rotated.mul(sin));
    }
}
