package io.seedstream.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * Rotary position embeddings (Su et al., 2021) in the "rotate half" layout Hugging Face uses:
 * inv_freq_i = theta^(-2i/d), angles = position * inv_freq repeated twice, and
 * x' = x * cos + rotate_half(x) * sin with rotate_half(x) = [-x2, x1]; the config's rope_scaling
 * changes inv_freq (and, for YaRN, scales cos and sin) as {@link RopeScaling} describes.
 */
final class Rotary {

    private final int headDim;
    private final double theta;
    private final int maxPositions;
    private final RopeScaling scaling;

    Rotary(ModelConfig config) {
        this.headDim = config.headDim();
        this.theta = config.ropeTheta();
        this.maxPositions = config.maxPositionEmbeddings();
        this.scaling = config.ropeScaling();
    }

    /**
     * Tables for position ids (B, T): cos and sin, each (B, 1, T, D), broadcasting over heads, and
     * the (D, D) matrix R with rotate_half(x) = x R.
     */
    NDList tables(NDManager m, NDArray positions) {
        // only the dynamic type depends on the longest position, as transformers' dynamic_rope_update
        long seqLen = scaling.type() == RopeScaling.Type.DYNAMIC
                ? positions.max().toType(DataType.INT64, false).getLong() + 1 : 0;
        double[] wide = scaling.inverseFrequencies(headDim, theta, maxPositions, seqLen);
        float[] inv = new float[wide.length];
        for (int i = 0; i < inv.length; i++) {
            inv[i] = (float) wide[i];
        }
        long b = positions.getShape().get(0);
        long t = positions.getShape().get(1);
        NDArray pos = positions.toType(DataType.FLOAT32, false).reshape(b, t, 1); // (B, T, 1)
        NDArray freqs = pos.mul(m.create(inv).reshape(1, 1, inv.length)); // (B, T, D/2)
        NDArray emb = NDArrays.concat(new NDList(freqs, freqs), 2).reshape(b, 1, t, headDim); // (B, 1, T, D)
        if (scaling.attentionFactor() == 1) {
            return new NDList(emb.cos(), emb.sin(), rotateHalf(m));
        }
        float a = (float) scaling.attentionFactor();
        return new NDList(emb.cos().mul(a), emb.sin().mul(a), rotateHalf(m));
    }

    /**
     * rotate_half as a product: column j < D/2 takes -x[j + D/2], column j >= D/2 takes x[j - D/2].
     * Each output is one signed input plus zeros, so it equals the sliced form bit for bit; one
     * small matmul (and its transpose in the backward) replaces two slices, a negation and a
     * concatenation, whose backward passes zero-fill and copy.
     */
    private NDArray rotateHalf(NDManager m) {
        int half = headDim / 2;
        float[] r = new float[headDim * headDim];
        for (int j = 0; j < half; j++) {
            r[(j + half) * headDim + j] = -1f;
            r[j * headDim + j + half] = 1f;
        }
        return m.create(r, new Shape(headDim, headDim));
    }

    /** x: (B, H, T, D); tables from {@link #tables}. */
    NDArray apply(NDArray x, NDList tables) {
        return x.mul(tables.get(0)).add(x.matMul(tables.get(2)).mul(tables.get(1)));
    }
}
